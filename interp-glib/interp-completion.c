/* interp-completion.c: completing work in a GMainContext, from any thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One list of pending batches, each a context, a priority and a delay
 * with the completions queued for them, in order. The first completion of
 * a batch attaches its source; the source takes the batch out of the list
 * before it runs it, so that a completion queued meanwhile (by a callback
 * of the batch, say) starts a new batch and runs after this one.
 */

#include "interp-completion-private.h"
#include "interp-error-private.h"

typedef struct
{
  InterpCompletionFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Completion;

typedef struct
{
  GMainContext *context;
  gint priority;
  guint delay_ms;
  GArray *completions;        /* Completion */
} Batch;

static GMutex batches_lock;
static GPtrArray *batches;    /* Batch, waiting for their source */

/* Takes @batch out of the list, if it is still there: a completion
 * queued from now on starts a new batch. */
static void
batch_unlist (Batch *batch)
{
  g_mutex_lock (&batches_lock);
  g_ptr_array_remove_fast (batches, batch);
  g_mutex_unlock (&batches_lock);
}

static gboolean
batch_dispatch (gpointer data)
{
  Batch *batch = data;
  GArray *completions;

  batch_unlist (batch);
  completions = g_steal_pointer (&batch->completions);
  for (guint i = 0; i < completions->len; i++)
    {
      Completion *completion = &g_array_index (completions, Completion, i);

      completion->func (completion->data);
      if (completion->destroy != NULL)
        completion->destroy (completion->data);
    }
  g_array_unref (completions);
  return G_SOURCE_REMOVE;
}

/* The source's destroy notify: after the dispatch, or instead of it. */
static void
batch_free (gpointer data)
{
  Batch *batch = data;

  if (batch->completions != NULL)
    {
      batch_unlist (batch);
      for (guint i = 0; i < batch->completions->len; i++)
        {
          Completion *completion = &g_array_index (batch->completions, Completion, i);

          if (completion->destroy != NULL)
            completion->destroy (completion->data);
        }
      g_array_unref (batch->completions);
    }
  g_main_context_unref (batch->context);
  g_free (batch);
}

void
_interp_completion_push (GMainContext         *context,
                         gint                  priority,
                         guint                 delay_ms,
                         InterpCompletionFunc  func,
                         gpointer              data,
                         GDestroyNotify        destroy)
{
  Completion completion = { func, data, destroy };
  Batch *batch = NULL;
  GSource *source;

  if (context == NULL)
    context = g_main_context_default ();

  g_mutex_lock (&batches_lock);
  if (batches == NULL)
    batches = g_ptr_array_new ();
  for (guint i = 0; i < batches->len && batch == NULL; i++)
    {
      Batch *candidate = batches->pdata[i];

      if (candidate->context == context && candidate->priority == priority &&
          candidate->delay_ms == delay_ms)
        batch = candidate;
    }
  if (batch != NULL)
    {
      g_array_append_val (batch->completions, completion);
      g_mutex_unlock (&batches_lock);
      return;
    }
  batch = g_new0 (Batch, 1);
  batch->context = g_main_context_ref (context);
  batch->priority = priority;
  batch->delay_ms = delay_ms;
  batch->completions = g_array_new (FALSE, FALSE, sizeof (Completion));
  g_array_append_val (batch->completions, completion);
  g_ptr_array_add (batches, batch);
  g_mutex_unlock (&batches_lock);

  /* Attached without the lock: until then the batch only grows. */
  source = delay_ms > 0 ? g_timeout_source_new (delay_ms) : g_idle_source_new ();
  g_source_set_priority (source, priority);
  g_source_set_callback (source, batch_dispatch, batch, batch_free);
  g_source_set_static_name (source, "[interp-glib] completions");
  g_source_attach (source, context);
  g_source_unref (source);
}

/* ------------------------------------------------------------------ */
/* GTasks                                                              */

typedef struct
{
  GTask *task;
  GVariant *result;
  GError *error;
} TaskReturn;

static void
task_return (gpointer data)
{
  TaskReturn *ret = data;

  if (ret->error != NULL)
    g_task_return_error (ret->task, g_steal_pointer (&ret->error));
  else if (ret->result != NULL)
    g_task_return_pointer (ret->task, g_steal_pointer (&ret->result),
                           (GDestroyNotify) g_variant_unref);
  else
    g_task_return_boolean (ret->task, TRUE);
}

static void
task_return_free (gpointer data)
{
  TaskReturn *ret = data;

  g_clear_object (&ret->task);
  g_clear_pointer (&ret->result, g_variant_unref);
  g_clear_error (&ret->error);
  g_free (ret);
}

void
_interp_completion_return_task (GTask    *task,
                                GVariant *result,
                                GError   *error)
{
  TaskReturn *ret = g_new0 (TaskReturn, 1);

  ret->task = task;
  ret->result = result;
  ret->error = error;
  _interp_completion_push (g_task_get_context (task), g_task_get_priority (task), 0,
                           task_return, ret, task_return_free);
}

/* ------------------------------------------------------------------ */
/* A lean GAsyncResult                                                 */

struct _InterpAsyncResult
{
  GObject parent_instance;
  GObject *source;
  GAsyncReadyCallback callback;
  gpointer user_data;
  gpointer source_tag;
  GMainContext *context;      /* the caller's thread-default */
  GCancellable *cancellable;  /* checked when the result is propagated */
  GVariant *value;
  GError *error;
  gboolean returned;
};

static void async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpAsyncResult, _interp_async_result, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT, async_result_iface_init))

