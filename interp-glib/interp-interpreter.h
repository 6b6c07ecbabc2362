/* interp-interpreter.h: a Python interpreter with its own executor thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__INTERP_GLIB_INSIDE__) && !defined(INTERP_COMPILATION)
#error "Only <interp-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <interp-version.h>

G_BEGIN_DECLS

/**
 * InterpWhence:
 * @INTERP_WHENCE_UNKNOWN: the origin is not known
 * @INTERP_WHENCE_RUNTIME: the main interpreter, made when Python started
 *   (CPython's "runtime init")
 * @INTERP_WHENCE_LIBRARY: made by interp-glib (interp_interpreter_new() and friends)
 *
 * Where an interpreter came from: the counterpart of CPython's
 * `Interpreter.whence`.
 */
typedef enum {
  INTERP_WHENCE_UNKNOWN,
  INTERP_WHENCE_RUNTIME,
  INTERP_WHENCE_LIBRARY,
} InterpWhence;

/**
 * InterpGil:
 * @INTERP_GIL_DEFAULT: an own GIL where the running Python supports it
 *   (3.12 and later), else the shared one
 * @INTERP_GIL_OWN: the interpreter gets its own GIL and runs in parallel
 *   with the others; creation fails with %INTERP_ERROR_UNSUPPORTED on
 *   Python 3.11
 * @INTERP_GIL_SHARED: the interpreter shares the main interpreter's GIL
 *
 * Which global interpreter lock an interpreter uses: the `gil` field of
 * CPython's `PyInterpreterConfig`.
 */
typedef enum {
  INTERP_GIL_DEFAULT,
  INTERP_GIL_OWN,
  INTERP_GIL_SHARED,
} InterpGil;

/**
 * InterpStream:
 * @INTERP_STREAM_STDOUT: `sys.stdout`
 * @INTERP_STREAM_STDERR: `sys.stderr`
 *
 * Which stream a line of captured output was written to; see
 * #InterpInterpreter::output.
 */
typedef enum {
  INTERP_STREAM_STDOUT,
  INTERP_STREAM_STDERR,
} InterpStream;

/**
 * InterpInterpreter:
 *
 * A Python interpreter with its own executor thread. The structure is
 * opaque: use the functions and properties.
 */
#define INTERP_TYPE_INTERPRETER (interp_interpreter_get_type ())

INTERP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (InterpInterpreter, interp_interpreter, INTERP, INTERPRETER, GObject)

INTERP_AVAILABLE_IN_1_0
InterpInterpreter *interp_interpreter_new           (GCancellable         *cancellable,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
void               interp_interpreter_new_async     (GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
InterpInterpreter *interp_interpreter_new_finish    (GAsyncResult         *result,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
gint64             interp_interpreter_get_id        (InterpInterpreter    *self);

INTERP_AVAILABLE_IN_1_0
InterpWhence       interp_interpreter_get_whence    (InterpInterpreter    *self);

INTERP_AVAILABLE_IN_1_0
InterpGil          interp_interpreter_get_gil       (InterpInterpreter    *self);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_is_running    (InterpInterpreter    *self);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_is_closed     (InterpInterpreter    *self);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_set_capture_output (InterpInterpreter *self,
                                                          gboolean           capture,
                                                          GError           **error);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_get_capture_output (InterpInterpreter *self);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_close         (InterpInterpreter    *self,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
void               interp_interpreter_close_async   (InterpInterpreter    *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_close_finish  (InterpInterpreter    *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_prepare_main  (InterpInterpreter    *self,
                                                     GVariant             *ns,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_exec          (InterpInterpreter    *self,
                                                     const char           *code,
                                                     GCancellable         *cancellable,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
void               interp_interpreter_exec_async    (InterpInterpreter    *self,
                                                     const char           *code,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_exec_finish   (InterpInterpreter    *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_exec_full     (InterpInterpreter    *self,
                                                     const char           *code,
                                                     const char           *filename,
                                                     GCancellable         *cancellable,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
void               interp_interpreter_exec_full_async (InterpInterpreter  *self,
                                                       const char         *code,
                                                       const char         *filename,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);

INTERP_AVAILABLE_IN_1_0
gboolean           interp_interpreter_exec_full_finish (InterpInterpreter *self,
                                                        GAsyncResult      *result,
                                                        GError           **error);

INTERP_AVAILABLE_IN_1_0
GVariant          *interp_interpreter_call          (InterpInterpreter    *self,
                                                     const char           *callable,
                                                     GVariant             *args,
                                                     GVariant             *kwargs,
                                                     GCancellable         *cancellable,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
void               interp_interpreter_call_async    (InterpInterpreter    *self,
                                                     const char           *callable,
                                                     GVariant             *args,
                                                     GVariant             *kwargs,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
GVariant          *interp_interpreter_call_finish   (InterpInterpreter    *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
GVariant          *interp_interpreter_eval          (InterpInterpreter    *self,
                                                     const char           *expression,
                                                     GCancellable         *cancellable,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
void               interp_interpreter_eval_async    (InterpInterpreter    *self,
                                                     const char           *expression,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
GVariant          *interp_interpreter_eval_finish   (InterpInterpreter    *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

INTERP_AVAILABLE_IN_1_0
GList             *interp_list_all                  (void);

INTERP_AVAILABLE_IN_1_0
InterpInterpreter *interp_get_main                  (void);

INTERP_AVAILABLE_IN_1_0
InterpInterpreter *interp_get_current               (void);

G_END_DECLS
