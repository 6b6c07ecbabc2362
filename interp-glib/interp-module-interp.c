/* interp-module-interp.c: the interpreter primitives of _interp_glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What interp_glib.Interpreter stands on, as CPython's _interpreters is
 * what concurrent.interpreters stands on, but over the library's own
 * InterpInterpreter and executors: the interpreters C and GJS see.
 *
 * A call from Python converts its callable, arguments and keyword
 * arguments to carriers (exact types, pickle for the rest), runs a job on
 * the target's executor with the caller's GIL released, and converts the
 * result (or a snapshot of the exception) back. While it waits it checks
 * for signals (Ctrl-C) and for the cancellation of the job it runs in
 * itself: either cancels the remote job and ends the wait at once.
 */

#include "interp-module-private.h"
#include "interp-config-private.h"
#include "interp-error-private.h"
#include "interp-executor-private.h"
#include "interp-interpreter-private.h"
#include "interp-runtime-private.h"

#include <string.h>

#if PY_VERSION_HEX < 0x030D0000
# define Py_IsFinalizing _Py_IsFinalizing
#endif

/* ------------------------------------------------------------------ */
/* _Interpreter: a reference to an interpreter                         */

typedef struct
{
  PyObject_HEAD
  InterpExecutor *executor;
  InterpInterpreter *interp;   /* a strong reference, or NULL */
  gint64 id;
  int whence;
} InterpObject;

static void
interp_object_dealloc (PyObject *self)
{
  InterpObject *object = (InterpObject *) self;
  PyTypeObject *type = Py_TYPE (self);
  InterpInterpreter *interp = g_steal_pointer (&object->interp);

  /* Dropping the last reference closes the interpreter. From an
   * application thread this waits, as CPython destroys an interpreter
   * when its last Interpreter object goes (`del interp`); elsewhere (an
   * executor thread, Python finalizing) the close happens without it. */
  if (interp != NULL && G_OBJECT (interp)->ref_count == 1 &&
      _interp_executor_get_current () == NULL && !Py_IsFinalizing () &&
      !interp_interpreter_is_closed (interp) &&
      object->id != PyInterpreterState_GetID (PyInterpreterState_Get ()))
    {
      Py_BEGIN_ALLOW_THREADS
      if (!interp_interpreter_close (interp, NULL))
        g_debug ("Interpreter %" G_GINT64_FORMAT " not closed at its last reference", object->id);
      Py_END_ALLOW_THREADS
    }
  g_clear_pointer (&object->executor, _interp_executor_unref);
  g_clear_object (&interp);
  type->tp_free (self);
  Py_DECREF (type);
}

static PyObject *
interp_object_get_id (PyObject *self,
                      void     *closure)
{
  return PyLong_FromLongLong (((InterpObject *) self)->id);
}

static PyObject *
interp_object_get_whence (PyObject *self,
                          void     *closure)
{
  return PyLong_FromLong (((InterpObject *) self)->whence);
}

static PyGetSetDef interp_object_getset[] = {
  { "id", interp_object_get_id, NULL, "The interpreter's ID.", NULL },
  { "whence", interp_object_get_whence, NULL, "Where it came from (InterpWhence).", NULL },
  { NULL },
};

static PyType_Slot interp_object_slots[] = {
  { Py_tp_dealloc, interp_object_dealloc },
  { Py_tp_getset, interp_object_getset },
  { Py_tp_doc, (void *) "A reference to an interpreter of interp-glib." },
  { 0, NULL },
};

static PyType_Spec interp_object_spec = {
  .name = "_interp_glib._Interpreter",
  .basicsize = sizeof (InterpObject),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
  .slots = interp_object_slots,
};

static gint64
current_id (void)
{
  return PyInterpreterState_GetID (PyInterpreterState_Get ());
}

/* Takes @interp (may be NULL: looked up by @executor's owner). */
static PyObject *
interp_object_new (InterpModuleState *mod,
                   InterpExecutor    *executor,
                   InterpInterpreter *interp,
                   gboolean           own)
{
  PyTypeObject *type = (PyTypeObject *) mod->interp_type;
  InterpObject *self = (InterpObject *) type->tp_alloc (type, 0);

  if (self == NULL)
    {
      g_clear_object (&interp);
      return NULL;
    }
  self->executor = _interp_executor_ref (executor);
  self->id = _interp_executor_get_id (executor);
  self->whence = interp ? (int) interp_interpreter_get_whence (interp)
                        : (self->id == 0 ? INTERP_WHENCE_RUNTIME : INTERP_WHENCE_LIBRARY);
  if (own)
    self->interp = interp;
  else
    g_clear_object (&interp);
  return (PyObject *) self;
}

