/* interp-interpreter-private.h: interpreters inside the library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-executor-private.h"
#include "interp-interpreter.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Jobs (interp-interpreter-jobs.c), for the face and the pool          */

/* A call checked and prepared on the caller's thread (the same forms and
 * errors as interp_interpreter_call()), run later on an executor thread by
 * _interp_call_run(), an #InterpJobFunc whose data is the #InterpCall.
 * _interp_call_new() consumes floating @args/@kwargs, also on failure. */
typedef struct _InterpCall InterpCall;

InterpCall     *_interp_call_new                  (const char         *callable,
                                                   GVariant           *args,
                                                   GVariant           *kwargs,
                                                   GError            **error);
void            _interp_call_free                 (InterpCall         *call);
gboolean        _interp_call_run                  (InterpExecutor     *executor,
                                                   gpointer            call,
                                                   GVariant          **result,
                                                   GError            **error);
gboolean        _interp_call_run_with_args        (InterpExecutor     *executor,
                                                   InterpCall         *call,
                                                   GVariant           *args,
                                                   GVariant          **result,
                                                   GError            **error);

/* Source run in `__main__` as interp_interpreter_exec() runs it (dedented;
 * @filename names it in tracebacks), by _interp_code_run(), an
 * #InterpJobFunc. */
gpointer        _interp_code_new                  (const char         *code,
                                                   const char         *filename);
void            _interp_code_free                 (gpointer            code);
gboolean        _interp_code_run                  (InterpExecutor     *executor,
                                                   gpointer            code,
                                                   GVariant          **result,
                                                   GError            **error);

/* ------------------------------------------------------------------ */
/* Jobs (interp-interpreter-jobs.c), for the face only                  */

/* An expression evaluated in `__main__` as interp_interpreter_eval() does,
 * run by _interp_code_run() (its value is the result), freed by
 * _interp_code_free(). */
gpointer        _interp_expression_new            (const char         *expression);

/* Consumes floating @args/@kwargs of a call that is refused before
 * _interp_call_new() sees them, as GDBus does. */
void            _interp_call_drop_args            (GVariant           *args,
                                                   GVariant           *kwargs);

/* Keyword arguments and namespaces: a dictionary with string keys. A
 * constant, as GLib's own G_VARIANT_TYPE_VARDICT is: G_VARIANT_TYPE ()
 * checks its string on every call, the cost of a small allocation. */
#define INTERP_VARIANT_TYPE_KWARGS ((const GVariantType *) "a{s*}")

/* Fails with INTERP_ERROR_INVALID_ARGUMENT unless @value is NULL or of
 * @type: "@what must be @kind (GVariant type '@type', such as
 * '@example'), got 'x'", which says what to pass in words, not only in
 * type strings. */
gboolean        _interp_check_variant_type        (GVariant           *value,
                                                   const GVariantType *type,
                                                   const char         *what,
                                                   const char         *kind,
                                                   const char         *example,
                                                   GError            **error);

/* #InterpJobFunc: binds the entries of @data, an `a{s*}` #GVariant, in
 * `__main__`. */
gboolean        _interp_prepare_main_run          (InterpExecutor     *executor,
                                                   gpointer            data,
                                                   GVariant          **result,
                                                   GError            **error);

/* #InterpJobFunc: replaces `sys.stdout` and `sys.stderr` with @data, an
 * #InterpOutputSink, or restores them (NULL), and has the executor flush
 * partial lines after each job while captured. _interp_capture_free()
 * frees @data. */
gboolean        _interp_capture_run               (InterpExecutor     *executor,
                                                   gpointer            data,
                                                   GVariant          **result,
                                                   GError            **error);
void            _interp_capture_free              (gpointer            data);

/* ------------------------------------------------------------------ */
/* Exceptions and `__main__` (interp-interpreter-jobs.c), for the jobs  */
/* and the module: on an executor thread, the GIL held                  */

/* The pending exception (a new reference; none is pending after), or
 * NULL with @error set: %INTERP_ERROR_FAILED when there is none,
 * %G_IO_ERROR_CANCELLED when it is @executor's cancellation (not looked
 * for when @executor is NULL). */
PyObject       *_interp_exception_take            (InterpExecutor     *executor,
                                                   GError            **error);

/* What an exception says, as CPython's ExceptionSnapshot has it. Every
 * member is a new reference or NULL. */
typedef struct
{
  PyObject *type_name;   /* the type's __name__, __qualname__ and __module__, */
  PyObject *qualname;    /* whatever they are; NULL when missing */
  PyObject *module;
  PyObject *msg;         /* str(exc), or "<unprintable>" */
  PyObject *formatted;   /* traceback.format_exception_only(), joined, its
                          * last newline stripped; NULL if it failed */
  PyObject *errdisplay;  /* traceback.format_exception(), joined; NULL if it failed */
} InterpExceptionSnapshot;

/* Fills @snapshot from @exc; no Python error is pending after. */
void            _interp_exception_snapshot_init   (InterpExceptionSnapshot *snapshot,
                                                   PyObject           *exc);
void            _interp_exception_snapshot_clear  (InterpExceptionSnapshot *snapshot);

/* `__main__`'s namespace (borrowed; the module is made if need be), or
 * NULL with a Python exception set. */
PyObject       *_interp_main_dict                 (void);
/* PyObject_Call() as Interpreter.call() calls: the builtins that work on
 * their caller's frame (eval, exec, dir, globals, locals, vars), which
 * have none here, work on `__main__` when called without a namespace, as
 * in CPython 3.14. */
PyObject       *_interp_call_object               (PyObject           *callable,
                                                   PyObject           *args,
                                                   PyObject           *kwargs);
/* getattr() along @path (NULL-terminated) from @object: a new reference,
 * or NULL with a Python exception set. */
PyObject       *_interp_getattr_path              (PyObject           *object,
                                                   const char *const  *path);

/* ------------------------------------------------------------------ */
/* The interpreter object (interp-interpreter.c), for the pool and the  */
/* module                                                               */

InterpExecutor *_interp_interpreter_get_executor  (InterpInterpreter  *self);
/* Whether an interpreter with @self's construct properties could be made
 * on this Python (without making one). */
gboolean        _interp_interpreter_check_config  (InterpInterpreter  *self,
                                                   GError            **error);

G_END_DECLS
