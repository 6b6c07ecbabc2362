/* interp-queue.c: a FIFO queue shared by C and every interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-queue.h"
#include "interp-error.h"
#include "interp-queue-private.h"

/**
 * SECTION:interp-queue
 * @Title: InterpQueue
 * @Short_description: a FIFO queue between C and interpreters
 *
 * An #InterpQueue is a first-in first-out queue that C code and the Python
 * code of every interpreter share: CPython 3.14's
 * `concurrent.interpreters.Queue`, reachable from C, GJS and PyGObject.
 * In Python, `interp_glib.Queue(id)` gives the same queue in any
 * interpreter, and `interp_glib.create_queue()` makes one; in C,
 * interp_queue_new() and interp_queue_new_for_id().
 *
 * #InterpQueue implements #GInitable. Constructed without #InterpQueue:id
 * (or with 0: `new Interp.Queue({maxsize: 2})` in GJS,
 * `Interp.Queue(maxsize=2)` in PyGObject) it is a new queue, ready at
 * once; with an ID (`new Interp.Queue({id})` then `init(null)` in GJS,
 * `Interp.Queue(id=id)` in PyGObject, g_initable_new() in C) it is that
 * existing queue, found when the object is initialized, and
 * g_initable_init() fails with %INTERP_ERROR_QUEUE_NOT_FOUND when there is
 * none.
 *
 * |[<!-- language="C" -->
 * g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
 * g_autofree char *code = g_strdup_printf ("import interp_glib\n"
 *                                          "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
 *                                          "q.put({'answer': 42})\n",
 *                                          interp_queue_get_id (queue));
 * interp_interpreter_exec (interp, code, NULL, &error);
 * item = interp_queue_get (queue, -1, NULL, &error);  // {'answer': <int64 42>}
 * ]|
 *
 * C puts and gets #GVariant values, converted as the "Values" page says.
 * Between interpreters, Python values keep their exact type: None, bool,
 * int of any size, float, str, bytes and tuples of these cross as
 * themselves, queues and channel ends as the same queue or channel,
 * memoryviews without copying (the memory stays valid while any
 * interpreter holds a view of it), plain lists and dicts as #GVariant, and
 * anything else pickled. An item without a #GVariant form stays in the
 * queue when C tries to get it: the get fails with
 * %INTERP_ERROR_NOT_SHAREABLE for a pickled object and with
 * %INTERP_ERROR_OUT_OF_RANGE for an int beyond 64 bits.
 *
 * Waits block on a condition and wake as soon as an item or room
 * arrives, from C or Python; CPython's own queues poll every 10 ms. Every
 * wait takes a #GCancellable, and a wait in Python code running in an
 * interpreter is cancelled with that call's cancellable.
 *
 * When the interpreter that put an item is destroyed, the item follows the
 * policy given when it was put (or the queue's): `UNBOUND` (a Python get
 * returns `interp_glib.UNBOUND`), `UNBOUND_ERROR` (it raises
 * `ItemInterpreterDestroyed`) or `UNBOUND_REMOVE` (it disappears). C gets
 * of such items fail with %INTERP_ERROR_ITEM_INTERPRETER_DESTROYED. Items
 * C puts belong to no interpreter and never become unbound.
 *
 * The queue lives while anything refers to it: an #InterpQueue, a Python
 * `Queue` object in any interpreter, or a queue inside another queue.
 */

/* Which queue an object stands for is settled by the end of
 * g_initable_init(): constructed() makes a new queue unless an ID was
 * given, and init looks that ID up in the registry, unless
 * interp_queue_new_for_id() already did and set @state between
 * g_object_new() and init, as GSubprocess sets its launcher. Until then
 * (or after a failed init) @state is NULL and every method refuses the
 * object. */
struct _InterpQueue
{
  GObject parent_instance;

  InterpQueueState *state;
  gint maxsize;         /* construct-time value until the state exists */
  gint64 id;            /* construct-time "id": 0 for a new queue */
  GError *init_error;   /* a failed init, repeated by every later one */
};

enum {
  PROP_0,
  PROP_ID,
  PROP_MAXSIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpQueue, interp_queue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, initable_iface_init))

static void
interp_queue_constructed (GObject *object)
{
  InterpQueue *self = INTERP_QUEUE (object);

  G_OBJECT_CLASS (interp_queue_parent_class)->constructed (object);

  /* A new queue is ready without init, as it was before the queue became a
   * GInitable: `new Interp.Queue({maxsize})` in GJS keeps working. */
  if (self->id == 0)
    self->state = _interp_queue_state_new (self->maxsize, INTERP_UNBOUND_DEFAULT, FALSE);
}

static void
interp_queue_finalize (GObject *object)
{
  InterpQueue *self = INTERP_QUEUE (object);

  g_clear_pointer (&self->state, _interp_queue_state_unref);
  g_clear_error (&self->init_error);

  G_OBJECT_CLASS (interp_queue_parent_class)->finalize (object);
}

