/* interp-carrier-private.h: values on their way between interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-python-private.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct _InterpCarrier InterpCarrier;
typedef struct _InterpModuleState InterpModuleState;

/* The GIL of the interpreter @object lives in is held. @mod is that
 * interpreter's interp_glib module state (NULL: no queues or channels). */
InterpCarrier *_interp_carrier_from_python  (PyObject           *object,
                                             InterpModuleState  *mod,
                                             GError            **error);

/* The GIL of the receiving interpreter is held; sets a Python exception
 * and returns NULL on failure. The carrier stays the caller's. */
PyObject      *_interp_carrier_to_python    (InterpCarrier      *carrier,
                                             InterpModuleState  *mod);

/* No GIL needed. */
InterpCarrier *_interp_carrier_from_variant (GVariant           *value);
GVariant      *_interp_carrier_to_variant   (InterpCarrier      *carrier,
                                             GError            **error);
void           _interp_carrier_free         (InterpCarrier      *carrier);

/* Called while pickling (from Queue.__reduce__()): the carrier being made
 * keeps @state alive. No-op outside of one. */
typedef struct _InterpQueueState InterpQueueState;
void           _interp_carrier_keep_alive   (InterpQueueState   *state);
/* The same for a GObject (an InterpInterpreter pickled by ID). */
void           _interp_carrier_keep_object_alive (gpointer        object);

/* Whether @object crosses as itself rather than pickled (GIL held). */
gboolean       _interp_carrier_is_shareable (PyObject           *object,
                                             InterpModuleState  *mod);

G_END_DECLS
