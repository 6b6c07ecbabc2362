/* interp-error.c: the InterpError domain and exception snapshots
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-error-private.h"

#include <gio/gio.h>
#include <string.h>

/**
 * SECTION:interp-error
 * @Title: Errors
 * @Short_description: the InterpError domain and Python exception snapshots
 *
 * Every failure of interp-glib is reported as a #GError whose message is
 * one readable line. Errors that come from interp-glib itself are in the
 * %INTERP_ERROR domain; cancellation is %G_IO_ERROR_CANCELLED.
 *
 * When Python code raises an exception that it does not catch, the call
 * fails with %INTERP_ERROR_EXECUTION_FAILED and the message is the last
 * line Python itself would print, `TypeName: message`:
 *
 * |[
 * ZeroDivisionError: division by zero
 * ]|
 *
 * Only the type's `__name__` is used, and only the first non-blank line of
 * `str(exc)`, followed by ` …` when the exception's message has more lines.
 * An exception with an empty message gives the type name alone, as in
 * `KeyboardInterrupt`. There is no location line: where the exception
 * happened is in the traceback.
 *
 * The traceback and the rest of the exception travel beside the message,
 * never inside it, as an #InterpExceptionInfo kept in the error itself
 * (GLib's extended error data): interp_exception_info_from_error() gives
 * it in C and in GJS, whose `GLib.Error` is the #GError the library made,
 * copies included:
 *
 * |[<!-- language="C" -->
 * if (!interp_interpreter_exec (interp, "1 / 0", NULL, &error))
 *   {
 *     g_autoptr(InterpExceptionInfo) info = interp_exception_info_from_error (error);
 *
 *     g_printerr ("%s\n", error->message);  // ZeroDivisionError: division by zero
 *     if (info != NULL)
 *       g_printerr ("%s", interp_exception_info_get_traceback (info));
 *   }
 * ]|
 *
 * PyGObject turns a #GError into a `GLib.Error` holding only its domain,
 * code and message, and frees the #GError: the library's `gi.overrides`
 * module for PyGObject gets the snapshot back with
 * interp_exception_info_steal_last() and raises `Interp.ExecutionFailed`,
 * whose attributes hold it.
 *
 * Tracebacks quote the code: the library registers the source it runs in
 * the interpreter's `linecache` under the name the caller gave
 * (interp_interpreter_exec_full()), or under `<interp-glib-N>`.
 *
 * `SystemExit` and `KeyboardInterrupt` raised by Python code are reported
 * like any other exception: the process never exits because of them.
 */

