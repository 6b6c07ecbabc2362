/* interp-error.c: the InterpError domain and exception snapshots
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-error-private.h"

#include <stdio.h>
#include <string.h>

#define MARKER "\n\nUncaught in interpreter "

/**
 * SECTION:interp-error
 * @Title: Errors
 * @Short_description: the InterpError domain and Python exception snapshots
 *
 * Every failure of interp-glib is reported as a #GError. Errors that come
 * from interp-glib itself are in the %INTERP_ERROR domain; cancellation is
 * %G_IO_ERROR_CANCELLED.
 *
 * When Python code raises an exception that it does not catch, the call
 * fails with %INTERP_ERROR_EXECUTION_FAILED. The error message has this form,
 * which the library keeps stable:
 *
 * |[
 * ZeroDivisionError: division by zero
 *
 * Uncaught in interpreter 1 (type builtins:ZeroDivisionError; lengths 17,16):
 *
 * Traceback (most recent call last):
 *   File "<interp-glib>", line 1, in <module>
 * ZeroDivisionError: division by zero
 * ]|
 *
 * The first line is `TypeName: message`; the lengths are those of the type
 * name and the message, in bytes. interp_exception_info_from_error()
 * turns such an error into an #InterpExceptionInfo: exactly from the data
 * the error carries when it is the #GError the library made (C, GJS), or by
 * reading the message back when a binding rebuilt the error and kept only
 * its domain, code and message (PyGObject).
 *
 * `SystemExit` and `KeyboardInterrupt` raised by Python code are reported
 * like any other exception: the process never exits because of them.
 */

struct _InterpExceptionInfo
{
  gatomicrefcount ref_count;
  char *type_name;
  char *qualname;
  char *module;
  char *message;
  char *traceback;
};

G_DEFINE_BOXED_TYPE (InterpExceptionInfo, interp_exception_info,
                     interp_exception_info_ref, interp_exception_info_unref)

/* The error domain carries the snapshot as extended-error private data so
 * that C and GJS get it exactly; the quark string stays interp-error-quark. */
typedef struct
{
  InterpExceptionInfo *info;
} InterpErrorPrivate;

static void
interp_error_private_init (GError *error)
{
}

/* GLib places the private data right before the GError, its size rounded
 * up to twice the size of a gsize (as G_DEFINE_EXTENDED_ERROR computes it). */
static InterpErrorPrivate *
interp_error_get_private (const GError *error)
{
  const gsize align = 2 * sizeof (gsize);
  const gsize size = (sizeof (InterpErrorPrivate) + (align - 1)) & -align;

  return (InterpErrorPrivate *) (((guint8 *) error) - size);
}

static void
interp_error_private_copy (const GError *src_error,
                           GError       *dest_error)
{
  InterpErrorPrivate *src = interp_error_get_private (src_error);
  InterpErrorPrivate *dest = interp_error_get_private (dest_error);

  dest->info = src->info ? interp_exception_info_ref (src->info) : NULL;
}

static void
interp_error_private_clear (GError *error)
{
  InterpErrorPrivate *priv = interp_error_get_private (error);

  g_clear_pointer (&priv->info, interp_exception_info_unref);
}

/**
 * interp_error_quark:
 *
 * The quark of the %INTERP_ERROR domain; its string is `interp-error-quark`.
 *
 * Returns: the error domain quark
 */
GQuark
interp_error_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    {
      GQuark q = g_error_domain_register_static ("interp-error-quark",
                                                 sizeof (InterpErrorPrivate),
                                                 interp_error_private_init,
                                                 interp_error_private_copy,
                                                 interp_error_private_clear);
      g_once_init_leave (&quark, q);
    }

  return (GQuark) quark;
}

InterpExceptionInfo *
_interp_exception_info_new (const char *type_name,
                            const char *qualname,
                            const char *module,
                            const char *message,
                            const char *traceback)
{
  InterpExceptionInfo *info = g_new0 (InterpExceptionInfo, 1);

  g_atomic_ref_count_init (&info->ref_count);
  info->type_name = g_strdup (type_name ? type_name : "");
  info->qualname = g_strdup (qualname ? qualname : info->type_name);
  info->module = g_strdup (module ? module : "");
  info->message = g_strdup (message ? message : "");
  info->traceback = g_strdup (traceback ? traceback : "");

  return info;
}

void
_interp_error_set_execution_failed (GError              **error,
                                    gint64                interp_id,
                                    InterpExceptionInfo  *info)
{
  GError *new_error;

  if (error == NULL)
    return;

  new_error = g_error_new (INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED,
                           "%s: %s" MARKER "%" G_GINT64_FORMAT " (type %s:%s; lengths %" G_GSIZE_FORMAT
                           ",%" G_GSIZE_FORMAT "):\n\n%s",
                           info->type_name, info->message, interp_id,
                           info->module, info->qualname, strlen (info->type_name),
                           strlen (info->message), info->traceback);
  interp_error_get_private (new_error)->info = interp_exception_info_ref (info);
  g_propagate_error (error, new_error);
}

