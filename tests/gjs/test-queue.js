// test-queue.js: Interp.Queue and Interp.Channel as a GJS application uses
// them: GLib.Variant items from JS, Python values from interpreters, the
// `_async` waits on a GLib.MainLoop, cancellation, unbound items and values
// that only Python can read.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertGError, assertMatch,
    assertRejects, assertStartsWith, assertThrowsGError, callAsync, now, waitFor,
} from './harness.js';

const CANCELLED = Gio.IOErrorEnum.CANCELLED;
const {
    QUEUE_EMPTY, QUEUE_FULL, QUEUE_NOT_FOUND, NOT_SHAREABLE, OUT_OF_RANGE,
    ITEM_INTERPRETER_DESTROYED, NOT_RECEIVED, EXECUTION_FAILED,
} = Interp.Error;

/** Ten seconds in microseconds: a bound on waits that must succeed. */
const LONG_US = 10 * 1000 * 1000;

let a, b;

const str = s => new GLib.Variant('s', s);
const int = n => new GLib.Variant('x', n);

function cancelledCancellable() {
    const c = new Gio.Cancellable();
    c.cancel();
    return c;
}

/** textwrap.dedent() of @code, so that a template literal may be indented. */
function dedent(code) {
    const lines = code.split('\n');
    const indents = lines.filter(l => l.trim() !== '').map(l => l.match(/^ */)[0].length);
    const n = indents.length > 0 ? Math.min(...indents) : 0;
    return lines.map(l => l.slice(n)).join('\n');
}

/**
 * Python source that first binds each name of @queues to its queue in the
 * running interpreter, then runs @code (which may be indented).
 */
function py(queues, code) {
    const binds = Object.entries(queues).map(([name, q]) => `${name} = interp_glib.Queue(${q.id})\n`);
    return `import interp_glib\n${binds.join('')}${dedent(code)}`;
}

/** Runs @fn, which must fail with EXECUTION_FAILED naming Python's @type. */
function assertPythonRaises(fn, type, what) {
    const e = assertThrowsGError(fn, Interp.Error, EXECUTION_FAILED, what);
    assertStartsWith(e.message, `${type}:`, `${what}: the Python exception`);
    return e;
}

/** The first line of an error message. */
function firstLine(e) {
    return e.message.split('\n')[0];
}

/**
 * Polls until a synchronous Python get is blocked on @q. There is no
 * public way to see a waiting getter of a queue from C, so this asks the
 * module's private helper from another interpreter (@probe); the condition
 * is polled, not guessed with a sleep.
 */
function waitForBlockedGetter(probe, q, what) {
    probe.exec(py({_probe_q: q}, ''), null);
    return waitFor(() => probe.eval('interp_glib._has_waiting_getter(_probe_q._handle)', null).deepUnpack(),
        5000, what);
}

/** Turns the main loop once through an interpreter round trip. */
async function roundTrip() {
    await callAsync(b, 'eval', 'None', null);
}

/* ------------------------------------------------------------------ */
/* Queues from GJS alone                                               */

test('setup: two interpreters', () => {
    a = Interp.Interpreter.new(null);
    b = Interp.Interpreter.new(null);
    assert(a.id > 0 && b.id > 0 && a.id !== b.id, `distinct ids ${a.id}, ${b.id}`);
});

test('Queue.new(maxsize): id, maxsize, size, is_empty, is_full', () => {
    const q = Interp.Queue.new(3);
    assert(q instanceof Interp.Queue, 'an Interp.Queue');
    assert(Number.isInteger(q.id) && q.id > 0, `a positive id: ${q.id}`);
    assertEqual(q.get_id(), q.id, 'get_id() and the id property');
    assertEqual(q.maxsize, 3, 'maxsize property');
    assertEqual(q.get_maxsize(), 3, 'get_maxsize()');
    assertEqual(q.get_size(), 0, 'empty at first');
    assertEqual(q.is_empty(), true, 'is_empty()');
    assertEqual(q.is_full(), false, 'is_full()');

    for (let i = 1; i <= 3; i++) {
        assertEqual(q.put(int(i), 0, null), true, `put ${i}`);
        assertEqual(q.get_size(), i, `size after ${i} puts`);
        assertEqual(q.is_empty(), false, 'not empty');
    }
    assertEqual(q.is_full(), true, 'full at maxsize');
    assertEqual(q.get(0, null).deepUnpack(), 1, 'get()');
    assertEqual(q.is_full(), false, 'room again');
    assertEqual(q.get_size(), 2);

    const other = Interp.Queue.new(0);
    assertEqual(other.maxsize, 0, 'no limit');
    assert(other.id !== q.id, 'distinct ids');
    for (let i = 0; i < 100; i++)
        other.put(int(i), 0, null);
    assertEqual(other.get_size(), 100);
    assertEqual(other.is_full(), false, 'a queue without limit is never full');

    const constructed = new Interp.Queue({maxsize: 2});
    assertEqual(constructed.maxsize, 2, 'new Interp.Queue({maxsize})');
    assert(constructed.id > 0 && constructed.id !== q.id && constructed.id !== other.id, 'it has its own id');
    constructed.put(str('x'), 0, null);
    assertEqual(constructed.get(0, null).deepUnpack(), 'x');
});

