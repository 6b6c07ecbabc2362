/* interp-values.c: GVariant <-> Python objects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-values-private.h"
#include "interp-error.h"

#include <string.h>

/* Conversions recurse over nested containers; this bounds the depth so that
 * a self-referencing list gives an error instead of a stack overflow. */
#define MAX_DEPTH 256

static PyObject *
to_python (GVariant  *value,
           guint      depth,
           GError   **error)
{
  const GVariantType *type = g_variant_get_type (value);

  if (depth > MAX_DEPTH)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "GVariant nested deeper than %d levels", MAX_DEPTH);
      return NULL;
    }

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      return PyBool_FromLong (g_variant_get_boolean (value));
    case G_VARIANT_CLASS_BYTE:
      return PyLong_FromLong (g_variant_get_byte (value));
    case G_VARIANT_CLASS_INT16:
      return PyLong_FromLong (g_variant_get_int16 (value));
    case G_VARIANT_CLASS_UINT16:
      return PyLong_FromLong (g_variant_get_uint16 (value));
    case G_VARIANT_CLASS_INT32:
      return PyLong_FromLong (g_variant_get_int32 (value));
    case G_VARIANT_CLASS_HANDLE:
      return PyLong_FromLong (g_variant_get_handle (value));
    case G_VARIANT_CLASS_UINT32:
      return PyLong_FromUnsignedLong (g_variant_get_uint32 (value));
    case G_VARIANT_CLASS_INT64:
      return PyLong_FromLongLong (g_variant_get_int64 (value));
    case G_VARIANT_CLASS_UINT64:
      return PyLong_FromUnsignedLongLong (g_variant_get_uint64 (value));
    case G_VARIANT_CLASS_DOUBLE:
      return PyFloat_FromDouble (g_variant_get_double (value));
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      {
        gsize len;
        const char *s = g_variant_get_string (value, &len);
        return PyUnicode_DecodeUTF8 (s, len, "strict");
      }
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (value);
        return to_python (inner, depth + 1, error);
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) inner = g_variant_get_maybe (value);
        if (inner == NULL)
          Py_RETURN_NONE;
        return to_python (inner, depth + 1, error);
      }
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
        {
          gsize len;
          gconstpointer data = g_variant_get_fixed_array (value, &len, 1);
          return PyBytes_FromStringAndSize (data, len);
        }
      else if (g_variant_type_is_dict_entry (g_variant_type_element (type)))
        {
          PyObject *dict = PyDict_New ();
          gsize n = g_variant_n_children (value);

          if (dict == NULL)
            return NULL;
          for (gsize i = 0; i < n; i++)
            {
              g_autoptr(GVariant) entry = g_variant_get_child_value (value, i);
              g_autoptr(GVariant) k = g_variant_get_child_value (entry, 0);
              g_autoptr(GVariant) v = g_variant_get_child_value (entry, 1);
              PyObject *pk = to_python (k, depth + 1, error);
              PyObject *pv = pk ? to_python (v, depth + 1, error) : NULL;
              int rc = (pk && pv) ? PyDict_SetItem (dict, pk, pv) : -1;

              Py_XDECREF (pk);
              Py_XDECREF (pv);
              if (rc < 0)
                {
                  Py_DECREF (dict);
                  return NULL;
                }
            }
          return dict;
        }
      else
        {
          gsize n = g_variant_n_children (value);
          PyObject *list = PyList_New (n);

          if (list == NULL)
            return NULL;
          for (gsize i = 0; i < n; i++)
            {
              g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
              PyObject *item = to_python (child, depth + 1, error);

              if (item == NULL)
                {
                  Py_DECREF (list);
                  return NULL;
                }
              PyList_SET_ITEM (list, i, item);
            }
          return list;
        }
    case G_VARIANT_CLASS_TUPLE:
      {
        gsize n = g_variant_n_children (value);
        PyObject *tuple = PyTuple_New (n);

        if (tuple == NULL)
          return NULL;
        for (gsize i = 0; i < n; i++)
          {
            g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
            PyObject *item = to_python (child, depth + 1, error);

            if (item == NULL)
              {
                Py_DECREF (tuple);
                return NULL;
              }
            PyTuple_SET_ITEM (tuple, i, item);
          }
        return tuple;
      }
    case G_VARIANT_CLASS_DICT_ENTRY:
      {
        g_autoptr(GVariant) k = g_variant_get_child_value (value, 0);
        g_autoptr(GVariant) v = g_variant_get_child_value (value, 1);
        PyObject *pk = to_python (k, depth + 1, error);
        PyObject *pv = pk ? to_python (v, depth + 1, error) : NULL;
        PyObject *pair;

        if (pv == NULL)
          {
            Py_XDECREF (pk);
            return NULL;
          }
        /* PyTuple_Pack takes references of its own. */
        pair = PyTuple_Pack (2, pk, pv);
        Py_DECREF (pk);
        Py_DECREF (pv);
        return pair;
      }
    default:
      break;
    }

  g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
               "GVariant type '%s' has no Python form", g_variant_get_type_string (value));
  return NULL;
}

