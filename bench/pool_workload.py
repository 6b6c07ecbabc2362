"""The pure-Python work of the pool benchmarks: the same code runs in
interp-glib's workers and in every peer (imported, or run as source)."""
import time


def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def noop():
    return None


def time_alone(n, seconds=0.3):
    """Mean wall time of work(n), measured alone in this interpreter."""
    work(n)
    reps = 0
    start = time.perf_counter()
    while True:
        work(n)
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / reps


def calibrate(target_s):
    """The n for which work(n) takes about target_s here."""
    n = 64
    while True:
        t = time_alone(n, 0.05)
        if t >= 2e-3:
            return max(1, int(n * target_s / t))
        n *= 2
