/* interp-carrier-private.h: values on their way between interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Above the executor and the runtime, below the queues. The carrier does
 * not know the Python objects of the interp_glib module (queues, channel
 * ends, shared buffers): the module, which sits above it, hands them in
 * through an #InterpCarrierContext.
 */

#pragma once

#include "interp-python-private.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct _InterpCarrier InterpCarrier;
typedef struct _InterpQueueState InterpQueueState;

typedef enum
{
  INTERP_END_QUEUE,
  INTERP_END_RECV,
  INTERP_END_SEND,
} InterpEndKind;

/* Memory of one interpreter shared without copying with others. */
typedef struct _InterpBufferShare InterpBufferShare;

static inline InterpBufferShare *
_interp_buffer_share_ref (InterpBufferShare *share) { return g_atomic_rc_box_acquire (share); }
void               _interp_buffer_share_unref (InterpBufferShare  *share);
/* Fills @view for a Python object (@exporter) standing for @share; FALSE
 * with a Python exception set (GIL held). */
gboolean           _interp_buffer_share_fill  (InterpBufferShare  *share,
                                               PyObject           *exporter,
                                               Py_buffer          *view,
                                               int                 flags);

/* What the carrier needs of one interpreter's interp_glib module: its
 * state starts with this. The functions are called with that
 * interpreter's GIL held, except end_ref and end_unref (any thread). */
typedef struct _InterpCarrierContext InterpCarrierContext;
struct _InterpCarrierContext
{
  PyObject *pickle;         /* what pickles what is not shared (NULL: the
                             * carrier imports pickle at its first use) */
  PyObject *not_shareable;  /* NotShareableError (NULL: TypeError) */

  /* The queue (borrowed) behind a Queue, RecvChannel or SendChannel and
   * which of them @object is; NULL (no exception) for anything else. */
  InterpQueueState *(*get_end)  (InterpCarrierContext *ctx,
                                 PyObject             *object,
                                 InterpEndKind        *kind);
  /* The Python object for a queue or channel end; NULL with an exception. */
  PyObject         *(*wrap_end) (InterpCarrierContext *ctx,
                                 InterpQueueState     *state,
                                 InterpEndKind         kind);
  /* A Python object exporting @share's memory; NULL with an exception. */
  PyObject         *(*new_shared_buffer) (InterpCarrierContext *ctx,
                                          InterpBufferShare    *share);
  InterpQueueState *(*end_ref)   (InterpQueueState *state);
  void              (*end_unref) (InterpQueueState *state);
};

/* The GIL of the interpreter @object lives in is held. @ctx is that
 * interpreter's interp_glib module (NULL: no queues, buffers or pickle). */
InterpCarrier *_interp_carrier_from_python  (PyObject             *object,
                                             InterpCarrierContext *ctx,
                                             GError              **error);

/* The GIL of the receiving interpreter is held; sets a Python exception
 * and returns NULL on failure. The carrier stays the caller's. */
PyObject      *_interp_carrier_to_python    (InterpCarrier        *carrier,
                                             InterpCarrierContext *ctx);

/* No GIL needed. */
InterpCarrier *_interp_carrier_from_variant (GVariant           *value);
GVariant      *_interp_carrier_to_variant   (InterpCarrier      *carrier,
                                             GError            **error);
void           _interp_carrier_free         (InterpCarrier      *carrier);

/* Called while pickling (from Queue.__reduce__(), or for an interpreter
 * pickled by ID): the carrier being made keeps @data, a reference the
 * caller gives it, until it is freed, then calls @destroy on it. Outside
 * of one, @destroy is called at once. */
void           _interp_carrier_keep_alive   (gpointer            data,
                                             GDestroyNotify      destroy);

/* Whether @object crosses as itself rather than pickled (GIL held). */
gboolean       _interp_carrier_is_shareable (PyObject             *object,
                                             InterpCarrierContext *ctx);

G_END_DECLS