/* Turns a pending Python exception (raised by a conversion helper) into a
 * GError when the helper did not set one itself. */
static void
take_python_error (GError     **error,
                   const char  *what)
{
  g_autofree char *why = _interp_python_take_error_text ();

  if (why == NULL)
    g_set_error (error, INTERP_ERROR, INTERP_ERROR_FAILED, "%s failed", what);
  else
    g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE, "%s: %s", what, why);
}

PyObject *
_interp_values_to_python (GVariant  *value,
                          GError   **error)
{
  GError *local_error = NULL;
  PyObject *result;

  g_return_val_if_fail (value != NULL, NULL);

  result = to_python (value, 0, &local_error);
  if (result == NULL)
    {
      if (local_error != NULL)
        {
          PyErr_Clear ();
          g_propagate_error (error, local_error);
        }
      else
        take_python_error (error, "converting GVariant to Python");
    }
  return result;
}

static const char *
type_name_of (PyObject *object)
{
  return Py_TYPE (object)->tp_name;
}

static GVariant *from_python (PyObject *object, gboolean exact, guint depth, GError **error);

static GVariant *
int_from_python (PyObject  *object,
                 GError   **error)
{
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow (object, &overflow);

  if (v == -1 && PyErr_Occurred ())
    return NULL;
  if (overflow == 0)
    return g_variant_new_int64 (v);
  if (overflow > 0)
    {
      unsigned long long u = PyLong_AsUnsignedLongLong (object);
      if (!(u == (unsigned long long) -1 && PyErr_Occurred ()))
        return g_variant_new_uint64 (u);
      PyErr_Clear ();
    }
  g_set_error (error, INTERP_ERROR, INTERP_ERROR_OUT_OF_RANGE,
               "int does not fit in 64 bits (GVariant 'x' or 't')");
  return NULL;
}

static GVariant *
dict_from_python (PyObject  *object,
                  gboolean   exact,
                  guint      depth,
                  GError   **error)
{
  GVariantBuilder builder;
  PyObject *key, *val;
  Py_ssize_t pos = 0;
  gboolean str_keys = TRUE;
  gboolean int_keys = TRUE;

  while (PyDict_Next (object, &pos, &key, &val))
    {
      str_keys = str_keys && PyUnicode_Check (key);
      int_keys = int_keys && PyLong_Check (key) && !PyBool_Check (key);
    }
  /* a{xv}: every key must fit in an int64 (the builder takes one type). */
  pos = 0;
  while (int_keys && PyDict_Next (object, &pos, &key, &val))
    {
      int overflow = 0;

      PyLong_AsLongLongAndOverflow (key, &overflow);
      if (overflow != 0)
        {
          g_set_error (error, INTERP_ERROR, INTERP_ERROR_OUT_OF_RANGE,
                       "dict key does not fit in 64 bits (GVariant a{xv})");
          return NULL;
        }
    }
  if (PyDict_GET_SIZE (object) == 0)
    int_keys = FALSE;
  if (!str_keys && !int_keys)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                   "dict has no GVariant form: its keys must be all str (a{sv}) or all int (a{xv})");
      return NULL;
    }

  g_variant_builder_init (&builder, str_keys ? G_VARIANT_TYPE ("a{sv}") : G_VARIANT_TYPE ("a{xv}"));
  pos = 0;
  while (PyDict_Next (object, &pos, &key, &val))
    {
      GVariant *k = from_python (key, exact, depth + 1, error);
      GVariant *v = k ? from_python (val, exact, depth + 1, error) : NULL;

      if (v == NULL)
        {
          if (k != NULL)
            g_variant_unref (g_variant_ref_sink (k));
          g_variant_builder_clear (&builder);
          return NULL;
        }
      g_variant_builder_add (&builder, "{@?v}", k, v);
    }
  return g_variant_builder_end (&builder);
}

/* The GVariant type a list gets: a typed array (ab, ax, ad, as) when every
 * item is a bool, every item an int within int64, every item a float or
 * every item a str; else (or when empty) NULL, for av. */
static const GVariantType *
list_array_type (PyObject *items)
{
  Py_ssize_t n = PySequence_Fast_GET_SIZE (items);
  const char *kind = NULL;

  for (Py_ssize_t i = 0; i < n; i++)
    {
      PyObject *item = PySequence_Fast_GET_ITEM (items, i);
      const char *this_kind;

      if (PyBool_Check (item))
        this_kind = "ab";
      else if (PyLong_Check (item))
        {
          int overflow = 0;

          if (PyLong_AsLongLongAndOverflow (item, &overflow) == -1 && PyErr_Occurred ())
            {
              PyErr_Clear ();
              return NULL;
            }
          if (overflow != 0)
            return NULL;
          this_kind = "ax";
        }
      else if (PyFloat_Check (item))
        this_kind = "ad";
      else if (PyUnicode_Check (item))
        this_kind = "as";
      else
        return NULL;

      if (kind == NULL)
        kind = this_kind;
      else if (kind != this_kind)
        return NULL;
    }
  return kind ? G_VARIANT_TYPE (kind) : NULL;
}

