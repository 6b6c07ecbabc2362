"""Ctrl-C while a host Python waits for another interpreter; prints a table.

Usage: python3 bench/ctrl_c.py BUILD_DIR [ROUNDS]

A host Python (the one the build embeds, with the build's interp_glib on
its path) waits for code that spins in another interpreter; SIGINT is sent
to it 0.2 s later. Measured, on the system's monotonic clock, from the
signal being sent to KeyboardInterrupt reaching the host's code, for:

  - interp_glib: Interpreter.call() of a `while True: pass` in another
    interpreter (the goal: within 0.1 s), and how long until that
    interpreter answers the next call, once its code was interrupted;
  - threads (peer): Thread.join() of a thread spinning in the same
    interpreter;
  - CPython's own interpreters (peer): 3.13's _interpreters.exec() (3.11's
    _xxsubinterpreters.run_string()) of a loop that spins for 2 s; they do
    not look at signals while they wait (python/cpython#113130), so
    KeyboardInterrupt comes when the code ends by itself.

Not part of the test suite: numbers depend on the machine and its load.
"""
import os
import signal
import statistics
import subprocess
import sys
import time

from pool import build_python  # bench/pool.py: the Python a build embeds

SPIN_S = 2.0

CHILD = {
    "interp_glib": """
import time, interp_glib
interp = interp_glib.create()
def spin():
    while True:
        pass
print("ready", flush=True)
try:
    interp.call(spin)
except KeyboardInterrupt:
    t = time.monotonic()
    interp.call(int)
    print(t, time.monotonic(), flush=True)
""",
    "threads": """
import threading, time
stop = False
def spin():
    while not stop:
        pass
th = threading.Thread(target=spin)
th.start()
print("ready", flush=True)
try:
    th.join()
except KeyboardInterrupt:
    t = time.monotonic()
    stop = True
    th.join()
    print(t, time.monotonic(), flush=True)
""",
    "cpython": """
import time
try:
    import _interpreters as m
    run = m.exec
except ImportError:
    import _xxsubinterpreters as m
    run = m.run_string
interp = m.create()
print("ready", flush=True)
try:
    run(interp, "import time\\nt = time.monotonic()\\nwhile time.monotonic() - t < %r:\\n    pass\\n")
    time.sleep(5)  # the interrupt lands after the code ended
except KeyboardInterrupt:
    t = time.monotonic()
    print(t, t, flush=True)
""" % SPIN_S,
}


def one(python, env, kind):
    child = subprocess.Popen([python, "-c", CHILD[kind]], stdout=subprocess.PIPE, text=True, env=env)
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("%s: the child did not start" % kind)
        time.sleep(0.2)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    caught, recovered = (float(x) for x in out.split())
    return caught - sent, recovered - sent


def main():
    build = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    python = build_python(build)
    lib = os.path.join(build, "interp-glib")
    env = dict(os.environ)
    for var in ("PYTHONPATH", "LD_LIBRARY_PATH"):
        env[var] = lib + (os.pathsep + env[var] if env.get(var) else "")

    results = {kind: [one(python, env, kind) for _ in range(rounds)] for kind in CHILD}
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = statistics.median(r[0] for r in results["interp_glib"])
    print(f"Ctrl-C while the host waits, Python {version}, {rounds} rounds each "
          f"(median / max, from SIGINT sent)")
    rows = [
        ("interp_glib Interpreter.call()", "interp_glib", 0),
        ("  ... the interpreter answers again", "interp_glib", 1),
        ("threads: Thread.join()", "threads", 0),
        (f"CPython's interpreters ({SPIN_S:.0f} s of code)", "cpython", 0),
    ]
    for label, kind, i in rows:
        values = [r[i] for r in results[kind]]
        med = statistics.median(values)
        print(f"  {label:42s} {med * 1e3:8.1f} ms / {max(values) * 1e3:8.1f} ms"
              f"   {med / ours if ours > 0 else float('inf'):8.1f}x interp_glib")
    worst = max(r[0] for r in results["interp_glib"])
    print(f"  goal: KeyboardInterrupt within 100 ms: "
          f"{'met' if worst <= 0.1 else 'NOT met'} (worst {worst * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
