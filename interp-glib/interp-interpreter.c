/* interp-interpreter.c: a Python interpreter with its own executor thread
 *
 * The GObject face of an interpreter: its properties, construction, the
 * registry of interpreters and the public API, all on the caller's thread.
 * The jobs it queues, which run inside Python on the executor thread, are
 * in interp-interpreter-jobs.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-interpreter.h"
#include "interp-enum-types.h"
#include "interp-completion-private.h"
#include "interp-config-private.h"
#include "interp-error-private.h"
#include "interp-executor-private.h"
#include "interp-interpreter-private.h"
#include "interp-output-private.h"
#include "interp-runtime-private.h"

/**
 * SECTION:interp-interpreter
 * @Title: InterpInterpreter
 * @Short_description: an isolated Python interpreter with its own thread
 *
 * An #InterpInterpreter is one Python interpreter: its own modules,
 * `sys`, `__main__` and, with Python 3.12 and later, its own GIL, so that
 * several interpreters run Python code on several cores at once.
 *
 * Each interpreter has a serial executor: a thread of its own that runs the
 * work given to it in submission order. Any thread of the application may
 * call any method. The plain methods wait for their work to finish; the
 * `_async` ones return at once and complete in the thread-default main
 * context of the caller, so a GTK application stays responsive.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * g_autoptr(InterpInterpreter) interp = interp_interpreter_new (NULL, &error);
 * g_autoptr(GVariant) result = NULL;
 *
 * interp_interpreter_exec (interp, "def square(x):\n    return x * x\n", NULL, &error);
 * result = interp_interpreter_call (interp, "square", g_variant_new ("(x)", 7), NULL, NULL, &error);
 * g_print ("%" G_GINT64_FORMAT "\n", g_variant_get_int64 (result));  // 49
 * ]|
 *
 * Values cross the boundary as #GVariant; the API reference's "Values"
 * page has the mapping table.
 *
 * ## Cancellation
 *
 * Every call that runs Python code takes a #GCancellable. Cancelling a call
 * that is still queued drops it. Cancelling a call that is running raises
 * `interp_glib.CancelledError` (a `BaseException`) in its Python code at the
 * next bytecode boundary, so that `except Exception:` does not swallow it;
 * the call then fails with %G_IO_ERROR_CANCELLED and the interpreter stays
 * usable. A blocking C call, such as `time.sleep()` or a long operation of
 * an extension module, finishes before the exception is seen. The code's
 * `except` and `finally` blocks run; the "Limits" page of the manual says
 * which loops CPython 3.11 and 3.13 get wrong there, and what the library
 * does about it.
 *
 * A synchronous call (or close) that code running in another interpreter
 * makes fails with %INTERP_ERROR_RUNNING when it would close a cycle of
 * interpreters waiting for one another, which would never end.
 *
 * ## Closing
 *
 * interp_interpreter_close() refuses new calls (they fail with
 * %INTERP_ERROR_NOT_FOUND), fails the calls still queued with
 * %INTERP_ERROR_NOT_FOUND, waits for the call that is running (cancel it to
 * stop it sooner) and for threads the Python code started, then destroys
 * the interpreter. Dropping the last reference closes the interpreter the
 * same way without waiting. Every `_async` call completes exactly once.
 *
 * ## Configuration
 *
 * The construct-only properties mirror CPython's `PyInterpreterConfig`.
 * By default an interpreter is isolated: its own GIL and allocator, no
 * fork, no exec, no daemon threads, and only extension modules that
 * support multiple interpreters. Python 3.11 cannot configure
 * interpreters: there every interpreter shares the GIL and gets the legacy
 * settings, which the properties then report. Use g_initable_new() to
 * create an interpreter with other settings:
 *
 * |[<!-- language="C" -->
 * interp = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
 *                          "gil", INTERP_GIL_SHARED,
 *                          "use-main-obmalloc", TRUE,
 *                          "check-multi-interp-extensions", FALSE,
 *                          NULL);
 * ]|
 */

struct _InterpInterpreter
{
  GObject parent_instance;

  InterpExecutor *executor;
  InterpConfig config;
  InterpWhence whence;
  gboolean initialized;
  GError *init_error;
  GMainContext *creator_context;
  gboolean capture_output;   /* atomic */
  InterpNotifier *notifier;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_WHENCE,
  PROP_RUNNING,
  PROP_CLOSED,
  /* One per InterpConfigSetting, in its order. */
  PROP_CONFIG_FIRST,
  PROP_CONFIG_LAST = PROP_CONFIG_FIRST + INTERP_CONFIG_N_SETTINGS - 1,
  PROP_CAPTURE_OUTPUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_OUTPUT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void initable_iface_init (GInitableIface *iface);
static void add_interpreter (InterpInterpreter *interp);
static void remove_interpreter (InterpInterpreter *interp);
static void async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpInterpreter, interp_interpreter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, async_initable_iface_init))

/* ------------------------------------------------------------------ */
/* Argument checks, on the caller's thread                             */