static InterpObject *
check_interp (InterpModuleState *mod,
              PyObject          *object)
{
  return _interp_module_check_type (object, mod->interp_type, "an interpreter reference");
}

/* InterpreterNotFoundError, in the C API's words ("Interpreter 3 is
 * closed", its %INTERP_ERROR_NOT_FOUND) when @closed, else for an ID that
 * no interpreter has. */
static PyObject *
raise_not_found (InterpModuleState *mod,
                 gint64             id,
                 gboolean           closed)
{
  PyObject *type = mod->interpreter_not_found ? mod->interpreter_not_found : PyExc_RuntimeError;

  if (closed)
    PyErr_Format (type, "Interpreter %lld is closed", (long long) id);
  else
    PyErr_Format (type, "No interpreter has ID %lld (closed or never created)", (long long) id);
  return NULL;
}

/* @object as an interpreter reference that is not closed; NULL with
 * TypeError or InterpreterNotFoundError raised. */
static InterpObject *
usable_interp (InterpModuleState *mod,
               PyObject          *object)
{
  InterpObject *self = check_interp (mod, object);

  if (self != NULL && _interp_executor_is_closed (self->executor))
    {
      raise_not_found (mod, self->id, TRUE);
      return NULL;
    }
  return self;
}

/* (transfer full) The InterpInterpreter behind @self. */
static InterpInterpreter *
dup_interp (InterpObject *self)
{
  return self->interp ? g_object_ref (self->interp) : _interp_executor_dup_owner (self->executor);
}

/* An interpreter with the isolated settings (the properties' defaults, as
 * interp_interpreter_new() makes it), or the legacy ones. */
static InterpInterpreter *
new_interpreter (gboolean   isolated,
                 GError   **error)
{
  InterpConfig config = _interp_config_named (isolated ? INTERP_CONFIG_ISOLATED : INTERP_CONFIG_LEGACY);
  const char *names[INTERP_CONFIG_N_SETTINGS];
  GValue values[INTERP_CONFIG_N_SETTINGS] = { G_VALUE_INIT, };
  GObject *interp = _interp_config_new_object (INTERP_TYPE_INTERPRETER, &config, 0, names, values);

  if (!g_initable_init (G_INITABLE (interp), NULL, error))
    g_clear_object (&interp);
  return (InterpInterpreter *) interp;
}

/* _interp_create(isolated) -> _Interpreter, owning the interpreter */
static PyObject *
mod_interp_create (PyObject *module,
                   PyObject *arg)
{
  InterpModuleState *mod = get_state (module);
  int isolated = PyObject_IsTrue (arg);
  InterpInterpreter *interp = NULL;
  InterpExecutor *executor;
  GError *error = NULL;

  if (isolated < 0)
    return NULL;

  Py_BEGIN_ALLOW_THREADS
  interp = new_interpreter (isolated, &error);
  Py_END_ALLOW_THREADS

  if (interp == NULL)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT, error);
  executor = _interp_interpreter_get_executor (interp);
  if (executor == NULL)
    {
      gint64 id = interp_interpreter_get_id (interp);

      g_object_unref (interp);
      return raise_not_found (mod, id, TRUE);
    }
  return interp_object_new (mod, executor, interp, TRUE);
}

/* _interp_lookup(id) -> _Interpreter. It owns a reference to
 * interpreters the library made, except the one it runs in. */
static PyObject *
mod_interp_lookup (PyObject *module,
                   PyObject *arg)
{
  InterpModuleState *mod = get_state (module);
  long long id = PyLong_AsLongLong (arg);
  InterpInterpreter *found = NULL;
  InterpExecutor *executor;
  GList *all;
  PyObject *object;

  if (id == -1 && PyErr_Occurred ())
    return NULL;

  all = interp_list_all ();
  for (GList *l = all; l != NULL; l = l->next)
    if (found == NULL && interp_interpreter_get_id (l->data) == id)
      found = g_object_ref (l->data);
  g_list_free_full (all, g_object_unref);

  executor = found ? _interp_executor_dup_for_id (id) : NULL;
  if (executor == NULL || _interp_executor_is_closed (executor))
    {
      gboolean closed = executor != NULL;

      g_clear_object (&found);
      g_clear_pointer (&executor, _interp_executor_unref);
      return raise_not_found (mod, id, closed);
    }
  object = interp_object_new (mod, executor, found,
                              interp_interpreter_get_whence (found) == INTERP_WHENCE_LIBRARY &&
                              id != current_id ());
  _interp_executor_unref (executor);
  return object;
}

