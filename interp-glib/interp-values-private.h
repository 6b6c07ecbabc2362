/* interp-values-private.h: GVariant <-> Python objects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-python-private.h"

#include <glib.h>

G_BEGIN_DECLS

/* Both need the GIL of the interpreter the objects live in. */
PyObject *_interp_values_to_python   (GVariant  *value,
                                      GError   **error);

GVariant *_interp_values_from_python (PyObject  *object,
                                      GError   **error);

/* Only for values the GVariant brings back as the very same types (plain
 * None, bool, int, float, str, bytes, tuples, lists, dicts, no
 * subclasses); NULL for anything else, without an error. */
GVariant *_interp_values_from_python_exact (PyObject *object);

G_END_DECLS