static gboolean
check_usable (InterpInterpreter  *self,
              GError            **error)
{
  if (self->executor == NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "The interpreter is not initialized: call its init or init_async "
                           "method (GInitable, GAsyncInitable) first");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Notifying running and closed                                        */

/* The executor says when a job starts or ends and when the interpreter
 * closes, on its own thread. A completion in the creator's main context,
 * NOTIFY_INTERVAL_MS later, notifies whatever changed meanwhile: a stream
 * of jobs costs at most one source per interval, and a job that finds one
 * pending costs one atomic OR. (An idle per change would cost every
 * async call a source of its own: the main loop runs between jobs.) */
#define NOTIFY_INTERVAL_MS 10

static void
notify_changes (GObject *object,
                guint    changes)
{
  g_object_freeze_notify (object);
  if (changes & INTERP_EXECUTOR_CHANGED_RUNNING)
    g_object_notify_by_pspec (object, properties[PROP_RUNNING]);
  if (changes & INTERP_EXECUTOR_CHANGED_CLOSED)
    g_object_notify_by_pspec (object, properties[PROP_CLOSED]);
  g_object_thaw_notify (object);
}

static void
executor_state_changed (gpointer             data,
                        InterpExecutorChange change)
{
  _interp_notifier_post (data, change);
}

static void
watch_executor (InterpInterpreter *self)
{
  self->notifier = _interp_notifier_new (G_OBJECT (self),
                                         self->whence == INTERP_WHENCE_RUNTIME
                                         ? g_main_context_default ()
                                         : self->creator_context,
                                         G_PRIORITY_DEFAULT, NOTIFY_INTERVAL_MS, notify_changes);
  _interp_executor_set_state_hook (self->executor, executor_state_changed,
                                   _interp_notifier_ref (self->notifier), _interp_notifier_unref);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

/* Settles what the interpreter will really get on this Python. */
static gboolean
resolve_config (InterpConfig  *config,
                GError       **error)
{
#if INTERP_PY_HAS_OWN_GIL
  if (config->gil == INTERP_GIL_DEFAULT)
    config->gil = config->use_main_obmalloc ? INTERP_GIL_SHARED : INTERP_GIL_OWN;
  if (config->gil == INTERP_GIL_OWN && config->use_main_obmalloc)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                           "An interpreter with its own GIL needs its own allocator "
                           "(use-main-obmalloc must be FALSE)");
      return FALSE;
    }
  if (!config->use_main_obmalloc && !config->check_multi_interp_extensions)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                           "An interpreter with its own allocator must check extension "
                           "modules (check-multi-interp-extensions must be TRUE)");
      return FALSE;
    }
  return TRUE;
#else
  if (config->gil == INTERP_GIL_OWN)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_UNSUPPORTED,
                   "Python %s has no per-interpreter GIL (Python 3.12 and later have)",
                   PY_VERSION);
      return FALSE;
    }
  /* Python 3.11 only makes legacy interpreters: say so. */
  *config = _interp_config_named (INTERP_CONFIG_LEGACY);
  return TRUE;
#endif
}

static void
interp_interpreter_dispose (GObject *object)
{
  InterpInterpreter *self = INTERP_INTERPRETER (object);

  if (self->executor != NULL && self->whence == INTERP_WHENCE_LIBRARY)
    {
      remove_interpreter (self);
      _interp_executor_close_async (self->executor, NULL);
    }

  G_OBJECT_CLASS (interp_interpreter_parent_class)->dispose (object);
}

static void
interp_interpreter_finalize (GObject *object)
{
  InterpInterpreter *self = INTERP_INTERPRETER (object);

  g_clear_pointer (&self->executor, _interp_executor_unref);
  g_clear_error (&self->init_error);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
  g_clear_pointer (&self->notifier, _interp_notifier_unref);

  G_OBJECT_CLASS (interp_interpreter_parent_class)->finalize (object);
}

