/* interp-error.h: the InterpError domain and exception snapshots
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__INTERP_GLIB_INSIDE__) && !defined(INTERP_COMPILATION)
#error "Only <interp-glib.h> can be included directly."
#endif

#include <glib-object.h>
#include <interp-version.h>

G_BEGIN_DECLS

/**
 * INTERP_ERROR:
 *
 * The error domain of interp-glib. Errors in this domain are from the
 * #InterpError enumeration.
 */
#define INTERP_ERROR (interp_error_quark ())

/**
 * InterpError:
 * @INTERP_ERROR_FAILED: a generic interpreter error (CPython's `InterpreterError`)
 * @INTERP_ERROR_NOT_FOUND: the interpreter is closed or was destroyed
 *   (CPython's `InterpreterNotFoundError`)
 * @INTERP_ERROR_EXECUTION_FAILED: the Python code raised an uncaught exception
 *   (CPython's `ExecutionFailed`); the message is the one line
 *   `TypeName: message` and interp_exception_info_from_error() gives the
 *   snapshot, traceback included
 * @INTERP_ERROR_NOT_SHAREABLE: a value cannot cross the boundary (CPython's
 *   `NotShareableError`); the message names the type
 * @INTERP_ERROR_QUEUE_EMPTY: a queue had no item before the timeout
 * @INTERP_ERROR_QUEUE_FULL: a queue had no room before the timeout
 * @INTERP_ERROR_RUNNING: the call would wait on itself, e.g. closing an
 *   interpreter from code running in it, or the interpreter still has
 *   running threads and cannot be closed
 * @INTERP_ERROR_UNSUPPORTED: the running Python cannot do what was asked,
 *   e.g. an own GIL on Python 3.11
 * @INTERP_ERROR_INVALID_ARGUMENT: an argument has the wrong form, e.g. a
 *   #GVariant of the wrong type or a malformed callable name
 * @INTERP_ERROR_RUNTIME: Python could not be started or was shut down, or the
 *   running Python is not the one the library was built against
 * @INTERP_ERROR_OUT_OF_RANGE: a value is outside what its target type holds,
 *   e.g. a Python int beyond 64 bits converted to a #GVariant
 * @INTERP_ERROR_QUEUE_NOT_FOUND: the queue or channel does not exist (any more)
 * @INTERP_ERROR_ITEM_INTERPRETER_DESTROYED: the interpreter that put the item
 *   was destroyed (CPython's `ItemInterpreterDestroyed`, and its `UNBOUND`
 *   items as C sees them)
 * @INTERP_ERROR_NOT_RECEIVED: nobody received what was sent on a channel
 *   (CPython's `NotReceivedError`)
 * @INTERP_ERROR_BROKEN: an #InterpPool could not start a worker, or a new
 *   worker's initializer failed (CPython's `BrokenInterpreterPool`); the
 *   message names the failure
 * @INTERP_ERROR_SHUT_DOWN: the #InterpPool was shut down and takes no more
 *   work
 *
 * Error codes of the %INTERP_ERROR domain. Cancellation is reported as
 * %G_IO_ERROR_CANCELLED in the %G_IO_ERROR domain.
 */
typedef enum {
  INTERP_ERROR_FAILED,
  INTERP_ERROR_NOT_FOUND,
  INTERP_ERROR_EXECUTION_FAILED,
  INTERP_ERROR_NOT_SHAREABLE,
  INTERP_ERROR_QUEUE_EMPTY,
  INTERP_ERROR_QUEUE_FULL,
  INTERP_ERROR_RUNNING,
  INTERP_ERROR_UNSUPPORTED,
  INTERP_ERROR_INVALID_ARGUMENT,
  INTERP_ERROR_RUNTIME,
  INTERP_ERROR_OUT_OF_RANGE,
  INTERP_ERROR_QUEUE_NOT_FOUND,
  INTERP_ERROR_ITEM_INTERPRETER_DESTROYED,
  INTERP_ERROR_NOT_RECEIVED,
  INTERP_ERROR_BROKEN,
  INTERP_ERROR_SHUT_DOWN,
} InterpError;

INTERP_AVAILABLE_IN_1_0
GQuark interp_error_quark (void);

/**
 * InterpExceptionInfo:
 *
 * An immutable snapshot of a Python exception raised in an interpreter:
 * the counterpart of CPython's `ExecutionFailed.excinfo`. Get it from an
 * %INTERP_ERROR_EXECUTION_FAILED error with
 * interp_exception_info_from_error() (in PyGObject, from the attributes of
 * `Interp.ExecutionFailed`).
 */
typedef struct _InterpExceptionInfo InterpExceptionInfo;

#define INTERP_TYPE_EXCEPTION_INFO (interp_exception_info_get_type ())

INTERP_AVAILABLE_IN_1_0
GType                interp_exception_info_get_type       (void) G_GNUC_CONST;

INTERP_AVAILABLE_IN_1_0
InterpExceptionInfo *interp_exception_info_from_error (const GError        *error);

INTERP_AVAILABLE_IN_1_0
InterpExceptionInfo *interp_exception_info_ref            (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
void                 interp_exception_info_unref          (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
const char          *interp_exception_info_get_type_name  (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
const char          *interp_exception_info_get_qualname   (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
const char          *interp_exception_info_get_module     (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
const char          *interp_exception_info_get_message    (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
const char          *interp_exception_info_get_traceback  (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
gint64               interp_exception_info_get_interpreter_id (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
char                *interp_exception_info_get_summary    (InterpExceptionInfo *info);

INTERP_AVAILABLE_IN_1_0
InterpExceptionInfo *interp_exception_info_steal_last     (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InterpExceptionInfo, interp_exception_info_unref)

G_END_DECLS
