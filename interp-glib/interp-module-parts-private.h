/* interp-module-parts-private.h: what the top of _interp_glib puts together
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Only the top of the module (interp-module.c, interp-module-install.c)
 * includes this: the parts know the core (interp-module-private.h), never
 * one another, and none of them knows the top (build-aux/check-layers.py).
 */

#pragma once

#include "interp-module-private.h"

G_BEGIN_DECLS

/* Each part defines its own, in interp-module-<part>.c. */
extern const InterpModulePart _interp_module_queues_part;
extern const InterpModulePart _interp_module_channels_part;
extern const InterpModulePart _interp_module_interp_part;
extern const InterpModulePart _interp_module_pool_part;

/* A new _interp_glib module for the import system, executed, whose
 * CancelledError is @cancelled_error; NULL with an exception set. */
PyObject *_interp_module_new (PyObject *spec,
                              PyObject *cancelled_error);

/* interp-module-site.c: on the main interpreter, records what new
 * interpreters take from it (its sys.path, and where it ran `site` for
 * them, what `site` gave it); on a new one, applies that. The GIL held. */
void      _interp_module_sync_with_main (void);

G_END_DECLS