test('Queue.new(-1) and timeouts below -1 throw INVALID_ARGUMENT', () => {
    const {INVALID_ARGUMENT} = Interp.Error;
    const e = assertThrowsGError(() => Interp.Queue.new(-1), Interp.Error, INVALID_ARGUMENT, 'a negative maxsize');
    assertMatch(e.message, /maxsize/, 'the message names maxsize');
    const q = Interp.Queue.new(0);
    assertThrowsGError(() => q.get(-2, null), Interp.Error, INVALID_ARGUMENT, 'get(-2)');
    assertThrowsGError(() => q.put(int(1), -5, null), Interp.Error, INVALID_ARGUMENT, 'put(-5)');
    assertEqual(q.get_size(), 0, 'nothing was put');
    const channel = Interp.Channel.new();
    assertThrowsGError(() => channel.recv(-2, null), Interp.Error, INVALID_ARGUMENT, 'recv(-2)');
    assertThrowsGError(() => channel.send(int(1), -2, null), Interp.Error, INVALID_ARGUMENT, 'send(-2)');
});

test('Queue.new_for_id(): the same queue; a bad id is QUEUE_NOT_FOUND', () => {
    const q = Interp.Queue.new(5);
    const same = Interp.Queue.new_for_id(q.id);
    assertEqual(same.id, q.id);
    assertEqual(same.maxsize, 5, 'maxsize of the existing queue');
    q.put(str('through q'), 0, null);
    assertEqual(same.get_size(), 1, 'size seen through the other object');
    assertEqual(same.get(0, null).deepUnpack(), 'through q');
    assertEqual(q.is_empty(), true);

    let e = assertThrowsGError(() => Interp.Queue.new_for_id(987654321), Interp.Error, QUEUE_NOT_FOUND,
        'an id nobody made');
    assert(e.matches(Interp.Error, Interp.Error.QUEUE_NOT_FOUND), 'e.matches(Interp.Error, QUEUE_NOT_FOUND)');
    assertMatch(e.message, /987654321/, 'the message names the id');
    assertThrowsGError(() => Interp.Queue.new_for_id(0), Interp.Error, QUEUE_NOT_FOUND, 'id 0');
    assertThrowsGError(() => Interp.Queue.new_for_id(-1), Interp.Error, QUEUE_NOT_FOUND, 'id -1');
    const ch = Interp.Channel.new();
    assertThrowsGError(() => Interp.Queue.new_for_id(ch.id), Interp.Error, QUEUE_NOT_FOUND,
        'the id of a channel is not a queue');

    // A queue made in Python, found from GJS; gone once Python drops it.
    a.exec('import interp_glib\npq = interp_glib.create_queue(7)\npq_id = pq.id', null);
    const pqId = a.eval('pq_id', null).deepUnpack();
    const pq = Interp.Queue.new_for_id(pqId);
    assertEqual(pq.maxsize, 7, 'maxsize given in Python');
    a.exec('pq.put("from python")', null);
    assertEqual(pq.get(0, null).deepUnpack(), 'from python');
    a.exec('tmp = interp_glib.create_queue()\ntmp_id = tmp.id\ndel tmp', null);
    assertThrowsGError(() => Interp.Queue.new_for_id(a.eval('tmp_id', null).deepUnpack()),
        Interp.Error, QUEUE_NOT_FOUND, 'a queue nothing refers to any more');
});

test('new Interp.Queue({id}) + init(): the same queue; a bad id fails in init', () => {
    const q = Interp.Queue.new(3);
    const same = new Interp.Queue({id: q.id});
    assert(same instanceof Gio.Initable, 'a Gio.Initable');
    assertEqual(same.init(null), true, 'init() finds the queue');
    assertEqual(same.id, q.id);
    assertEqual(same.maxsize, 3, 'maxsize of the existing queue');
    q.put(str('put on one'), 0, null);
    assertEqual(same.get(0, null).deepUnpack(), 'put on one', 'got on the other');
    same.put(int(11), 0, null);
    assertEqual(q.get(0, null).deepUnpack(), 11, 'and back');
    assertEqual(same.init(null), true, 'a second init() is a no-op');

    // A queue made in Python, found by id.
    a.exec('import interp_glib\nbyid = interp_glib.create_queue(4)', null);
    const pyQueue = new Interp.Queue({id: a.eval('byid.id', null).deepUnpack()});
    pyQueue.init(null);
    a.exec('byid.put("from python")', null);
    assertEqual(pyQueue.get(0, null).deepUnpack(), 'from python');
    assertEqual(pyQueue.maxsize, 4);

    // Without an id, or with 0 (no queue's), a new queue, with or without init().
    const fresh = new Interp.Queue({id: 0});
    assertEqual(fresh.init(null), true);
    assert(fresh.id > 0 && fresh.id !== q.id, 'a new queue');

    const missing = new Interp.Queue({id: 987654321});
    const e = assertThrowsGError(() => missing.init(null), Interp.Error, QUEUE_NOT_FOUND, 'an id nobody made');
    assertMatch(e.message, /987654321/, 'the message names the id');
    assertThrowsGError(() => missing.init(null), Interp.Error, QUEUE_NOT_FOUND, 'init() fails again');
    assertThrowsGError(() => new Interp.Queue({id: -1}).init(null), Interp.Error, QUEUE_NOT_FOUND, 'id -1');
    assertThrowsGError(() => new Interp.Queue({id: Interp.Channel.new().id}).init(null), Interp.Error,
        QUEUE_NOT_FOUND, 'the id of a channel is not a queue');
});

