"""The peers' side of the benchmarks, in one run; prints JSON.

Usage: python3 bench-cpython.py WORKLOAD.py N_ITERATIONS N_PARALLEL
       python3 bench-cpython.py --lean

Runs the workload in this process's main interpreter alone, in N threads
of one interpreter, in N processes (multiprocessing), and, where the
Python has them (3.13: test.support.interpreters), in N of CPython's own
subinterpreters driven by N threads; plus CPython's own call round trip
and create+close for comparison with interp-glib's. First of all, its
low-level create() + first exec of 30 interpreters kept idle (RSS per
interpreter, median time), and a loop in one of them.
"""
import json
import multiprocessing
import os
import sys
import threading
import time

# The loop bench-interp.c times with and without a cancellable (LOOP_CODE).
LOOP_CODE = ("import time as _t\n_s = _t.perf_counter()\nfor _i in range(3000000): pass\n"
             "loop_s = _t.perf_counter() - _s\n")


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def cpython_lean(n=30):
    """CPython's own low-level create() + first exec, n interpreters kept
    idle: RSS per interpreter, median create + first exec, and the loop."""
    try:
        import _interpreters as low
        run = low.exec
    except ImportError:
        try:
            import _xxsubinterpreters as low
        except ImportError:
            return {}
        run = low.run_string
    low.destroy(low.create())
    before = rss_kib()
    ids, times = [], []
    for _ in range(n):
        start = time.perf_counter()
        iid = low.create()
        run(iid, "pass")
        times.append((time.perf_counter() - start) * 1e3)
        ids.append(iid)
    time.sleep(0.2)
    out = {"cpython_rss_per_interp_kib": (rss_kib() - before) / n,
           "cpython_create_exec_ms": sorted(times)[n // 2]}
    r, w = os.pipe()
    best = float("inf")
    for _ in range(5):
        run(ids[0], LOOP_CODE + f"import os as _o\n_o.write({w}, repr(loop_s).encode())\n")
        best = min(best, float(os.read(r, 100)))
    os.close(r)
    os.close(w)
    out["cpython_loop_s"] = best
    for iid in ids:
        low.destroy(iid)
    return out


def cpython_queues(interpreters, interps, here):
    """The same queue workload over CPython's own cross-interpreter queues."""
    from test.support.interpreters import queues
    sys.path.insert(0, here)
    import queue_workload as w

    a, b = interps[0], interps[1 % len(interps)]
    results = {}
    for name, writer, reader, params, measure in (
            ("queue_items_per_s", w.PRODUCER, w.CONSUMER, "N = 100000\n", "count / elapsed"),
            ("queue_wake_us", w.PINGER, w.WAITER, "ROUNDS = 300\n",
             "latencies[len(latencies) // 2] * 1e6")):
        q = queues.create()
        setup = ("from test.support.interpreters import queues\nQUEUE = queues.Queue\n" + params)
        a.exec(setup)
        b.exec(setup)
        threads = [threading.Thread(target=b.exec, args=(reader.replace("QID", str(q.id)),)),
                   threading.Thread(target=a.exec, args=(writer.replace("QID", str(q.id)),))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Results come back through a queue: CPython's exec returns nothing.
        out = queues.create()
        b.exec(f"QUEUE({out.id}).put(float({measure}))")
        results[name] = out.get()
        if name == "queue_wake_us":
            b.exec(f"QUEUE({out.id}).put(float(latencies[int(len(latencies) * 0.99)] * 1e6))")
            results["queue_wake_p99_us"] = out.get()
    return results


def main():
    if sys.argv[1:] == ["--lean"]:
        print(json.dumps(cpython_lean()))
        return
    path, iterations, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    source = open(path).read()
    # Imported as a module so that multiprocessing can pickle its functions.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    workload = __import__(os.path.splitext(os.path.basename(path))[0])
    work = workload.work
    out = {"python": sys.version.split()[0], "n": n, "iterations": iterations}
    # First, before anything else grows the heap.
    out.update(cpython_lean())

    work(iterations // 10)
    start = time.perf_counter()
    work(iterations)
    out["single_s"] = time.perf_counter() - start

    threads = [threading.Thread(target=work, args=(iterations,)) for _ in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out["threads_s"] = time.perf_counter() - start

    with multiprocessing.get_context("fork").Pool(n) as pool:
        pool.map(work, [iterations // 10] * n)  # warm the workers up
        start = time.perf_counter()
        pool.map(work, [iterations] * n)
        out["processes_s"] = time.perf_counter() - start

    try:
        from test.support import interpreters
    except ImportError:
        interpreters = None
    # Before 3.13 the module had another, older API: compare with 3.13's.
    if interpreters is not None and hasattr(interpreters.Interpreter, "call"):
        interps = [interpreters.create() for _ in range(n)]
        for interp in interps:
            interp.exec(source)
        code = f"work({iterations})"
        threads = [threading.Thread(target=interp.exec, args=(code,)) for interp in interps]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out["cpython_interps_s"] = time.perf_counter() - start

        # CPython's call: same thread, no arguments, result discarded.
        noop = workload.noop
        rounds = 20000
        start = time.perf_counter()
        for _ in range(rounds):
            interps[0].call(noop)
        out["cpython_call_us"] = (time.perf_counter() - start) / rounds * 1e6

        rounds = 20
        start = time.perf_counter()
        for _ in range(rounds):
            interpreters.create().close()
        out["cpython_create_close_ms"] = (time.perf_counter() - start) / rounds * 1e3
        out.update(cpython_queues(interpreters, interps, os.path.dirname(os.path.abspath(path))))
        for interp in interps:
            interp.close()

    print(json.dumps(out))


if __name__ == "__main__":
    main()
