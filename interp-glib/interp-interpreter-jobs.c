/* interp-interpreter-jobs.c: what an interpreter runs inside Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* interp-interpreter.c is the GObject face of an interpreter; this file is
 * the work that face and the pool hand to an interpreter's executor, as
 * CPython keeps Python/crossinterp.c apart from
 * Modules/_interpretersmodule.c.
 *
 * A job is made on the caller's thread from C values only: its constructor
 * checks the arguments there, so that a malformed callable or a GVariant of
 * the wrong type fails before anything is queued. Its run function is an
 * #InterpJobFunc: it runs on the executor thread, the interpreter attached,
 * and every PyObject it makes stays on that thread; only GVariants and
 * GErrors leave it. For the same reason the sources kept for tracebacks
 * are per executor thread, hence per interpreter.
 *
 * The module's jobs, which carry Python objects instead, share the
 * Python side with these: taking the pending exception (or the
 * cancellation) and its snapshot, `__main__`'s namespace and getattr()
 * along a dotted path. One copy each, here, below the module.
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-error-private.h"
#include "interp-executor-private.h"
#include "interp-interpreter-private.h"
#include "interp-output-private.h"
#include "interp-values-private.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Python helpers: these run on the executor thread, the GIL held       */

static char *
py_str (PyObject *object)
{
  PyObject *str = object ? PyObject_Str (object) : NULL;
  const char *utf8 = str ? PyUnicode_AsUTF8 (str) : NULL;
  char *copy = g_strdup (utf8 ? utf8 : "<unprintable>");

  PyErr_Clear ();
  Py_XDECREF (str);
  return copy;
}

/* A copy of the text of @str (a str); @fallback when @str is NULL or its
 * text cannot be had. */
static char *
str_dup (PyObject   *str,
         const char *fallback)
{
  const char *utf8 = str ? PyUnicode_AsUTF8 (str) : NULL;
  char *copy = g_strdup (utf8 ? utf8 : fallback);

  PyErr_Clear ();
  return copy;
}

/* ------------------------------------------------------------------ */
/* Exceptions and `__main__`, for the jobs and the module alike         */

PyObject *
_interp_exception_take (InterpExecutor  *executor,
                        GError         **error)
{
  PyObject *exc = _interp_python_take_exception ();

  if (exc == NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "Python reported a failure without an exception");
      return NULL;
    }
  if (executor != NULL &&
      (PyObject *) Py_TYPE (exc) == _interp_executor_get_cancel_exception (executor))
    {
      Py_DECREF (exc);
      _interp_error_set_cancelled (error);
      return NULL;
    }
  return exc;
}

/* The strings traceback.@method(@exc) gives, joined; NULL (the error
 * cleared) if it fails. */
static PyObject *
format_joined (PyObject   *traceback,
               const char *method,
               PyObject   *exc)
{
  PyObject *parts = PyObject_CallMethod (traceback, method, "O", exc);
  PyObject *empty = parts ? PyUnicode_FromString ("") : NULL;
  PyObject *joined = empty ? PyUnicode_Join (empty, parts) : NULL;

  PyErr_Clear ();
  Py_XDECREF (empty);
  Py_XDECREF (parts);
  return joined;
}

void
_interp_exception_snapshot_init (InterpExceptionSnapshot *snapshot,
                                 PyObject                *exc)
{
  PyObject *type = (PyObject *) Py_TYPE (exc);
  PyObject *traceback = PyImport_ImportModule ("traceback");

  PyErr_Clear ();
  snapshot->msg = PyObject_Str (exc);
  if (snapshot->msg == NULL)
    {
      PyErr_Clear ();
      snapshot->msg = PyUnicode_FromString ("<unprintable>");
    }
  snapshot->formatted = traceback ? format_joined (traceback, "format_exception_only", exc) : NULL;
  if (snapshot->formatted != NULL)
    {
      PyObject *stripped = PyObject_CallMethod (snapshot->formatted, "rstrip", "s", "\n");

      Py_SETREF (snapshot->formatted, stripped);
    }
  PyErr_Clear ();
  snapshot->errdisplay = traceback ? format_joined (traceback, "format_exception", exc) : NULL;
  Py_XDECREF (traceback);
  snapshot->type_name = PyObject_GetAttrString (type, "__name__");
  PyErr_Clear ();
  snapshot->qualname = PyObject_GetAttrString (type, "__qualname__");
  PyErr_Clear ();
  snapshot->module = PyObject_GetAttrString (type, "__module__");
  PyErr_Clear ();
}