static void
interp_interpreter_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  InterpInterpreter *self = INTERP_INTERPRETER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, interp_interpreter_get_id (self));
      break;
    case PROP_WHENCE:
      g_value_set_enum (value, self->whence);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, interp_interpreter_is_running (self));
      break;
    case PROP_CLOSED:
      g_value_set_boolean (value, interp_interpreter_is_closed (self));
      break;
    case PROP_CAPTURE_OUTPUT:
      g_value_set_boolean (value, interp_interpreter_get_capture_output (self));
      break;
    default:
      if (prop_id >= PROP_CONFIG_FIRST && prop_id <= PROP_CONFIG_LAST)
        _interp_config_get_value (&self->config, prop_id - PROP_CONFIG_FIRST, value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_interpreter_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  InterpInterpreter *self = INTERP_INTERPRETER (object);

  switch (prop_id)
    {
    case PROP_CAPTURE_OUTPUT:
      if (!self->initialized)
        {
          /* g_object_new(): applied once the interpreter stands. */
          g_atomic_int_set (&self->capture_output, g_value_get_boolean (value));
        }
      else
        {
          g_autoptr(GError) error = NULL;

          if (!interp_interpreter_set_capture_output (self, g_value_get_boolean (value), &error))
            g_warning ("Cannot set InterpInterpreter:capture-output: %s", error->message);
        }
      break;
    default:
      if (prop_id >= PROP_CONFIG_FIRST && prop_id <= PROP_CONFIG_LAST)
        _interp_config_set_value (&self->config, prop_id - PROP_CONFIG_FIRST, value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_interpreter_class_init (InterpInterpreterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = interp_interpreter_dispose;
  object_class->finalize = interp_interpreter_finalize;
  object_class->get_property = interp_interpreter_get_property;
  object_class->set_property = interp_interpreter_set_property;

  /**
   * InterpInterpreter:id:
   *
   * The interpreter's ID as CPython numbers it (0 for the main
   * interpreter), or -1 before it is initialized.
   */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", "ID", "The interpreter's ID", -1, G_MAXINT64, -1, ro);

  /**
   * InterpInterpreter:whence:
   *
   * Where the interpreter came from.
   */
  properties[PROP_WHENCE] =
    g_param_spec_enum ("whence", "Whence", "Where the interpreter came from", INTERP_TYPE_WHENCE, INTERP_WHENCE_UNKNOWN, ro);

  /**
   * InterpInterpreter:running:
   *
   * Whether a call is running Python code in the interpreter right now.
   *
   * It changes on the interpreter's thread; the change is notified
   * afterwards in the thread-default main context that was current when
   * the interpreter was created (the global default one for the main
   * interpreter), so that context must be iterated. Notifications are
   * coalesced, about 10 ms after a change: one notify signal may stand for
   * several jobs that started and ended meanwhile, so read the property in
   * the handler, and use the calls' own callbacks to follow single calls.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", "Running", "Whether a call runs Python code now", FALSE, ro);

  /**
   * InterpInterpreter:capture-output:
   *
   * Whether what Python code writes to `sys.stdout` and `sys.stderr` goes
   * to the #InterpInterpreter::output signal; see
   * interp_interpreter_set_capture_output(), which setting this property
   * calls (a failure is logged as a warning: call the function to get the
   * #GError). Notified when it changes, in the thread that changed it. Set
   * at construction, it applies once the interpreter is initialized.
   */
  properties[PROP_CAPTURE_OUTPUT] =
    g_param_spec_boolean ("capture-output", "Capture output", "Send sys.stdout and sys.stderr to the output signal", FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * InterpInterpreter:closed:
   *
   * Whether the interpreter is closed (or closing): calls then fail with
   * %INTERP_ERROR_NOT_FOUND. Notified as #InterpInterpreter:running is,
   * in the creator's main context.
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", "Closed", "Whether the interpreter is closed", FALSE, ro);

  /**
   * InterpInterpreter:gil:
   *
   * Which GIL the interpreter uses. Set %INTERP_GIL_DEFAULT or a choice at
   * construction; once initialized it reads back what the interpreter got:
   * %INTERP_GIL_OWN or %INTERP_GIL_SHARED (always shared on Python 3.11).
   */
  /**
   * InterpInterpreter:use-main-obmalloc:
   *
   * Whether the interpreter shares the main interpreter's object allocator
   * (`PyInterpreterConfig.use_main_obmalloc`). An own GIL needs %FALSE.
   */
  /**
   * InterpInterpreter:allow-fork:
   *
   * Whether Python code may call `os.fork()` (`allow_fork`).
   */
  /**
   * InterpInterpreter:allow-exec:
   *
   * Whether Python code may call `os.execv()` and friends (`allow_exec`).
   */
  /**
   * InterpInterpreter:allow-threads:
   *
   * Whether Python code may start threads (`allow_threads`).
   */
  /**
   * InterpInterpreter:allow-daemon-threads:
   *
   * Whether Python code may start daemon threads (`allow_daemon_threads`).
   */
  /**
   * InterpInterpreter:check-multi-interp-extensions:
   *
   * Whether importing an extension module that does not support multiple
   * interpreters fails (`check_multi_interp_extensions`). Needed when the
   * interpreter has its own allocator.
   */
  for (guint i = 0; i < INTERP_CONFIG_N_SETTINGS; i++)
    properties[PROP_CONFIG_FIRST + i] = _interp_config_param_spec (i);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * InterpInterpreter::output:
   * @self: the interpreter
   * @stream: the stream the text was written to
   * @text: one line with its newline, or what was left without one when a
   *   call ended
   *
   * Emitted for what Python code writes to `sys.stdout` and `sys.stderr`
   * while output capture is on (interp_interpreter_set_capture_output()),
   * in order, in the thread-default main context that was current when
   * the interpreter was created (the global default one for the main
   * interpreter).
   */
  signals[SIGNAL_OUTPUT] =
    g_signal_new ("output", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, INTERP_TYPE_STREAM, G_TYPE_STRING);
}

static void
interp_interpreter_init (InterpInterpreter *self)
{
  self->config = _interp_config_named (INTERP_CONFIG_ISOLATED);
  self->whence = INTERP_WHENCE_LIBRARY;
  self->creator_context = g_main_context_ref_thread_default ();
}

/* capture-output set by g_object_new() waits for the interpreter. */
static gboolean
apply_initial_capture (InterpInterpreter  *self,
                       GError            **error)
{
  if (!g_atomic_int_get (&self->capture_output))
    return TRUE;
  g_atomic_int_set (&self->capture_output, FALSE);
  return interp_interpreter_set_capture_output (self, TRUE, error);
}

static gboolean
interp_interpreter_initable_init (GInitable     *initable,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  InterpInterpreter *self = INTERP_INTERPRETER (initable);

  if (self->initialized)
    {
      if (self->init_error != NULL)
        {
          g_propagate_error (error, g_error_copy (self->init_error));
          return FALSE;
        }
      return TRUE;
    }
  self->initialized = TRUE;

  if (g_cancellable_set_error_if_cancelled (cancellable, &self->init_error) ||
      !_interp_runtime_ensure (&self->init_error) ||
      !resolve_config (&self->config, &self->init_error))
    {
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }

  self->executor = _interp_executor_new_sub (&self->config);
  _interp_executor_set_owner (self->executor, self);
  watch_executor (self);
  if (!_interp_executor_start (self->executor, cancellable, &self->init_error))
    {
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }
  add_interpreter (self);
  if (!apply_initial_capture (self, &self->init_error))
    {
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }
  return TRUE;
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = interp_interpreter_initable_init;
}

static void
init_async_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  InterpInterpreter *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      self->init_error = g_error_copy (error);
      g_task_return_error (task, error);
      return;
    }
  add_interpreter (self);
  if (!apply_initial_capture (self, &error))
    {
      self->init_error = g_error_copy (error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
interp_interpreter_init_async (GAsyncInitable      *initable,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  InterpInterpreter *self = INTERP_INTERPRETER (initable);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GTask *setup;
  GError *error = NULL;

  g_task_set_source_tag (task, interp_interpreter_init_async);

  if (self->initialized)
    {
      if (self->init_error != NULL)
        g_task_return_error (task, g_error_copy (self->init_error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  self->initialized = TRUE;

  /* Starting Python itself, on first use only, is done here and waits. */
  if (!_interp_runtime_ensure (&error) || !resolve_config (&self->config, &error))
    {
      self->init_error = g_error_copy (error);
      g_task_return_error (task, error);
      return;
    }

  self->executor = _interp_executor_new_sub (&self->config);
  _interp_executor_set_owner (self->executor, self);
  watch_executor (self);
  setup = g_task_new (self, cancellable, init_async_done, g_object_ref (task));
  _interp_executor_start_async (self->executor, setup);
  g_object_unref (setup);
}

static gboolean
interp_interpreter_init_finish (GAsyncInitable  *initable,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = interp_interpreter_init_async;
  iface->init_finish = interp_interpreter_init_finish;
}

static InterpInterpreter *
new_for_main (InterpExecutor *executor)
{
  InterpInterpreter *self = g_object_new (INTERP_TYPE_INTERPRETER, NULL);

  self->whence = INTERP_WHENCE_RUNTIME;
  self->initialized = TRUE;
  self->config = *_interp_executor_get_config (executor);
  self->config.gil = INTERP_GIL_OWN;
  self->executor = _interp_executor_ref (executor);
  /* main_interpreter holds this object; the executor must not keep it alive. */
  _interp_executor_set_owner (executor, self);
  watch_executor (self);
  return self;
}

/* ------------------------------------------------------------------ */
/* The interpreters that exist                                          */

/* An entry's key is the interpreter's address, for identity only: removal
 * must not take a reference. Dropping one under interpreters_lock could be the
 * last one, and dispose takes interpreters_lock again on the same thread. */
typedef struct
{
  GWeakRef ref;
  gconstpointer key;
} RegistryEntry;

static GMutex interpreters_lock;
static InterpInterpreter *main_interpreter;  /* until interp_shutdown() */
static GPtrArray *interpreters;              /* RegistryEntry* of sub-interpreters */

static void
registry_entry_free (gpointer data)
{
  RegistryEntry *entry = data;

  g_weak_ref_clear (&entry->ref);
  g_free (entry);
}

static void
add_interpreter (InterpInterpreter *interp)
{
  RegistryEntry *entry = g_new0 (RegistryEntry, 1);

  g_weak_ref_init (&entry->ref, interp);
  entry->key = interp;
  g_mutex_lock (&interpreters_lock);
  if (interpreters == NULL)
    interpreters = g_ptr_array_new_with_free_func (registry_entry_free);
  g_ptr_array_add (interpreters, entry);
  g_mutex_unlock (&interpreters_lock);
}

/* Every interpreter that add_interpreter() saw comes here from dispose. */
static void
remove_interpreter (InterpInterpreter *interp)
{
  g_mutex_lock (&interpreters_lock);
  for (guint i = 0; interpreters != NULL && i < interpreters->len; i++)
    {
      RegistryEntry *entry = g_ptr_array_index (interpreters, i);

      if (entry->key == (gconstpointer) interp)
        {
          g_ptr_array_remove_index (interpreters, i);
          break;
        }
    }
  g_mutex_unlock (&interpreters_lock);
}

static void
release_main (void)
{
  InterpInterpreter *main_interp;

  g_mutex_lock (&interpreters_lock);
  main_interp = g_steal_pointer (&main_interpreter);
  g_mutex_unlock (&interpreters_lock);
  g_clear_object (&main_interp);
}

/* (transfer full) The main interpreter's object, made on first use. */
static InterpInterpreter *
dup_main (void)
{
  InterpExecutor *executor = _interp_runtime_dup_main_executor ();
  InterpInterpreter *main_interp = NULL;

  if (executor == NULL)
    return NULL;
  g_mutex_lock (&interpreters_lock);
  if (main_interpreter == NULL)
    {
      main_interpreter = new_for_main (executor);
      _interp_runtime_add_shutdown_notify (release_main);
    }
  main_interp = g_object_ref (main_interpreter);
  g_mutex_unlock (&interpreters_lock);
  _interp_executor_unref (executor);
  return main_interp;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

/**
 * interp_interpreter_new:
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates an isolated interpreter with the default configuration (its own
 * GIL where the Python supports it) and its executor thread. Starts Python
 * first if nothing did yet. Takes a few milliseconds; see
 * interp_interpreter_new_async() for a main-loop friendly form.
 *
 * The counterpart of CPython's `interpreters.create()`.
 *
 * Returns: (transfer full): the new interpreter, or %NULL with @error set
 */
InterpInterpreter *
interp_interpreter_new (GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (INTERP_TYPE_INTERPRETER, cancellable, error, NULL);
}

/**
 * interp_interpreter_new_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the interpreter is ready
 * @user_data: data for @callback
 *
 * Creates an interpreter on its own thread and calls @callback in the
 * thread-default main context of the caller when it is ready. The first
 * call in a process also starts Python, and waits for that.
 */
void
interp_interpreter_new_async (GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  g_async_initable_new_async (INTERP_TYPE_INTERPRETER, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data, NULL);
}

/**
 * interp_interpreter_new_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_interpreter_new_async().
 *
 * Returns: (transfer full): the new interpreter, or %NULL with @error set
 */
InterpInterpreter *
interp_interpreter_new_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(GObject) source = NULL;
  GObject *object;

  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  source = g_async_result_get_source_object (result);
  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return object ? INTERP_INTERPRETER (object) : NULL;
}

/**
 * interp_interpreter_get_id:
 * @self: an interpreter
 *
 * The interpreter's ID as CPython numbers it: 0 is the main interpreter.
 *
 * Returns: the ID, or -1 if @self was never initialized
 */
gint64
interp_interpreter_get_id (InterpInterpreter *self)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), -1);

  return self->executor ? _interp_executor_get_id (self->executor) : -1;
}

/**
 * interp_interpreter_get_whence:
 * @self: an interpreter
 *
 * Where the interpreter came from: %INTERP_WHENCE_RUNTIME for the main
 * interpreter, %INTERP_WHENCE_LIBRARY for those this library made.
 *
 * Returns: the origin
 */
InterpWhence
interp_interpreter_get_whence (InterpInterpreter *self)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), INTERP_WHENCE_UNKNOWN);

  return self->whence;
}

/**
 * interp_interpreter_get_gil:
 * @self: an interpreter
 *
 * Which GIL the interpreter got: %INTERP_GIL_OWN when it runs in parallel
 * with the others, %INTERP_GIL_SHARED when it takes turns with them (always
 * on Python 3.11). The main interpreter reports %INTERP_GIL_OWN.
 *
 * Returns: the GIL kind
 */
InterpGil
interp_interpreter_get_gil (InterpInterpreter *self)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), INTERP_GIL_DEFAULT);

  return self->config.gil;
}

