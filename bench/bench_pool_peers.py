"""The peers of the pool benchmarks, under the Python that interp-glib embeds.

Usage: python bench_pool_peers.py N_WORKERS N_TASKS N_FINE N_MEDIUM N_COARSE

Prints one JSON line: tasks per second of ProcessPoolExecutor,
ThreadPoolExecutor, a subinterpreter pool built the way CPython 3.14's
InterpreterPoolExecutor is built (N threads, each with its own interpreter,
taking tasks from a queue.Queue; Python 3.13's test.support.interpreters),
and 3.14's own InterpreterPoolExecutor when this Python has it; and, when
interp_glib is importable here (bench/pool.py sets the paths up), its
InterpreterPoolExecutor measured the same way and its queues beside
CPython's, from this host interpreter (queue_workload.py).
"""
import concurrent.futures as cf
import json
import os
import queue
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from pool_workload import work  # noqa: E402

SOURCE = open(os.path.join(here, "pool_workload.py")).read()


def rate(n_tasks, fn):
    start = time.perf_counter()
    fn()
    return n_tasks / (time.perf_counter() - start)


def executor_rates(executor, n_workers, n_tasks, n):
    chunk = max(1, n_tasks // (4 * n_workers))
    # The chunked map is the best of two: it keeps every core busy for
    # about a second, and one such run moved by 20% with the machine's
    # other work, for every peer.
    out = {"map": max(rate(n_tasks, lambda: list(executor.map(work, [n] * n_tasks, chunksize=chunk)))
                      for _ in range(2))}
    # One future per task; capped where that alone would take minutes.
    m = min(n_tasks, 20000)
    out["submit"] = rate(m, lambda: [f.result() for f in [executor.submit(work, n) for _ in range(m)]])
    out["map1"] = rate(m, lambda: list(executor.map(work, [n] * m)))
    return out


def coarse_seconds(executor, n_workers, n_coarse, rounds=3):
    """The best of a few maps of 4 coarse tasks per worker: one such map
    is a fraction of a second, and a single one moved by up to 30% with
    the machine's other work (ours and CPython's executor alike)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        list(executor.map(work, [n_coarse] * (4 * n_workers)))
        best = min(best, time.perf_counter() - start)
    return best


class SubinterpreterPool:
    """N threads, each owning one interpreter, fed from one queue.Queue."""

    def __init__(self, n_workers):
        from test.support import interpreters
        from test.support.interpreters import queues

        self.tasks = queue.Queue()
        self.threads = []
        for _ in range(n_workers):
            interp = interpreters.create()
            results = queues.create()
            # The queue type must be known there before a queue crosses.
            interp.exec(SOURCE + "\nfrom test.support.interpreters import queues\n")
            interp.prepare_main(results=results)
            t = threading.Thread(target=self._worker, args=(interp, results), daemon=True)
            t.start()
            self.threads.append(t)

    def _worker(self, interp, results):
        while True:
            item = self.tasks.get()
            if item is None:
                interp.close()
                return
            future, n = item
            interp.prepare_main(n=n)
            interp.exec("results.put_nowait(work(n))")
            future.set_result(results.get_nowait())

    def submit(self, n):
        future = cf.Future()
        self.tasks.put((future, n))
        return future

    def shutdown(self):
        for _ in self.threads:
            self.tasks.put(None)
        for t in self.threads:
            t.join()


def main():
    n_workers, n_tasks, n_fine, n_medium, n_coarse = map(int, sys.argv[1:6])
    out = {"python": sys.version.split()[0]}

    for name, make in (("processes", lambda: cf.ProcessPoolExecutor(n_workers)),
                       ("threads", lambda: cf.ThreadPoolExecutor(n_workers))):
        with make() as executor:
            list(executor.map(work, [1] * n_workers))  # started
            out[name] = {
                "coarse_s": coarse_seconds(executor, n_workers, n_coarse),
                "fine": executor_rates(executor, n_workers, n_tasks, n_fine),
                "medium": executor_rates(executor, n_workers, n_tasks, n_medium),
            }

    try:
        pool = SubinterpreterPool(n_workers)
    except ImportError:
        pool = None
    if pool is not None:
        res = {}
        for key, n in (("fine", n_fine), ("medium", n_medium)):
            m = min(n_tasks, 50000)
            res[key] = {"submit": rate(m, lambda: [f.result() for f in [pool.submit(n) for _ in range(m)]])}
        start = time.perf_counter()
        [f.result() for f in [pool.submit(n_coarse) for _ in range(4 * n_workers)]]
        res["coarse_s"] = time.perf_counter() - start
        pool.shutdown()
        out["subinterpreters"] = res

    if hasattr(cf, "InterpreterPoolExecutor"):
        with cf.InterpreterPoolExecutor(n_workers) as executor:
            list(executor.map(work, [1] * n_workers))
            out["cpython_interpreter_pool"] = {
                "coarse_s": coarse_seconds(executor, n_workers, n_coarse),
                "fine": executor_rates(executor, n_workers, n_tasks, n_fine),
                "medium": executor_rates(executor, n_workers, n_tasks, n_medium),
            }
    out.update(queue_figures(n_workers))
    out.update(executor_figures(n_workers, n_tasks, n_fine, n_medium, n_coarse))
    print(json.dumps(out))


def cpython_interpreters():
    """CPython's own interpreters module as (module, setup code), or None."""
    import types
    try:
        from concurrent import interpreters
        return interpreters, "from concurrent import interpreters\nQUEUE = interpreters.Queue\n"
    except ImportError:
        pass
    try:
        from test.support import interpreters
        from test.support.interpreters import queues
    except ImportError:
        return None
    if not hasattr(interpreters.Interpreter, "call"):
        return None
    mod = types.SimpleNamespace(create=interpreters.create, create_queue=queues.create)
    return mod, "from test.support.interpreters import queues\nQUEUE = queues.Queue\n"


def queue_figures(n_cpus):
    """The queue figures, interp_glib's and CPython's, from this host."""
    import queue_workload as w
    out = {}
    peers = [("cpython", cpython_interpreters())]
    try:
        import interp_glib
        peers.append(("ours", (interp_glib, "import interp_glib\nQUEUE = interp_glib.Queue\n")))
    except ImportError:
        pass
    for name, found in peers:
        if found is None:
            continue
        mod, setup = found
        res = {"stream_per_s": max(w.host_stream(mod, setup) for _ in range(2))}
        res["wake_median_us"], res["wake_p99_us"] = w.host_wake(mod, setup)
        res["cpu_per_get_1_us"] = w.many_waiters_cpu(mod, setup, 1)
        res["cpu_per_get_4n_us"] = w.many_waiters_cpu(mod, setup, 4 * n_cpus)
        out["queues_" + name] = res
    return out


def executor_figures(n_workers, n_tasks, n_fine, n_medium, n_coarse):
    """interp_glib.InterpreterPoolExecutor, measured as the peers are."""
    try:
        import interp_glib
    except ImportError:
        return {}
    with interp_glib.InterpreterPoolExecutor(n_workers) as executor:
        list(executor.map(work, [1] * n_workers))
        return {"interp_glib_executor": {
            "coarse_s": coarse_seconds(executor, n_workers, n_coarse),
            "fine": executor_rates(executor, n_workers, n_tasks, n_fine),
            "medium": executor_rates(executor, n_workers, n_tasks, n_medium),
        }}


if __name__ == "__main__":
    main()