static void
_interp_async_result_finalize (GObject *object)
{
  InterpAsyncResult *self = INTERP_ASYNC_RESULT (object);

  g_clear_object (&self->source);
  g_clear_object (&self->cancellable);
  g_main_context_unref (self->context);
  g_clear_pointer (&self->value, g_variant_unref);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (_interp_async_result_parent_class)->finalize (object);
}

static void
_interp_async_result_class_init (InterpAsyncResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = _interp_async_result_finalize;
}

static void
_interp_async_result_init (InterpAsyncResult *self)
{
}

static gpointer
async_result_get_user_data (GAsyncResult *result)
{
  return INTERP_ASYNC_RESULT (result)->user_data;
}

static GObject *
async_result_get_source_object (GAsyncResult *result)
{
  InterpAsyncResult *self = INTERP_ASYNC_RESULT (result);

  return self->source != NULL ? g_object_ref (self->source) : NULL;
}

static gboolean
async_result_is_tagged (GAsyncResult *result,
                        gpointer      source_tag)
{
  return INTERP_ASYNC_RESULT (result)->source_tag == source_tag;
}

static void
async_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = async_result_get_user_data;
  iface->get_source_object = async_result_get_source_object;
  iface->is_tagged = async_result_is_tagged;
}

InterpAsyncResult *
_interp_async_result_new (gpointer             source,
                          GMainContext        *context,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data,
                          gpointer             source_tag)
{
  InterpAsyncResult *self = g_object_new (INTERP_TYPE_ASYNC_RESULT, NULL);

  self->source = source != NULL ? g_object_ref (source) : NULL;
  self->callback = callback;
  self->user_data = user_data;
  self->source_tag = source_tag;
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  return self;
}

GMainContext *
_interp_async_result_get_context (InterpAsyncResult *self)
{
  return self->context;
}

/* In the caller's context: the callback, with that context the
 * thread-default meanwhile, as a GTask's (so that an _async call made
 * by the callback completes there too). */
static void
async_result_dispatch (gpointer data)
{
  InterpAsyncResult *self = data;
  GMainContext *current = g_main_context_get_thread_default ();
  gboolean push = self->context != (current != NULL ? current : g_main_context_default ());

  if (self->callback == NULL)
    return;
  if (push)
    g_main_context_push_thread_default (self->context);
  self->callback (self->source, G_ASYNC_RESULT (self), self->user_data);
  if (push)
    g_main_context_pop_thread_default (self->context);
}

