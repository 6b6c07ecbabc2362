/* interp-carrier.c: values on their way between interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A carrier holds a value in C memory only, so it can sit in a queue and
 * be read by any thread. Python -> Python keeps the types CPython shares
 * exactly (None, bool, int of any size, float, str, bytes, tuples of
 * these, queues and channel ends, buffers without copying); plain lists
 * and dicts travel as GVariant, which C readers can take as they are;
 * anything else is pickled. A C writer's GVariant reaches Python through
 * the mapping of interp-values.c.
 */

#include "interp-carrier-private.h"
#include "interp-error.h"
#include "interp-executor-private.h"
#include "interp-spare-private.h"
#include "interp-values-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum
{
  CARRIER_NONE,
  CARRIER_BOOL,
  CARRIER_INT,
  CARRIER_BIGINT,     /* text: hexadecimal, as int(text, 0) reads it */
  CARRIER_FLOAT,
  CARRIER_STR,        /* text: UTF-8, lone surrogates kept (surrogatepass) */
  CARRIER_BYTES,
  CARRIER_TUPLE,
  CARRIER_VARIANT,
  CARRIER_END,        /* a queue or a channel end */
  CARRIER_BUFFER,
  CARRIER_PICKLE,     /* text: the pickle; type_name: for errors */
} CarrierKind;

struct _InterpCarrier
{
  CarrierKind kind;
  union {
    gboolean boolean;
    gint64 integer;
    double number;
    struct {
      char *data;
      gsize len;
    } text;
    struct {
      InterpCarrier **items;
      gsize n;
    } tuple;
    GVariant *variant;
    struct {
      InterpQueueState *state;
      InterpEndKind kind;
      void (*unref) (InterpQueueState *state);
    } end;
    InterpBufferShare *buffer;
  };
  char *type_name;
  GArray *keep_alive;     /* pickle: KeepAlive, what is pickled by ID inside */
};

typedef struct
{
  gpointer data;
  GDestroyNotify destroy;
} KeepAlive;

/* The pickle carrier being built on this thread: Queue.__reduce__() adds
 * the queue to it, so that a queue inside a pickled container lives as
 * long as the item that refers to it by ID. */
static GPrivate pickling_carrier;

static void
keep_alive_clear (gpointer item)
{
  KeepAlive *keep = item;

  keep->destroy (keep->data);
}

void
_interp_carrier_keep_alive (gpointer       data,
                            GDestroyNotify destroy)
{
  InterpCarrier *carrier = g_private_get (&pickling_carrier);
  KeepAlive keep = { data, destroy };

  if (carrier == NULL)
    {
      destroy (data);
      return;
    }
  if (carrier->keep_alive == NULL)
    {
      carrier->keep_alive = g_array_new (FALSE, FALSE, sizeof (KeepAlive));
      g_array_set_clear_func (carrier->keep_alive, keep_alive_clear);
    }
  g_array_append_val (carrier->keep_alive, keep);
}

/* ------------------------------------------------------------------ */
/* Buffers shared without copying                                      */

/* In a g_atomic_rc_box. */
struct _InterpBufferShare
{
  InterpExecutor *owner;   /* the interpreter the memory belongs to */
  Py_buffer *view;         /* released on the owner's thread */
  Py_ssize_t shape;
  Py_ssize_t stride;
  char format[32];
};