void
_interp_exception_snapshot_clear (InterpExceptionSnapshot *snapshot)
{
  Py_CLEAR (snapshot->type_name);
  Py_CLEAR (snapshot->qualname);
  Py_CLEAR (snapshot->module);
  Py_CLEAR (snapshot->msg);
  Py_CLEAR (snapshot->formatted);
  Py_CLEAR (snapshot->errdisplay);
}

PyObject *
_interp_main_dict (void)
{
  PyObject *main_module = PyImport_AddModule ("__main__");  /* borrowed */

  return main_module ? PyModule_GetDict (main_module) : NULL;  /* borrowed */
}

static gboolean
is_builtin (PyObject   *callable,
            const char *name)
{
  PyObject *builtins = PyEval_GetBuiltins ();  /* borrowed */
  PyObject *found = builtins ? PyDict_GetItemString (builtins, name) : NULL;  /* borrowed */

  return found != NULL && found == callable;
}

PyObject *
_interp_call_object (PyObject *callable,
                     PyObject *args,
                     PyObject *kwargs)
{
  Py_ssize_t nargs = PyTuple_GET_SIZE (args);
  gboolean plain = kwargs == NULL || PyDict_GET_SIZE (kwargs) == 0;
  PyObject *main_dict;

  if (!PyCFunction_Check (callable) || !plain || nargs > 1 || PyEval_GetFrame () != NULL)
    return PyObject_Call (callable, args, kwargs);

  if (nargs == 1 && (is_builtin (callable, "eval") || is_builtin (callable, "exec")))
    {
      PyObject *full;
      PyObject *value;

      if ((main_dict = _interp_main_dict ()) == NULL)
        return NULL;
      full = PyTuple_Pack (3, PyTuple_GET_ITEM (args, 0), main_dict, main_dict);
      value = full ? PyObject_Call (callable, full, NULL) : NULL;
      Py_XDECREF (full);
      return value;
    }
  if (nargs == 0 && (is_builtin (callable, "globals") || is_builtin (callable, "locals") ||
                     is_builtin (callable, "vars")))
    {
      main_dict = _interp_main_dict ();
      return main_dict ? Py_NewRef (main_dict) : NULL;
    }
  if (nargs == 0 && is_builtin (callable, "dir"))
    {
      PyObject *names;

      if ((main_dict = _interp_main_dict ()) == NULL || (names = PyDict_Keys (main_dict)) == NULL)
        return NULL;
      if (PyList_Sort (names) < 0)
        Py_CLEAR (names);
      return names;
    }
  return PyObject_Call (callable, args, kwargs);
}

PyObject *
_interp_getattr_path (PyObject          *object,
                      const char *const *path)
{
  Py_INCREF (object);
  for (guint i = 0; object != NULL && path[i] != NULL; i++)
    {
      PyObject *next = PyObject_GetAttrString (object, path[i]);

      Py_DECREF (object);
      object = next;
    }
  return object;
}

/* ------------------------------------------------------------------ */
/* Sources for linecache, so that tracebacks quote the code we ran.    */

/* Code run under a default name is forgotten after this many newer runs;
 * code the caller named stays (a new run under the same name replaces it). */
#define MAX_UNNAMED_SOURCES 256

/* Per executor thread, hence per interpreter: importing linecache costs
 * milliseconds (it imports tokenize and re), so sources wait here until the
 * interpreter has imported it, or a traceback is formatted. */
typedef struct
{
  char *code;
  gboolean in_linecache;
} Source;

typedef struct
{
  GHashTable *code;      /* name -> Source */
  GQueue unnamed;        /* default names, oldest first */
  guint n_waiting;       /* sources not in linecache.cache yet */
} Sources;