test('put()/get() keep FIFO order and the GLib.Variant types', () => {
    const q = Interp.Queue.new(0);
    const items = [
        new GLib.Variant('(sx)', ['hi', 5]),
        new GLib.Variant('a{sv}', {n: int(1), s: str('x')}),
        new GLib.Variant('ay', new Uint8Array([0, 1, 255])),
        new GLib.Variant('as', ['p', 'q']),
        new GLib.Variant('mi', null),
        new GLib.Variant('b', false),
        new GLib.Variant('d', -0.5),
        new GLib.Variant('u', 4000000000),
        new GLib.Variant('s', ''),
    ];
    for (const item of items)
        assertEqual(q.put(item, -1, null), true);
    assertEqual(q.get_size(), items.length);
    for (const item of items) {
        const got = q.get(0, null);
        assertEqual(got.get_type_string(), item.get_type_string(), 'the type is kept');
        assertEqual(got.equal(item), true, `the value is kept: ${got.print(true)}`);
    }
    assertEqual(q.is_empty(), true);
});

test('put() on a full queue and get() on an empty one time out', () => {
    const q = Interp.Queue.new(1);
    assertEqual(q.put(str('first'), 0, null), true);
    let e = assertThrowsGError(() => q.put(str('second'), 0, null), Interp.Error, QUEUE_FULL, 'put, timeout 0');
    assertEqual(e.message, 'The queue is full');
    let t0 = now();
    assertThrowsGError(() => q.put(str('second'), 50000, null), Interp.Error, QUEUE_FULL, 'put, 50 ms');
    assert(now() - t0 >= 45, `put waited the timeout (${now() - t0} ms)`);
    assertEqual(q.get_size(), 1, 'the failed puts added nothing');

    assertEqual(q.get(0, null).deepUnpack(), 'first');
    e = assertThrowsGError(() => q.get(0, null), Interp.Error, QUEUE_EMPTY, 'get, timeout 0');
    assertEqual(e.message, 'The queue is empty');
    t0 = now();
    assertThrowsGError(() => q.get(50000, null), Interp.Error, QUEUE_EMPTY, 'get, 50 ms');
    assert(now() - t0 >= 45, `get waited the timeout (${now() - t0} ms)`);
});

test('put()/get() with a cancelled Gio.Cancellable fail with CANCELLED', () => {
    const q = Interp.Queue.new(0);
    assertThrowsGError(() => q.put(str('x'), -1, cancelledCancellable()), Gio.IOErrorEnum, CANCELLED, 'put');
    assertEqual(q.get_size(), 0, 'nothing was put');
    q.put(str('y'), -1, null);
    assertThrowsGError(() => q.get(-1, cancelledCancellable()), Gio.IOErrorEnum, CANCELLED, 'get');
    assertEqual(q.get_size(), 1, 'nothing was taken');
    assertEqual(q.get(0, new Gio.Cancellable()).deepUnpack(), 'y', 'a live cancellable');
});

/* ------------------------------------------------------------------ */
/* Queues between GJS and Python                                       */

test('Python gets what GJS puts, converted by the Values table', () => {
    const q = Interp.Queue.new(0);
    q.put(new GLib.Variant('(sx)', ['hi', 5]), -1, null);
    q.put(new GLib.Variant('a{sv}', {k: new GLib.Variant('ai', [1, 2])}), -1, null);
    q.put(new GLib.Variant('ay', new Uint8Array([104, 105])), -1, null);
    q.put(new GLib.Variant('ms', null), -1, null);
    a.exec(py({q}, `got = [q.get(timeout=5) for _ in range(4)]`), null);
    assertEqual(a.eval('repr(got)', null).deepUnpack(), "[('hi', 5), {'k': [1, 2]}, b'hi', None]");
    assertEqual(q.is_empty(), true);
});

test('get_async() on the main loop receives dict, list, tuple and None from Python', async () => {
    const q = Interp.Queue.new(0);
    const pending = [0, 1, 2, 3, 4].map(() => callAsync(q, 'get', null));
    await roundTrip();
    for (const p of pending)
        assertEqual(p.state.calls, 0, 'nothing completes before an item arrives');

    const producer = callAsync(a, 'exec', py({q}, `
        q.put({"name": "widget", "sizes": [1, 2], "nested": {"ok": True}})
        q.put([1, "two", None, 2.5])
        q.put((7, "x", None, True, b"by", (1, 2)))
        q.put(None)
        q.put({3: "three", -1: "minus"})
    `), null);
    const [dict, list, tuple, none, intDict] = await Promise.all(pending);
    assertEqual(await producer, true);

    assertEqual(dict.get_type_string(), 'a{sv}', 'a dict with str keys');
    assertDeepEqual(dict.recursiveUnpack(), {name: 'widget', sizes: [1, 2], nested: {ok: true}});
    assertEqual(list.get_type_string(), 'av', 'a list');
    assertDeepEqual(list.recursiveUnpack(), [1, 'two', null, 2.5]);
    assertEqual(tuple.get_type_string(), '(xsmvbay(xx))', 'a tuple keeps its item types');
    assertDeepEqual(tuple.recursiveUnpack(), [7, 'x', null, true, new Uint8Array([98, 121]), [1, 2]]);
    assertEqual(none.get_type_string(), 'mv', 'None');
    assertEqual(none.recursiveUnpack(), null);
    assertEqual(intDict.get_type_string(), 'a{xv}', 'a dict with int keys');
    assertDeepEqual(intDict.recursiveUnpack(), {3: 'three', '-1': 'minus'});
    for (const p of pending)
        assertEqual(p.state.calls, 1, 'each callback ran once');
    assertEqual(q.is_empty(), true);
});