static InterpBufferShare *
buffer_share_new (PyObject  *object,
                  GError   **error)
{
  Py_buffer *view = g_new0 (Py_buffer, 1);
  InterpBufferShare *share;
  InterpExecutor *owner;
  const char *format;

  if (PyObject_GetBuffer (object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0)
    {
      PyErr_Clear ();
      if (PyObject_GetBuffer (object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        {
          PyErr_Clear ();
          g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                       "a buffer of type '%s' must be C-contiguous to be shared",
                       Py_TYPE (object)->tp_name);
          g_free (view);
          return NULL;
        }
    }

  owner = _interp_executor_dup_for_id (PyInterpreterState_GetID (PyInterpreterState_Get ()));
  format = view->format ? view->format : "B";
  if (owner == NULL || strlen (format) >= sizeof share->format || view->itemsize <= 0)
    {
      PyBuffer_Release (view);
      g_free (view);
      g_clear_pointer (&owner, _interp_executor_unref);
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                   "this buffer of type '%s' cannot be shared", Py_TYPE (object)->tp_name);
      return NULL;
    }

  share = g_atomic_rc_box_new0 (InterpBufferShare);
  share->owner = owner;
  share->view = view;
  share->stride = view->itemsize;
  share->shape = view->len / view->itemsize;
  g_strlcpy (share->format, format, sizeof share->format);
  _interp_executor_add_export (owner);
  return share;
}

/* The exporter lives in the owner interpreter: released there. */
static void
buffer_share_clear (InterpBufferShare *share)
{
  _interp_executor_release_buffer (share->owner, share->view);
  _interp_executor_unref (share->owner);
}

void
_interp_buffer_share_unref (InterpBufferShare *share)
{
  g_atomic_rc_box_release_full (share, (GDestroyNotify) buffer_share_clear);
}

gboolean
_interp_buffer_share_fill (InterpBufferShare *share,
                           PyObject          *exporter,
                           Py_buffer         *view,
                           int                flags)
{
  if ((flags & PyBUF_WRITABLE) == PyBUF_WRITABLE && share->view->readonly)
    {
      PyErr_SetString (PyExc_BufferError, "the shared buffer is read-only");
      return FALSE;
    }

  view->obj = Py_NewRef (exporter);
  view->buf = share->view->buf;
  view->len = share->view->len;
  view->readonly = share->view->readonly;
  view->itemsize = share->view->itemsize;
  view->format = (flags & PyBUF_FORMAT) ? share->format : NULL;
  view->ndim = 1;
  view->shape = (flags & PyBUF_ND) == PyBUF_ND ? &share->shape : NULL;
  view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? &share->stride : NULL;
  view->suboffsets = NULL;
  view->internal = NULL;
  return TRUE;
}

/* ------------------------------------------------------------------ */

/* Made by a queue's producer and freed by its consumer, mostly: kept for
 * reuse (interp-spare-private.h). */
static InterpSpares carrier_spares = INTERP_SPARES_INIT (InterpCarrier, 256);

static InterpCarrier *
carrier_new (CarrierKind kind)
{
  InterpCarrier *carrier = _interp_spares_take (&carrier_spares);

  carrier->kind = kind;
  return carrier;
}

void
_interp_carrier_free (InterpCarrier *carrier)
{
  if (carrier == NULL)
    return;

  switch (carrier->kind)
    {
    case CARRIER_BIGINT:
    case CARRIER_STR:
    case CARRIER_BYTES:
    case CARRIER_PICKLE:
      g_free (carrier->text.data);
      break;
    case CARRIER_TUPLE:
      for (gsize i = 0; i < carrier->tuple.n; i++)
        _interp_carrier_free (carrier->tuple.items[i]);
      g_free (carrier->tuple.items);
      break;
    case CARRIER_VARIANT:
      g_variant_unref (carrier->variant);
      break;
    case CARRIER_END:
      carrier->end.unref (carrier->end.state);
      break;
    case CARRIER_BUFFER:
      _interp_buffer_share_unref (carrier->buffer);
      break;
    case CARRIER_NONE:
    case CARRIER_BOOL:
    case CARRIER_INT:
    case CARRIER_FLOAT:
    default:
      break;
    }
  g_clear_pointer (&carrier->keep_alive, g_array_unref);
  g_free (carrier->type_name);
  _interp_spares_give (&carrier_spares, carrier);
}

static void
set_text (InterpCarrier *carrier,
          const char    *data,
          gsize          len)
{
  carrier->text.data = g_malloc (len + 1);
  memcpy (carrier->text.data, data, len);
  carrier->text.data[len] = '\0';
  carrier->text.len = len;
}

/* What @ctx pickles with (borrowed): the package's, or pickle itself,
 * imported at the first use so that a fresh interpreter stays lean. NULL
 * with an exception set. */
static PyObject *
context_pickle (InterpCarrierContext *ctx)
{
  if (ctx->pickle == NULL)
    ctx->pickle = PyImport_ImportModule ("pickle");
  return ctx->pickle;
}

static InterpCarrier *
from_python (PyObject           *object,
             InterpCarrierContext *ctx,
             guint               depth,
             GError            **error)
{
  InterpCarrier *carrier;
  PyTypeObject *type = Py_TYPE (object);
  InterpEndKind end_kind;
  InterpQueueState *state;

  if (depth > 64)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                           "tuple nested too deeply to be shared");
      return NULL;
    }

  if (object == Py_None)
    return carrier_new (CARRIER_NONE);
  if (type == &PyBool_Type)
    {
      carrier = carrier_new (CARRIER_BOOL);
      carrier->boolean = object == Py_True;
      return carrier;
    }
  if (type == &PyLong_Type)
    {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow (object, &overflow);

      if (overflow == 0)
        {
          carrier = carrier_new (CARRIER_INT);
          carrier->integer = v;
          return carrier;
        }
      else
        {
          PyObject *hex = PyNumber_ToBase (object, 16);
          const char *s = hex ? PyUnicode_AsUTF8 (hex) : NULL;

          if (s == NULL)
            {
              Py_XDECREF (hex);
              goto pickle_it;
            }
          carrier = carrier_new (CARRIER_BIGINT);
          set_text (carrier, s, strlen (s));
          Py_DECREF (hex);
          return carrier;
        }
    }
  if (type == &PyFloat_Type)
    {
      carrier = carrier_new (CARRIER_FLOAT);
      carrier->number = PyFloat_AS_DOUBLE (object);
      return carrier;
    }
  if (type == &PyUnicode_Type)
    {
      PyObject *utf8 = PyUnicode_AsEncodedString (object, "utf-8", "surrogatepass");

      if (utf8 == NULL)
        goto pickle_it;
      carrier = carrier_new (CARRIER_STR);
      set_text (carrier, PyBytes_AS_STRING (utf8), PyBytes_GET_SIZE (utf8));
      Py_DECREF (utf8);
      return carrier;
    }
  if (type == &PyBytes_Type)
    {
      carrier = carrier_new (CARRIER_BYTES);
      set_text (carrier, PyBytes_AS_STRING (object), PyBytes_GET_SIZE (object));
      return carrier;
    }
  if (type == &PyTuple_Type)
    {
      gsize n = PyTuple_GET_SIZE (object);

      carrier = carrier_new (CARRIER_TUPLE);
      carrier->tuple.items = g_new0 (InterpCarrier *, MAX (n, 1));
      for (gsize i = 0; i < n; i++)
        {
          carrier->tuple.items[i] = from_python (PyTuple_GET_ITEM (object, i), ctx, depth + 1, error);
          if (carrier->tuple.items[i] == NULL)
            {
              _interp_carrier_free (carrier);
              return NULL;
            }
          carrier->tuple.n = i + 1;
        }
      return carrier;
    }
  if (ctx != NULL && (state = ctx->get_end (ctx, object, &end_kind)) != NULL)
    {
      carrier = carrier_new (CARRIER_END);
      carrier->end.state = ctx->end_ref (state);
      carrier->end.kind = end_kind;
      carrier->end.unref = ctx->end_unref;
      return carrier;
    }
  if (PyMemoryView_Check (object))
    {
      InterpBufferShare *share = buffer_share_new (object, error);

      if (share == NULL)
        return NULL;
      carrier = carrier_new (CARRIER_BUFFER);
      carrier->buffer = share;
      return carrier;
    }
  /* Plain data travels as a GVariant, which C readers take as it is. */
  if (type == &PyList_Type || type == &PyDict_Type)
    {
      GVariant *variant = _interp_values_from_python_exact (object);

      if (variant != NULL)
        {
          carrier = carrier_new (CARRIER_VARIANT);
          carrier->variant = variant;
          return carrier;
        }
    }