static void
source_free (gpointer data)
{
  Source *source = data;

  g_free (source->code);
  g_free (source);
}

static void
sources_free (gpointer data)
{
  Sources *sources = data;

  g_hash_table_unref (sources->code);
  g_queue_clear_full (&sources->unnamed, g_free);
  g_free (sources);
}

static GPrivate thread_sources = G_PRIVATE_INIT (sources_free);

static Sources *
sources_get (void)
{
  Sources *sources = g_private_get (&thread_sources);

  if (sources == NULL)
    {
      sources = g_new0 (Sources, 1);
      sources->code = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, source_free);
      g_queue_init (&sources->unnamed);
      g_private_set (&thread_sources, sources);
    }
  return sources;
}

/* linecache.cache, borrowed from the module (new reference to it in
 * *module), or NULL. Imports linecache only when @import. */
static PyObject *
linecache_dict (gboolean   import,
                PyObject **module)
{
  PyObject *name = PyUnicode_FromString ("linecache");
  PyObject *cache = NULL;

  *module = name ? (import ? PyImport_Import (name) : PyImport_GetModule (name)) : NULL;
  Py_XDECREF (name);
  if (*module != NULL)
    {
      cache = PyObject_GetAttrString (*module, "cache");
      if (cache != NULL && !PyDict_Check (cache))
        Py_CLEAR (cache);
      Py_XDECREF (cache);   /* the module keeps it */
    }
  PyErr_Clear ();
  return cache;
}

static void
linecache_store (PyObject   *cache,
                 const char *name,
                 const char *code)
{
  gsize len = strlen (code);
  g_autofree char *terminated = len > 0 && code[len - 1] != '\n' ? g_strconcat (code, "\n", NULL) : NULL;
  PyObject *text = PyUnicode_FromString (terminated ? terminated : code);
  PyObject *lines = text ? PyUnicode_Splitlines (text, 1) : NULL;
  PyObject *entry = lines ? Py_BuildValue ("(nOOs)", (Py_ssize_t) len, Py_None, lines, name) : NULL;
  /* Not PyDict_SetItemString(): Python 3.13 interns its key as immortal,
   * and with it the code object's equal co_filename, which then outlives
   * the interpreter: a string lost for every name. */
  PyObject *key = entry ? PyUnicode_FromString (name) : NULL;

  if (key != NULL)
    PyDict_SetItem (cache, key, entry);
  PyErr_Clear ();
  Py_XDECREF (key);
  Py_XDECREF (entry);
  Py_XDECREF (lines);
  Py_XDECREF (text);
}

/* Moves the waiting sources into linecache.cache when linecache is
 * imported (imports it first when @import). */
static void
sources_flush (gboolean import)
{
  Sources *sources = sources_get ();
  PyObject *module = NULL;
  PyObject *cache;
  GHashTableIter iter;
  gpointer name, value;

  if (sources->n_waiting == 0)
    return;
  cache = linecache_dict (import, &module);
  if (cache != NULL)
    {
      g_hash_table_iter_init (&iter, sources->code);
      while (g_hash_table_iter_next (&iter, &name, &value))
        {
          Source *source = value;

          if (!source->in_linecache)
            {
              linecache_store (cache, name, source->code);
              source->in_linecache = TRUE;
            }
        }
      sources->n_waiting = 0;
    }
  Py_XDECREF (module);
}

static void
sources_remove (Sources    *sources,
                const char *name,
                PyObject   *cache)
{
  Source *source = g_hash_table_lookup (sources->code, name);

  if (source != NULL && !source->in_linecache)
    sources->n_waiting--;
  g_hash_table_remove (sources->code, name);
  if (cache != NULL && PyDict_DelItemString (cache, name) < 0)
    PyErr_Clear ();
}

/* Remembers @code under @name for tracebacks: in linecache.cache at once
 * when the interpreter has imported linecache, else until it has. */
