"""Runs interp-glib's benchmarks beside their peers and prints a table.

Usage: python3 bench/run.py BUILD_DIR [N_ITERATIONS]

For the figures that count, a release build, e.g.:
  meson setup _build/rel13 --buildtype=release -Dpython=$(pyenv prefix 3.13.0)/bin/python3
  ninja -C _build/rel13 && python3 bench/run.py _build/rel13

BUILD_DIR is a meson build of interp-glib (for the numbers that matter, one
against Python >= 3.12, e.g. _build/py3.13). The peers run under the same
Python that build embeds, in the same run. Not part of the test suite:
numbers depend on the machine and its load.
"""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
LEAN_ROUNDS = 5


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    build = sys.argv[1]
    iterations = sys.argv[2] if len(sys.argv) > 2 else "12000000"
    n = str(os.cpu_count() or 2)
    workload = os.path.join(here, "workload.py")
    info = subprocess.run([sys.executable, os.path.join(here, "..", "build-aux", "python-info.py")],
                          capture_output=True, text=True)
    python = None
    for line in open(os.path.join(build, "meson-info", "intro-buildoptions.json")):
        for opt in json.loads(line):
            if opt["name"] == "python":
                python = opt["value"]
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(build, "interp-glib"))
    ours = run_json([os.path.join(build, "bench", "bench-interp"), workload, iterations, n], env)
    peers = run_json([python, os.path.join(here, "bench-cpython.py"), workload, iterations, n])

    def speedup(single, elapsed):
        return int(n) * single / elapsed

    rows = [
        ("workload in 1 interp-glib interpreter", f"{ours['single_s']:.3f} s", "1.00x (baseline)"),
        (f"same in {n} interp-glib interpreters at once", f"{ours['parallel_s']:.3f} s",
         f"{speedup(ours['single_s'], ours['parallel_s']):.2f}x speedup"),
        (f"same in {n} threads, one interpreter", f"{peers['threads_s']:.3f} s",
         f"{speedup(peers['single_s'], peers['threads_s']):.2f}x speedup"),
        (f"same in {n} processes (multiprocessing)", f"{peers['processes_s']:.3f} s",
         f"{speedup(peers['single_s'], peers['processes_s']):.2f}x speedup"),
    ]
    if "cpython_interps_s" in peers:
        rows.append((f"same in {n} CPython subinterpreters + threads", f"{peers['cpython_interps_s']:.3f} s",
                     f"{speedup(peers['single_s'], peers['cpython_interps_s']):.2f}x speedup"))
    rows.append(("sync call round trip (cross-thread, args+result)", f"{ours['sync_call_us']:.2f} us",
                 f"{peers['cpython_call_us'] / ours['sync_call_us']:.2f}x CPython's speed"
                 if "cpython_call_us" in peers else ""))
    if "cpython_call_us" in peers:
        rows.append(("CPython interp.call(noop) (same thread, no result)",
                     f"{peers['cpython_call_us']:.2f} us", "peer"))
    rows.append(("async calls completed on a GMainLoop", f"{ours['async_calls_per_s']:.0f} /s",
                 "goal >= 50000/s"))
    rows.append(("create + close, interp-glib", f"{ours['create_close_ms']:.2f} ms",
                 f"{ours['create_close_ms'] / ours['raw_create_close_ms']:.2f}x raw C API"))
    rows.append(("create + close, raw C API", f"{ours['raw_create_close_ms']:.2f} ms", "peer"))
    if "cpython_create_close_ms" in peers:
        rows.append(("create + close, CPython interpreters.create()",
                     f"{peers['cpython_create_close_ms']:.2f} ms",
                     f"{peers['cpython_create_close_ms'] / ours['create_close_ms']:.2f}x ours"))
    rows.append(("queue put+get, Python to Python, 2 interpreters", f"{ours['queue_items_per_s']:.0f} /s",
                 f"{ours['queue_items_per_s'] / peers['queue_items_per_s']:.2f}x CPython's queues"
                 if "queue_items_per_s" in peers else "goal >= 2x CPython's"))
    if "queue_items_per_s" in peers:
        rows.append(("  CPython 3.13 queues, same workload", f"{peers['queue_items_per_s']:.0f} /s", "peer"))
    rows.append(("blocked get woken by a put (median)", f"{ours['queue_wake_us']:.1f} us",
                 f"{peers['queue_wake_us'] / ours['queue_wake_us']:.1f}x faster than CPython's"
                 if "queue_wake_us" in peers else "goal <= 100 us"))
    rows.append(("blocked get woken by a put (p99)", f"{ours['queue_wake_p99_us']:.1f} us", ""))
    if "queue_wake_us" in peers:
        rows.append(("  CPython 3.13 queues, median / p99",
                     f"{peers['queue_wake_us']:.0f} us", f"p99 {peers['queue_wake_p99_us']:.0f} us (polls every 10 ms)"))

    print(f"interp-glib benchmarks: Python {ours['python']}, own GIL: {ours['own_gil']}, "
          f"{n} cores, work({iterations})")
    width = max(len(r[0]) for r in rows)
    for name, value, ratio in rows:
        print(f"  {name:<{width}}  {value:>12}  {ratio}")
    # The lean figures again, ours and the peer's alternated, fresh
    # processes each: on a shared machine one pair of runs is noise.
    for key in ("rss_per_interp_kib", "create_exec_ms"):
        ours[key] = [ours[key]]
        if "cpython_" + key in peers:
            peers["cpython_" + key] = [peers["cpython_" + key]]
    for _ in range(LEAN_ROUNDS - 1):
        mine = run_json([os.path.join(build, "bench", "bench-interp"), "--lean"], env)
        theirs = run_json([python, os.path.join(here, "bench-cpython.py"), "--lean"])
        for key in ("rss_per_interp_kib", "create_exec_ms"):
            ours[key].append(mine[key])
            if "cpython_" + key in theirs:
                peers["cpython_" + key].append(theirs["cpython_" + key])
    for d in (ours, peers):
        for key, value in d.items():
            if isinstance(value, list):
                d[key] = sorted(value)[len(value) // 2]
    print_goals(ours, peers)


def print_goals(ours, peers):
    """The figures of issue 15 with their peers of this run, a goal each."""
    def row(name, value, peer, ratio, goal, met):
        return (name, value, peer, f"{ratio:.2f}x" if ratio is not None else "-", goal,
                "-" if met is None else ("yes" if met else "NO"))

    rows = []
    if "cpython_rss_per_interp_kib" in peers:
        ratio = ours["rss_per_interp_kib"] / peers["cpython_rss_per_interp_kib"]
        rows.append(row(f"memory per idle interpreter (RSS over 30, median of {LEAN_ROUNDS} runs)",
                        f"{ours['rss_per_interp_kib']:.0f} KiB",
                        f"{peers['cpython_rss_per_interp_kib']:.0f} KiB create()", ratio,
                        "<= 0.75x", ratio <= 0.75))
        ratio = ours["create_exec_ms"] / peers["cpython_create_exec_ms"]
        rows.append(row(f"create + first exec (median of 30, median of {LEAN_ROUNDS} runs)", f"{ours['create_exec_ms']:.2f} ms",
                        f"{peers['cpython_create_exec_ms']:.2f} ms create()+exec()", ratio,
                        "<= 0.80x", ratio <= 0.8))
    rows.append(row("cancel a running loop -> completion (median of 30)",
                    f"{ours['cancel_latency_ms']:.3f} ms", "not possible", None,
                    "<= 1 ms", ours["cancel_latency_ms"] <= 1.0))
    rows.append(row("  same, 90th percentile", f"{ours['cancel_p90_ms']:.3f} ms", "", None, "", None))
    ratio = ours["loop_cancellable_s"] / ours["loop_s"]
    # A cancellable costs running code nothing (nothing runs until it
    # fires): what shows is the machine's noise, which the goal allows.
    rows.append(row("a loop with a cancellable, against without (best of 10)",
                    f"{ours['loop_cancellable_s'] * 1e3:.1f} ms", f"{ours['loop_s'] * 1e3:.1f} ms",
                    ratio, "<= 1.05x (noise)", ratio <= 1.05))
    if "cpython_loop_s" in peers:
        ratio = ours["loop_s"] / peers["cpython_loop_s"]
        rows.append(row("  the loop, against CPython's interpreter (best of 5)",
                        f"{ours['loop_s'] * 1e3:.1f} ms", f"{peers['cpython_loop_s'] * 1e3:.1f} ms",
                        ratio, "", None))

    header = ("goal figure (peers in this run)", "ours", "peer", "ratio", "goal", "met")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print()
    for r in [header] + rows:
        print("  " + "  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                               for i, (c, w) in enumerate(zip(r, widths))))


if __name__ == "__main__":
    main()