pickle_it:
  PyErr_Clear ();
  {
    PyObject *pickler = ctx ? context_pickle (ctx) : NULL;
    InterpCarrier *outer = g_private_get (&pickling_carrier);
    PyObject *pickled;

    carrier = carrier_new (CARRIER_PICKLE);
    g_private_set (&pickling_carrier, carrier);
    pickled = pickler ? PyObject_CallMethod (pickler, "dumps", "Oi", object, 5) : NULL;
    g_private_set (&pickling_carrier, outer);

    if (pickled == NULL || !PyBytes_Check (pickled))
      {
        g_autofree char *why = _interp_python_take_error_text ();

        g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                     "object of type '%s' cannot be shared between interpreters%s%s",
                     type->tp_name, why ? ": " : "", why ? why : "");
        Py_XDECREF (pickled);
        _interp_carrier_free (carrier);
        return NULL;
      }
    set_text (carrier, PyBytes_AS_STRING (pickled), PyBytes_GET_SIZE (pickled));
    carrier->type_name = g_strdup (type->tp_name);
    Py_DECREF (pickled);
    return carrier;
  }
}

InterpCarrier *
_interp_carrier_from_python (PyObject           *object,
                             InterpCarrierContext *ctx,
                             GError            **error)
{
  return from_python (object, ctx, 0, error);
}

