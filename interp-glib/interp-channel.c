/* interp-channel.c: a rendezvous channel shared by C and every interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-channel.h"
#include "interp-error.h"
#include "interp-queue-private.h"

/**
 * SECTION:interp-channel
 * @Title: InterpChannel
 * @Short_description: a channel whose sender waits for the receiver
 *
 * The channels of CPython's earlier interpreters API (the seeds'
 * `interpreters.create_channel()`, `RecvChannel`, `SendChannel`), native to GLib.
 * Unlike a queue, a send waits until the object was received. In Python,
 * `interp_glib.create_channel()` returns `(RecvChannel, SendChannel)`, and
 * `interp_glib.RecvChannel(id)` / `SendChannel(id)` give the ends of an
 * existing channel in any interpreter; in C one #InterpChannel holds both
 * ends.
 *
 * #InterpChannel implements #GInitable. Constructed without
 * #InterpChannel:id (or with 0: `new Interp.Channel()` in GJS,
 * `Interp.Channel()` in PyGObject) it is a new channel, ready at once;
 * with an ID (`new Interp.Channel({id})` then `init(null)` in GJS,
 * `Interp.Channel(id=id)` in PyGObject, g_initable_new() in C) it is that
 * existing channel, found when the object is initialized, and
 * g_initable_init() fails with %INTERP_ERROR_QUEUE_NOT_FOUND when there is
 * none.
 *
 * Values convert as for #InterpQueue. `SendChannel.send_nowait()` hands the object
 * over only when a receiver is waiting at that moment.
 *
 * An end's `close()` in Python closes the channel for C too, and wakes
 * every send and receive waiting on it, blocking or async: they fail with
 * %G_IO_ERROR_CLOSED. Once only the sending end is closed, receives still
 * take what is left.
 */

/* Which channel an object stands for is settled by the end of
 * g_initable_init(): constructed() makes a new channel unless an ID was
 * given, and init looks that ID up in the registry, unless
 * interp_channel_new_for_id() already did and set @state between
 * g_object_new() and init, as GSubprocess sets its launcher. Until then
 * (or after a failed init) @state is NULL and every method refuses the
 * object. */
struct _InterpChannel
{
  GObject parent_instance;

  InterpQueueState *state;
  gint64 id;            /* construct-time "id": 0 for a new channel */
  GError *init_error;   /* a failed init, repeated by every later one */
};

enum {
  PROP_0,
  PROP_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpChannel, interp_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, initable_iface_init))

static void
interp_channel_constructed (GObject *object)
{
  InterpChannel *self = INTERP_CHANNEL (object);

  G_OBJECT_CLASS (interp_channel_parent_class)->constructed (object);

  /* A new channel is ready without init, as it was before the channel
   * became a GInitable: `new Interp.Channel()` in GJS keeps working. */
  if (self->id == 0)
    self->state = _interp_queue_state_new (0, INTERP_UNBOUND_DEFAULT, TRUE);
}

static void
interp_channel_finalize (GObject *object)
{
  InterpChannel *self = INTERP_CHANNEL (object);

  g_clear_pointer (&self->state, _interp_queue_state_unref);
  g_clear_error (&self->init_error);

  G_OBJECT_CLASS (interp_channel_parent_class)->finalize (object);
}