/**
 * interp_interpreter_is_running:
 * @self: an interpreter
 *
 * Whether a call is running Python code in the interpreter right now: the
 * counterpart of CPython's `Interpreter.is_running()`.
 *
 * Returns: %TRUE while a call runs
 */
gboolean
interp_interpreter_is_running (InterpInterpreter *self)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);

  return self->executor ? _interp_executor_is_running (self->executor) : FALSE;
}

/**
 * interp_interpreter_is_closed:
 * @self: an interpreter
 *
 * Whether the interpreter is closed or closing; calls then fail with
 * %INTERP_ERROR_NOT_FOUND.
 *
 * Returns: %TRUE once closing started
 */
gboolean
interp_interpreter_is_closed (InterpInterpreter *self)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), TRUE);

  return self->executor ? _interp_executor_is_closed (self->executor) : TRUE;
}

/**
 * interp_interpreter_set_capture_output:
 * @self: an interpreter
 * @capture: whether to capture
 * @error: return location for a #GError
 *
 * Sends what Python code in the interpreter writes to `sys.stdout` and
 * `sys.stderr` to the #InterpInterpreter::output signal, line by line,
 * instead of the process's standard output. Off by default. Waits for the
 * calls queued before it. The #InterpInterpreter:capture-output property
 * reads and sets the same, and is notified when it changes. Writes to file descriptors 1 and 2 by C code
 * (or `os.write()`) are not captured.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
interp_interpreter_set_capture_output (InterpInterpreter  *self,
                                       gboolean            capture,
                                       GError            **error)
{
  InterpOutputSink *sink = NULL;

  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_usable (self, error))
    return FALSE;
  if (capture)
    sink = _interp_output_sink_new (self, self->whence == INTERP_WHENCE_RUNTIME
                                          ? g_main_context_default ()
                                          : self->creator_context);
  if (!_interp_executor_run (self->executor, _interp_capture_run, sink, _interp_capture_free, NULL, NULL, error))
    return FALSE;
  if (g_atomic_int_exchange (&self->capture_output, !!capture) != !!capture)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPTURE_OUTPUT]);
  return TRUE;
}

/**
 * interp_interpreter_get_capture_output:
 * @self: an interpreter
 *
 * Whether output capture is on; see interp_interpreter_set_capture_output().
 *
 * Returns: %TRUE if the interpreter's output goes to #InterpInterpreter::output
 */