PyObject *
_interp_carrier_to_python (InterpCarrier     *carrier,
                           InterpCarrierContext *ctx)
{
  switch (carrier->kind)
    {
    case CARRIER_NONE:
      Py_RETURN_NONE;
    case CARRIER_BOOL:
      return PyBool_FromLong (carrier->boolean);
    case CARRIER_INT:
      return PyLong_FromLongLong (carrier->integer);
    case CARRIER_BIGINT:
      return PyLong_FromString (carrier->text.data, NULL, 0);
    case CARRIER_FLOAT:
      return PyFloat_FromDouble (carrier->number);
    case CARRIER_STR:
      return PyUnicode_DecodeUTF8 (carrier->text.data, carrier->text.len, "surrogatepass");
    case CARRIER_BYTES:
      return PyBytes_FromStringAndSize (carrier->text.data, carrier->text.len);
    case CARRIER_TUPLE:
      {
        PyObject *tuple = PyTuple_New (carrier->tuple.n);

        for (gsize i = 0; tuple != NULL && i < carrier->tuple.n; i++)
          {
            PyObject *item = _interp_carrier_to_python (carrier->tuple.items[i], ctx);
            if (item == NULL)
              Py_CLEAR (tuple);
            else
              PyTuple_SET_ITEM (tuple, i, item);
          }
        return tuple;
      }
    case CARRIER_VARIANT:
      {
        GError *error = NULL;
        PyObject *value = _interp_values_to_python (carrier->variant, &error);

        if (value == NULL)
          {
            PyErr_SetString (ctx && ctx->not_shareable ? ctx->not_shareable : PyExc_TypeError,
                             error ? error->message : "conversion failed");
            g_clear_error (&error);
          }
        return value;
      }
    case CARRIER_END:
      if (ctx == NULL)
        break;
      return ctx->wrap_end (ctx, carrier->end.state, carrier->end.kind);
    case CARRIER_BUFFER:
      {
        PyObject *exporter;
        PyObject *view;

        if (ctx == NULL)
          break;
        exporter = ctx->new_shared_buffer (ctx, carrier->buffer);
        if (exporter == NULL)
          return NULL;
        view = PyMemoryView_FromObject (exporter);
        Py_DECREF (exporter);
        return view;
      }
    case CARRIER_PICKLE:
      {
        PyObject *pickler;
        PyObject *data;
        PyObject *value;

        if (ctx == NULL)
          break;
        if ((pickler = context_pickle (ctx)) == NULL)
          return NULL;
        data = PyBytes_FromStringAndSize (carrier->text.data, carrier->text.len);
        value = data ? PyObject_CallMethod (pickler, "loads", "O", data) : NULL;
        Py_XDECREF (data);
        return value;
      }
    default:
      break;
    }

  PyErr_SetString (PyExc_TypeError, "this value cannot be received here");
  return NULL;
}

