// test-pool.js: Interp.Pool from GJS through introspection: calls and maps
// on the main loop, the initializer, timeouts that win over a call blocked
// in C, cancellation, shutdown and the notified counters.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertGError, assertRejects,
    assertStartsWith, callAsync, waitFor, newTestPool, intArgs,
} from './harness.js';

// After the harness's POOL_FUNCTIONS.
const INITIALIZER = `
import interp_glib
def spin():
    while True:
        pass
def meet(mine, other):
    interp_glib.Queue(mine).put(1)
    return interp_glib.Queue(other).get(timeout=60)
`;

function newPool(props) {
    return newTestPool(props, INITIALIZER);
}

test('Pool.new(0) has one worker per CPU and makes them on demand', async () => {
    const pool = Interp.Pool.new(0, null);
    assertEqual(pool.max_workers, GLib.get_num_processors());
    assertEqual(pool.n_workers, 0);
    const v = await callAsync(pool, 'call', 'abs', new GLib.Variant('(x)', [-7]), null, null);
    assertEqual(v.deepUnpack(), 7);
    assert(pool.n_workers >= 1, `n_workers ${pool.n_workers}`);
    assertEqual(pool.shutdown(false, null), true);
    assertEqual(pool.n_workers, 0);
});

test('map_async() returns every result in input order', async () => {
    const pool = newPool({max_workers: 3, min_workers: 3});
    for (const chunk of [0, 1, 7]) {
        const results = await callAsync(pool, 'map', 'square', intArgs(300), chunk, null);
        assertEqual(results.get_type_string(), 'av');
        assertDeepEqual(results.deepUnpack().map(v => v.deepUnpack()),
            Array.from({length: 300}, (_, i) => i * i), `chunk size ${chunk}`);
    }
    pool.shutdown(false, null);
});

test('the first failure in input order fails the map', async () => {
    const pool = newPool({max_workers: 3, min_workers: 3});
    const args = new GLib.Variant('a(xax)', Array.from({length: 200}, (_, i) => [i, [11, 12, 150]]));
    const e = await assertRejects(callAsync(pool, 'map', 'fail_at', args, 3, null));
    assertGError(e, Interp.Error, Interp.Error.EXECUTION_FAILED);
    // One line, naming the failing item.
    assertEqual(e.message, 'ValueError: bad item 11 (item 11)');
    pool.shutdown(false, null);
});

test('a failing initializer breaks the pool, once', async () => {
    const pool = new Interp.Pool({max_workers: 2, initializer: 'raise RuntimeError("no setup")'});
    pool.init(null);
    const calls = [1, 2, 3].map(i => callAsync(pool, 'call', 'abs', new GLib.Variant('(x)', [i]), null, null));
    const outcomes = await Promise.allSettled(calls);
    outcomes.forEach((o, i) => {
        assertEqual(o.status, 'rejected');
        assertGError(o.reason, Interp.Error, Interp.Error.BROKEN);
        assert(o.reason.message.includes('RuntimeError'), o.reason.message);
        assertEqual(calls[i].state.calls, 1);
    });
    assertEqual(pool.broken, true);
    await waitFor(() => pool.n_workers === 0, 20000, 'the starting workers to go');
});

async function twoInParallel(pool) {
    const a = Interp.Queue.new(0);
    const b = Interp.Queue.new(0);
    const [x, y] = await Promise.all([
        callAsync(pool, 'call', 'meet', new GLib.Variant('(xx)', [a.id, b.id]), null, null),
        callAsync(pool, 'call', 'meet', new GLib.Variant('(xx)', [b.id, a.id]), null, null),
    ]);
    assertEqual(x.deepUnpack(), 1);
    assertEqual(y.deepUnpack(), 1);
}

test('task-timeout wins over time.sleep(600), and the pool keeps its capacity', async () => {
    const pool = newPool({max_workers: 2, min_workers: 2, task_timeout: 1500});
    const e = await assertRejects(callAsync(pool, 'call', 'time:sleep',
        new GLib.Variant('(x)', [600]), null, null));
    assertGError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT);
    await twoInParallel(pool);
    assertEqual(pool.n_workers, 2);
    pool.shutdown(false, null);
}, {timeout: 60000});

test('cancelling drops queued calls and interrupts running ones, each completing once', async () => {
    const pool = newPool({max_workers: 2, min_workers: 2});
    const cancellables = [];
    const calls = [];
    for (let i = 0; i < 300; i++) {
        const c = new Gio.Cancellable();
        cancellables.push(c);
        calls.push(i % 5 === 0
            ? callAsync(pool, 'call', 'spin', null, null, c)
            : callAsync(pool, 'call', 'square', new GLib.Variant('(x)', [i]), null, c));
        if (i % 4 === 0)
            cancellables[Math.floor(Math.random() * (i + 1))].cancel();
    }
    cancellables.forEach((c, i) => {
        if (i % 5 === 0 || Math.random() < 0.5)
            c.cancel();
    });
    const outcomes = await Promise.allSettled(calls);
    let ok = 0, cancelled = 0;
    outcomes.forEach((o, i) => {
        assertEqual(calls[i].state.calls, 1, `call ${i} completed once`);
        if (o.status === 'fulfilled') {
            ok++;
            assertEqual(o.value.deepUnpack(), i * i);
        } else {
            assertGError(o.reason, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
            cancelled++;
        }
    });
    assertEqual(ok + cancelled, 300);
    assert(cancelled >= 60, `the spin loops were cancelled (${cancelled})`);
    await waitFor(() => pool.n_busy === 0 && pool.n_pending === 0, 20000, 'an idle pool');
    pool.shutdown(false, null);
});

test('shutdown_async() with cancel_pending: queued calls fail, later ones are refused', async () => {
    const pool = newPool({max_workers: 1, min_workers: 1});
    const calls = Array.from({length: 30},
        (_, i) => callAsync(pool, 'call', 'square', new GLib.Variant('(x)', [i]), null, null));
    // Handled from the start: they settle while the test awaits others.
    const settled = Promise.allSettled(calls);
    const done = callAsync(pool, 'shutdown', true, null);
    const refused = await assertRejects(callAsync(pool, 'call', 'square', new GLib.Variant('(x)', [1]), null, null));
    assertGError(refused, Interp.Error, Interp.Error.SHUT_DOWN);
    assertEqual(await done, true);
    const outcomes = await settled;
    for (const o of outcomes) {
        if (o.status === 'rejected')
            assertGError(o.reason, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    }
    assertEqual(pool.n_workers, 0);
});

test('n-busy and n-pending are notified on the main loop', async () => {
    const pool = newPool({max_workers: 2, min_workers: 2});
    let maxBusy = 0, pendingNotifies = 0;
    pool.connect('notify::n-busy', () => {
        maxBusy = Math.max(maxBusy, pool.n_busy);
    });
    pool.connect('notify::n-pending', () => pendingNotifies++);
    const c = new Gio.Cancellable();
    const calls = [1, 2, 3].map(() => callAsync(pool, 'call', 'spin', null, null, c));
    await waitFor(() => maxBusy === 2, 20000, 'two busy workers');
    assertEqual(pool.n_pending, 1);
    c.cancel();
    await Promise.allSettled(calls);
    await waitFor(() => pool.n_busy === 0 && pendingNotifies >= 2, 20000, 'notifications back to idle');
    pool.shutdown(false, null);
});

run();
