"""The InterpPool benchmarks beside their peers, in one run; prints a table.

Usage: python3 bench/pool.py BUILD_DIR [N_TASKS]

Then a goal table: each figure of issue 15 (queues, the pool's per-call
path, the Python executor) beside its peer from this run, its goal, and
whether it is met. On a build against Python 3.14 or later the executor
is compared with CPython's own InterpreterPoolExecutor. Last, the floor of
the queue wake-up figure on this machine: a plain C thread blocked on a
GCond, woken the same way, without Python or a queue.

N (the workers, and the peers' workers) is the machine's core count. The
tasks are pure-Python work() calls of about 10 us, 100 us and 50 ms,
calibrated once under the Python the build embeds, so that every peer runs
the same tasks. The streaming rows compare interp_pool_map_stream() with
interp_pool_map_async() over the same work(0) items in the same run (best
of three each, alternating), on a GMainLoop. Efficiency is tasks/s against the ideal: the coarse-task
speedup of the pool in the same run divided by the task's time measured
alone, so that SMT siblings and turbo clocks neither flatter nor blame
anyone. Not part of the test suite: numbers depend on the machine and its
load.
"""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def build_python(build):
    for line in open(os.path.join(build, "meson-info", "intro-buildoptions.json")):
        for opt in json.loads(line):
            if opt["name"] == "python":
                return opt["value"]
    raise SystemExit("no python option in %s" % build)


def main():
    build = sys.argv[1]
    n_tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    n = os.cpu_count() or 2
    python = build_python(build)
    calibrate = ("import sys; sys.path.insert(0, %r); import pool_workload as w; "
                 "print(w.calibrate(10e-6), w.calibrate(100e-6), w.calibrate(50e-3))" % here)
    sizes = subprocess.run([python, "-c", calibrate], check=True, capture_output=True,
                           text=True).stdout.split()
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(build, "interp-glib"))
    # A relocated Python (build-aux/fetch-unstable-pythons.sh) finds its
    # stdlib, when embedded, only through PYTHONHOME (line 8 of its info).
    info = subprocess.run([python, os.path.join(here, "..", "build-aux", "python-info.py")],
                          capture_output=True, text=True).stdout.splitlines()
    if len(info) >= 8 and info[7] != "none":
        env["PYTHONHOME"] = info[7]
    ours = run_json([os.path.join(build, "bench", "bench-pool"), os.path.join(here, "pool_workload.py"),
                     str(n), str(n_tasks)] + sizes, env)
    # The peers' process can import interp_glib: its executor and queues
    # are measured there, beside CPython's, from the host interpreter.
    peer_env = dict(env, PYTHONPATH=os.pathsep.join(
        p for p in (os.path.join(build, "interp-glib"), os.environ.get("PYTHONPATH")) if p))
    peers = run_json([python, os.path.join(here, "bench_pool_peers.py"), str(n), str(n_tasks)] + sizes,
                     peer_env)

    t = {"fine": ours["t_fine_s"], "medium": ours["t_medium_s"]}
    coarse_total = ours["coarse_tasks"] * ours["t_coarse_s"]
    speedup = coarse_total / ours["coarse_s"]
    ideal = {k: speedup / v for k, v in t.items()}
    process_rate = {k: peers["processes"][k]["map"] for k in t}

    def eff(rate, kind):
        return rate / ideal[kind]

    rows = []
    for kind, label in (("fine", "%.0f us" % (t["fine"] * 1e6)), ("medium", "%.0f us" % (t["medium"] * 1e6))):
        rows.append((f"-- {n_tasks} tasks of {label} over {n} workers --", "", ""))
        rows.append(("ideal (coarse speedup / task time)", f"{ideal[kind]:.0f} /s", "1.00 efficiency"))
        for name, rate in (("InterpPool map (chunk auto)", ours[f"{kind}_map_per_s"]),
                           ("InterpPool one call_async per task", ours[f"{kind}_async_per_s"])):
            rows.append((name, f"{rate:.0f} /s",
                         f"{eff(rate, kind):.2f} efficiency, {rate / process_rate[kind]:.1f}x ProcessPool map"))
        for peer, title in (("processes", "ProcessPoolExecutor"), ("threads", "ThreadPoolExecutor"),
                            ("cpython_interpreter_pool", "CPython InterpreterPoolExecutor")):
            if peer not in peers:
                continue
            for how in ("map", "submit"):
                rate = peers[peer][kind][how]
                rows.append((f"{title} {how}", f"{rate:.0f} /s", f"{eff(rate, kind):.2f} efficiency"))
        if "subinterpreters" in peers:
            rate = peers["subinterpreters"][kind]["submit"]
            rows.append(("3.13 subinterpreter pool (3.14's design) submit", f"{rate:.0f} /s",
                         f"{eff(rate, kind):.2f} efficiency"))

    rows.append((f"-- {ours['coarse_tasks']} coarse tasks of {ours['t_coarse_s'] * 1e3:.0f} ms --", "", ""))
    rows.append(("InterpPool speedup", f"{speedup:.2f}x", f"goal >= {0.9 * n:.1f}x (0.9 N)"))
    for peer, title in (("processes", "ProcessPoolExecutor"), ("threads", "ThreadPoolExecutor"),
                        ("subinterpreters", "3.13 subinterpreter pool"),
                        ("cpython_interpreter_pool", "CPython InterpreterPoolExecutor")):
        if peer in peers:
            rows.append((f"{title} speedup", f"{coarse_total / peers[peer]['coarse_s']:.2f}x", ""))

    rows.append(("-- latency and the main loop --", "", ""))
    rows.append(("first call on a warm pool", f"{ours['first_call_ms']:.3f} ms", "goal <= 1 ms"))
    rows.append(("interp_interpreter_new() + call", f"{ours['new_and_call_ms']:.3f} ms",
                 f"{ours['new_and_call_ms'] / ours['first_call_ms']:.0f}x the warm pool"))
    rows.append(("noop call_async completions on one GMainLoop", f"{ours['noop_async_per_s']:.0f} /s",
                 f"{ours['noop_async_per_s'] / ours['noop_by_hand_per_s']:.2f}x by hand"))
    rows.append(("  by hand: call_async over N interpreters", f"{ours['noop_by_hand_per_s']:.0f} /s",
                 "one idle source per completion"))
    rows.append(("-- streaming: per-item cost of map_stream vs map_async (work(0)) --", "", ""))
    rows.append((f"map_async, chunk auto, {n_tasks} items", f"{ours['map_item_us']:.2f} us/item", ""))
    rows.append((f"map_stream, chunk auto, {n_tasks} items", f"{ours['stream_item_us']:.2f} us/item",
                 f"{ours['stream_item_us'] / ours['map_item_us']:.2f}x map_async"))
    rows.append((f"map_async, chunk 1, {ours['chunk1_tasks']} items", f"{ours['map_chunk1_item_us']:.2f} us/item", ""))
    rows.append((f"map_stream, chunk 1, {ours['chunk1_tasks']} items",
                 f"{ours['stream_chunk1_item_us']:.2f} us/item",
                 f"{ours['stream_chunk1_item_us'] / ours['map_chunk1_item_us']:.2f}x map_async"))
    rows.append(("cancel -> completion, call stuck in time.sleep(600)", f"{ours['cancel_blocked_ms']:.0f} ms",
                 f"grace {ours['grace_ms']} ms"))

    print(f"InterpPool benchmarks: Python {peers['python']}, own GIL: {ours['own_gil']}, "
          f"{n} cores, {n_tasks} tasks")
    width = max(len(r[0]) for r in rows)
    for name, value, ratio in rows:
        print(f"  {name:<{width}}  {value:>12}  {ratio}")
    print_goals(goal_rows(ours, peers, n, t))
    # What the wake-up goal is measured against: the same wait without
    # Python or a queue, on this machine.
    print(f"  floor of the wake-up: a C thread blocked on a GCond, signalled after 2 ms idle: "
          f"median {ours['cond_wake_median_us']:.0f} us, p99 {ours['cond_wake_p99_us']:.0f} us")