static void
sources_add (const char *name,
             const char *code,
             gboolean    unnamed)
{
  Sources *sources = sources_get ();
  PyObject *module = NULL;
  PyObject *cache = linecache_dict (FALSE, &module);
  Source *source = g_new0 (Source, 1);

  source->code = g_strdup (code);
  if (cache != NULL)
    {
      linecache_store (cache, name, code);
      source->in_linecache = TRUE;
    }
  sources_remove (sources, name, NULL);
  if (!source->in_linecache)
    sources->n_waiting++;
  g_hash_table_insert (sources->code, g_strdup (name), source);

  if (unnamed)
    {
      /* The same text again has the same name: it moves to the end. */
      GList *known = g_queue_find_custom (&sources->unnamed, name, (GCompareFunc) strcmp);

      if (known != NULL)
        {
          g_free (known->data);
          g_queue_delete_link (&sources->unnamed, known);
        }
      g_queue_push_tail (&sources->unnamed, g_strdup (name));
      if (sources->unnamed.length > MAX_UNNAMED_SOURCES)
        {
          g_autofree char *oldest = g_queue_pop_head (&sources->unnamed);

          sources_remove (sources, oldest, cache);
        }
    }
  /* Code that ran before the interpreter imported linecache. */
  if (cache != NULL && sources->n_waiting > 0)
    sources_flush (FALSE);
  Py_XDECREF (module);
}

/* Turns the pending Python exception into a GError: cancellation for our
 * own CancelledError, else EXECUTION_FAILED with a snapshot. */
static void
set_error_with_source (InterpExecutor  *executor,
                       const char      *name,
                       const char      *code,
                       gboolean         unnamed,
                       GError         **error)
{
  PyObject *exc = _interp_exception_take (executor, error);
  InterpExceptionSnapshot snapshot;
  g_autofree char *type_name = NULL;
  g_autofree char *qualname = NULL;
  g_autofree char *module = NULL;
  g_autofree char *message = NULL;
  g_autofree char *traceback = NULL;
  InterpExceptionInfo *info;

  if (exc == NULL)
    return;

  /* The traceback quotes the code run through this library. */
  if (name != NULL)
    sources_add (name, code, unnamed);
  sources_flush (TRUE);

  _interp_exception_snapshot_init (&snapshot, exc);
  type_name = snapshot.type_name ? py_str (snapshot.type_name) : NULL;
  qualname = snapshot.qualname ? py_str (snapshot.qualname) : NULL;
  module = snapshot.module ? py_str (snapshot.module) : NULL;
  message = str_dup (snapshot.msg, "<unprintable>");
  traceback = str_dup (snapshot.errdisplay, NULL);
  _interp_exception_snapshot_clear (&snapshot);
  if (traceback == NULL)
    traceback = g_strdup_printf ("%s: %s\n", type_name ? type_name : "?", message);

  info = _interp_exception_info_new (_interp_executor_get_id (executor),
                                     type_name, qualname, module, message, traceback);
  _interp_error_set_execution_failed (error, info);
  interp_exception_info_unref (info);
  Py_DECREF (exc);
}

static void
set_error_from_python (InterpExecutor  *executor,
                       GError         **error)
{
  set_error_with_source (executor, NULL, NULL, FALSE, error);
}

static PyObject *
main_dict (InterpExecutor  *executor,
           GError         **error)
{
  PyObject *globals = _interp_main_dict ();

  if (globals == NULL)
    set_error_from_python (executor, error);
  return globals;
}

/* textwrap.dedent(): strips the leading whitespace all non-blank lines
 * share; whitespace-only lines become empty. */
static char *
dedent (const char *code)
{
  g_auto(GStrv) lines = g_strsplit (code, "\n", -1);
  const char *margin = NULL;
  gsize margin_len = 0;
  GString *out = g_string_sized_new (strlen (code));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize indent = strspn (line, " \t");

      if (line[indent] == '\0' || (line[indent] == '\r' && line[indent + 1] == '\0'))
        continue;
      if (margin == NULL)
        {
          margin = line;
          margin_len = indent;
        }
      else
        {
          gsize common = 0;
          while (common < margin_len && common < indent && margin[common] == line[common])
            common++;
          margin_len = common;
        }
    }

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize indent = strspn (line, " \t");

      if (i > 0)
        g_string_append_c (out, '\n');
      if (line[indent] == '\0')
        continue;
      g_string_append (out, line + MIN (margin_len, indent));
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Jobs                                                                */

