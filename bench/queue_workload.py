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