gboolean
interp_interpreter_get_capture_output (InterpInterpreter *self)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);

  return g_atomic_int_get (&self->capture_output);
}

static gboolean
check_closable (InterpInterpreter  *self,
                GError            **error)
{
  if (!check_usable (self, error))
    return FALSE;
  if (self->whence == INTERP_WHENCE_RUNTIME)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "The main interpreter cannot be closed: it ends when interp-glib shuts down");
      return FALSE;
    }
  return TRUE;
}

/**
 * interp_interpreter_close:
 * @self: an interpreter
 * @error: return location for a #GError
 *
 * Finalizes and destroys the interpreter (CPython's `Interpreter.close()`).
 * Queued calls fail with %INTERP_ERROR_NOT_FOUND; a running call finishes
 * first (cancel it to make that sooner), and so do threads its Python code
 * started. Closing a closed interpreter succeeds. Afterwards calls fail
 * with %INTERP_ERROR_NOT_FOUND.
 *
 * Returns: %TRUE on success; %FALSE with @error set for the main
 *   interpreter (%INTERP_ERROR_FAILED), from code running in @self
 *   (%INTERP_ERROR_RUNNING), or when threads its code started still run
 *   in it after the non-daemon ones were joined (%INTERP_ERROR_RUNNING)
 */