/* _interp_list() -> [id] */
static PyObject *
mod_interp_list (PyObject *module,
                 PyObject *unused)
{
  GList *all = interp_list_all ();
  PyObject *list = PyList_New (0);

  for (GList *l = all; list != NULL && l != NULL; l = l->next)
    {
      PyObject *item = PyLong_FromLongLong (interp_interpreter_get_id (l->data));

      if (item == NULL || PyList_Append (list, item) < 0)
        Py_CLEAR (list);
      Py_XDECREF (item);
    }
  g_list_free_full (all, g_object_unref);
  return list;
}

static PyObject *
mod_interp_current (PyObject *module,
                    PyObject *unused)
{
  return PyLong_FromLongLong (current_id ());
}

static PyObject *
mod_interp_is_running (PyObject *module,
                       PyObject *arg)
{
  InterpModuleState *mod = get_state (module);
  InterpObject *self = usable_interp (mod, arg);

  if (self == NULL)
    return NULL;
  /* The interpreter asking runs; the main one runs while its __main__
   * does, which in hosted mode is for as long as the host lives. */
  if (self->id == current_id () || (self->id == 0 && !interp_is_embedded ()))
    Py_RETURN_TRUE;
  return PyBool_FromLong (_interp_executor_is_running (self->executor));
}

static PyObject *
mod_interp_close (PyObject *module,
                  PyObject *arg)
{
  InterpModuleState *mod = get_state (module);
  InterpObject *self = usable_interp (mod, arg);
  InterpInterpreter *interp;
  GError *error = NULL;
  gboolean ok;

  if (self == NULL)
    return NULL;
  if (self->id == current_id ())
    {
      PyErr_SetString (mod->interpreter_error, "cannot close the current interpreter");
      return NULL;
    }
  if (self->id == 0)
    {
      PyErr_SetString (mod->interpreter_error, "cannot close the main interpreter");
      return NULL;
    }
  interp = dup_interp (self);
  if (interp == NULL)
    return raise_not_found (mod, self->id, TRUE);

  Py_BEGIN_ALLOW_THREADS
  ok = interp_interpreter_close (interp, &error);
  g_object_unref (interp);
  Py_END_ALLOW_THREADS

  if (!ok)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT, error);
  Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Jobs that carry Python objects                                      */

typedef enum
{
  PY_JOB_EXEC_SOURCE,
  PY_JOB_EXEC_CODE,
  PY_JOB_CALL,
  PY_JOB_PREPARE_MAIN,
} PyJobKind;

/* In a g_atomic_rc_box. */
typedef struct
{
  PyJobKind kind;
  InterpCarrier *payload;      /* source, marshalled code, callable, or (name, value) pairs */
  InterpCarrier *args;
  InterpCarrier *kwargs;       /* (name, value) pairs */
  /* Set by the job, read once it is done. */
  InterpCarrier *result;
  InterpCarrier *excinfo;      /* (name, qualname, module, msg, formatted, errdisplay) */
  InterpExecutor *claimed;     /* abandoned by its caller: see claim() */
} PyJob;

/* As in CPython, one Python caller at a time runs code in an interpreter:
 * the others get "already running" rather than waiting in its queue
 * (which could wait for ever on the code that runs). A caller claims the
 * executor from before its job is queued until it stops waiting. A job
 * its caller abandoned (Ctrl-C) counts until it ends: the next caller
 * waits behind it instead of failing while its code winds down. */
typedef struct
{
  gboolean active;
  guint abandoned;
} Claim;

static GMutex claims_lock;
static GHashTable *claims;   /* InterpExecutor* -> Claim* */

static gboolean
claim (InterpExecutor *executor)
{
  Claim *c;
  gboolean ok;

  g_mutex_lock (&claims_lock);
  if (claims == NULL)
    claims = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  c = g_hash_table_lookup (claims, executor);
  if (c == NULL)
    {
      c = g_new0 (Claim, 1);
      g_hash_table_insert (claims, executor, c);
    }
  ok = !c->active && (c->abandoned > 0 || !_interp_executor_is_running (executor));
  if (ok)
    c->active = TRUE;
  g_mutex_unlock (&claims_lock);
  return ok;
}

/* @abandoned: the job goes on without its caller; job_ended() follows. */
static void
unclaim (InterpExecutor *executor,
         gboolean        abandoned)
{
  Claim *c;

  g_mutex_lock (&claims_lock);
  c = g_hash_table_lookup (claims, executor);
  c->active = FALSE;
  if (abandoned)
    c->abandoned++;
  else if (c->abandoned == 0)
    g_hash_table_remove (claims, executor);
  g_mutex_unlock (&claims_lock);
}

