/* interp-completion-private.h: completing work in a GMainContext, from any
 * thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The library's one path back to a main context, as GIO's g_task_return_*
 * is GIO's: whatever a thread finishes for a main context (a GTask's
 * outcome, a line of output, a property change) is queued here and run
 * from a source in that context. A callback never runs inside the call
 * that completed its work, and the last references to what it holds are
 * dropped on the context's thread.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef void (*InterpCompletionFunc) (gpointer data);

/* Runs @func (@data) in @context (NULL: the global default context) and
 * then @destroy (@data) (may be NULL). Completions are queued per context,
 * priority and delay: each queue has at most one source attached (an
 * idle, or with @delay_ms a timeout), which runs everything queued so far
 * in the order it was queued. Any thread, with any lock held but one a
 * callback takes; attaching the source takes the context's lock. */
void _interp_completion_push        (GMainContext         *context,
                                     gint                  priority,
                                     guint                 delay_ms,
                                     InterpCompletionFunc  func,
                                     gpointer              data,
                                     GDestroyNotify        destroy);

/* Returns @task (consuming the caller's reference) in its own context at
 * its priority: @result (a GVariant, may be NULL: returns TRUE), or
 * @error. */
void _interp_completion_return_task (GTask                *task,
                                     GVariant             *result,
                                     GError               *error);

/* ------------------------------------------------------------------ */
/* A lean GAsyncResult                                                 */

/* What a GTask is to a call that completes once with a GVariant or a
 * GError, without what such a call does not use (a GTask notifies
 * "completed" and pushes its context around every callback; on GLib
 * 2.74 that costs more than the rest of a short call): the hot _async
 * calls (interpreter and pool calls and maps) complete through it. Its
 * callback runs in the thread-default main context of the caller of
 * _new(), never inside the call that returned it. */
#define INTERP_TYPE_ASYNC_RESULT (_interp_async_result_get_type ())
G_DECLARE_FINAL_TYPE (InterpAsyncResult, _interp_async_result, INTERP, ASYNC_RESULT, GObject)

/* Completes in @context (NULL: the thread-default context of the
 * caller). With a @cancellable, as a GTask's default: the result is
 * G_IO_ERROR_CANCELLED when it was cancelled by the time the result is
 * propagated, whatever the call gave. */
InterpAsyncResult *_interp_async_result_new       (gpointer              source,
                                                   GMainContext         *context,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data,
                                                   gpointer              source_tag);
GMainContext      *_interp_async_result_get_context (InterpAsyncResult  *result);
/* Any thread, once: completes @result (consumes the reference) with
 * @value (transfer full; NULL: TRUE) or @error. */
void               _interp_async_result_return    (InterpAsyncResult    *result,
                                                   GVariant             *value,
                                                   GError               *error);
/* The same from a completion already running in the result's context
 * (_interp_completion_push()): the callback runs now. */
void               _interp_async_result_return_here (InterpAsyncResult  *result,
                                                   GVariant             *value,
                                                   GError               *error);
gboolean           _interp_async_result_is_valid  (GAsyncResult         *result,
                                                   gpointer              source);
/* (transfer full) The value, or NULL with @error set. */
GVariant          *_interp_async_result_propagate (GAsyncResult         *result,
                                                   GError              **error);

/* ------------------------------------------------------------------ */
/* Coalesced notification                                              */

/* Receives, in the notifier's context, the change bits posted since it
 * last ran; @object is alive (a strong reference for the call). */
typedef void (*InterpNotifyFunc) (GObject *object,
                                  guint    changes);

typedef struct _InterpNotifier InterpNotifier;

/* A notifier for @object (held weakly: a context nobody iterates keeps
 * no object alive) in @context at @priority, @delay_ms after the first
 * change; @func may be NULL for a notifier only pushed to. */
InterpNotifier *_interp_notifier_new   (GObject          *object,
                                        GMainContext     *context,
                                        gint              priority,
                                        guint             delay_ms,
                                        InterpNotifyFunc  func);
static inline InterpNotifier *
_interp_notifier_ref (InterpNotifier *notifier) { return g_atomic_rc_box_acquire (notifier); }
void            _interp_notifier_unref (gpointer          notifier);
/* Any thread, cheap: ORs @changes (not 0) into the pending bits; the
 * first change since the notifier last ran queues one completion. */
void            _interp_notifier_post  (InterpNotifier   *notifier,
                                        guint             changes);
/* Any thread: queues @func (@data) as a completion of its own in the
 * notifier's context, at its priority and delay (a notifier made with
 * @func NULL does only this). */
void            _interp_notifier_push  (InterpNotifier       *notifier,
                                        InterpCompletionFunc  func,
                                        gpointer              data,
                                        GDestroyNotify        destroy);
/* The object, or NULL once it is finalized. */
gpointer        _interp_notifier_dup_object (InterpNotifier *notifier);

G_END_DECLS