static void
interp_channel_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  InterpChannel *self = INTERP_CHANNEL (object);

  /* Before init, or after a failed one, the value given at construction. */
  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->state != NULL ? _interp_queue_state_get_id (self->state)
                                                    : self->id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_channel_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  InterpChannel *self = INTERP_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_channel_class_init (InterpChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = interp_channel_constructed;
  object_class->finalize = interp_channel_finalize;
  object_class->get_property = interp_channel_get_property;
  object_class->set_property = interp_channel_set_property;

  /**
   * InterpChannel:id:
   *
   * The channel's ID: `interp_glib.RecvChannel(id)` and `SendChannel(id)`
   * are its ends in Python.
   *
   * Given at construction, the object stands for the existing channel with
   * that ID, which g_initable_init() looks up (failing with
   * %INTERP_ERROR_QUEUE_NOT_FOUND when there is none, as
   * interp_channel_new_for_id() does). 0, the default, is no channel's ID
   * (they start at 1): the object is a new channel. Any other #gint64 may
   * be given, negative ones included; those that are no channel's fail in
   * init.
   */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", "ID", "The channel's ID", G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
interp_channel_init (InterpChannel *self)
{
}

/* For the methods' preconditions: a channel constructed with an ID is
 * usable once its init succeeded; using it before is a programmer error,
 * as for every GInitable. */
static gboolean
is_initialized (InterpChannel *self)
{
  return self->state != NULL;
}

static gboolean
interp_channel_initable_init (GInitable     *initable,
                              GCancellable  *cancellable,
                              GError       **error)
{
  InterpChannel *self = INTERP_CHANNEL (initable);

  return _interp_queue_state_init_for_id (self->id, TRUE, &self->state, &self->init_error, error);
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = interp_channel_initable_init;
}

/**
 * interp_channel_new:
 *
 * Creates a channel (the seeds' `interpreters.create_channel()`).
 *
 * Returns: (transfer full): the new channel
 */
InterpChannel *
interp_channel_new (void)
{
  /* Cannot fail: without an ID, init has nothing to look up. */
  return g_initable_new (INTERP_TYPE_CHANNEL, NULL, NULL, NULL);
}

/**
 * interp_channel_new_for_id:
 * @id: the ID of an existing channel, e.g. one Python code made
 * @error: return location for a #GError
 *
 * Gets the channel with ID @id, as g_initable_new() with #InterpChannel:id
 * does, except that 0 is no channel here either.
 *
 * Returns: (transfer full): the channel, or %NULL with
 *   %INTERP_ERROR_QUEUE_NOT_FOUND when there is no such channel
 */
InterpChannel *
interp_channel_new_for_id (gint64   id,
                           GError **error)
{
  InterpQueueState *state;
  InterpChannel *self;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  state = _interp_queue_state_lookup (id, TRUE, error);
  if (state == NULL)
    return NULL;
  /* Adopted between g_object_new() and init, which then has nothing to
   * look up and cannot fail. */
  self = g_object_new (INTERP_TYPE_CHANNEL, "id", id, NULL);
  self->state = state;
  if (!g_initable_init (G_INITABLE (self), NULL, error))
    g_clear_object (&self);
  return self;
}

/**
 * interp_channel_get_id:
 * @self: a channel
 *
 * The channel's ID, the same in every interpreter.
 *
 * Returns: the ID
 */
gint64
interp_channel_get_id (InterpChannel *self)
{
  g_return_val_if_fail (INTERP_IS_CHANNEL (self), 0);
  g_return_val_if_fail (is_initialized (self), 0);

  return _interp_queue_state_get_id (self->state);
}

/**
 * interp_channel_send:
 * @self: a channel
 * @item: the value to send; a floating reference is consumed
 * @timeout_us: how long to wait for a receiver to take it, in
 *   microseconds: -1 for ever
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends @item and waits until it is received (`SendChannel.send()`).
 *
 * Returns: %TRUE once received; %FALSE with %INTERP_ERROR_NOT_RECEIVED
 *   when nobody took it before the timeout (it is withdrawn),
 *   %G_IO_ERROR_CLOSED when the channel is closed or closes meanwhile (it
 *   is withdrawn, unless a receiver already holds it),
 *   %INTERP_ERROR_INVALID_ARGUMENT for a timeout below -1, or
 *   %G_IO_ERROR_CANCELLED
 */
gboolean
interp_channel_send (InterpChannel  *self,
                     GVariant       *item,
                     gint64          timeout_us,
                     GCancellable   *cancellable,
                     GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (INTERP_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (is_initialized (self), FALSE);
  g_return_val_if_fail (item != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_variant_ref_sink (item);
  ok = _interp_queue_state_put_variant (self->state, item, TRUE, timeout_us, cancellable, error);
  g_variant_unref (item);
  return ok;
}

/**
 * interp_channel_send_nowait:
 * @self: a channel
 * @item: the value to send; a floating reference is consumed
 * @error: return location for a #GError
 *
 * Hands @item to a receiver that is waiting right now, without waiting
 * (`SendChannel.send_nowait()`).
 *
 * Returns: %TRUE if a receiver was waiting; %FALSE with
 *   %INTERP_ERROR_NOT_RECEIVED (and nothing sent) otherwise, a closed
 *   channel included
 */
gboolean
interp_channel_send_nowait (InterpChannel  *self,
                            GVariant       *item,
                            GError        **error)
{
  InterpCarrier *carrier;
  gboolean ok;

  g_return_val_if_fail (INTERP_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (is_initialized (self), FALSE);
  g_return_val_if_fail (item != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  carrier = _interp_carrier_from_variant (item);
  ok = _interp_queue_state_offer (self->state, carrier, INTERP_ITEM_ORIGIN_NONE);
  if (!ok)
    {
      _interp_carrier_free (carrier);
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED,
                           "Nobody was waiting to receive the item");
    }
  return ok;
}

/**
 * interp_channel_recv:
 * @self: a channel
 * @timeout_us: how long to wait, in microseconds: -1 for ever, 0 not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Receives the next item, waiting for one (`RecvChannel.recv()`).
 *
 * Returns: (transfer full): the item, or %NULL with
 *   %INTERP_ERROR_QUEUE_EMPTY when none came before the timeout,
 *   %G_IO_ERROR_CLOSED when the channel is closed or closes meanwhile
 *   (with only its sending end closed, once nothing is left), or the
 *   errors of interp_queue_get() (%INTERP_ERROR_INVALID_ARGUMENT for a
 *   timeout below -1 among them)
 */
GVariant *
interp_channel_recv (InterpChannel  *self,
                     gint64          timeout_us,
                     GCancellable   *cancellable,
                     GError        **error)
{
  g_return_val_if_fail (INTERP_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (is_initialized (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _interp_queue_state_get_variant (self->state, timeout_us, cancellable, error);
}

/**
 * interp_channel_recv_async:
 * @self: a channel
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the item
 * @user_data: data for @callback
 *
 * Receives the next item without blocking the caller; the callback runs
 * in the thread-default main context of the caller. Cancelling withdraws
 * the wait; an item already taken for this call is still delivered.
 * Closing the channel ends the wait with %G_IO_ERROR_CLOSED, as for
 * interp_channel_recv().
 */
void
interp_channel_recv_async (InterpChannel       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (INTERP_IS_CHANNEL (self));
  g_return_if_fail (is_initialized (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_channel_recv_async);
  /* Cancelling withdraws the wait; once served, the item stands (it left
   * the queue), whatever the cancellable says by the time of the callback. */
  g_task_set_check_cancellable (task, FALSE);
  _interp_queue_state_get_async (self->state, task);
}

/**
 * interp_channel_recv_finish:
 * @self: a channel
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_channel_recv_async().
 *
 * Returns: (transfer full): the item, or %NULL with @error set
 */
GVariant *
interp_channel_recv_finish (InterpChannel  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (INTERP_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