typedef struct
{
  char *code;
  char *filename;
  gboolean unnamed;
  int start;
} CodeJob;

gboolean
_interp_code_run (InterpExecutor  *executor,
                  gpointer         data,
                  GVariant       **result,
                  GError         **error)
{
  CodeJob *job = data;
  PyObject *globals = main_dict (executor, error);
  PyObject *code;
  PyObject *value;

  if (globals == NULL)
    return FALSE;

  /* Code that is run may define functions that fail later: their source
   * must stay known. An expression's source matters only if it fails. */
  if (job->start == Py_file_input)
    sources_add (job->filename, job->code, job->unnamed);
  code = Py_CompileString (job->code, job->filename, job->start);
  value = code ? PyEval_EvalCode (code, globals, globals) : NULL;
  Py_XDECREF (code);
  if (value == NULL)
    {
      if (job->start != Py_file_input)
        set_error_with_source (executor, job->filename, job->code, job->unnamed, error);
      else
        set_error_from_python (executor, error);
      return FALSE;
    }

  if (job->start == Py_eval_input)
    *result = _interp_values_from_python (value, error);
  Py_DECREF (value);
  return job->start != Py_eval_input || *result != NULL;
}

struct _InterpCall
{
  char *module;      /* NULL: look the name up in __main__, then builtins */
  char **path;       /* attribute path, NULL-terminated */
  GVariant *args;
  GVariant *kwargs;
};

static PyObject *
resolve_callable (InterpExecutor  *executor,
                  InterpCall      *job,
                  GError         **error)
{
  PyObject *object;
  guint first = 0;

  if (job->module != NULL)
    object = PyImport_ImportModule (job->module);
  else
    {
      PyObject *globals = main_dict (executor, error);
      PyObject *builtins;

      if (globals == NULL)
        return NULL;
      object = PyDict_GetItemString (globals, job->path[0]);
      if (object == NULL)
        {
          builtins = PyEval_GetBuiltins ();
          object = builtins ? PyDict_GetItemString (builtins, job->path[0]) : NULL;
        }
      if (object == NULL)
        {
          PyErr_Format (PyExc_NameError, "name '%s' is not defined", job->path[0]);
          set_error_from_python (executor, error);
          return NULL;
        }
      Py_INCREF (object);
      first = 1;
    }

  if (object != NULL)
    {
      PyObject *attr = _interp_getattr_path (object, (const char *const *) job->path + first);

      Py_DECREF (object);
      object = attr;
    }

  if (object == NULL)
    set_error_from_python (executor, error);
  return object;
}

static gboolean
run_call (InterpExecutor  *executor,
          gpointer         data,
          GVariant       **result,
          GError         **error)
{
  InterpCall *job = data;
  PyObject *callable = NULL;
  PyObject *args = NULL;
  PyObject *kwargs = NULL;
  PyObject *value = NULL;

  callable = resolve_callable (executor, job, error);
  if (callable == NULL)
    goto out;

  if (job->args != NULL)
    args = _interp_values_to_python (job->args, error);
  else
    args = PyTuple_New (0);
  if (args == NULL)
    goto out;

  if (job->kwargs != NULL && (kwargs = _interp_values_to_python (job->kwargs, error)) == NULL)
    goto out;

  value = _interp_call_object (callable, args, kwargs);
  if (value == NULL)
    {
      set_error_from_python (executor, error);
      goto out;
    }
  *result = _interp_values_from_python (value, error);

out:
  Py_XDECREF (value);
  Py_XDECREF (kwargs);
  Py_XDECREF (args);
  Py_XDECREF (callable);
  return *result != NULL;
}

gboolean
_interp_prepare_main_run (InterpExecutor  *executor,
                          gpointer         data,
                          GVariant       **result,
                          GError         **error)
{
  PyObject *globals = main_dict (executor, error);
  PyObject *values = globals != NULL ? _interp_values_to_python (data, error) : NULL;
  int status;

  if (values == NULL)
    return FALSE;
  status = PyDict_Update (globals, values);
  Py_DECREF (values);
  if (status < 0)
    set_error_from_python (executor, error);
  return status == 0;
}