test('get_async() with an item already there completes through the main loop', async () => {
    const q = Interp.Queue.new(0);
    q.put(str('waiting'), 0, null);
    const p = callAsync(q, 'get', null);
    assertEqual(p.state.calls, 0, 'the callback does not run synchronously');
    assertEqual((await p).deepUnpack(), 'waiting');
    assertEqual(q.is_empty(), true);
});

test('put_async() on a full queue completes when Python gets', async () => {
    const q = Interp.Queue.new(1);
    q.put(str('first'), 0, null);
    const second = callAsync(q, 'put', str('second'), null);
    const third = callAsync(q, 'put', str('third'), null);
    await roundTrip();
    assertEqual(second.state.calls, 0, 'the put waits for room');
    assertEqual(third.state.calls, 0);
    assertEqual(q.get_size(), 1, 'the waiting items are not in the queue yet');
    assertEqual(q.is_full(), true);

    a.exec(py({q}, `one = q.get(timeout=5)`), null);
    assertEqual(await second, true, 'the first waiting put completed');
    assertEqual(a.eval('one', null).deepUnpack(), 'first');
    assertEqual(q.get_size(), 1, 'its item took the free place');
    await roundTrip();
    assertEqual(third.state.calls, 0, 'the other put still waits');

    a.exec('rest = [q.get(timeout=5), q.get(timeout=5)]', null);
    assertEqual(await third, true);
    assertDeepEqual(a.eval('rest', null).recursiveUnpack(), ['second', 'third'], 'in order');
    assertEqual(q.is_empty(), true);
});

test('cancelling a waiting put_async() leaves the queue unchanged', async () => {
    const q = Interp.Queue.new(1);
    q.put(str('kept'), 0, null);
    const cancellable = new Gio.Cancellable();
    const p = callAsync(q, 'put', str('dropped'), cancellable);
    await roundTrip();
    cancellable.cancel();
    assertGError(await assertRejects(p), Gio.IOErrorEnum, CANCELLED);
    assertEqual(p.state.calls, 1);
    assertEqual(q.get(0, null).deepUnpack(), 'kept');
    assertThrowsGError(() => q.get(0, null), Interp.Error, QUEUE_EMPTY, 'the cancelled item never came');
});

test('cancelling a pending get_async() gives CANCELLED and takes nothing', async () => {
    const q = Interp.Queue.new(0);
    const cancellable = new Gio.Cancellable();
    const cancelledGet = callAsync(q, 'get', cancellable);
    const laterGet = callAsync(q, 'get', null);
    await roundTrip();
    assertEqual(cancelledGet.state.calls, 0, 'pending');
    cancellable.cancel();
    const e = await assertRejects(cancelledGet);
    assertGError(e, Gio.IOErrorEnum, CANCELLED);
    assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), 'e.matches(Gio.IOErrorEnum, CANCELLED)');
    assertEqual(cancelledGet.state.calls, 1, 'the callback ran once');

    a.exec(py({q}, `q.put("for the next getter")`), null);
    assertEqual((await laterGet).deepUnpack(), 'for the next getter', 'the other getter got it');
    q.put(str('stays'), 0, null);
    await roundTrip();
    assertEqual(q.get(0, null).deepUnpack(), 'stays', 'the cancelled getter took nothing');
    cancellable.cancel();
    assertEqual(cancelledGet.state.calls, 1, 'cancelling again does nothing');

    q.put(str('still here'), 0, null);
    assertGError(await assertRejects(callAsync(q, 'get', cancelledCancellable())), Gio.IOErrorEnum, CANCELLED,
        'get_async with a cancelled cancellable');
    assertEqual(q.get_size(), 1, 'the item stays');
});

test('a Python get blocked in exec_async() is cancelled by its Gio.Cancellable', async () => {
    const q = Interp.Queue.new(0);
    const cancellable = new Gio.Cancellable();
    const p = callAsync(a, 'exec', py({q}, `
        reached_end = False
        cleaned = False
        try:
            q.get()
            reached_end = True
        finally:
            cleaned = True
    `), cancellable);
    await waitForBlockedGetter(b, q, 'the Python get to block');
    assertEqual(a.is_running(), true, 'a runs the blocked get');
    const t0 = now();
    cancellable.cancel();
    const e = await assertRejects(p, 'the exec fails');
    assertGError(e, Gio.IOErrorEnum, CANCELLED);
    print(`# the blocked get woke ${(now() - t0).toFixed(1)} ms after cancel`);
    assertEqual(p.state.calls, 1);
    assertDeepEqual(a.eval('[reached_end, cleaned]', null).recursiveUnpack(), [false, true],
        'the get raised; finally ran');

    assertEqual(a.is_running(), false);
    assertEqual(a.eval('1 + 1', null).deepUnpack(), 2, 'the interpreter is still usable');
    q.put(str('after cancel'), 0, null);
    assertEqual(a.eval('q.get(timeout=5)', null).deepUnpack(), 'after cancel', 'its queue waits work again');
    const again = callAsync(a, 'eval', 'q.get(timeout=5)', new Gio.Cancellable());
    q.put(str('with a fresh cancellable'), 0, null);
    assertEqual((await again).deepUnpack(), 'with a fresh cancellable');
});