InterpCarrier *
_interp_carrier_from_variant (GVariant *value)
{
  InterpCarrier *carrier = carrier_new (CARRIER_VARIANT);

  carrier->variant = g_variant_ref_sink (value);
  return carrier;
}

GVariant *
_interp_carrier_to_variant (InterpCarrier  *carrier,
                            GError        **error)
{
  switch (carrier->kind)
    {
    case CARRIER_NONE:
      return g_variant_ref_sink (g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
    case CARRIER_BOOL:
      return g_variant_ref_sink (g_variant_new_boolean (carrier->boolean));
    case CARRIER_INT:
      return g_variant_ref_sink (g_variant_new_int64 (carrier->integer));
    case CARRIER_BIGINT:
      {
        /* Beyond int64: only what fits in uint64 has a GVariant form. */
        const char *hex = carrier->text.data;
        char *end = NULL;
        guint64 v;

        if (hex[0] != '-')
          {
            errno = 0;
            v = g_ascii_strtoull (hex, &end, 0);
            if (errno == 0 && end != NULL && *end == '\0')
              return g_variant_ref_sink (g_variant_new_uint64 (v));
          }
        g_set_error (error, INTERP_ERROR, INTERP_ERROR_OUT_OF_RANGE,
                     "int does not fit in 64 bits (GVariant 'x' or 't')");
        return NULL;
      }
    case CARRIER_FLOAT:
      return g_variant_ref_sink (g_variant_new_double (carrier->number));
    case CARRIER_STR:
      if (!g_utf8_validate_len (carrier->text.data, carrier->text.len, NULL) ||
          strlen (carrier->text.data) != carrier->text.len)
        {
          g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                               "str with lone surrogates or NUL has no GVariant 's' form");
          return NULL;
        }
      return g_variant_ref_sink (g_variant_new_string (carrier->text.data));
    case CARRIER_BYTES:
      return g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, carrier->text.data,
                                                            carrier->text.len, 1));
    case CARRIER_TUPLE:
      {
        GVariant **children = g_new0 (GVariant *, MAX (carrier->tuple.n, 1));
        GVariant *tuple;

        for (gsize i = 0; i < carrier->tuple.n; i++)
          {
            children[i] = _interp_carrier_to_variant (carrier->tuple.items[i], error);
            if (children[i] == NULL)
              {
                for (gsize j = 0; j < i; j++)
                  g_variant_unref (children[j]);
                g_free (children);
                return NULL;
              }
          }
        tuple = g_variant_ref_sink (g_variant_new_tuple (children, carrier->tuple.n));
        for (gsize i = 0; i < carrier->tuple.n; i++)
          g_variant_unref (children[i]);
        g_free (children);
        return tuple;
      }
    case CARRIER_VARIANT:
      return g_variant_ref (carrier->variant);
    case CARRIER_BUFFER:
      return g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, carrier->buffer->view->buf,
                                                            carrier->buffer->view->len, 1));
    case CARRIER_END:
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                   "a %s has no GVariant form: get it from Python code",
                   carrier->end.kind == INTERP_END_QUEUE ? "queue" : "channel end");
      return NULL;
    case CARRIER_PICKLE:
    default:
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                   "object of type '%s' was pickled and has no GVariant form: get it from Python code",
                   carrier->type_name ? carrier->type_name : "?");
      return NULL;
    }
}

gboolean
_interp_carrier_is_shareable (PyObject          *object,
                              InterpCarrierContext *ctx)
{
  PyTypeObject *type = Py_TYPE (object);
  InterpEndKind kind;

  if (object == Py_None || type == &PyBool_Type || type == &PyLong_Type ||
      type == &PyFloat_Type || type == &PyUnicode_Type || type == &PyBytes_Type ||
      PyMemoryView_Check (object))
    return TRUE;
  if (type == &PyTuple_Type)
    {
      for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE (object); i++)
        if (!_interp_carrier_is_shareable (PyTuple_GET_ITEM (object, i), ctx))
          return FALSE;
      return TRUE;
    }
  return ctx != NULL && ctx->get_end (ctx, object, &kind) != NULL;
}