gboolean
interp_interpreter_close (InterpInterpreter  *self,
                          GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_closable (self, error))
    return FALSE;
  return _interp_executor_close (self->executor, error);
}

/**
 * interp_interpreter_close_async:
 * @self: an interpreter
 * @cancellable: (nullable): a #GCancellable; closing, once started, is not
 *   undone, but the callback then reports %G_IO_ERROR_CANCELLED
 * @callback: (scope async): called when the interpreter is closed
 * @user_data: data for @callback
 *
 * Closes the interpreter as interp_interpreter_close() does, without
 * waiting.
 */
void
interp_interpreter_close_async (InterpInterpreter   *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (INTERP_IS_INTERPRETER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_interpreter_close_async);
  if (!check_closable (self, &error))
    g_task_return_error (task, error);
  else
    _interp_executor_close_async (self->executor, task);
}

/**
 * interp_interpreter_close_finish:
 * @self: an interpreter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_interpreter_close_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
interp_interpreter_close_finish (InterpInterpreter  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * interp_interpreter_prepare_main:
 * @self: an interpreter
 * @ns: (nullable): names to bind, a dictionary with string keys (`a{sv}`
 *   or any `a{s*}`); a floating reference is consumed
 * @error: return location for a #GError
 *
 * Binds values in the interpreter's `__main__` module, converting each as
 * the "Values" table says: CPython's `Interpreter.prepare_main()`.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
interp_interpreter_prepare_main (InterpInterpreter  *self,
                                 GVariant           *ns,
                                 GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (ns == NULL)
    return check_usable (self, error);
  g_variant_ref_sink (ns);
  if (!check_usable (self, error) ||
      !_interp_check_variant_type (ns, INTERP_VARIANT_TYPE_KWARGS, "ns",
                                   "a dictionary of names to values", "a{sv}", error))
    {
      g_variant_unref (ns);
      return FALSE;
    }
  return _interp_executor_run (self->executor, _interp_prepare_main_run, ns,
                               (GDestroyNotify) g_variant_unref, NULL, NULL, error);
}

/**
 * interp_interpreter_exec:
 * @self: an interpreter
 * @code: Python source code; its common indentation is removed first, as
 *   `textwrap.dedent()` does
 * @cancellable: (nullable): a #GCancellable to interrupt the code
 * @error: return location for a #GError
 *
 * Runs @code in the interpreter's `__main__` module, on the interpreter's
 * thread, and waits for it: CPython's `Interpreter.exec()`.
 *
 * Returns: %TRUE on success; %FALSE with @error set: %INTERP_ERROR_EXECUTION_FAILED
 *   for an exception (a syntax error included), %G_IO_ERROR_CANCELLED,
 *   %INTERP_ERROR_NOT_FOUND when the interpreter is closed
 */
gboolean
interp_interpreter_exec (InterpInterpreter  *self,
                         const char         *code,
                         GCancellable       *cancellable,
                         GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return interp_interpreter_exec_full (self, code, NULL, cancellable, error);
}

/**
 * interp_interpreter_exec_async:
 * @self: an interpreter
 * @code: Python source code, dedented as interp_interpreter_exec() does
 * @cancellable: (nullable): a #GCancellable to drop or interrupt the code
 * @callback: (scope async): called when the code has run
 * @user_data: data for @callback
 *
 * Runs @code in the interpreter's `__main__` module without waiting; the
 * callback runs in the thread-default main context of the caller.
 */
static void
exec_start_async (InterpInterpreter *self,
                  const char        *code,
                  const char        *filename,
                  GTask             *task)
{
  GError *error = NULL;

  if (!check_usable (self, &error))
    g_task_return_error (task, error);
  else
    _interp_executor_run_async (self->executor, _interp_code_run,
                                _interp_code_new (code, filename), _interp_code_free, task);
}

void
interp_interpreter_exec_async (InterpInterpreter   *self,
                               const char          *code,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (INTERP_IS_INTERPRETER (self));
  g_return_if_fail (code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_interpreter_exec_async);
  exec_start_async (self, code, NULL, task);
}

/**
 * interp_interpreter_exec_finish:
 * @self: an interpreter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_interpreter_exec_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
interp_interpreter_exec_finish (InterpInterpreter  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * interp_interpreter_exec_full:
 * @self: an interpreter
 * @code: Python source code, dedented as interp_interpreter_exec() does
 * @filename: (nullable): the name tracebacks give the code, such as
 *   `"startup.py"`; %NULL or empty for a default name made of the call
 *   and the code's text: `<exec: x = 1 / 0>`, or for longer code its first
 *   line and a digest of the whole, `<exec: def mean(xs): … 5f3a9c1e>`
 *   (interp_interpreter_eval() names its expression `<eval: …>`)
 * @cancellable: (nullable): a #GCancellable to interrupt the code
 * @error: return location for a #GError
 *
 * Runs @code as interp_interpreter_exec() does, under the name @filename:
 * tracebacks show `File "startup.py", line 3` and quote the line, and so do
 * functions the code defines when they fail later. The code (its dedented
 * form) is registered in the interpreter's `linecache` under that name;
 * running other code under the same name replaces it. A default name never
 * stands for two texts; code run under one is kept for the 256 most recent
 * runs of such code.
 *
 * Returns: %TRUE on success; %FALSE with @error set as for
 *   interp_interpreter_exec()
 */