test('producer and consumer in two interpreters run at the same time', async () => {
    const N = 300;
    const q = Interp.Queue.new(4);  // small: each side must wait for the other
    const results = Interp.Queue.new(0);
    const consumer = callAsync(b, 'exec', py({q, results}, `
        seen = []
        while True:
            item = q.get(timeout=10)
            if item is None:
                break
            seen.append(item)
        results.put({
            "count": len(seen),
            "in_order": [i for i, _ in seen] == list(range(${N})),
            "sum": sum(v for _, v in seen),
            "last": seen[-1][0],
        })
    `), null);
    const producer = callAsync(a, 'exec', py({q}, `
        for i in range(${N}):
            q.put((i, i * i), timeout=10)
        q.put(None, timeout=10)
    `), null);
    const summary = callAsync(results, 'get', null);
    const [pr, cr] = await Promise.all([producer, consumer]);
    assertEqual(pr, true, 'the producer finished');
    assertEqual(cr, true, 'the consumer finished');
    let sum = 0;
    for (let i = 0; i < N; i++)
        sum += i * i;
    assertDeepEqual((await summary).recursiveUnpack(), {count: N, in_order: true, sum, last: N - 1});
    assertEqual(q.is_empty(), true);
});

test('GJS consumes with get_async() while Python produces into a bounded queue', async () => {
    const q = Interp.Queue.new(2);
    const producer = callAsync(a, 'exec', py({q}, `
        for i in range(50):
            q.put({"seq": i, "label": f"n{i}"}, timeout=10)
        q.put(None, timeout=10)
    `), null);
    const got = [];
    for (;;) {
        // eslint-disable-next-line no-await-in-loop
        const item = await callAsync(q, 'get', null);
        if (item.get_type_string() === 'mv')
            break;
        got.push(item.recursiveUnpack());
    }
    assertEqual(await producer, true);
    assertEqual(got.length, 50);
    got.forEach((item, i) => assertDeepEqual(item, {seq: i, label: `n${i}`}));
});

test('a queue passed through a queue', () => {
    const outer = Interp.Queue.new(0);
    a.exec(py({outer}, `
        inner = interp_glib.create_queue(3)
        inner_id = inner.id
        outer.put(inner)
        outer.put("marker")
        del inner  # the queue in the queue keeps it alive
    `), null);
    const innerId = a.eval('inner_id', null).deepUnpack();
    assertEqual(outer.get_size(), 2);

    const e = assertThrowsGError(() => outer.get(0, null), Interp.Error, NOT_SHAREABLE, 'C cannot get a queue');
    assertMatch(e.message, /queue/, 'the message says what it is');
    assertEqual(outer.get_size(), 2, 'the queue item stays');

    b.exec(py({outer}, `
        inner = outer.get(timeout=5)
        inner_info = (type(inner).__name__, inner.id, inner.maxsize)
        inner.put("sent via b")
    `), null);
    assertDeepEqual(b.eval('inner_info', null).recursiveUnpack(), ['Queue', innerId, 3],
        'b got the same queue');
    assertEqual(outer.get(0, null).deepUnpack(), 'marker', 'the next item');

    const inner = Interp.Queue.new_for_id(innerId);
    assertEqual(inner.maxsize, 3);
    assertEqual(inner.get(0, null).deepUnpack(), 'sent via b');

    // And the other way round: GJS hands Python its queue's id in a queue.
    const reply = Interp.Queue.new(0);
    outer.put(new GLib.Variant('(sx)', ['reply-to', reply.id]), 0, null);
    b.exec(`
        _, reply_id = outer.get(timeout=5)
        interp_glib.Queue(reply_id).put("replied")
    `, null);
    assertEqual(reply.get(0, null).deepUnpack(), 'replied');
});

/* ------------------------------------------------------------------ */
/* Items whose interpreter is gone, and items only Python can read     */

test('unbound policies are visible after closing the putting interpreter', () => {
    const q = Interp.Queue.new(0);
    const c = Interp.Interpreter.new(null);
    c.exec(py({q}, `
        q.put("default")
        q.put("error", unbounditems=interp_glib.UNBOUND_ERROR)
        q.put("remove", unbounditems=interp_glib.UNBOUND_REMOVE)
        q.put("explicit", unbounditems=interp_glib.UNBOUND)
    `), null);
    q.put(str('from GJS'), 0, null);
    a.exec(py({q}, `q.put("from a", unbounditems=interp_glib.UNBOUND_REMOVE)`), null);
    assertEqual(q.get_size(), 6);

    assertEqual(c.close(), true);
    assertEqual(q.get_size(), 5, 'the UNBOUND_REMOVE item of the closed interpreter is gone');

    b.exec(py({q}, `
        first = q.get_nowait()
        first_is_unbound = first is interp_glib.UNBOUND
        try:
            q.get_nowait()
            second = "no exception"
        except interp_glib.ItemInterpreterDestroyed as e:
            second = type(e).__name__
        rest = [q.get_nowait() for _ in range(3)]
        rest[0] = repr(rest[0])
    `), null);
    assertEqual(b.eval('first_is_unbound', null).deepUnpack(), true, 'default: interp_glib.UNBOUND');
    assertEqual(b.eval('repr(first)', null).deepUnpack(), 'interp_glib.UNBOUND');
    assertEqual(b.eval('second', null).deepUnpack(), 'ItemInterpreterDestroyed', 'UNBOUND_ERROR raises');
    assertDeepEqual(b.eval('rest', null).recursiveUnpack(), ['interp_glib.UNBOUND', 'from GJS', 'from a'],
        'GJS items and items of a living interpreter are untouched');
    assertEqual(q.is_empty(), true, 'the raising get consumed its item');
});