gboolean
_interp_capture_run (InterpExecutor  *executor,
                     gpointer         data,
                     GVariant       **result,
                     GError         **error)
{
  InterpOutputSink *sink = data;

  if (!_interp_output_install (sink, error))
    return FALSE;
  _interp_executor_set_output_flush (executor, sink != NULL);
  return TRUE;
}

void
_interp_capture_free (gpointer data)
{
  if (data != NULL)
    _interp_output_sink_unref (data);
}

/* ------------------------------------------------------------------ */
/* Making jobs, on the caller's thread                                 */

gboolean
_interp_check_variant_type (GVariant            *value,
                            const GVariantType  *type,
                            const char          *what,
                            const char          *kind,
                            const char          *example,
                            GError             **error)
{
  if (value != NULL && !g_variant_is_of_type (value, type))
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "%s must be %s (GVariant type '%.*s', such as '%s'), got '%s'", what, kind,
                   (int) g_variant_type_get_string_length (type),
                   g_variant_type_peek_string (type), example,
                   g_variant_get_type_string (value));
      return FALSE;
    }
  return TRUE;
}

/* Whether @s (@len bytes) is a dotted name: one or more parts, none
 * empty, with no blank, parenthesis or colon. */
static gboolean
is_dotted_name (const char *s,
                gsize       len)
{
  gsize start = 0;

  for (gsize i = 0; i <= len; i++)
    {
      if (i == len || s[i] == '.')
        {
          if (i == start)
            return FALSE;
          start = i + 1;
        }
      else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '(' || s[i] == ')' ||
               s[i] == ':')
        return FALSE;
    }
  return TRUE;
}

/* Parsed once per call, in one allocation: the call, its path vector and
 * a copy of the name they point into (a call's name is parsed on the
 * caller's thread, for every call). */
static InterpCall *
call_parse (const char  *callable,
            GVariant    *args,
            GVariant    *kwargs,
            GError     **error)
{
  const char *colon = strchr (callable, ':');
  const char *qualname = colon != NULL ? colon + 1 : callable;
  gsize len = strlen (callable), n_parts = 1;
  InterpCall *job;
  char *copy, *part;

  /* Python would only fail to look it up, and print why on stderr. */
  if (!g_utf8_validate (callable, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (callable, -1);

      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "The callable name '%s' is not valid UTF-8", shown);
      return NULL;
    }
  if ((colon != NULL && !is_dotted_name (callable, colon - callable)) ||
      !is_dotted_name (qualname, len - (qualname - callable)))
    goto invalid;

  if (!_interp_check_variant_type (args, G_VARIANT_TYPE_TUPLE, "args",
                                   "a tuple of arguments", "(xs)", error) ||
      !_interp_check_variant_type (kwargs, INTERP_VARIANT_TYPE_KWARGS, "kwargs",
                                   "a dictionary of names to values", "a{sv}", error))
    return NULL;

  for (const char *p = qualname; *p; p++)
    n_parts += *p == '.';
  job = g_malloc0 (sizeof (InterpCall) + (n_parts + 1) * sizeof (char *) + len + 1);
  job->path = (char **) (job + 1);
  copy = (char *) (job->path + n_parts + 1);
  memcpy (copy, callable, len + 1);
  part = copy + (qualname - callable);
  if (colon != NULL)
    {
      copy[colon - callable] = '\0';
      job->module = copy;
    }
  for (gsize i = 0; i < n_parts; i++)
    {
      char *dot = strchr (part, '.');

      job->path[i] = part;
      if (dot != NULL)
        {
          *dot = '\0';
          part = dot + 1;
        }
    }
  job->args = args ? g_variant_ref_sink (args) : NULL;
  job->kwargs = kwargs ? g_variant_ref_sink (kwargs) : NULL;
  return job;

invalid:
  g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
               "'%s' is not a callable name: use \"name\", \"name.attr\" (in __main__) "
               "or \"module:qualname\"", callable);
  return NULL;
}