static void
abandoned_job_ended (InterpExecutor *executor)
{
  Claim *c;

  g_mutex_lock (&claims_lock);
  c = g_hash_table_lookup (claims, executor);
  if (c != NULL && c->abandoned > 0 && --c->abandoned == 0 && !c->active)
    g_hash_table_remove (claims, executor);
  g_mutex_unlock (&claims_lock);
}

static PyJob *
py_job_new (PyJobKind kind)
{
  PyJob *job = g_atomic_rc_box_new0 (PyJob);

  job->kind = kind;
  return job;
}

/* Carriers need no GIL to be freed. */
static void
py_job_clear (PyJob *job)
{
  g_clear_pointer (&job->payload, _interp_carrier_free);
  g_clear_pointer (&job->args, _interp_carrier_free);
  g_clear_pointer (&job->kwargs, _interp_carrier_free);
  g_clear_pointer (&job->result, _interp_carrier_free);
  g_clear_pointer (&job->excinfo, _interp_carrier_free);
  if (job->claimed != NULL)
    {
      abandoned_job_ended (job->claimed);
      _interp_executor_unref (job->claimed);
    }
}

static void
py_job_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) py_job_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PyJob, py_job_unref)

/* @value if it is a str, else None: a new reference. */
static PyObject *
str_or_none (PyObject *value)
{
  return Py_NewRef (value != NULL && PyUnicode_Check (value) ? value : Py_None);
}

/* @value, or None: a new reference. */
static PyObject *
or_none (PyObject *value)
{
  return Py_NewRef (value != NULL ? value : Py_None);
}

/* The pending exception becomes the job's snapshot (TRUE), or the job's
 * cancellation (FALSE, @error set). */
static gboolean
capture_exception (InterpExecutor    *executor,
                   InterpModuleState *mod,
                   PyJob             *job,
                   GError           **error)
{
  PyObject *exc = _interp_exception_take (executor, error);
  InterpExceptionSnapshot snapshot;
  PyObject *info;
  GError *local_error = NULL;

  if (exc == NULL)
    return FALSE;

  _interp_exception_snapshot_init (&snapshot, exc);
  info = Py_BuildValue ("(NNNNNN)",
                        str_or_none (snapshot.type_name),
                        str_or_none (snapshot.qualname),
                        str_or_none (snapshot.module),
                        or_none (snapshot.msg),
                        or_none (snapshot.formatted),
                        or_none (snapshot.errdisplay));
  _interp_exception_snapshot_clear (&snapshot);
  if (info != NULL)
    job->excinfo = _interp_carrier_from_python (info, _interp_module_carrier (mod), &local_error);
  g_clear_error (&local_error);
  Py_XDECREF (info);
  PyErr_Clear ();

  Py_DECREF (exc);

  if (job->excinfo == NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "The exception could not be described");
      return FALSE;
    }
  return TRUE;
}

/* getattr() along a dotted qualname. */
static PyObject *
get_qualname (PyObject   *object,
              const char *qualname)
{
  g_auto(GStrv) parts = g_strsplit (qualname, ".", -1);

  return _interp_getattr_path (object, (const char *const *) parts);
}

/* The host's __main__ script, loaded here as __mp_main__ (as
 * multiprocessing does), for functions defined in it. While its top-level
 * code runs, mod->loading_main_copy is set: interp_glib refuses to start
 * interpreters then (_loading_main()), as multiprocessing refuses to start
 * processes while its child imports the main module. */
static PyObject *
load_main_copy (InterpModuleState *mod,
                const char        *filename)
{
  PyObject *modules = PyImport_GetModuleDict ();
  PyObject *module = PyDict_GetItemString (modules, "__mp_main__");  /* borrowed */
  PyObject *util, *spec = NULL, *loader = NULL, *res = NULL;
  gboolean was_loading = mod->loading_main_copy;

  if (module != NULL)
    return Py_NewRef (module);
  util = PyImport_ImportModule ("importlib.util");
  if (util != NULL)
    spec = PyObject_CallMethod (util, "spec_from_file_location", "ss", "__mp_main__", filename);
  if (spec != NULL && spec != Py_None)
    module = PyObject_CallMethod (util, "module_from_spec", "O", spec);
  if (module != NULL && PyDict_SetItemString (modules, "__mp_main__", module) == 0 &&
      (loader = PyObject_GetAttrString (spec, "loader")) != NULL)
    {
      mod->loading_main_copy = TRUE;
      res = PyObject_CallMethod (loader, "exec_module", "O", module);
      mod->loading_main_copy = was_loading;
    }
  if (res == NULL && module != NULL)
    {
      PyObject *exc = _interp_python_take_exception ();
      PyDict_DelItemString (modules, "__mp_main__");
      PyErr_Clear ();
      if (exc != NULL)
        _interp_python_restore_exception (exc);
      Py_CLEAR (module);
    }
  else if (module == NULL && !PyErr_Occurred ())
    PyErr_Format (PyExc_ImportError, "cannot load %s as __mp_main__", filename);
  Py_XDECREF (res);
  Py_XDECREF (loader);
  Py_XDECREF (spec);
  Py_XDECREF (util);
  return module;
}