test('a queue-wide UNBOUND_REMOVE policy set in Python', () => {
    a.exec('import interp_glib\nrq = interp_glib.create_queue(unbounditems=interp_glib.UNBOUND_REMOVE)', null);
    const q = Interp.Queue.new_for_id(a.eval('rq.id', null).deepUnpack());
    const c = Interp.Interpreter.new(null);
    c.exec(py({q}, `q.put(1)\nq.put(2)\nq.put(3, unbounditems=interp_glib.UNBOUND)`), null);
    q.put(str('kept'), 0, null);
    c.close();
    assertEqual(q.get_size(), 2, 'the items that follow the queue\'s policy are removed');
    assertEqual(a.eval('repr(rq.get_nowait())', null).deepUnpack(), 'interp_glib.UNBOUND',
        'an item\'s own policy wins');
    assertEqual(q.get(0, null).deepUnpack(), 'kept');
});

test('a C get of an unbound item fails with ITEM_INTERPRETER_DESTROYED', async () => {
    const q = Interp.Queue.new(0);
    const c = Interp.Interpreter.new(null);
    c.exec(py({q}, `
        q.put("replaced")
        q.put("raises", unbounditems=interp_glib.UNBOUND_ERROR)
        q.put("async")
        q.put("next")
    `), null);
    assertEqual(q.get(0, null).deepUnpack(), 'replaced', 'before the close the item is an ordinary value');
    c.close();
    assertEqual(q.get_size(), 3);
    let e = assertThrowsGError(() => q.get(0, null), Interp.Error, ITEM_INTERPRETER_DESTROYED, 'UNBOUND_ERROR item');
    assert(e.matches(Interp.Error, Interp.Error.ITEM_INTERPRETER_DESTROYED), 'e.matches()');
    assertEqual(q.get_size(), 2, 'the failed get consumed the item');
    e = await assertRejects(callAsync(q, 'get', null), 'get_async of an UNBOUND item');
    assertGError(e, Interp.Error, ITEM_INTERPRETER_DESTROYED);
    assertEqual(q.get_size(), 1);
    e = assertThrowsGError(() => q.get(0, null), Interp.Error, ITEM_INTERPRETER_DESTROYED, 'UNBOUND item');
    assertEqual(q.is_empty(), true);
    q.put(str('fine'), 0, null);
    assertEqual(q.get(0, null).deepUnpack(), 'fine', 'the queue works on');
});

test('a pickled object: C get fails with NOT_SHAREABLE, the item stays, Python gets it', async () => {
    const q = Interp.Queue.new(0);
    a.exec(py({q}, `
        import fractions
        q.put(fractions.Fraction(1, 3))
        q.put("after")
    `), null);
    let e = assertThrowsGError(() => q.get(0, null), Interp.Error, NOT_SHAREABLE, 'C get');
    assertMatch(e.message, /Fraction/, 'the message names the type');
    assertEqual(q.get_size(), 2, 'the item stays');
    e = await assertRejects(callAsync(q, 'get', null), 'get_async');
    assertGError(e, Interp.Error, NOT_SHAREABLE);
    assertEqual(q.get_size(), 2, 'the item still stays');

    b.exec(py({q}, `f = q.get_nowait()`), null);
    assertEqual(b.eval('repr(f)', null).deepUnpack(), 'Fraction(1, 3)', 'Python gets it');
    assertEqual(q.get(0, null).deepUnpack(), 'after', 'then C gets the next item, in order');
});

test('an object another interpreter cannot unpickle stays for one that can', () => {
    const q = Interp.Queue.new(0);
    a.exec(py({q}, `
        class Point:
            def __init__(self, x):
                self.x = x
        q.put(Point(3))
    `), null);
    assertThrowsGError(() => q.get(0, null), Interp.Error, NOT_SHAREABLE, 'C get');
    assertPythonRaises(() => b.exec(py({q}, `q.get_nowait()`), null), 'AttributeError',
        'b has no Point class');
    assertEqual(q.get_size(), 1, 'the item went back');
    assertEqual(a.eval('q.get_nowait().x', null).deepUnpack(), 3, 'a gets it');
});

test('ints beyond 64 bits: C get fails with OUT_OF_RANGE and the item stays', () => {
    const q = Interp.Queue.new(0);
    a.exec(py({q}, `q.put(2**100)\nq.put(2**64 - 1)\nq.put(-2**63)`), null);
    const e = assertThrowsGError(() => q.get(0, null), Interp.Error, OUT_OF_RANGE, 'C get of 2**100');
    assertMatch(e.message, /64 bits/);
    assertEqual(q.get_size(), 3, 'the item stays');
    assertEqual(a.eval('str(q.get_nowait())', null).deepUnpack(), String(2n ** 100n), 'Python gets it');
    const big = q.get(0, null);
    assertEqual(big.get_type_string(), 't', 'above the int64 maximum: uint64');
    // print(): a JS Number cannot hold every 64-bit value.
    assertEqual(big.print(false), String(2n ** 64n - 1n));
    const small = q.get(0, null);
    assertEqual(small.get_type_string(), 'x');
    assertEqual(small.print(false), String(-(2n ** 63n)));
});