static void
interp_queue_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  InterpQueue *self = INTERP_QUEUE (object);

  /* Before init, or after a failed one, the values given at construction. */
  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->state != NULL ? _interp_queue_state_get_id (self->state)
                                                    : self->id);
      break;
    case PROP_MAXSIZE:
      g_value_set_int (value, self->state != NULL ? _interp_queue_state_get_maxsize (self->state)
                                                  : self->maxsize);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_queue_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  InterpQueue *self = INTERP_QUEUE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_get_int64 (value);
      break;
    case PROP_MAXSIZE:
      self->maxsize = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_queue_class_init (InterpQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = interp_queue_constructed;
  object_class->finalize = interp_queue_finalize;
  object_class->get_property = interp_queue_get_property;
  object_class->set_property = interp_queue_set_property;

  /**
   * InterpQueue:id:
   *
   * The queue's ID: `interp_glib.Queue(id)` is this queue in Python.
   *
   * Given at construction, the object stands for the existing queue with
   * that ID, which g_initable_init() looks up (failing with
   * %INTERP_ERROR_QUEUE_NOT_FOUND when there is none, as
   * interp_queue_new_for_id() does); #InterpQueue:maxsize is then that
   * queue's. 0, the default, is no queue's ID (they start at 1): the
   * object is a new queue. Any other #gint64 may be given, negative ones
   * included; those that are no queue's fail in init.
   */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", "ID", "The queue's ID", G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * InterpQueue:maxsize:
   *
   * How many items the queue holds at most; 0 for no limit.
   */
  properties[PROP_MAXSIZE] =
    g_param_spec_int ("maxsize", "Maximum size", "How many items the queue holds at most (0: no limit)",
                      0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
interp_queue_init (InterpQueue *self)
{
}

/* For the methods' preconditions: a queue constructed with an ID is
 * usable once its init succeeded; using it before is a programmer error,
 * as for every GInitable. */
static gboolean
is_initialized (InterpQueue *self)
{
  return self->state != NULL;
}

static gboolean
interp_queue_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  InterpQueue *self = INTERP_QUEUE (initable);

  return _interp_queue_state_init_for_id (self->id, FALSE, &self->state, &self->init_error, error);
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = interp_queue_initable_init;
}

/**
 * interp_queue_new:
 * @maxsize: how many items the queue holds at most; 0 for no limit
 * @error: return location for a #GError
 *
 * Creates a queue (CPython's `interpreters.create_queue()`).
 *
 * Returns: (transfer full): the new queue, or %NULL with
 *   %INTERP_ERROR_INVALID_ARGUMENT when @maxsize is negative
 */
InterpQueue *
interp_queue_new (gint     maxsize,
                  GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (maxsize < 0)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "A queue's maxsize is 0 (no limit) or more, not %d", maxsize);
      return NULL;
    }
  return g_initable_new (INTERP_TYPE_QUEUE, NULL, error, "maxsize", maxsize, NULL);
}

/**
 * interp_queue_new_for_id:
 * @id: the ID of an existing queue, e.g. one Python code made
 * @error: return location for a #GError
 *
 * Gets the queue with ID @id (CPython's `Queue(id)`), as g_initable_new()
 * with #InterpQueue:id does, except that 0 is no queue here either.
 *
 * Returns: (transfer full): the queue, or %NULL with
 *   %INTERP_ERROR_QUEUE_NOT_FOUND when there is no such queue
 */
InterpQueue *
interp_queue_new_for_id (gint64   id,
                         GError **error)
{
  InterpQueueState *state;
  InterpQueue *self;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  state = _interp_queue_state_lookup (id, FALSE, error);
  if (state == NULL)
    return NULL;
  /* Adopted between g_object_new() and init, which then has nothing to
   * look up and cannot fail. */
  self = g_object_new (INTERP_TYPE_QUEUE, "id", id, NULL);
  self->state = state;
  if (!g_initable_init (G_INITABLE (self), NULL, error))
    g_clear_object (&self);
  return self;
}

/**
 * interp_queue_get_id:
 * @self: a queue
 *
 * The queue's ID, the same in every interpreter.
 *
 * Returns: the ID
 */
gint64
interp_queue_get_id (InterpQueue *self)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), 0);
  g_return_val_if_fail (is_initialized (self), 0);

  return _interp_queue_state_get_id (self->state);
}

/**
 * interp_queue_get_maxsize:
 * @self: a queue
 *
 * How many items the queue holds at most.
 *
 * Returns: the limit, 0 for none
 */
gint
interp_queue_get_maxsize (InterpQueue *self)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), 0);
  g_return_val_if_fail (is_initialized (self), 0);

  return _interp_queue_state_get_maxsize (self->state);
}

/**
 * interp_queue_get_size:
 * @self: a queue
 *
 * How many items the queue holds now (CPython's `Queue.qsize()`); other threads
 * may change it at any time.
 *
 * Returns: the number of items
 */
gint
interp_queue_get_size (InterpQueue *self)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), 0);
  g_return_val_if_fail (is_initialized (self), 0);

  return _interp_queue_state_get_size (self->state);
}

/**
 * interp_queue_is_empty:
 * @self: a queue
 *
 * Whether the queue holds no item right now.
 *
 * Returns: %TRUE if empty
 */