/* _main_copy(filename) -> module: the host's __main__ script as
 * __mp_main__ here (InterpreterPoolExecutor's workers use it too). */
static PyObject *
mod_main_copy (PyObject *module,
               PyObject *arg)
{
  const char *filename = PyUnicode_AsUTF8 (arg);

  return filename != NULL ? load_main_copy (get_state (module), filename) : NULL;
}

/* _loading_main() -> bool: whether the host's __main__ script is being
 * loaded here (its top-level code runs). */
static PyObject *
mod_loading_main (PyObject *module,
                  PyObject *unused)
{
  return PyBool_FromLong (get_state (module)->loading_main_copy);
}

/* A callable from its payload: ('code', marshalled (code, defaults,
 * kwdefaults), name, qualname), ('ref', module, qualname, main file or
 * None) or ('obj', callable). */
static PyObject *
callable_from_payload (InterpModuleState *mod,
                  PyObject          *payload)
{
  const char *kind;

  if (!PyTuple_Check (payload) || PyTuple_GET_SIZE (payload) < 2 ||
      (kind = PyUnicode_AsUTF8 (PyTuple_GET_ITEM (payload, 0))) == NULL)
    {
      PyErr_Clear ();
      PyErr_SetString (PyExc_TypeError, "bad callable payload");
      return NULL;
    }

  if (strcmp (kind, "code") == 0)
    {
      PyObject *parts = PyObject_CallMethod (mod->marshal, "loads", "O", PyTuple_GET_ITEM (payload, 1));
      PyObject *globals = _interp_main_dict ();
      PyObject *func = NULL;

      if (parts == NULL || globals == NULL)
        {
          Py_XDECREF (parts);
          return NULL;
        }
      if (PyTuple_Check (parts) && PyTuple_GET_SIZE (parts) == 3 &&
          PyCode_Check (PyTuple_GET_ITEM (parts, 0)))
        {
          func = PyFunction_New (PyTuple_GET_ITEM (parts, 0), globals);
          if (func != NULL && PyTuple_GET_ITEM (parts, 1) != Py_None &&
              PyFunction_SetDefaults (func, PyTuple_GET_ITEM (parts, 1)) < 0)
            Py_CLEAR (func);
          if (func != NULL && PyTuple_GET_ITEM (parts, 2) != Py_None &&
              PyFunction_SetKwDefaults (func, PyTuple_GET_ITEM (parts, 2)) < 0)
            Py_CLEAR (func);
        }
      else
        PyErr_SetString (PyExc_TypeError, "bad marshalled function");
      Py_DECREF (parts);
      return func;
    }
  if (strcmp (kind, "ref") == 0 && PyTuple_GET_SIZE (payload) == 4)
    {
      const char *module_name = PyUnicode_AsUTF8 (PyTuple_GET_ITEM (payload, 1));
      const char *qualname = PyUnicode_AsUTF8 (PyTuple_GET_ITEM (payload, 2));
      PyObject *main_file = PyTuple_GET_ITEM (payload, 3);
      PyObject *module, *func;

      if (module_name == NULL || qualname == NULL)
        return NULL;
      module = PyImport_ImportModule (module_name);
      func = module ? get_qualname (module, qualname) : NULL;
      Py_XDECREF (module);
      if (func == NULL && strcmp (module_name, "__main__") == 0 && PyUnicode_Check (main_file))
        {
          const char *filename = PyUnicode_AsUTF8 (main_file);
          PyObject *copy;

          PyErr_Clear ();
          copy = filename ? load_main_copy (mod, filename) : NULL;
          func = copy ? get_qualname (copy, qualname) : NULL;
          Py_XDECREF (copy);
        }
      return func;
    }
  if (strcmp (kind, "obj") == 0)
    return Py_NewRef (PyTuple_GET_ITEM (payload, 1));

  PyErr_Format (PyExc_TypeError, "bad callable payload kind %s", kind);
  return NULL;
}