gboolean
interp_interpreter_exec_full (InterpInterpreter  *self,
                              const char         *code,
                              const char         *filename,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_usable (self, error))
    return FALSE;
  return _interp_executor_run (self->executor, _interp_code_run,
                               _interp_code_new (code, filename), _interp_code_free,
                               cancellable, NULL, error);
}

/**
 * interp_interpreter_exec_full_async:
 * @self: an interpreter
 * @code: Python source code, dedented as interp_interpreter_exec() does
 * @filename: (nullable): the name tracebacks give the code, as for
 *   interp_interpreter_exec_full()
 * @cancellable: (nullable): a #GCancellable to drop or interrupt the code
 * @callback: (scope async): called when the code has run
 * @user_data: data for @callback
 *
 * Runs @code under the name @filename without waiting, as
 * interp_interpreter_exec_async() does.
 */
void
interp_interpreter_exec_full_async (InterpInterpreter   *self,
                                    const char          *code,
                                    const char          *filename,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (INTERP_IS_INTERPRETER (self));
  g_return_if_fail (code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_interpreter_exec_full_async);
  exec_start_async (self, code, filename, task);
}

/**
 * interp_interpreter_exec_full_finish:
 * @self: an interpreter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_interpreter_exec_full_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
interp_interpreter_exec_full_finish (InterpInterpreter  *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  return interp_interpreter_exec_finish (self, result, error);
}

/**
 * interp_interpreter_call:
 * @self: an interpreter
 * @callable: what to call: `"name"` (or `"name.attr"`) looked up in
 *   `__main__` and then in the builtins, or `"module:qualname"`, imported
 * @args: (nullable): positional arguments, a #GVariant tuple; a floating
 *   reference is consumed
 * @kwargs: (nullable): keyword arguments, a dictionary with string keys
 *   (`a{sv}` or any `a{s*}`); a floating reference is consumed
 * @cancellable: (nullable): a #GCancellable to interrupt the call
 * @error: return location for a #GError
 *
 * Calls a function in the interpreter and waits for its result:
 * CPython's `Interpreter.call()`. Arguments and result convert as the
 * "Values" table says; `None` comes back as the `mv` nothing value.
 *
 * @callable is code, not data: `"module:qualname"` imports the module and
 * calls whatever it names, so `"os:system"` or `"subprocess:getoutput"`
 * with the right argument runs a shell command. Never build @callable from
 * untrusted input (a request, a file, another process); map the names you
 * accept to functions you wrote.
 *
 * Returns: (transfer full): the result, or %NULL with @error set:
 *   %INTERP_ERROR_INVALID_ARGUMENT for a malformed @callable or arguments of
 *   the wrong #GVariant type, %INTERP_ERROR_EXECUTION_FAILED for an
 *   exception (a callable that does not exist included),
 *   %INTERP_ERROR_NOT_SHAREABLE or %INTERP_ERROR_OUT_OF_RANGE for a result
 *   with no #GVariant form, %G_IO_ERROR_CANCELLED, %INTERP_ERROR_NOT_FOUND
 */
GVariant *
interp_interpreter_call (InterpInterpreter  *self,
                         const char         *callable,
                         GVariant           *args,
                         GVariant           *kwargs,
                         GCancellable       *cancellable,
                         GError            **error)
{
  InterpCall *job;
  GVariant *result = NULL;

  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), NULL);
  g_return_val_if_fail (callable != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_usable (self, error))
    {
      _interp_call_drop_args (args, kwargs);
      return NULL;
    }
  if ((job = _interp_call_new (callable, args, kwargs, error)) == NULL)
    return NULL;
  if (!_interp_executor_run (self->executor, _interp_call_run, job, (GDestroyNotify) _interp_call_free,
                             cancellable, &result, error))
    return NULL;
  return result;
}

/* The executor's completion, on the interpreter's thread (or on the
 * caller's, if the executor refused the job). */
static void
call_async_done (GVariant *value,
                 GError   *error,
                 gpointer  data)
{
  _interp_async_result_return (data, value, error);
}

/**
 * interp_interpreter_call_async:
 * @self: an interpreter
 * @callable: what to call, as for interp_interpreter_call()
 * @args: (nullable): positional arguments, a #GVariant tuple
 * @kwargs: (nullable): keyword arguments, a dictionary with string keys
 * @cancellable: (nullable): a #GCancellable to drop or interrupt the call
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Calls a function in the interpreter without waiting; the callback runs
 * in the thread-default main context of the caller.
 */
void
interp_interpreter_call_async (InterpInterpreter   *self,
                               const char          *callable,
                               GVariant            *args,
                               GVariant            *kwargs,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  InterpAsyncResult *result;
  GError *error = NULL;
  InterpCall *job;

  g_return_if_fail (INTERP_IS_INTERPRETER (self));
  g_return_if_fail (callable != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* Not a GTask: the call's result costs less (interp-completion.c). */
  result = _interp_async_result_new (self, NULL, cancellable, callback, user_data,
                                     interp_interpreter_call_async);
  if (!check_usable (self, &error))
    {
      _interp_call_drop_args (args, kwargs);
      _interp_async_result_return (result, NULL, error);
      return;
    }
  if ((job = _interp_call_new (callable, args, kwargs, &error)) == NULL)
    {
      _interp_async_result_return (result, NULL, error);
      return;
    }
  _interp_executor_run_full (self->executor, _interp_call_run, job, (GDestroyNotify) _interp_call_free, cancellable,
                             call_async_done, result);
}

/**
 * interp_interpreter_call_finish:
 * @self: an interpreter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_interpreter_call_async().
 *
 * Returns: (transfer full): the call's result, or %NULL with @error set
 */
GVariant *
interp_interpreter_call_finish (InterpInterpreter  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), NULL);
  g_return_val_if_fail (_interp_async_result_is_valid (result, self), NULL);

  return _interp_async_result_propagate (result, error);
}

