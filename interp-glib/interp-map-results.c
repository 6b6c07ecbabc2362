/* interp-map-results.c: the results of a map, watched while they come
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A list model with one item per input from the start, as GTK 4's
 * GtkDirectoryList fills one. The pool settles items from its threads
 * (interp-map-results-private.h); each settled item gets its value or
 * error at once, under the lock, and is published later, in the creator's
 * main context, by one idle source that publishes everything settled since
 * it last ran: it sets the item's "done" (readers on other threads check
 * "done" before they read the outcome, which never changes after it), and
 * notifies. Counters and waiters move only there, so what a handler sees
 * agrees with the notifications it had.
 */

#include "interp-map-results-private.h"
#include "interp-completion-private.h"
#include "interp-error-private.h"

/**
 * SECTION:interp-map-results
 * @Title: InterpMapResults
 * @Short_description: the results of a map, watched while they come
 *
 * interp_pool_map_stream() gives an #InterpMapResults: a #GListModel
 * of #InterpMapItem with one item per input, in input order, from the
 * start. Items never come and go: an item's #InterpMapItem:done turns
 * %TRUE once, and then it has its #InterpMapItem:value or its
 * #InterpMapItem:error. A list widget bound to the model (a `GtkListView`)
 * shows its rows at once and each fills in when its item is done. The
 * pool guide's "Watching results" has examples in every language.
 *
 * Everything is notified in the thread-default main context that was
 * current when interp_pool_map_stream() was called (the creator's), so a
 * main loop must run there: #InterpMapItem:done once per item, then
 * #InterpMapResults::items-done for each run of items done together, and
 * #InterpMapResults:n-done, #InterpMapResults:n-failed,
 * #InterpMapResults:fraction and #InterpMapResults:loading at most once per
 * main-loop iteration each. Items finish in chunks, as the map runs them,
 * so that watching costs about what interp_pool_map_async() costs.
 *
 * The getters may be called from any thread; another thread sees an item
 * done no sooner than the creator's main context does.
 *
 * |[<!-- language="C" -->
 * g_autoptr(InterpPool) pool = interp_pool_new (2, NULL, NULL);
 * g_autoptr(InterpMapResults) results =
 *   interp_pool_map_stream (pool, "math:sqrt", g_variant_new_parsed ("[(4.0,), (-1.0,), (9.0,)]"), 1, NULL);
 *
 * // A main loop would run here; this waits by hand.
 * while (interp_map_results_is_loading (results))
 *   g_main_context_iteration (NULL, TRUE);
 * for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (results)); i++)
 *   {
 *     InterpMapItem *item = interp_map_results_get (results, i);
 *
 *     if (interp_map_item_get_error (item) != NULL)
 *       g_print ("%u failed: %s\n", i, interp_map_item_get_error (item)->message);  // ValueError: math domain error
 *     else
 *       g_print ("%u: %g\n", i, g_variant_get_double (interp_map_item_get_value (item)));
 *   }
 * ]|
 */

struct _InterpMapItem
{
  GObject parent_instance;

  guint index;
  gint done;                  /* atomic: published */
  gboolean settled;           /* under the model's lock */
  GVariant *value;            /* set when settled; read once done */
  GError *error;
};

enum {
  ITEM_PROP_0,
  ITEM_PROP_INDEX,
  ITEM_PROP_DONE,
  ITEM_PROP_VALUE,
  ITEM_PROP_ERROR,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];
static guint notify_signal_id;

G_DEFINE_FINAL_TYPE (InterpMapItem, interp_map_item, G_TYPE_OBJECT)

/* A run of items settled together, published together. */
typedef struct
{
  guint first;
  guint n;
} Range;

struct _InterpMapResults
{
  GObject parent_instance;

  GMainContext *context;      /* the creator's */
  guint n_items;
  InterpMapItem **items;

  GMutex lock;
  GArray *settled;            /* Range: settled, not yet published */
  gboolean flush_scheduled;
  GError *refusal;            /* the map could not start */
  GQueue waiters;             /* GTask of wait_async() */
  gboolean finished;          /* every item published */
  GError *outcome;            /* once finished: the first failure */

