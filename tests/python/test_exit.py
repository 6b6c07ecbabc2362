# test_exit.py: the host's Python exits, or closes an interpreter, while
# threads started in it (daemon threads) still run
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Py_EndInterpreter() of CPython 3.11 to 3.13 aborts the process ("Fatal
# Python error: Py_EndInterpreter: not the last thread") when the
# interpreter has another thread; 3.11 and 3.12 also abort when they
# finalize with a sub-interpreter left. Each exit runs in a fresh host
# Python (this one, with the same environment: meson's PYTHONPATH).

import os
import subprocess
import sys
import textwrap
import unittest

import interp_glib
from interp_glib import InterpreterError


def run_python(code, timeout=120):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout)


class ExitTests(unittest.TestCase):
    def assertExited(self, proc, status=0):
        self.assertNotIn("Fatal Python error", proc.stderr)
        self.assertEqual(proc.returncode, status, proc.stderr)

    def test_exit_with_daemon_thread(self):
        # The report, as is.
        proc = run_python("""
            import interp_glib, time
            interp = interp_glib.create(isolated=False)
            interp.exec('import threading, time\\n'
                        'threading.Thread(target=lambda: time.sleep(1000), daemon=True).start()')
            """)
        self.assertExited(proc)

    def test_exit_with_many_daemon_threads(self):
        # Several interpreters, several threads each: blocked in C, waking
        # up often, started with _thread; one interpreter released (it
        # lingers), one whose close failed. The host's own status stays.
        proc = run_python("""
            import sys, time
            import interp_glib

            interps = []
            for i in range(3):
                interp = interp_glib.create(isolated=False)
                interp.exec('''if True:
                    import _thread, queue, threading, time
                    q = queue.Queue()
                    def tick():
                        while True:
                            time.sleep(0.001)
                    threading.Thread(target=lambda: time.sleep(1000), daemon=True).start()
                    threading.Thread(target=q.get, daemon=True).start()
                    threading.Thread(target=tick, daemon=True).start()
                    _thread.start_new_thread(time.sleep, (1000,))
                    ''')
                interps.append(interp)
            del interps[0]
            try:
                interps[0].close()
            except interp_glib.InterpreterError as e:
                print(e)
            sys.exit(3)
            """)
        self.assertExited(proc, 3)
        self.assertIn("running thread", proc.stdout)

    def test_exit_after_close_failed(self):
        proc = run_python("""
            import interp_glib
            interp = interp_glib.create(isolated=False)
            interp.exec('import threading, time\\n'
                        'threading.Thread(target=lambda: time.sleep(1000), daemon=True).start()')
            try:
                interp.close()
            except interp_glib.InterpreterError as e:
                print(type(e).__name__)
            """)
        self.assertExited(proc)
        self.assertEqual(proc.stdout.strip(), "InterpreterError")


class CloseTests(unittest.TestCase):
    def test_close_with_daemon_thread(self):
        # Closing fails, in one line, and changes nothing: the interpreter
        # still works, and closes once its thread is done.
        interp = interp_glib.create(isolated=False)
        gate = interp_glib.create_queue()
        interp.prepare_main(gate=gate)
        interp.exec("import threading\n"
                    "threading.Thread(target=gate.get, daemon=True).start()")
        with self.assertRaises(InterpreterError) as cm:
            interp.close()
        message = str(cm.exception)
        self.assertEqual(message, f"Interpreter {interp.id} still has 1 running thread")
        self.assertIn(interp, interp_glib.list_all())
        self.assertEqual(interp.call(sum, (1, 2, 3)), 6)

        gate.put("go")
        interp.close()
        self.assertNotIn(interp.id, [i.id for i in interp_glib.list_all()])


if __name__ == "__main__":
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pygobject"))
    import tap
    sys.exit(tap.main())
