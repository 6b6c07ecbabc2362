/* interp-output.c: sending an interpreter's sys.stdout/stderr to the
 * application
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small text stream class, made in each interpreter that captures,
 * replaces sys.stdout and sys.stderr. It splits what Python writes into
 * lines and hands each to the sink through a C function; the sink queues
 * them as completions (interp-completion.c) that emit
 * InterpInterpreter::output in the creator's main context, in order.
 */

#include "interp-output-private.h"
#include "interp-completion-private.h"
#include "interp-enum-types.h"
#include "interp-error.h"

/* A line on its way to the signal: one completion each, so that lines
 * keep their order and a burst of them costs one source. */
typedef struct
{
  InterpOutputSink *sink;
  InterpStream stream;
  char *text;
} Line;

InterpOutputSink *
_interp_output_sink_new (InterpInterpreter *interp,
                         GMainContext      *context)
{
  return _interp_notifier_new (G_OBJECT (interp), context, G_PRIORITY_DEFAULT_IDLE, 0, NULL);
}

void
_interp_output_sink_unref (InterpOutputSink *sink)
{
  _interp_notifier_unref (sink);
}

static void
line_free (gpointer data)
{
  Line *line = data;

  _interp_output_sink_unref (line->sink);
  g_free (line->text);
  g_free (line);
}

static void
emit_line (gpointer data)
{
  Line *line = data;
  g_autoptr(InterpInterpreter) interp = _interp_notifier_dup_object (line->sink);

  if (interp != NULL)
    g_signal_emit_by_name (interp, "output", line->stream, line->text);
}

static void
sink_push (InterpOutputSink *sink,
           InterpStream      stream,
           const char       *text)
{
  Line *line = g_new0 (Line, 1);

  line->sink = _interp_notifier_ref (sink);
  line->stream = stream;
  line->text = g_strdup (text);
  _interp_notifier_push (sink, emit_line, line, line_free);
}

/* ------------------------------------------------------------------ */
/* The Python side                                                     */

#define CAPSULE_NAME "interp_glib.output_sink"

static void
capsule_destroy (PyObject *capsule)
{
  InterpOutputSink *sink = PyCapsule_GetPointer (capsule, CAPSULE_NAME);

  if (sink != NULL)
    _interp_output_sink_unref (sink);
}

/* emit(stream: int, text: str) */
static PyObject *
output_emit (PyObject *self,
             PyObject *args)
{
  InterpOutputSink *sink = PyCapsule_GetPointer (self, CAPSULE_NAME);
  int stream;
  const char *text;

  if (sink == NULL || !PyArg_ParseTuple (args, "is:emit", &stream, &text))
    return NULL;
  sink_push (sink, stream == 2 ? INTERP_STREAM_STDERR : INTERP_STREAM_STDOUT, text);
  Py_RETURN_NONE;
}

static PyMethodDef emit_def = {
  "emit", output_emit, METH_VARARGS, "Sends one line to the application.",
};

/* The writer class is python/_output.py, compiled in as a resource. */
#define WRITER_RESOURCE "/org/interp-glib/python/_output.py"