def goal_rows(ours, peers, n, t):
    """The figures of issue 15 with their peers from this run: (figure,
    ours, peer, ratio or None, goal text, met)."""
    rows = []

    def ratio_row(name, mine, peer, unit, minimum, digits=0):
        r = mine / peer if peer else float("nan")
        rows.append((name, f"{mine:.{digits}f}{unit}", f"{peer:.{digits}f}{unit}", f"{r:.2f}x",
                     f">= {minimum:g}x", r >= minimum))

    q, cq = peers.get("queues_ours"), peers.get("queues_cpython")
    if q and cq:
        ratio_row("queue: 100k ints, host -> interpreter", q["stream_per_s"], cq["stream_per_s"], "/s", 3)
        rows.append(("queue: blocked get woken by a put, p99", f"{q['wake_p99_us']:.0f} us",
                     f"{cq['wake_p99_us']:.0f} us", f"median {q['wake_median_us']:.0f} us",
                     "<= 50 us", q["wake_p99_us"] <= 50))
        rows.append((f"queue: CPU per blocked get, {4 * n} waiters", f"{q['cpu_per_get_4n_us']:.0f} us",
                     f"{cq['cpu_per_get_4n_us']:.0f} us",
                     f"1 waiter {q['cpu_per_get_1_us']:.0f} us",
                     "<= 2x 1 waiter's", q["cpu_per_get_4n_us"] <= 2 * q["cpu_per_get_1_us"]))
    rows.append(("async calls completed on one GMainLoop (median of 3)", f"{ours['one_interp_async_per_s']:.0f}/s",
                 "-", "", ">= 300000/s", ours["one_interp_async_per_s"] >= 300000))
    ratio_row("noop call_async through InterpPool (vs by hand)", ours["noop_async_per_s"],
              ours["noop_by_hand_per_s"], "/s", 0.9)
    ex, cex = peers.get("interp_glib_executor"), peers.get("cpython_interpreter_pool")
    for kind in ("fine", "medium"):
        label = f"~{t[kind] * 1e6:.0f} us"
        if ex and cex:
            ratio_row(f"executor submit, {label} (vs CPython's)", ex[kind]["submit"], cex[kind]["submit"], "/s", 1)
            ratio_row(f"executor map, {label} (vs CPython's)", ex[kind]["map1"], cex[kind]["map1"], "/s", 1)
            ratio_row(f"executor map chunked, {label} (vs CPython's)", ex[kind]["map"], cex[kind]["map"],
                      "/s", 1)
        if ex:
            ratio_row(f"executor map chunked, {label} (vs ProcessPool map)", ex[kind]["map"],
                      peers["processes"][kind]["map"], "/s", 1)
    if ex and cex:
        ratio_row(f"executor {4 * n} coarse tasks (vs CPython's)", 4 * n / ex["coarse_s"],
                  4 * n / cex["coarse_s"], "/s", 1, 1)
    return rows


def print_goals(rows):
    print("Goals (issue 15), ours and peer measured in this run:")
    header = ("figure", "ours", "peer", "ratio", "goal", "met")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
    for r in [header] + [r[:5] + ("met" if r[5] else "NOT MET",) for r in rows]:
        print("  " + "  ".join(f"{str(c):<{widths[i]}}" if i == 0 else f"{str(c):>{widths[i]}}"
                                for i, c in enumerate(r[:5])) + f"  {r[5]}")


if __name__ == "__main__":
    main()