/**
 * interp_interpreter_eval:
 * @self: an interpreter
 * @expression: a Python expression
 * @cancellable: (nullable): a #GCancellable to interrupt the evaluation
 * @error: return location for a #GError
 *
 * Evaluates @expression in the interpreter's `__main__` module and waits
 * for its value, converted as the "Values" table says.
 *
 * Returns: (transfer full): the value, or %NULL with @error set
 */
GVariant *
interp_interpreter_eval (InterpInterpreter  *self,
                         const char         *expression,
                         GCancellable       *cancellable,
                         GError            **error)
{
  GVariant *result = NULL;

  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), NULL);
  g_return_val_if_fail (expression != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_usable (self, error))
    return NULL;
  if (!_interp_executor_run (self->executor, _interp_code_run,
                             _interp_expression_new (expression), _interp_code_free,
                             cancellable, &result, error))
    return NULL;
  return result;
}

/**
 * interp_interpreter_eval_async:
 * @self: an interpreter
 * @expression: a Python expression
 * @cancellable: (nullable): a #GCancellable to drop or interrupt the evaluation
 * @callback: (scope async): called with the value
 * @user_data: data for @callback
 *
 * Evaluates @expression without waiting; the callback runs in the
 * thread-default main context of the caller.
 */
void
interp_interpreter_eval_async (InterpInterpreter   *self,
                               const char          *expression,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (INTERP_IS_INTERPRETER (self));
  g_return_if_fail (expression != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_interpreter_eval_async);
  if (!check_usable (self, &error))
    g_task_return_error (task, error);
  else
    _interp_executor_run_async (self->executor, _interp_code_run,
                                _interp_expression_new (expression), _interp_code_free, task);
}

/**
 * interp_interpreter_eval_finish:
 * @self: an interpreter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_interpreter_eval_async().
 *
 * Returns: (transfer full): the value, or %NULL with @error set
 */
GVariant *
interp_interpreter_eval_finish (InterpInterpreter  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (INTERP_IS_INTERPRETER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * interp_list_all:
 *
 * The interpreters that exist: the main interpreter and every interpreter
 * this library made that is not closed. CPython's `interpreters.list_all()`.
 * Starts Python if nothing did yet.
 *
 * Returns: (transfer full) (element-type InterpInterpreter): the
 *   interpreters, the main one first; an empty list if Python cannot start
 */
GList *
interp_list_all (void)
{
  InterpInterpreter *main_interp;
  GList *list = NULL, *closed = NULL;

  if (!_interp_runtime_ensure (NULL) || (main_interp = dup_main ()) == NULL)
    return NULL;

  g_mutex_lock (&interpreters_lock);
  for (guint i = 0; interpreters != NULL && i < interpreters->len; i++)
    {
      RegistryEntry *entry = g_ptr_array_index (interpreters, i);
      InterpInterpreter *interp = g_weak_ref_get (&entry->ref);

      if (interp != NULL && !interp_interpreter_is_closed (interp))
        list = g_list_prepend (list, interp);
      else if (interp != NULL)
        closed = g_list_prepend (closed, interp);
    }
  g_mutex_unlock (&interpreters_lock);
  /* After the lock: a last reference disposes, which takes it. */
  g_list_free_full (closed, g_object_unref);

  return g_list_prepend (g_list_reverse (list), main_interp);
}

/**
 * interp_get_main:
 *
 * The main interpreter (CPython's `interpreters.get_main()`), started if
 * nothing did yet. It runs on its own executor thread like any other
 * interpreter; in hosted mode it is the application's own interpreter.
 *
 * Returns: (transfer full) (nullable): the main interpreter, or %NULL if
 *   Python cannot start (interp_init() tells why)
 */
InterpInterpreter *
interp_get_main (void)
{
  if (!_interp_runtime_ensure (NULL))
    return NULL;
  return dup_main ();
}

/**
 * interp_get_current:
 *
 * The interpreter the calling thread runs code in (CPython's
 * `interpreters.get_current()`): called from code running in an
 * interpreter, that interpreter; from any other thread, the main one.
 *
 * Returns: (transfer full) (nullable): the interpreter, or %NULL if Python
 *   cannot start
 */
InterpInterpreter *
interp_get_current (void)
{
  InterpExecutor *executor = _interp_executor_get_current ();

  if (executor != NULL)
    {
      InterpInterpreter *owner = _interp_executor_dup_owner (executor);
      if (owner != NULL)
        return owner;
    }
  return interp_get_main ();
}

/* ------------------------------------------------------------------ */
/* For the pool and the module                                        */

InterpExecutor *
_interp_interpreter_get_executor (InterpInterpreter *self)
{
  return self->executor;
}

gboolean
_interp_interpreter_check_config (InterpInterpreter  *self,
                                  GError            **error)
{
  InterpConfig config = self->config;

  return _interp_runtime_ensure (error) && resolve_config (&config, error);
}
