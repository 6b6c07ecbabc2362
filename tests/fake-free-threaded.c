/* fake-free-threaded.c: LD_PRELOAD shim for test-free-threaded
 *
 * Makes the process look like a free-threaded host of the Python the
 * library was built for: its Py_GetVersion() interposes on libpython's, as
 * a free-threaded python3.Xt executable's own symbols would.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h"

const char *
Py_GetVersion (void)
{
  return PY_VERSION " free-threading build (fake, interp-glib tests) [test]";
}