/* In a g_atomic_rc_box. */
struct _InterpExceptionInfo
{
  char *type_name;
  char *qualname;
  char *module;
  char *message;
  char *traceback;
  gint64 interpreter_id;
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

/* The snapshot of the last EXECUTION_FAILED error freed on each thread,
 * for interp_exception_info_steal_last(). */
static GPrivate last_freed = G_PRIVATE_INIT ((GDestroyNotify) interp_exception_info_unref);

static void
interp_error_private_clear (GError *error)
{
  InterpErrorPrivate *priv = interp_error_get_private (error);

  if (priv->info != NULL)
    g_private_replace (&last_freed, g_steal_pointer (&priv->info));
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
_interp_exception_info_new (gint64      interpreter_id,
                            const char *type_name,
                            const char *qualname,
                            const char *module,
                            const char *message,
                            const char *traceback)
{
  InterpExceptionInfo *info = g_atomic_rc_box_new0 (InterpExceptionInfo);

  info->interpreter_id = interpreter_id;
  info->type_name = g_strdup (type_name ? type_name : "");
  info->qualname = g_strdup (qualname ? qualname : info->type_name);
  info->module = g_strdup (module ? module : "");
  info->message = g_strdup (message ? message : "");
  info->traceback = g_strdup (traceback ? traceback : "");

  return info;
}

/* `TypeName: first line of the message`, ` …` when more lines follow;
 * the type name alone for an empty message. */
char *
_interp_exception_info_summary (InterpExceptionInfo *info)
{
  const char *message = info->message + strspn (info->message, " \t\r\n");
  const char *newline = strchr (message, '\n');
  gsize len = newline ? (gsize) (newline - message) : strlen (message);
  gboolean more = newline != NULL && newline[strspn (newline, " \t\r\n")] != '\0';

  while (len > 0 && (message[len - 1] == '\r' || message[len - 1] == ' '))
    len--;
  if (len == 0 && !more)
    return g_strdup (info->type_name);
  return g_strdup_printf ("%s: %.*s%s", info->type_name, (int) len, message, more ? " …" : "");
}

void
_interp_error_set_exception_info (GError              *error,
                                  InterpExceptionInfo *info)
{
  InterpErrorPrivate *priv;

  g_return_if_fail (error->domain == INTERP_ERROR);

  priv = interp_error_get_private (error);
  g_clear_pointer (&priv->info, interp_exception_info_unref);
  priv->info = info != NULL ? interp_exception_info_ref (info) : NULL;
}

void
_interp_error_set_execution_failed (GError              **error,
                                    InterpExceptionInfo  *info)
{
  g_autofree char *summary = NULL;
  GError *new_error;

  if (error == NULL)
    return;

  summary = _interp_exception_info_summary (info);
  new_error = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED, summary);
  interp_error_get_private (new_error)->info = interp_exception_info_ref (info);
  g_propagate_error (error, new_error);
}

/**
 * interp_exception_info_from_error:
 * @error: an error, usually %INTERP_ERROR_EXECUTION_FAILED
 *
 * Gets the snapshot of the Python exception behind @error. An
 * %INTERP_ERROR_BROKEN error of a pool whose worker's initializer raised
 * carries that exception's snapshot too.
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL when @error
 *   carries none (it is not an %INTERP_ERROR_EXECUTION_FAILED error, or
 *   an %INTERP_ERROR_BROKEN one caused by an exception)
 */
InterpExceptionInfo *
interp_exception_info_from_error (const GError *error)
{
  InterpErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  if (!g_error_matches (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED) &&
      !g_error_matches (error, INTERP_ERROR, INTERP_ERROR_BROKEN))
    return NULL;

  priv = interp_error_get_private (error);
  return priv->info != NULL ? interp_exception_info_ref (priv->info) : NULL;
}

/**
 * interp_exception_info_steal_last:
 *
 * Takes the snapshot of the last %INTERP_ERROR_EXECUTION_FAILED error
 * that was freed on the calling thread; a second call gives %NULL until
 * another such error is freed.
 *
 * This is for bindings that turn a #GError into an exception of their own
 * and free it at once, losing the snapshot the error carried: PyGObject
 * does, and the library's PyGObject override calls this right after a
 * call failed, on the same thread, before it runs any other code of the
 * library. Compare the snapshot with the error it belongs to (the message
 * is interp_exception_info_get_summary()) before trusting it. C and GJS
 * code should use interp_exception_info_from_error() instead.
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL
 */
InterpExceptionInfo *
interp_exception_info_steal_last (void)
{
  InterpExceptionInfo *info = g_private_get (&last_freed);

  if (info != NULL)
    g_private_set (&last_freed, NULL);
  return info;
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

  return g_atomic_rc_box_acquire (info);
}

static void
exception_info_clear (InterpExceptionInfo *info)
{
  g_free (info->type_name);
  g_free (info->qualname);
  g_free (info->module);
  g_free (info->message);
  g_free (info->traceback);
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

  g_atomic_rc_box_release_full (info, (GDestroyNotify) exception_info_clear);
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
 * interp_exception_info_get_interpreter_id:
 * @info: a snapshot
 *
 * The ID of the interpreter the exception was raised in, as
 * interp_interpreter_get_id() gives it.
 *
 * Returns: the interpreter's ID
 */
gint64
interp_exception_info_get_interpreter_id (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, -1);
  return info->interpreter_id;
}

/**
 * interp_exception_info_get_summary:
 * @info: a snapshot
 *
 * The one line that is the message of the error the snapshot came with:
 * `TypeName: message`, or the type name alone when the message is empty.
 * Only the first non-blank line of a message that has several is used,
 * followed by ` …`.
 *
 * Returns: (transfer full): the summary line
 */
char *
interp_exception_info_get_summary (InterpExceptionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return _interp_exception_info_summary (info);
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

GError *
_interp_error_new_cancelled (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
}

void
_interp_error_set_cancelled (GError **error)
{
  g_propagate_error (error, _interp_error_new_cancelled ());
}
