/* interp-glib.h: the umbrella header
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __INTERP_GLIB_INSIDE__

#include <interp-version.h>
#include <interp-enum-types.h>
#include <interp-error.h>
#include <interp-runtime.h>
#include <interp-interpreter.h>
#include <interp-map-results.h>
#include <interp-pool.h>
#include <interp-queue.h>
#include <interp-channel.h>

#undef __INTERP_GLIB_INSIDE__