test('Python errors on the queue API: QueueEmpty, QueueFull, QueueNotFoundError', () => {
    const q = Interp.Queue.new(1);
    a.exec(py({q}, ''), null);
    assertPythonRaises(() => a.exec('q.get_nowait()', null), 'QueueEmpty', 'get_nowait');
    assertPythonRaises(() => a.exec('q.get(timeout=0.01)', null), 'QueueEmpty', 'get with a timeout');
    q.put(str('full'), 0, null);
    assertPythonRaises(() => a.exec('q.put(1, timeout=0.01)', null), 'QueueFull', 'put with a timeout');
    assertPythonRaises(() => a.exec('interp_glib.Queue(987654321)', null), 'QueueNotFoundError', 'bad id');
    assertEqual(a.eval('isinstance(interp_glib.QueueEmpty(), __import__("queue").Empty)', null).deepUnpack(),
        true, 'QueueEmpty is a queue.Empty');
    assertEqual(q.get(0, null).deepUnpack(), 'full');
});

/* ------------------------------------------------------------------ */
/* Channels                                                            */

test('Channel.new(), id, new_for_id()', () => {
    const ch = Interp.Channel.new();
    assert(ch instanceof Interp.Channel);
    assert(Number.isInteger(ch.id) && ch.id > 0, `a positive id ${ch.id}`);
    assertEqual(ch.get_id(), ch.id);
    assertEqual(Interp.Channel.new_for_id(ch.id).id, ch.id, 'the same channel');
    assert(new Interp.Channel().id !== ch.id, 'new Interp.Channel() is another channel');
    assertThrowsGError(() => Interp.Channel.new_for_id(987654321), Interp.Error, QUEUE_NOT_FOUND, 'bad id');
    assertThrowsGError(() => Interp.Channel.new_for_id(Interp.Queue.new(0).id), Interp.Error, QUEUE_NOT_FOUND,
        'the id of a queue is not a channel');

    const byId = new Interp.Channel({id: ch.id});
    assertEqual(byId.init(null), true, 'new Interp.Channel({id}) + init()');
    assertEqual(byId.id, ch.id, 'the same channel');
    assertThrowsGError(() => new Interp.Channel({id: 987654321}).init(null), Interp.Error, QUEUE_NOT_FOUND,
        'init() with a bad id');

    a.exec('import interp_glib\npr, ps = interp_glib.create_channel()', null);
    const pid = a.eval('pr.id', null).deepUnpack();
    assertEqual(a.eval('ps.id', null).deepUnpack(), pid, 'both ends share the id');
    assertEqual(Interp.Channel.new_for_id(pid).id, pid, 'a channel made in Python');
});

test('send() waits until a Python recv() takes the item', async () => {
    const ch = Interp.Channel.new();
    const receiver = callAsync(a, 'exec', `
        import interp_glib, time
        r = interp_glib.RecvChannel(${ch.id})
        time.sleep(0.2)  # send() must wait at least this long
        got = r.recv(timeout=10)
    `, null);
    const t0 = now();
    assertEqual(ch.send(new GLib.Variant('(sx)', ['ping', 1]), LONG_US, null), true, 'send() returned true');
    const elapsed = now() - t0;
    assert(elapsed >= 190, `send() waited for the receiver (${elapsed} ms)`);
    assertEqual(await receiver, true);
    assertEqual(a.eval('repr(got)', null).deepUnpack(), "('ping', 1)");
});

test('recv() gets what Python sends; Python\'s send() returns once received', async () => {
    const ch = Interp.Channel.new();
    const sender = callAsync(a, 'exec', `
        import interp_glib
        s = interp_glib.SendChannel(${ch.id})
        s.send({"msg": "hello", "n": (1, 2)}, timeout=10)
        s.send(None, timeout=10)
    `, null);
    const first = ch.recv(LONG_US, null);
    assertEqual(first.get_type_string(), 'a{sv}');
    assertDeepEqual(first.recursiveUnpack(), {msg: 'hello', n: [1, 2]});
    assertEqual(ch.recv(LONG_US, null).recursiveUnpack(), null, 'None');
    assertEqual(await sender, true, 'both sends returned');
    assertThrowsGError(() => ch.recv(0, null), Interp.Error, QUEUE_EMPTY, 'nothing more');
    const t0 = now();
    assertThrowsGError(() => ch.recv(50000, null), Interp.Error, QUEUE_EMPTY, 'recv() times out');
    assert(now() - t0 >= 45, 'recv() waited its timeout');
});

