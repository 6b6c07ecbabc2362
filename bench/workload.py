# The CPU-bound pure-Python function every benchmark runs, the same source
# for interp-glib's interpreters, CPython's interpreters, threads and
# processes.
def work(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total


def noop():
    return None