  /* Published, in the creator's context. */
  gint n_done;                /* atomic */
  gint n_failed;              /* atomic */
  guint notified_done;
  guint notified_failed;
};

enum {
  PROP_0,
  PROP_N_DONE,
  PROP_N_FAILED,
  PROP_FRACTION,
  PROP_LOADING,
  N_PROPS
};

enum {
  SIGNAL_ITEMS_DONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpMapResults, interp_map_results, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* ------------------------------------------------------------------ */
/* InterpMapItem                                                       */

static void
interp_map_item_finalize (GObject *object)
{
  InterpMapItem *self = INTERP_MAP_ITEM (object);

  g_clear_pointer (&self->value, g_variant_unref);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (interp_map_item_parent_class)->finalize (object);
}

static void
interp_map_item_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  InterpMapItem *self = INTERP_MAP_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_INDEX:
      g_value_set_uint (value, self->index);
      break;
    case ITEM_PROP_DONE:
      g_value_set_boolean (value, interp_map_item_get_done (self));
      break;
    case ITEM_PROP_VALUE:
      g_value_set_variant (value, interp_map_item_get_value (self));
      break;
    case ITEM_PROP_ERROR:
      g_value_set_boxed (value, interp_map_item_get_error (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_map_item_class_init (InterpMapItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = interp_map_item_finalize;
  object_class->get_property = interp_map_item_get_property;

  /**
   * InterpMapItem:index:
   *
   * The item's position in the map's input, and in its #InterpMapResults.
   */
  item_properties[ITEM_PROP_INDEX] =
    g_param_spec_uint ("index", "Index", "The position of the input", 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * InterpMapItem:done:
   *
   * Whether the item has its outcome: #InterpMapItem:value, or
   * #InterpMapItem:error. It turns %TRUE once, notified in the creator's
   * main context.
   */
  item_properties[ITEM_PROP_DONE] =
    g_param_spec_boolean ("done", "Done", "Whether the item has its outcome", FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * InterpMapItem:value:
   *
   * What the call returned; %NULL until it is done, and if it failed.
   */
  item_properties[ITEM_PROP_VALUE] =
    g_param_spec_variant ("value", "Value", "What the call returned", G_VARIANT_TYPE_ANY, NULL,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * InterpMapItem:error:
   *
   * Why the call failed, as interp_pool_call() would have: its exception,
   * a timeout, %G_IO_ERROR_CANCELLED if the map was cancelled before it
   * ran; %NULL until it is done, and if it succeeded.
   */
  item_properties[ITEM_PROP_ERROR] =
    g_param_spec_boxed ("error", "Error", "Why the call failed", G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
}

static void
interp_map_item_init (InterpMapItem *self)
{
}

/**
 * interp_map_item_get_index:
 * @self: an item
 *
 * The #InterpMapItem:index of @self.
 *
 * Returns: the item's position in the map's input
 */
guint
interp_map_item_get_index (InterpMapItem *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_ITEM (self), 0);

  return self->index;
}

/**
 * interp_map_item_get_done:
 * @self: an item
 *
 * The #InterpMapItem:done of @self.
 *
 * Returns: whether @self has its value or its error
 */
gboolean
interp_map_item_get_done (InterpMapItem *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_ITEM (self), FALSE);

  return g_atomic_int_get (&self->done);
}

/**
 * interp_map_item_get_value:
 * @self: an item
 *
 * The value of a call that succeeded. It never changes once set: it
 * lives as long as @self.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL while the item
 *   is not done and if it failed
 */
GVariant *
interp_map_item_get_value (InterpMapItem *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_ITEM (self), NULL);

  return g_atomic_int_get (&self->done) ? self->value : NULL;
}

/**
 * interp_map_item_get_error:
 * @self: an item
 *
 * The error of a call that failed, as interp_pool_call() gives it (a
 * Python exception's message is `Type: message`, and
 * interp_exception_info_from_error() gives its traceback). It never
 * changes once set: it lives as long as @self.
 *
 * Returns: (transfer none) (nullable): the error, or %NULL while the item
 *   is not done and if it succeeded
 */
const GError *
interp_map_item_get_error (InterpMapItem *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_ITEM (self), NULL);

  return g_atomic_int_get (&self->done) ? self->error : NULL;
}

/**
 * interp_map_item_dup_exception_info:
 * @self: an item
 *
 * The snapshot of the Python exception an item's call raised, as
 * interp_exception_info_from_error() gives it for its
 * #InterpMapItem:error: for bindings whose copies of a #GError lose it
 * (PyGObject's override gives it as the error's attributes).
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL if the item
 *   is not done or did not fail with %INTERP_ERROR_EXECUTION_FAILED
 */
InterpExceptionInfo *
interp_map_item_dup_exception_info (InterpMapItem *self)
{
  const GError *error;

  g_return_val_if_fail (INTERP_IS_MAP_ITEM (self), NULL);

  error = interp_map_item_get_error (self);
  return error != NULL ? interp_exception_info_from_error (error) : NULL;
}

/* ------------------------------------------------------------------ */
/* GListModel                                                          */

static GType
results_get_item_type (GListModel *list)
{
  return INTERP_TYPE_MAP_ITEM;
}

static guint
results_get_n_items (GListModel *list)
{
  return INTERP_MAP_RESULTS (list)->n_items;
}

static gpointer
results_get_item (GListModel *list,
                  guint       position)
{
  InterpMapResults *self = INTERP_MAP_RESULTS (list);

  return position < self->n_items ? g_object_ref (self->items[position]) : NULL;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = results_get_item_type;
  iface->get_n_items = results_get_n_items;
  iface->get_item = results_get_item;
}

/* ------------------------------------------------------------------ */
/* Publishing, in the creator's context                                */

static void complete_waiter (GTask *task, const GError *outcome);

/* The first failure in input order, its message naming the item. */
static GError *
first_failure (InterpMapResults *self)
{
  GError *error;

  if (self->refusal != NULL)
    return g_error_copy (self->refusal);
  for (guint i = 0; i < self->n_items; i++)
    if (self->items[i]->error != NULL)
      {
        char *message;

        error = g_error_copy (self->items[i]->error);
        message = g_strdup_printf ("%s (item %u)", error->message, i);
        g_free (error->message);
        error->message = message;
        return error;
      }
  return NULL;
}

static void
publish (InterpMapResults *self,
         GArray           *ranges)
{
  guint done = 0, failed = 0;

  for (guint r = 0; r < ranges->len; r++)
    {
      Range *range = &g_array_index (ranges, Range, r);

      for (guint i = range->first; i < range->first + range->n; i++)
        {
          g_atomic_int_set (&self->items[i]->done, TRUE);
          done++;
          if (self->items[i]->error != NULL)
            failed++;
        }
    }
  g_atomic_int_add (&self->n_done, done);
  g_atomic_int_add (&self->n_failed, failed);

  for (guint r = 0; r < ranges->len; r++)
    {
      Range *range = &g_array_index (ranges, Range, r);

      for (guint i = range->first; i < range->first + range->n; i++)
        {
          GObject *item = G_OBJECT (self->items[i]);

          /* GLib 2.74 emits "notify" even with nobody listening, which
           * costs more than the rest of an item's way back: most items
           * of a long map have no handler (a list view watches the rows
           * it shows). */
          if (g_signal_handler_find (item, G_SIGNAL_MATCH_ID, notify_signal_id, 0, NULL, NULL, NULL) == 0)
            continue;
          g_object_notify_by_pspec (item, item_properties[ITEM_PROP_DONE]);
          g_object_notify_by_pspec (item, self->items[i]->error != NULL
                                    ? item_properties[ITEM_PROP_ERROR]
                                    : item_properties[ITEM_PROP_VALUE]);
        }
      g_signal_emit (self, signals[SIGNAL_ITEMS_DONE], 0, range->first, range->n);
    }
}

static void
notify_counters (InterpMapResults *self)
{
  guint n_done = g_atomic_int_get (&self->n_done);
  guint n_failed = g_atomic_int_get (&self->n_failed);

  if (n_done == self->notified_done && n_failed == self->notified_failed)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (n_done != self->notified_done)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DONE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
      if (n_done == self->n_items)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
  if (n_failed != self->notified_failed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
  self->notified_done = n_done;
  self->notified_failed = n_failed;
  g_object_thaw_notify (G_OBJECT (self));
}

static void
flush_cb (gpointer data)
{
  InterpMapResults *self = data;
  g_autoptr(GArray) ranges = NULL;
  GQueue waiters = G_QUEUE_INIT;
  GTask *task;

  g_mutex_lock (&self->lock);
  ranges = g_steal_pointer (&self->settled);
  self->settled = g_array_new (FALSE, FALSE, sizeof (Range));
  self->flush_scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  publish (self, ranges);
  notify_counters (self);

  if ((guint) g_atomic_int_get (&self->n_done) < self->n_items)
    return;
  g_mutex_lock (&self->lock);
  if (!self->finished)
    {
      self->finished = TRUE;
      self->outcome = first_failure (self);
      waiters = self->waiters;
      g_queue_init (&self->waiters);
    }
  g_mutex_unlock (&self->lock);
  while ((task = g_queue_pop_head (&waiters)) != NULL)
    complete_waiter (task, self->outcome);
}

/* Called with the lock held. */
static void
schedule_flush_locked (InterpMapResults *self)
{
  if (self->flush_scheduled)
    return;
  self->flush_scheduled = TRUE;
  /* The completion keeps the model: every settled item is published. */
  _interp_completion_push (self->context, G_PRIORITY_DEFAULT_IDLE, 0, flush_cb,
                           g_object_ref (self), g_object_unref);
}

/* Called with the lock held: FALSE if the item was settled already. */
static gboolean
take_item_locked (InterpMapResults *self,
                  guint             index)
{
  InterpMapItem *item = self->items[index];

  if (item->settled)
    return FALSE;
  item->settled = TRUE;
  return TRUE;
}

/* Records a range of settled items (the lock held). */
static void
add_range_locked (InterpMapResults *self,
                  guint             first,
                  guint             n)
{
  Range range = { first, n };

  if (n == 0)
    return;
  g_array_append_val (self->settled, range);
  schedule_flush_locked (self);
}

void
_interp_map_results_settle (InterpMapResults  *self,
                            guint              first,
                            guint              n,
                            GVariant         **values,
                            GError           **errors)
{
  guint start = first;

  g_return_if_fail (first <= self->n_items && n <= self->n_items - first);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < n; i++)
    {
      InterpMapItem *item = self->items[first + i];

      if (!take_item_locked (self, first + i))
        {
          /* Never expected: an item is settled once. Keep the ranges
           * to items settled here. */
          add_range_locked (self, start, first + i - start);
          start = first + i + 1;
          continue;
        }
      item->value = g_steal_pointer (&values[i]);
      item->error = errors ? g_steal_pointer (&errors[i]) : NULL;
      if (item->value == NULL && item->error == NULL)
        item->error = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_FAILED,
                                           "The call gave no value");
    }
  add_range_locked (self, start, first + n - start);
  g_mutex_unlock (&self->lock);
}

void
_interp_map_results_fail (InterpMapResults *self,
                          guint             first,
                          guint             n,
                          const GError     *error)
{
  guint start = first;

  g_return_if_fail (first <= self->n_items && n <= self->n_items - first);

  g_mutex_lock (&self->lock);
  for (guint i = first; i < first + n; i++)
    {
      if (!take_item_locked (self, i))
        {
          add_range_locked (self, start, i - start);
          start = i + 1;
          continue;
        }
      self->items[i]->error = g_error_copy (error);
    }
  add_range_locked (self, start, first + n - start);
  g_mutex_unlock (&self->lock);
}

void
_interp_map_results_refuse (InterpMapResults *self,
                            GError           *error)
{
  g_mutex_lock (&self->lock);
  g_clear_error (&self->refusal);
  self->refusal = g_error_copy (error);
  if (self->n_items == 0)
    {
      /* Nothing to publish: finished from the start. */
      g_clear_error (&self->outcome);
      self->outcome = g_error_copy (error);
    }
  g_mutex_unlock (&self->lock);
  _interp_map_results_fail (self, 0, self->n_items, error);
  g_error_free (error);
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */

static void
complete_waiter (GTask        *task,
                 const GError *outcome)
{
  GSource *cancel_source = g_task_get_task_data (task);

  if (cancel_source != NULL)
    g_source_destroy (cancel_source);
  if (outcome != NULL)
    g_task_return_error (task, g_error_copy (outcome));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* The waiter's cancellable fired: in the waiter's context. */
static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  GTask *task = data;
  InterpMapResults *self = g_task_get_source_object (task);
  gboolean mine;

  g_mutex_lock (&self->lock);
  mine = g_queue_remove (&self->waiters, task);
  g_mutex_unlock (&self->lock);
  if (mine)
    {
      g_task_return_error (task, _interp_error_new_cancelled ());
      g_object_unref (task);   /* the queue's */
    }
  return G_SOURCE_REMOVE;
}

/**
 * interp_map_results_wait_async:
 * @self: the results of a map
 * @cancellable: (nullable): a #GCancellable to stop waiting (the map runs
 *   on: cancel it with the cancellable given to interp_pool_map_stream())
 * @callback: (scope async): called once every item is done
 * @user_data: data for @callback
 *
 * Waits until every item of @self is done (#InterpMapResults:loading is
 * %FALSE); @callback runs in the thread-default main context of the
 * caller. May be called any number of times, from any thread, also after
 * the map ended.
 */
void
interp_map_results_wait_async (InterpMapResults    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  gboolean finished;

  g_return_if_fail (INTERP_IS_MAP_RESULTS (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_map_results_wait_async);

  g_mutex_lock (&self->lock);
  finished = self->finished;
  if (!finished)
    {
      g_queue_push_tail (&self->waiters, task);
      if (cancellable != NULL)
        {
          /* The cancellation comes from the waiter's own context, never
           * from inside g_cancellable_cancel(). The source and the task
           * hold each other until the source is destroyed: by its
           * callback, or by complete_waiter(). */
          GSource *source = g_cancellable_source_new (cancellable);

          g_source_set_callback (source, G_SOURCE_FUNC (wait_cancelled_cb),
                                 g_object_ref (task), g_object_unref);
          g_source_set_static_name (source, "[interp-glib] map results wait");
          g_task_set_task_data (task, source, (GDestroyNotify) g_source_unref);
          g_source_attach (source, g_task_get_context (task));
        }
    }
  g_mutex_unlock (&self->lock);

  if (finished)
    complete_waiter (task, self->outcome);
}

/**
 * interp_map_results_wait_finish:
 * @self: the results of a map
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_map_results_wait_async().
 *
 * Returns: %TRUE if every item succeeded; %FALSE with @error set to the
 *   failure of the first item that failed, in input order (the same for
 *   every wait), its message ending with ` (item N)`, or to why the map
 *   could not start, or to %G_IO_ERROR_CANCELLED if the wait was
 *   cancelled
 */
gboolean
interp_map_results_wait_finish (InterpMapResults  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* InterpMapResults                                                    */

static void
interp_map_results_finalize (GObject *object)
{
  InterpMapResults *self = INTERP_MAP_RESULTS (object);

  /* Waiters hold the model (their GTask's source object). */
  g_assert (g_queue_is_empty (&self->waiters));
  for (guint i = 0; i < self->n_items; i++)
    g_object_unref (self->items[i]);
  g_free (self->items);
  g_array_unref (self->settled);
  g_clear_error (&self->refusal);
  g_clear_error (&self->outcome);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (interp_map_results_parent_class)->finalize (object);
}

static void
interp_map_results_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  InterpMapResults *self = INTERP_MAP_RESULTS (object);

  switch (prop_id)
    {
    case PROP_N_DONE:
      g_value_set_uint (value, interp_map_results_get_n_done (self));
      break;
    case PROP_N_FAILED:
      g_value_set_uint (value, interp_map_results_get_n_failed (self));
      break;
    case PROP_FRACTION:
      g_value_set_double (value, interp_map_results_get_fraction (self));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, interp_map_results_is_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_map_results_class_init (InterpMapResultsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = interp_map_results_finalize;
  object_class->get_property = interp_map_results_get_property;

  /**
   * InterpMapResults:n-done:
   *
   * How many items are done (succeeded or failed).
   */
  properties[PROP_N_DONE] =
    g_param_spec_uint ("n-done", "Done", "How many items are done", 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * InterpMapResults:n-failed:
   *
   * How many items failed.
   */
  properties[PROP_N_FAILED] =
    g_param_spec_uint ("n-failed", "Failed", "How many items failed", 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * InterpMapResults:fraction:
   *
   * The share of items done, from 0 to 1 (1 for a map of no items): what
   * a `GtkProgressBar`'s "fraction" takes.
   */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", "Fraction", "The share of items done", 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * InterpMapResults:loading:
   *
   * %TRUE until every item is done.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", "Loading", "Whether items are not done yet", FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * InterpMapResults::items-done:
   * @self: the results of a map
   * @position: the first item done
   * @n_items: how many items from @position are done
   *
   * Emitted in the creator's main context when the items @position to
   * @position + @n_items - 1 are done, after their #InterpMapItem:done
   * was notified: the way to follow items in the order they finish
   * without connecting to each of them.
   */
  signals[SIGNAL_ITEMS_DONE] =
    g_signal_new ("items-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
interp_map_results_init (InterpMapResults *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->waiters);
  self->settled = g_array_new (FALSE, FALSE, sizeof (Range));
}

InterpMapResults *
_interp_map_results_new (guint n_items)
{
  InterpMapResults *self = g_object_new (INTERP_TYPE_MAP_RESULTS, NULL);

  self->context = g_main_context_ref_thread_default ();
  self->n_items = n_items;
  self->items = g_new (InterpMapItem *, MAX (n_items, 1));
  for (guint i = 0; i < n_items; i++)
    {
      self->items[i] = g_object_new (INTERP_TYPE_MAP_ITEM, NULL);
      self->items[i]->index = i;
    }
  self->finished = n_items == 0;
  return self;
}

/**
 * interp_map_results_get:
 * @self: the results of a map
 * @position: an item's position: its index in the map's input
 *
 * The item at @position, as g_list_model_get_item() gives it, but typed
 * and without a new reference. In Vala, with interp_map_results_get_size(),
 * it makes `foreach (var item in results)` work.
 *
 * Returns: (transfer none) (nullable): the item, or %NULL if @position is
 *   not below the number of items
 */
InterpMapItem *
interp_map_results_get (InterpMapResults *self,
                        guint             position)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), NULL);

  return position < self->n_items ? self->items[position] : NULL;
}

/**
 * interp_map_results_get_size:
 * @self: the results of a map
 *
 * The number of items, as g_list_model_get_n_items() gives it: one per
 * input of the map, from the start.
 *
 * Returns: the number of items
 */
guint
interp_map_results_get_size (InterpMapResults *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), 0);

  return self->n_items;
}

/**
 * interp_map_results_get_n_done:
 * @self: the results of a map
 *
 * The #InterpMapResults:n-done of @self.
 *
 * Returns: how many items are done, succeeded or failed
 */
guint
interp_map_results_get_n_done (InterpMapResults *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), 0);

  return g_atomic_int_get (&self->n_done);
}

/**
 * interp_map_results_get_n_failed:
 * @self: the results of a map
 *
 * The #InterpMapResults:n-failed of @self.
 *
 * Returns: how many items failed
 */
guint
interp_map_results_get_n_failed (InterpMapResults *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), 0);

  return g_atomic_int_get (&self->n_failed);
}

/**
 * interp_map_results_get_fraction:
 * @self: the results of a map
 *
 * The #InterpMapResults:fraction of @self.
 *
 * Returns: the share of items done, from 0 to 1 (1 if there are none)
 */
gdouble
interp_map_results_get_fraction (InterpMapResults *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), 0.0);

  if (self->n_items == 0)
    return 1.0;
  return (gdouble) (guint) g_atomic_int_get (&self->n_done) / self->n_items;
}

/**
 * interp_map_results_is_loading:
 * @self: the results of a map
 *
 * The #InterpMapResults:loading of @self.
 *
 * Returns: %TRUE until every item is done
 */
gboolean
interp_map_results_is_loading (InterpMapResults *self)
{
  g_return_val_if_fail (INTERP_IS_MAP_RESULTS (self), FALSE);

  return (guint) g_atomic_int_get (&self->n_done) < self->n_items;
}