test('send_nowait() without a receiver fails with NOT_RECEIVED and sends nothing', async () => {
    const ch = Interp.Channel.new();
    const e = assertThrowsGError(() => ch.send_nowait(str('lost')), Interp.Error, NOT_RECEIVED,
        'send_nowait');
    assert(e.matches(Interp.Error, Interp.Error.NOT_RECEIVED), 'e.matches()');
    assertThrowsGError(() => ch.recv(0, null), Interp.Error, QUEUE_EMPTY, 'nothing was sent');
    assertEqual(a.eval(`__import__("interp_glib").RecvChannel(${ch.id}).recv_nowait("nothing")`, null)
        .deepUnpack(), 'nothing', 'Python sees nothing either');

    // With a receiver waiting in Python it hands the item over. Polling
    // send_nowait() is safe: each failed attempt sends nothing.
    const receiver = callAsync(a, 'exec', `
        import interp_glib
        got = interp_glib.RecvChannel(${ch.id}).recv(timeout=10)
    `, null);
    let failures = 0;
    await waitFor(() => {
        try {
            return ch.send_nowait(str('handed over'));
        } catch (err) {
            assertGError(err, Interp.Error, NOT_RECEIVED);
            failures++;
            return false;
        }
    }, 5000, 'a waiting receiver');
    assertEqual(await receiver, true);
    assertEqual(a.eval('got', null).deepUnpack(), 'handed over');
    assertThrowsGError(() => ch.recv(0, null), Interp.Error, QUEUE_EMPTY,
        `the ${failures} failed attempts left nothing behind`);
});

test('recv_async() on the main loop; cancelling it', async () => {
    const ch = Interp.Channel.new();
    const p = callAsync(ch, 'recv', null);
    await roundTrip();
    assertEqual(p.state.calls, 0, 'pending');
    const sender = callAsync(a, 'exec', `
        import interp_glib
        s = interp_glib.SendChannel(${ch.id})
        s.send([1, "two"], timeout=10)
    `, null);
    assertDeepEqual((await p).recursiveUnpack(), [1, 'two']);
    assertEqual(await sender, true, 'the Python send returned once received');

    const second = callAsync(ch, 'recv', null);
    assertEqual(a.eval('s.send_nowait("to a waiting recv_async")', null).deepUnpack(), true,
        'Python send_nowait() sees the pending recv_async()');
    assertEqual((await second).deepUnpack(), 'to a waiting recv_async');

    const cancellable = new Gio.Cancellable();
    const cancelled = callAsync(ch, 'recv', cancellable);
    await roundTrip();
    cancellable.cancel();
    assertGError(await assertRejects(cancelled), Gio.IOErrorEnum, CANCELLED);
    assertEqual(a.eval('s.send_nowait("nobody")', null).deepUnpack(), false,
        'a cancelled recv_async() no longer counts as a receiver');
    assertThrowsGError(() => ch.send_nowait(str('nobody')), Interp.Error, NOT_RECEIVED);
});

test('send() with nobody receiving times out with NOT_RECEIVED and withdraws the item', () => {
    const ch = Interp.Channel.new();
    const t0 = now();
    const e = assertThrowsGError(() => ch.send(str('unheard'), 100000, null), Interp.Error, NOT_RECEIVED, 'send');
    const elapsed = now() - t0;
    assert(elapsed >= 95, `send() waited its timeout (${elapsed} ms)`);
    assertEqual(e.message, 'Nobody received the item');
    assertThrowsGError(() => ch.recv(0, null), Interp.Error, QUEUE_EMPTY, 'the item was withdrawn');
    assertEqual(a.eval(`__import__("interp_glib").RecvChannel(${ch.id}).recv_nowait("withdrawn")`, null)
        .deepUnpack(), 'withdrawn');
    assertThrowsGError(() => ch.send(str('x'), -1, cancelledCancellable()), Gio.IOErrorEnum, CANCELLED,
        'send with a cancelled cancellable');

    // The Python side of the same rule.
    const pe = assertPythonRaises(() => a.exec(`
        import interp_glib
        interp_glib.SendChannel(${ch.id}).send("unheard", timeout=0.05)
    `, null), 'NotReceivedError', 'Python send with a timeout');
    assertStartsWith(firstLine(pe), 'NotReceivedError: Nobody received the item');
    assertThrowsGError(() => ch.recv(0, null), Interp.Error, QUEUE_EMPTY, 'withdrawn too');
});

test('a Python send() of an object C cannot recv() still waits for a real receiver', async () => {
    const ch = Interp.Channel.new();
    const log = Interp.Queue.new(0);
    const sender = callAsync(a, 'exec', py({log}, `
        import fractions
        s = interp_glib.SendChannel(${ch.id})
        s.send(fractions.Fraction(2, 3), timeout=10)
        log.put("send returned")
    `), null);
    const e = assertThrowsGError(() => ch.recv(LONG_US, null), Interp.Error, NOT_SHAREABLE, 'C recv');
    assertMatch(e.message, /Fraction/);
    // Nobody has received the object yet, so the send must not have
    // returned: the log stays empty until b receives it.
    b.exec(py({log}, `
        try:
            early = log.get(timeout=1)
        except interp_glib.QueueEmpty:
            early = None
        got = interp_glib.RecvChannel(${ch.id}).recv(timeout=5)
    `), null);
    assertEqual(b.eval('repr(got)', null).deepUnpack(), 'Fraction(2, 3)', 'b received the object');
    assertEqual(await sender, true);
    assertEqual(b.eval('early', null).recursiveUnpack(), null,
        'send() returned before anybody received the object');
    assertEqual(log.get(0, null).deepUnpack(), 'send returned', 'it returned after b received');
});

test('shutdown() returns true', () => {
    assertEqual(Interp.shutdown(), true);
});

run();
