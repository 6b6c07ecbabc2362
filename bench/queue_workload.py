# Code run inside two interpreters for the queue benchmarks. QUEUE(qid)
# names the queue class under test: interp_glib.Queue, or CPython's
# test.support.interpreters.queues.Queue. The same code measures both.

PRODUCER = """
q = QUEUE(QID)
for i in range(N):
    q.put(i)
q.put(None)
"""

CONSUMER = """
import time
q = QUEUE(QID)
count = 0
start = time.perf_counter()
while q.get() is not None:
    count += 1
elapsed = time.perf_counter() - start
"""

# The host's stream: the consumer says it is ready, waits for the first
# item without blocking (CPython's get() would sleep 10 ms between polls)
# and times from that item to the last. Timing from the consumer's start
# instead measured mostly when its thread got going: the host could put
# every item before it did, and then only the draining was timed.
STREAM_CONSUMER = """
import time
q = QUEUE(QID)
QUEUE(READY).put(True)
while q.empty():
    pass
count = 0
start = time.perf_counter()
while q.get() is not None:
    count += 1
elapsed = time.perf_counter() - start
"""

# The producer waits a little between puts, so that the consumer is
# blocked in get() each time: the delay from put to get returning is the
# wake-up latency.
PINGER = """
import time
q = QUEUE(QID)
for i in range(ROUNDS):
    time.sleep(0.002)
    q.put(time.perf_counter())
q.put(None)
"""

WAITER = """
import time
q = QUEUE(QID)
latencies = []
while True:
    sent = q.get()
    if sent is None:
        break
    latencies.append(time.perf_counter() - sent)
latencies.sort()
"""


# ---------------------------------------------------------------------
# Run from a host Python, for interp_glib's queues and CPython's alike:
# the host streams into other interpreters, which run the consumers on
# threads of their own (Interpreter.exec() in a threading.Thread).

def _exec_in_threads(interps, codes):
    import threading
    threads = [threading.Thread(target=i.exec, args=(c,)) for i, c in zip(interps, codes)]
    for t in threads:
        t.start()
    return threads


def _read_back(interp, queue_module_code, expr, out):
    interp.exec(f"{queue_module_code}\nQUEUE({out.id}).put(float({expr}))")
    return out.get()


def host_stream(mod, queue_setup, n=100000):
    """Items/s of n ints streamed from this (host) interpreter to another.

    mod is the interpreters module (interp_glib, or CPython's), whose
    create_queue()/create() are used; queue_setup is the code that names
    QUEUE in the consumer."""
    q, out, ready = mod.create_queue(), mod.create_queue(), mod.create_queue()
    interp = mod.create()
    interp.exec(queue_setup)
    [t] = _exec_in_threads([interp], [STREAM_CONSUMER.replace("QID", str(q.id))
                                      .replace("READY", str(ready.id))])
    ready.get()
    for i in range(n):
        q.put(i)
    q.put(None)
    t.join()
    rate = _read_back(interp, queue_setup, "count / elapsed", out)
    interp.close()
    return rate


def host_wake(mod, queue_setup, rounds=300):
    """Median and p99 (us) from a put here to a blocked get returning there."""
    import time
    q, out = mod.create_queue(), mod.create_queue()
    interp = mod.create()
    interp.exec(queue_setup)
    [t] = _exec_in_threads([interp], [WAITER.replace("QID", str(q.id))])
    for _ in range(rounds):
        time.sleep(0.002)
        q.put(time.perf_counter())
    q.put(None)
    t.join()
    median = _read_back(interp, queue_setup, "latencies[len(latencies) // 2] * 1e6", out)
    p99 = _read_back(interp, queue_setup, "latencies[int(len(latencies) * 0.99)] * 1e6", out)
    interp.close()
    return median, p99


def many_waiters_cpu(mod, queue_setup, n_waiters, rounds=100):
    """CPU time (us, the whole process's) per blocked get with n_waiters
    interpreters blocked on one queue; the host puts one item every 2 ms."""
    import time
    q = mod.create_queue()
    interps = [mod.create() for _ in range(n_waiters)]
    done = mod.create_queue()
    code = queue_setup + (f"\nq, done = QUEUE({q.id}), QUEUE({done.id})\n"
                          "while (item := q.get()) is not None:\n"
                          "    if item == 0:\n        done.put(0)\n")
    threads = _exec_in_threads(interps, [code] * n_waiters)
    # Every waiter started: each took one 0 (and waits for none other
    # meanwhile), then all are blocked again.
    for _ in range(n_waiters):
        q.put(0)
    for _ in range(n_waiters):
        done.get()
    time.sleep(0.2)
    start = time.process_time()
    for _ in range(rounds):
        time.sleep(0.002)
        q.put(1)
    cpu = time.process_time() - start
    for _ in range(n_waiters):
        q.put(None)
    for t in threads:
        t.join()
    for interp in interps:
        interp.close()
    return cpu / rounds * 1e6