static PyObject *
dict_from_pairs (PyObject *pairs)
{
  PyObject *dict = PyDict_New ();

  for (Py_ssize_t i = 0; dict != NULL && i < PyTuple_GET_SIZE (pairs); i++)
    {
      PyObject *pair = PyTuple_GET_ITEM (pairs, i);

      if (!PyTuple_Check (pair) || PyTuple_GET_SIZE (pair) != 2 ||
          PyDict_SetItem (dict, PyTuple_GET_ITEM (pair, 0), PyTuple_GET_ITEM (pair, 1)) < 0)
        {
          if (!PyErr_Occurred ())
            PyErr_SetString (PyExc_TypeError, "expected (name, value) pairs");
          Py_CLEAR (dict);
        }
    }
  return dict;
}

static PyObject *
from_carrier (InterpCarrier     *carrier,
              InterpModuleState *mod)
{
  return carrier ? _interp_carrier_to_python (carrier, _interp_module_carrier (mod)) : Py_NewRef (Py_None);
}

/* Runs on the target's executor thread, its GIL held. */
static gboolean
run_py_job (InterpExecutor  *executor,
            gpointer         data,
            GVariant       **result,
            GError         **error)
{
  PyJob *job = data;
  InterpModuleState *mod = _interp_module_get_current_state ();
  PyObject *payload = NULL, *globals;
  PyObject *value = NULL;
  gboolean ok = TRUE;

  if (mod == NULL || (globals = _interp_main_dict ()) == NULL ||
      (payload = from_carrier (job->payload, mod)) == NULL)
    return capture_exception (executor, mod, job, error);

  switch (job->kind)
    {
    case PY_JOB_EXEC_SOURCE:
      {
        const char *source = PyUnicode_AsUTF8 (payload);
        value = source ? PyRun_String (source, Py_file_input, globals, globals) : NULL;
      }
      break;
    case PY_JOB_EXEC_CODE:
      {
        PyObject *code = PyObject_CallMethod (mod->marshal, "loads", "O", payload);

        if (code != NULL && !PyCode_Check (code))
          {
            PyErr_SetString (PyExc_TypeError, "expected a code object");
            Py_CLEAR (code);
          }
        value = code ? PyEval_EvalCode (code, globals, globals) : NULL;
        Py_XDECREF (code);
      }
      break;
    case PY_JOB_CALL:
      {
        PyObject *callable = callable_from_payload (mod, payload);
        PyObject *args = callable ? from_carrier (job->args, mod) : NULL;
        PyObject *pairs = args ? from_carrier (job->kwargs, mod) : NULL;
        PyObject *kwargs = pairs ? dict_from_pairs (pairs) : NULL;

        if (callable != NULL && (args == NULL || pairs == NULL))
          {
            /* As CPython's: an argument this interpreter cannot unpickle
             * (a function of a __main__ it does not have) is not
             * shareable; the callable never ran. */
            g_autofree char *why = _interp_python_take_error_text ();

            g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                         "an argument cannot be received in interpreter %" G_GINT64_FORMAT "%s%s",
                         _interp_executor_get_id (executor), why ? ": " : "", why ? why : "");
            Py_XDECREF (pairs);
            Py_XDECREF (args);
            Py_DECREF (callable);
            Py_DECREF (payload);
            return FALSE;
          }
        if (kwargs != NULL && !PyTuple_Check (args))
          {
            PyErr_SetString (PyExc_TypeError, "arguments must be a tuple");
            Py_CLEAR (kwargs);
          }
        value = kwargs ? _interp_call_object (callable, args, kwargs) : NULL;
        Py_XDECREF (kwargs);
        Py_XDECREF (pairs);
        Py_XDECREF (args);
        Py_XDECREF (callable);
        if (value != NULL)
          {
            job->result = _interp_carrier_from_python (value, _interp_module_carrier (mod), error);
            ok = job->result != NULL;
          }
      }
      break;
    case PY_JOB_PREPARE_MAIN:
      {
        PyObject *ns = dict_from_pairs (payload);

        if (ns != NULL && PyDict_Update (globals, ns) == 0)
          value = Py_NewRef (Py_None);
        Py_XDECREF (ns);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  Py_DECREF (payload);

  if (value == NULL)
    return capture_exception (executor, mod, job, error);
  Py_DECREF (value);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Waiting for a job from Python                                       */

typedef struct
{
  PyThreadState *save;
  GCancellable *cancellable;   /* the remote job's */
  GCancellable *outer;         /* the wait cancellable of the job we run in */
  PyObject *signal_exc;
  gboolean outer_cancelled;
} WaitCheck;

static gboolean
wait_check (gpointer data)
{
  WaitCheck *check = data;

  if (check->outer != NULL && g_cancellable_is_cancelled (check->outer))
    check->outer_cancelled = TRUE;
  else
    {
      PyEval_RestoreThread (check->save);
      if (PyErr_CheckSignals () < 0)
        check->signal_exc = _interp_python_take_exception ();
      check->save = PyEval_SaveThread ();
      if (check->signal_exc == NULL)
        return TRUE;
    }
  g_cancellable_cancel (check->cancellable);
  return FALSE;
}

/* Runs @job on @self's executor, the GIL released while waiting.
 * Returns FALSE with an exception set. */
static gboolean
run_and_wait (InterpModuleState *mod,
              InterpObject      *self,
              PyJob             *job)
{
  WaitCheck check = { 0 };
  GError *error = NULL;
  gboolean ok;

  /* As in CPython: one caller at a time runs code in an interpreter. */
  if (!claim (self->executor))
    {
      PyErr_Format (mod->interpreter_error, "interpreter %lld already running",
                    (long long) self->id);
      return FALSE;
    }

  check.cancellable = g_cancellable_new ();
  check.outer = _interp_executor_get_wait_cancellable ();
  check.save = PyEval_SaveThread ();
  ok = _interp_executor_run_checked (self->executor, run_py_job, g_atomic_rc_box_acquire (job),
                                     py_job_unref, check.cancellable,
                                     &(InterpWaitWatch) { wait_check, &check }, &error);
  PyEval_RestoreThread (check.save);
  g_object_unref (check.cancellable);

  if (check.signal_exc != NULL || check.outer_cancelled)
    {
      /* Abandoned: the job still holds its data; freeing it (when the
       * job is done with it) ends the abandoned count. */
      unclaim (self->executor, TRUE);
      job->claimed = _interp_executor_ref (self->executor);
    }
  else
    unclaim (self->executor, FALSE);

  if (check.signal_exc != NULL)
    {
      g_clear_error (&error);
      _interp_python_restore_exception (check.signal_exc);
      return FALSE;
    }
  if (check.outer_cancelled)
    {
      g_clear_error (&error);
      _interp_error_set_cancelled (&error);
    }
  if (!ok || error != NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_FAILED, "The call failed");
      else if (g_error_matches (error, INTERP_ERROR, INTERP_ERROR_RUNNING) && self->id == current_id ())
        {
          g_clear_error (&error);
          error = g_error_new (INTERP_ERROR, INTERP_ERROR_RUNNING,
                               "interpreter %lld is already running (the call comes from it)",
                               (long long) self->id);
        }
      _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_carrier (InterpModuleState  *mod,
             InterpCarrier     **slot,
             PyObject           *object)
{
  GError *error = NULL;

  *slot = _interp_carrier_from_python (object, _interp_module_carrier (mod), &error);
  if (*slot == NULL)
    {
      _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT, error);
      return FALSE;
    }
  return TRUE;
}

/* Runs a job of @kind in @target with @payload, and for a call @args and
 * @kwargs (pairs): the job once it ran (its result or excinfo set), or
 * NULL with an exception set. */
static PyJob *
run_job (InterpModuleState *mod,
         PyObject          *target,
         PyJobKind          kind,
         PyObject          *payload,
         PyObject          *args,
         PyObject          *kwargs)
{
  InterpObject *self = usable_interp (mod, target);
  PyJob *job;

  if (self == NULL)
    return NULL;
  job = py_job_new (kind);
  if (!set_carrier (mod, &job->payload, payload) ||
      (args != NULL && !set_carrier (mod, &job->args, args)) ||
      (kwargs != NULL && !set_carrier (mod, &job->kwargs, kwargs)) ||
      !run_and_wait (mod, self, job))
    g_clear_pointer (&job, py_job_unref);
  return job;
}

/* _interp_exec(interp, kind, payload) -> excinfo or None; kind is 'src'
 * (payload: source text) or 'code' (payload: marshalled code). */
static PyObject *
mod_interp_exec (PyObject *module,
                 PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *payload;
  const char *kind;
  g_autoptr(PyJob) job = NULL;

  if (!PyArg_ParseTuple (args, "OsO:_interp_exec", &target, &kind, &payload))
    return NULL;
  if (strcmp (kind, "src") == 0 && PyUnicode_Check (payload))
    job = run_job (mod, target, PY_JOB_EXEC_SOURCE, payload, NULL, NULL);
  else if (strcmp (kind, "code") == 0 && PyBytes_Check (payload))
    job = run_job (mod, target, PY_JOB_EXEC_CODE, payload, NULL, NULL);
  else
    {
      PyErr_SetString (PyExc_TypeError, "expected ('src', str) or ('code', bytes)");
      return NULL;
    }
  return job ? from_carrier (job->excinfo, mod) : NULL;
}

/* _interp_call(interp, payload, args, kwargs_pairs) -> (result, excinfo or None) */
static PyObject *
mod_interp_call (PyObject *module,
                 PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *payload, *call_args, *kwargs, *result, *excinfo;
  PyObject *out = NULL;
  g_autoptr(PyJob) job = NULL;

  if (!PyArg_ParseTuple (args, "OOO!O!:_interp_call", &target, &payload, &PyTuple_Type, &call_args,
                         &PyTuple_Type, &kwargs) ||
      (job = run_job (mod, target, PY_JOB_CALL, payload, call_args, kwargs)) == NULL)
    return NULL;

  result = job->excinfo ? Py_NewRef (Py_None) : from_carrier (job->result, mod);
  excinfo = result ? from_carrier (job->excinfo, mod) : NULL;
  if (excinfo != NULL)
    out = PyTuple_Pack (2, result, excinfo);
  Py_XDECREF (excinfo);
  Py_XDECREF (result);
  return out;
}

/* _interp_prepare_main(interp, pairs) */
static PyObject *
mod_interp_prepare_main (PyObject *module,
                         PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *pairs, *excinfo, *msg;
  g_autoptr(PyJob) job = NULL;

  if (!PyArg_ParseTuple (args, "OO!:_interp_prepare_main", &target, &PyTuple_Type, &pairs) ||
      (job = run_job (mod, target, PY_JOB_PREPARE_MAIN, pairs, NULL, NULL)) == NULL)
    return NULL;
  if (job->excinfo == NULL)
    Py_RETURN_NONE;

  excinfo = from_carrier (job->excinfo, mod);
  msg = excinfo && PyTuple_Check (excinfo) && PyTuple_GET_SIZE (excinfo) == 6 ?
        PyTuple_GET_ITEM (excinfo, 4) : NULL;
  if (excinfo != NULL)
    PyErr_Format (mod->interpreter_error, "prepare_main() failed: %S", msg ? msg : Py_None);
  Py_XDECREF (excinfo);
  return NULL;
}

/* _interp_keep_alive(interp): from Interpreter.__reduce__(): while the
 * pickle travels (a call's result, a queue item), the interpreter lives,
 * though the object pickled may be gone before it is unpickled. */
static PyObject *
mod_interp_keep_alive (PyObject *module,
                       PyObject *arg)
{
  InterpObject *self = check_interp (get_state (module), arg);
  InterpInterpreter *interp;

  if (self == NULL)
    return NULL;
  interp = dup_interp (self);
  if (interp != NULL)
    _interp_carrier_keep_alive (g_steal_pointer (&interp), g_object_unref);
  Py_RETURN_NONE;
}

static PyMethodDef interp_methods[] = {
  { "_interp_keep_alive", mod_interp_keep_alive, METH_O, NULL },
  { "_interp_create", mod_interp_create, METH_O, NULL },
  { "_main_copy", mod_main_copy, METH_O, NULL },
  { "_loading_main", mod_loading_main, METH_NOARGS, NULL },
  { "_interp_lookup", mod_interp_lookup, METH_O, NULL },
  { "_interp_list", mod_interp_list, METH_NOARGS, NULL },
  { "_interp_current", mod_interp_current, METH_NOARGS, NULL },
  { "_interp_is_running", mod_interp_is_running, METH_O, NULL },
  { "_interp_close", mod_interp_close, METH_O, NULL },
  { "_interp_exec", mod_interp_exec, METH_VARARGS, NULL },
  { "_interp_call", mod_interp_call, METH_VARARGS, NULL },
  { "_interp_prepare_main", mod_interp_prepare_main, METH_VARARGS, NULL },
  { NULL },
};

static gboolean
interp_part_exec (PyObject          *module,
                  InterpModuleState *mod)
{
  mod->interp_type = PyType_FromModuleAndSpec (module, &interp_object_spec, NULL);
  mod->marshal = PyImport_ImportModule ("marshal");
  return mod->interp_type != NULL && mod->marshal != NULL;
}

const InterpModulePart _interp_module_interp_part = {
  .methods = interp_methods,
  .exec = interp_part_exec,
};