/* Longer first lines are cut in a default name. */
#define MAX_NAME_CHARS 40

/* The name of code run without one, as tracebacks show it: the call that
 * ran it and its text, "<exec: x = 1 / 0>", or for longer code its first
 * line and a digest of the whole, "<exec: def mean(xs): … 5f3a9c1e>".
 * The same text gets the same name and two texts never share one, so the
 * source linecache keeps under a name is always the code's own. */
static char *
default_name (const char *code,
              int         start)
{
  const char *kind = start == Py_eval_input ? "eval" : "exec";
  const char *line = code;
  const char *end;
  g_autofree char *first = NULL;
  g_autofree char *digest = NULL;
  gboolean whole;

  while (*line == '\n' || *line == '\r' || *line == ' ' || *line == '\t')
    line++;
  if (*line == '\0')
    return g_strdup_printf ("<%s>", kind);
  end = strchr (line, '\n');
  first = g_utf8_make_valid (line, end != NULL ? end - line : -1);
  g_strstrip (first);
  whole = (end == NULL || end[strspn (end, " \t\r\n")] == '\0') &&
          g_utf8_strlen (first, -1) <= MAX_NAME_CHARS;
  if (whole)
    return g_strdup_printf ("<%s: %s>", kind, first);
  if (g_utf8_strlen (first, -1) > MAX_NAME_CHARS)
    {
      char *cut = g_utf8_substring (first, 0, MAX_NAME_CHARS);

      g_free (first);
      first = cut;
    }
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA1, code, -1);
  return g_strdup_printf ("<%s: %s … %.8s>", kind, first, digest);
}

static CodeJob *
code_job_new (const char *code,
              const char *filename,
              int         start)
{
  CodeJob *job = g_new0 (CodeJob, 1);

  job->code = start == Py_file_input ? dedent (code) : g_strstrip (g_strdup (code));
  job->start = start;
  job->unnamed = filename == NULL || *filename == '\0';
  job->filename = job->unnamed ? default_name (job->code, start) : g_strdup (filename);
  return job;
}

gpointer
_interp_code_new (const char *code,
                  const char *filename)
{
  return code_job_new (code, filename, Py_file_input);
}

void
_interp_code_free (gpointer code)
{
  CodeJob *job = code;

  g_free (job->code);
  g_free (job->filename);
  g_free (job);
}

gpointer
_interp_expression_new (const char *expression)
{
  return code_job_new (expression, NULL, Py_eval_input);
}

/* Consumes a floating @args/@kwargs even on early failure, as GDBus does. */
static void
sink_and_drop (GVariant *value)
{
  if (value != NULL)
    g_variant_unref (g_variant_ref_sink (value));
}

void
_interp_call_drop_args (GVariant *args,
                        GVariant *kwargs)
{
  sink_and_drop (args);
  sink_and_drop (kwargs);
}

/* ------------------------------------------------------------------ */
/* Calls prepared on the caller's thread, run elsewhere (face, pool)   */

InterpCall *
_interp_call_new (const char  *callable,
                  GVariant    *args,
                  GVariant    *kwargs,
                  GError     **error)
{
  InterpCall *job = call_parse (callable, args, kwargs, error);

  if (job == NULL)
    {
      sink_and_drop (args);
      sink_and_drop (kwargs);
    }
  return job;
}

void
_interp_call_free (InterpCall *job)
{
  /* module and path live in the job's own block. */
  g_clear_pointer (&job->args, g_variant_unref);
  g_clear_pointer (&job->kwargs, g_variant_unref);
  g_free (job);
}

gboolean
_interp_call_run (InterpExecutor  *executor,
                  gpointer         call,
                  GVariant       **result,
                  GError         **error)
{
  return run_call (executor, call, result, error);
}

/* The same call with other positional arguments (a tuple, or NULL). */
gboolean
_interp_call_run_with_args (InterpExecutor  *executor,
                            InterpCall      *call,
                            GVariant        *args,
                            GVariant       **result,
                            GError         **error)
{
  InterpCall with_args = *call;

  with_args.args = args;
  return run_call (executor, &with_args, result, error);
}
