/* fail-create.c: LD_PRELOAD shim for test-create-retry
 *
 * Makes CPython's interpreter creation fail on request, as it now and then
 * does while another thread creates or ends an interpreter: the test sets
 * how many of the next creations fail.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>

/* How many of the next creations fail, and how many were asked for. */
static int failing;
static int calls;

void interp_test_creations_fail (int n);
int interp_test_creations_called (void);

void
interp_test_creations_fail (int n)
{
  __atomic_store_n (&failing, n, __ATOMIC_SEQ_CST);
  __atomic_store_n (&calls, 0, __ATOMIC_SEQ_CST);
}

int
interp_test_creations_called (void)
{
  return __atomic_load_n (&calls, __ATOMIC_SEQ_CST);
}

/* Takes one failure if any is left. */
static int
take_failure (void)
{
  int n = __atomic_load_n (&failing, __ATOMIC_SEQ_CST);

  __atomic_add_fetch (&calls, 1, __ATOMIC_SEQ_CST);
  while (n > 0)
    if (__atomic_compare_exchange_n (&failing, &n, n - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return 1;
  return 0;
}

#if PY_VERSION_HEX >= 0x030C0000
PyStatus
Py_NewInterpreterFromConfig (PyThreadState             **tstate_p,
                             const PyInterpreterConfig  *config)
{
  static PyStatus (*real) (PyThreadState **, const PyInterpreterConfig *);

  if (take_failure ())
    {
      /* What a failed creation leaves: the caller's thread state current. */
      *tstate_p = NULL;
      return PyStatus_Error ("Failed to import encodings module");
    }
  if (real == NULL)
    *(void **) &real = dlsym (RTLD_NEXT, "Py_NewInterpreterFromConfig");
  return real (tstate_p, config);
}
#else
PyThreadState *
Py_NewInterpreter (void)
{
  static PyThreadState *(*real) (void);

  if (take_failure ())
    return NULL;
  if (real == NULL)
    *(void **) &real = dlsym (RTLD_NEXT, "Py_NewInterpreter");
  return real ();
}
#endif