/* Reads back the message _interp_error_set_execution_failed() wrote, for
 * errors a binding rebuilt from domain, code and message alone. The marker
 * line gives the byte lengths of type name and message, so a message that
 * itself contains the marker text cannot mislead it. */
static InterpExceptionInfo *
exception_info_parse (const char *text)
{
  for (const char *marker = strstr (text, MARKER); marker != NULL;
       marker = strstr (marker + 1, MARKER))
    {
      const char *line = marker + strlen (MARKER);
      const char *line_end = strstr (line, "):\n\n");
      const char *type_open = strstr (line, " (type ");
      const char *lengths;
      const char *sep;
      g_autofree char *line_copy = NULL;
      g_autofree char *module = NULL;
      g_autofree char *qualname = NULL;
      g_autofree char *type_name = NULL;
      g_autofree char *message = NULL;
      gsize name_len, message_len;

      if (line_end == NULL || type_open == NULL || type_open > line_end)
        continue;
      line_copy = g_strndup (line, line_end - line);
      lengths = g_strrstr (line_copy, "; lengths ");
      if (lengths == NULL ||
          sscanf (lengths, "; lengths %" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT, &name_len, &message_len) != 2 ||
          name_len + 2 + message_len != (gsize) (marker - text) ||
          text[name_len] != ':' || text[name_len + 1] != ' ')
        continue;

      type_open = line_copy + (type_open - line) + strlen (" (type ");
      sep = strchr (type_open, ':');
      if (sep == NULL || sep > lengths)
        continue;
      module = g_strndup (type_open, sep - type_open);
      qualname = g_strndup (sep + 1, lengths - (sep + 1));
      type_name = g_strndup (text, name_len);
      message = g_strndup (text + name_len + 2, message_len);
      return _interp_exception_info_new (type_name, qualname, module, message,
                                         line_end + strlen ("):\n\n"));
    }
  return NULL;
}

/**
 * interp_exception_info_from_error:
 * @error: an error, usually %INTERP_ERROR_EXECUTION_FAILED
 *
 * Gets the snapshot of the Python exception behind @error.
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL when @error is
 *   not an %INTERP_ERROR_EXECUTION_FAILED error
 */
InterpExceptionInfo *
interp_exception_info_from_error (const GError *error)
{
  InterpErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  if (!g_error_matches (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED))
    return NULL;

  priv = interp_error_get_private (error);
  if (priv->info != NULL)
    return interp_exception_info_ref (priv->info);

  return exception_info_parse (error->message);
}

/**
 * interp_exception_info_ref:
 * @info: a snapshot
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @info
 */
InterpExceptionInfo *
interp_exception_info_ref (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  g_atomic_ref_count_inc (&info->ref_count);
  return info;
}

/**
 * interp_exception_info_unref:
 * @info: (transfer full): a snapshot
 *
 * Drops a reference; the last one frees the snapshot.
 */
void
interp_exception_info_unref (InterpExceptionInfo *info)
{
  g_return_if_fail (info != NULL);

  if (g_atomic_ref_count_dec (&info->ref_count))
    {
      g_free (info->type_name);
      g_free (info->qualname);
      g_free (info->module);
      g_free (info->message);
      g_free (info->traceback);
      g_free (info);
    }
}

/**
 * interp_exception_info_get_type_name:
 * @info: a snapshot
 *
 * The exception type's `__name__`, e.g. `ZeroDivisionError`.
 *
 * Returns: the type name
 */
const char *
interp_exception_info_get_type_name (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->type_name;
}

/**
 * interp_exception_info_get_qualname:
 * @info: a snapshot
 *
 * The exception type's `__qualname__`, e.g. `Outer.Error`.
 *
 * Returns: the qualified name
 */
const char *
interp_exception_info_get_qualname (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->qualname;
}

/**
 * interp_exception_info_get_module:
 * @info: a snapshot
 *
 * The exception type's `__module__`, e.g. `builtins` or `__main__`.
 *
 * Returns: the module name
 */
const char *
interp_exception_info_get_module (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->module;
}

/**
 * interp_exception_info_get_message:
 * @info: a snapshot
 *
 * `str(exc)` of the exception, e.g. `division by zero`.
 *
 * Returns: the message
 */
const char *
interp_exception_info_get_message (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->message;
}

/**
 * interp_exception_info_get_traceback:
 * @info: a snapshot
 *
 * The exception formatted as Python's `traceback.format_exception()` does,
 * traceback included.
 *
 * Returns: the formatted exception
 */
const char *
interp_exception_info_get_traceback (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->traceback;
}