gboolean
interp_queue_is_empty (InterpQueue *self)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), TRUE);
  g_return_val_if_fail (is_initialized (self), TRUE);

  return interp_queue_get_size (self) == 0;
}

/**
 * interp_queue_is_full:
 * @self: a queue
 *
 * Whether the queue is at its maximum size right now.
 *
 * Returns: %TRUE if full
 */
gboolean
interp_queue_is_full (InterpQueue *self)
{
  gint maxsize;

  g_return_val_if_fail (INTERP_IS_QUEUE (self), FALSE);
  g_return_val_if_fail (is_initialized (self), FALSE);

  maxsize = interp_queue_get_maxsize (self);
  return maxsize > 0 && interp_queue_get_size (self) >= maxsize;
}

/**
 * interp_queue_put:
 * @self: a queue
 * @item: the value to add; a floating reference is consumed
 * @timeout_us: how long to wait for room, in microseconds: -1 for ever, 0
 *   not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Adds @item at the end of the queue, waiting for room if the queue is
 * full. Python code gets it converted as the "Values" page says.
 *
 * Returns: %TRUE on success; %FALSE with %INTERP_ERROR_QUEUE_FULL when no
 *   room came before the timeout, %INTERP_ERROR_INVALID_ARGUMENT for a
 *   timeout below -1, or %G_IO_ERROR_CANCELLED
 */
gboolean
interp_queue_put (InterpQueue   *self,
                  GVariant      *item,
                  gint64         timeout_us,
                  GCancellable  *cancellable,
                  GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (INTERP_IS_QUEUE (self), FALSE);
  g_return_val_if_fail (is_initialized (self), FALSE);
  g_return_val_if_fail (item != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_variant_ref_sink (item);
  ok = _interp_queue_state_put_variant (self->state, item, FALSE, timeout_us, cancellable, error);
  g_variant_unref (item);
  return ok;
}

/**
 * interp_queue_get:
 * @self: a queue
 * @timeout_us: how long to wait for an item, in microseconds: -1 for
 *   ever, 0 not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes and returns the first item, waiting for one if the queue is
 * empty.
 *
 * Returns: (transfer full): the item, or %NULL with %INTERP_ERROR_QUEUE_EMPTY
 *   when none came before the timeout, %INTERP_ERROR_NOT_SHAREABLE or
 *   %INTERP_ERROR_OUT_OF_RANGE when the first item has no #GVariant form
 *   (it stays in the queue),
 *   %INTERP_ERROR_ITEM_INTERPRETER_DESTROYED, %INTERP_ERROR_INVALID_ARGUMENT
 *   for a timeout below -1, or %G_IO_ERROR_CANCELLED
 */
GVariant *
interp_queue_get (InterpQueue   *self,
                  gint64         timeout_us,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), NULL);
  g_return_val_if_fail (is_initialized (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _interp_queue_state_get_variant (self->state, timeout_us, cancellable, error);
}

/**
 * interp_queue_put_async:
 * @self: a queue
 * @item: the value to add; a floating reference is consumed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once the item is in the queue
 * @user_data: data for @callback
 *
 * Adds @item, waiting for room without blocking the caller; the callback
 * runs in the thread-default main context of the caller. Cancelling
 * withdraws the item while it waits; once it is in the queue, the call
 * succeeds.
 */
void
interp_queue_put_async (InterpQueue         *self,
                        GVariant            *item,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (INTERP_IS_QUEUE (self));
  g_return_if_fail (is_initialized (self));
  g_return_if_fail (item != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_queue_put_async);
  /* Cancelling withdraws the wait; once served, the item stands (it left
   * the queue), whatever the cancellable says by the time of the callback. */
  g_task_set_check_cancellable (task, FALSE);
  _interp_queue_state_put_async (self->state, _interp_carrier_from_variant (item), task);
}

/**
 * interp_queue_put_finish:
 * @self: a queue
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_queue_put_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
interp_queue_put_finish (InterpQueue   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * interp_queue_get_async:
 * @self: a queue
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the item
 * @user_data: data for @callback
 *
 * Waits for an item without blocking the caller: a GNOME application
 * gets what its interpreters produce while its UI stays responsive. The
 * callback runs in the thread-default main context of the caller.
 * Cancelling withdraws the wait; an item already taken for this call is
 * still delivered, so nothing is lost.
 */
void
interp_queue_get_async (InterpQueue         *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (INTERP_IS_QUEUE (self));
  g_return_if_fail (is_initialized (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_queue_get_async);
  /* Cancelling withdraws the wait; once served, the item stands (it left
   * the queue), whatever the cancellable says by the time of the callback. */
  g_task_set_check_cancellable (task, FALSE);
  _interp_queue_state_get_async (self->state, task);
}

/**
 * interp_queue_get_finish:
 * @self: a queue
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_queue_get_async().
 *
 * Returns: (transfer full): the item, or %NULL with @error set
 */
GVariant *
interp_queue_get_finish (InterpQueue   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (INTERP_IS_QUEUE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