static GVariant *
sequence_from_python (PyObject  *object,
                      gboolean   as_tuple,
                      gboolean   exact,
                      guint      depth,
                      GError   **error)
{
  GVariantBuilder builder;
  Py_ssize_t n = PySequence_Fast_GET_SIZE (object);
  const GVariantType *array_type = as_tuple ? NULL : list_array_type (object);
  gboolean boxed = !as_tuple && array_type == NULL;

  if (as_tuple)
    g_variant_builder_init (&builder, G_VARIANT_TYPE_TUPLE);
  else
    g_variant_builder_init (&builder, array_type != NULL ? array_type : G_VARIANT_TYPE ("av"));

  for (Py_ssize_t i = 0; i < n; i++)
    {
      GVariant *child = from_python (PySequence_Fast_GET_ITEM (object, i), exact, depth + 1, error);

      if (child == NULL)
        {
          g_variant_builder_clear (&builder);
          return NULL;
        }
      if (boxed)
        g_variant_builder_add (&builder, "v", child);
      else
        g_variant_builder_add_value (&builder, child);
    }
  return g_variant_builder_end (&builder);
}

/* The types whose values a GVariant brings back as the same type. */
static gboolean
is_exact_type (PyObject *object)
{
  PyTypeObject *type = Py_TYPE (object);

  return object == Py_None || type == &PyBool_Type || type == &PyLong_Type ||
         type == &PyFloat_Type || type == &PyUnicode_Type || type == &PyBytes_Type ||
         type == &PyTuple_Type || type == &PyList_Type || type == &PyDict_Type;
}

static GVariant *
from_python (PyObject  *object,
             gboolean   exact,
             guint      depth,
             GError   **error)
{
  if (exact && !is_exact_type (object))
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                   "object of type '%s' would not come back as itself", type_name_of (object));
      return NULL;
    }
  if (depth > MAX_DEPTH)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                   "value nested deeper than %d levels (a recursive container?)", MAX_DEPTH);
      return NULL;
    }

  if (object == Py_None)
    return g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);
  if (PyBool_Check (object))
    return g_variant_new_boolean (object == Py_True);
  if (PyLong_Check (object))
    return int_from_python (object, error);
  if (PyFloat_Check (object))
    return g_variant_new_double (PyFloat_AS_DOUBLE (object));
  if (PyUnicode_Check (object))
    {
      Py_ssize_t len;
      const char *s = PyUnicode_AsUTF8AndSize (object, &len);

      if (s == NULL)
        return NULL;
      if ((Py_ssize_t) strlen (s) != len)
        {
          g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
                       "str with an embedded NUL has no GVariant 's' form");
          return NULL;
        }
      return g_variant_new_string (s);
    }
  if (PyBytes_Check (object))
    return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, PyBytes_AS_STRING (object),
                                      PyBytes_GET_SIZE (object), 1);
  if (PyByteArray_Check (object) || PyMemoryView_Check (object))
    {
      Py_buffer view;
      GVariant *v;

      if (PyObject_GetBuffer (object, &view, PyBUF_CONTIG_RO) < 0)
        return NULL;
      v = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, view.buf, view.len, 1);
      PyBuffer_Release (&view);
      return v;
    }
  if (PyTuple_Check (object))
    return sequence_from_python (object, TRUE, exact, depth, error);
  if (PyList_Check (object))
    {
      /* A list can change under us while its items convert (they may run
       * no Python code, but be safe): work on a snapshot. */
      PyObject *snapshot = PyList_AsTuple (object);
      GVariant *v;

      if (snapshot == NULL)
        return NULL;
      v = sequence_from_python (snapshot, FALSE, exact, depth, error);
      Py_DECREF (snapshot);
      return v;
    }
  if (PyDict_Check (object))
    return dict_from_python (object, exact, depth, error);

  g_set_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE,
               "object of type '%s' has no GVariant form", type_name_of (object));
  return NULL;
}

static GVariant *
convert_from_python (PyObject  *object,
                     gboolean   exact,
                     GError   **error)
{
  GError *local_error = NULL;
  GVariant *result;

  g_return_val_if_fail (object != NULL, NULL);

  result = from_python (object, exact, 0, &local_error);
  if (result == NULL)
    {
      if (local_error != NULL)
        {
          PyErr_Clear ();
          g_propagate_error (error, local_error);
        }
      else
        take_python_error (error, "converting Python to GVariant");
      return NULL;
    }
  return g_variant_ref_sink (result);
}

GVariant *
_interp_values_from_python (PyObject  *object,
                            GError   **error)
{
  return convert_from_python (object, FALSE, error);
}

GVariant *
_interp_values_from_python_exact (PyObject *object)
{
  return convert_from_python (object, TRUE, NULL);
}