static PyObject *
run_writer_source (PyObject *globals)
{
  g_autoptr(GBytes) source = g_resources_lookup_data (WRITER_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree char *text = NULL;
  PyObject *code;
  PyObject *result;

  if (source == NULL)
    {
      PyErr_SetString (PyExc_ImportError, "the library lacks its resource " WRITER_RESOURCE);
      return NULL;
    }
  text = g_strndup (g_bytes_get_data (source, NULL), g_bytes_get_size (source));
  code = Py_CompileString (text, "resource://" WRITER_RESOURCE, Py_file_input);
  if (code == NULL)
    return NULL;
  result = PyEval_EvalCode (code, globals, globals);
  Py_DECREF (code);
  return result;
}

static gboolean
fail_from_python (GError **error)
{
  g_autofree char *why = _interp_python_take_error_text ();

  g_set_error (error, INTERP_ERROR, INTERP_ERROR_FAILED,
               "Could not redirect the interpreter's output: %s", why ? why : "unknown error");
  return FALSE;
}

static PyObject *
make_writer (PyObject   *cls,
             PyObject   *emit,
             int         fileno,
             const char *name)
{
  PyObject *original = PySys_GetObject (name);  /* borrowed */

  /* Keep the stream that was there, unless it is one of ours already. */
  if (original != NULL && PyObject_HasAttrString (original, "_emit"))
    original = PyObject_GetAttrString (original, "original");
  else
    Py_XINCREF (original);
  if (original == NULL)
    {
      PyErr_Clear ();
      original = Py_NewRef (Py_None);
    }
  {
    PyObject *writer = PyObject_CallFunction (cls, "OiO", emit, fileno, original);
    Py_DECREF (original);
    return writer;
  }
}

static gboolean
restore (const char *name)
{
  PyObject *current = PySys_GetObject (name);  /* borrowed */
  PyObject *original;
  int rc;

  if (current == NULL || !PyObject_HasAttrString (current, "_emit"))
    return TRUE;
  _interp_output_flush ();
  original = PyObject_GetAttrString (current, "original");
  if (original == NULL)
    return FALSE;
  rc = PySys_SetObject (name, original);
  Py_DECREF (original);
  return rc == 0;
}

gboolean
_interp_output_install (InterpOutputSink  *sink,
                        GError           **error)
{
  PyObject *globals = NULL;
  PyObject *result = NULL;
  PyObject *cls;
  PyObject *capsule = NULL;
  PyObject *emit = NULL;
  PyObject *out = NULL;
  PyObject *err = NULL;
  gboolean ok = FALSE;

  if (sink == NULL)
    {
      if (!restore ("stdout") || !restore ("stderr"))
        return fail_from_python (error);
      return TRUE;
    }

  globals = PyDict_New ();
  if (globals == NULL || PyDict_SetItemString (globals, "__builtins__", PyEval_GetBuiltins ()) < 0)
    goto out;
  result = run_writer_source (globals);
  if (result == NULL)
    goto out;
  cls = PyDict_GetItemString (globals, "_InterpGlibOutput");  /* borrowed */
  capsule = PyCapsule_New (g_atomic_rc_box_acquire (sink), CAPSULE_NAME, capsule_destroy);
  if (capsule == NULL)
    {
      _interp_output_sink_unref (sink);
      goto out;
    }
  emit = PyCFunction_New (&emit_def, capsule);
  if (cls == NULL || emit == NULL)
    goto out;
  out = make_writer (cls, emit, 1, "stdout");
  err = out ? make_writer (cls, emit, 2, "stderr") : NULL;
  if (err == NULL)
    goto out;
  if (!restore ("stdout") || !restore ("stderr"))
    goto out;
  ok = PySys_SetObject ("stdout", out) == 0 && PySys_SetObject ("stderr", err) == 0;

out:
  Py_XDECREF (err);
  Py_XDECREF (out);
  Py_XDECREF (emit);
  Py_XDECREF (capsule);
  Py_XDECREF (result);
  Py_XDECREF (globals);
  if (!ok)
    return fail_from_python (error);
  return TRUE;
}

static void
flush_stream (const char *name)
{
  PyObject *stream = PySys_GetObject (name);  /* borrowed */

  if (stream != NULL && PyObject_HasAttrString (stream, "_emit"))
    {
      PyObject *res = PyObject_CallMethod (stream, "flush", NULL);
      Py_XDECREF (res);
    }
  PyErr_Clear ();
}

void
_interp_output_flush (void)
{
  PyObject *exc = _interp_python_take_exception ();

  flush_stream ("stdout");
  flush_stream ("stderr");
  if (exc != NULL)
    {
#if PY_VERSION_HEX >= 0x030C0000
      PyErr_SetRaisedException (exc);
#else
      PyErr_Restore (Py_NewRef ((PyObject *) Py_TYPE (exc)), exc, PyException_GetTraceback (exc));
#endif
    }
}