/* Takes @value or @error as the outcome, once. */
static gboolean
async_result_set (InterpAsyncResult *self,
                  GVariant          *value,
                  GError            *error)
{
  g_return_val_if_fail (!self->returned, FALSE);

  self->returned = TRUE;
  self->value = value;
  self->error = error;
  return TRUE;
}

void
_interp_async_result_return (InterpAsyncResult *self,
                             GVariant          *value,
                             GError            *error)
{
  if (!async_result_set (self, value, error))
    return;
  _interp_completion_push (self->context, G_PRIORITY_DEFAULT, 0, async_result_dispatch, self,
                           g_object_unref);
}

void
_interp_async_result_return_here (InterpAsyncResult *self,
                                  GVariant          *value,
                                  GError            *error)
{
  if (!async_result_set (self, value, error))
    return;
  async_result_dispatch (self);
  g_object_unref (self);
}

gboolean
_interp_async_result_is_valid (GAsyncResult *result,
                               gpointer      source)
{
  return INTERP_IS_ASYNC_RESULT (result) &&
         INTERP_ASYNC_RESULT (result)->source == source;
}

GVariant *
_interp_async_result_propagate (GAsyncResult  *result,
                                GError       **error)
{
  InterpAsyncResult *self = INTERP_ASYNC_RESULT (result);

  if (self->cancellable != NULL && g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_pointer (&self->value, g_variant_unref);
      g_clear_error (&self->error);
      _interp_error_set_cancelled (error);
      return NULL;
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      return NULL;
    }
  return g_steal_pointer (&self->value);
}

/* ------------------------------------------------------------------ */
/* Coalesced notification                                              */

/* In a g_atomic_rc_box. */
struct _InterpNotifier
{
  GWeakRef object;
  GMainContext *context;
  gint priority;
  guint delay_ms;
  InterpNotifyFunc func;
  guint pending;              /* atomic: the changes not notified yet */
};

InterpNotifier *
_interp_notifier_new (GObject          *object,
                      GMainContext     *context,
                      gint              priority,
                      guint             delay_ms,
                      InterpNotifyFunc  func)
{
  InterpNotifier *notifier = g_atomic_rc_box_new0 (InterpNotifier);

  g_weak_ref_init (&notifier->object, object);
  notifier->context = g_main_context_ref (context);
  notifier->priority = priority;
  notifier->delay_ms = delay_ms;
  notifier->func = func;
  return notifier;
}

static void
notifier_clear (InterpNotifier *notifier)
{
  g_weak_ref_clear (&notifier->object);
  g_main_context_unref (notifier->context);
}

void
_interp_notifier_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) notifier_clear);
}

static void
notifier_dispatch (gpointer data)
{
  InterpNotifier *notifier = data;
  /* Cleared before the object's state is read: a change after this
   * point queues another completion. */
  guint changes = g_atomic_int_and (&notifier->pending, 0);
  g_autoptr(GObject) object = g_weak_ref_get (&notifier->object);

  if (object != NULL)
    notifier->func (object, changes);
}

void
_interp_notifier_post (InterpNotifier *notifier,
                       guint           changes)
{
  g_return_if_fail (changes != 0);
  g_return_if_fail (notifier->func != NULL);

  if (g_atomic_int_or (&notifier->pending, changes) != 0)
    return;
  _interp_notifier_push (notifier, notifier_dispatch, _interp_notifier_ref (notifier),
                         _interp_notifier_unref);
}

void
_interp_notifier_push (InterpNotifier       *notifier,
                       InterpCompletionFunc  func,
                       gpointer              data,
                       GDestroyNotify        destroy)
{
  _interp_completion_push (notifier->context, notifier->priority, notifier->delay_ms,
                           func, data, destroy);
}

gpointer
_interp_notifier_dup_object (InterpNotifier *notifier)
{
  return g_weak_ref_get (&notifier->object);
}
