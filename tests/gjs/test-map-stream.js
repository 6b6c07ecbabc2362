// test-map-stream.js: Interp.Pool.map_stream() from GJS, through the model
// and through InterpJS.mapStream()'s `for await`: items as they finish,
// a failing item, leaving the loop early, 10,000 items.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The module is imported in the first test, once the library is loaded
// (see test-module.js).

import Gio from 'gi://Gio';
import Interp from 'gi://Interp';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertGError, callAsync, waitFor,
    newTestPool, intArgs,
} from './harness.js';

// After the harness's POOL_FUNCTIONS.
const INITIALIZER = `
def spin_from(x, first):
    while x >= first:
        pass
    return {'x': x}
`;

let InterpJS;

test('the module has mapStream()', async () => {
    Interp.init();
    InterpJS = await import('resource:///org/interp-glib/js/interp.js');
    assertEqual(typeof InterpJS.mapStream, 'function');
});

function newPool(maxWorkers) {
    return newTestPool({max_workers: maxWorkers, min_workers: maxWorkers}, INITIALIZER);
}

test('the model: items in input order from the start, each done once', async () => {
    const pool = newPool(2);
    const results = pool.map_stream('square', intArgs(300), 1, null);
    assertEqual(results.get_n_items(), 300);
    assert(results.loading, 'loading at first');
    const notified = new Array(300).fill(0);
    for (let i = 0; i < 300; i++) {
        const item = results.get_item(i);
        assertEqual(item.index, i);
        assertEqual(item.done, false);
        item.connect('notify::done', () => notified[item.index]++);
    }
    let fractions = 0;
    results.connect('notify::fraction', () => fractions++);
    assertEqual(await callAsync(results, 'wait', null), true);
    assertDeepEqual(notified, new Array(300).fill(1));
    assert(fractions >= 1, 'fraction notified');
    assertEqual(results.fraction, 1);
    assertEqual(results.n_done, 300);
    assertEqual(results.loading, false);
    assertEqual(results.get_item(17).value.deepUnpack(), 289);
    pool.shutdown(false, null);
});

test('mapStream() yields every item once, as plain values', async () => {
    const pool = newPool(3);
    const seen = new Map();
    for await (const {index, value, error} of InterpJS.mapStream(pool, 'spin_from', [[1, 100], [2, 100], [3, 100]]))
        seen.set(index, [value, error]);
    assertDeepEqual([...seen.keys()].sort(), [0, 1, 2]);
    assertDeepEqual(seen.get(1), [{x: 2}, null]);
    pool.shutdown(false, null);
});

test('a failing item comes with its error; the others with their values', async () => {
    const pool = newPool(1);
    const items = [];
    for await (const item of InterpJS.mapStream(pool, 'fail_at', Array.from({length: 20}, (_, i) => [i, [4, 9]]),
        {chunkSize: 4}))
        items.push(item);
    assertEqual(items.length, 20);
    items.sort((a, b) => a.index - b.index);
    for (const {index, value, error} of items) {
        if (index === 4 || index === 9) {
            assertEqual(value, null);
            assertGError(error, Interp.Error, Interp.Error.EXECUTION_FAILED);
            assertEqual(error.message, `ValueError: bad item ${index}`);
        } else {
            assertEqual(error, null);
            assertEqual(value, index);
        }
    }
    // wait_async gives the first failure, naming it.
    const stream = InterpJS.mapStream(pool, 'fail_at', [[0, [1]], [1, [1]]]);
    try {
        await callAsync(stream.results, 'wait', null);
        assert(false, 'the wait fails');
    } catch (e) {
        assertEqual(e.message, 'ValueError: bad item 1 (item 1)');
    }
    pool.shutdown(false, null);
});

test('leaving the loop cancels the items not done', async () => {
    const pool = newPool(1);
    // Items from 5 on spin until cancelled; the first five are done first.
    const stream = InterpJS.mapStream(pool, 'spin_from', Array.from({length: 50}, (_, i) => [i, 5]),
        {chunkSize: 1});
    const got = [];
    for await (const {index, value} of stream) {
        got.push([index, value.x]);
        if (got.length === 5)
            break;
    }
    assertDeepEqual(got, [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]);
    await callAsync(stream.results, 'wait', null).catch(() => null);
    const results = stream.results;
    assertEqual(results.n_done, 50);
    assertEqual(results.n_failed, 45);
    for (let i = 5; i < 50; i++)
        assertGError(results.get_item(i).get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    // The pool is free again.
    assertEqual((await InterpJS.poolCall(pool, 'square', [7])), 49);
    pool.shutdown(false, null);
});

test('the caller\'s cancellable cancels the items not done', async () => {
    const pool = newPool(1);
    const cancellable = new Gio.Cancellable();
    const stream = InterpJS.mapStream(pool, 'spin_from', [[0, 1], [1, 1], [2, 1]], {chunkSize: 1, cancellable});
    const got = [];
    for await (const item of stream) {
        got.push(item);
        if (item.index === 0)
            cancellable.cancel();
    }
    assertEqual(got.length, 3);
    assertDeepEqual(got[0].value, {x: 0});
    assertGError(got[1].error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertGError(got[2].error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    pool.shutdown(false, null);
});

test('10,000 items', async () => {
    const pool = newPool(2);
    const argsList = Array.from({length: 10000}, (_, i) => [i]);
    let sum = 0, n = 0;
    const indices = new Set();
    for await (const {index, value, error} of InterpJS.mapStream(pool, 'square', argsList)) {
        assertEqual(error, null);
        assertEqual(value, index * index);
        indices.add(index);
        sum += value;
        n++;
    }
    assertEqual(n, 10000);
    assertEqual(indices.size, 10000);
    assertEqual(sum, argsList.reduce((s, [i]) => s + i * i, 0));
    await waitFor(() => pool.n_busy === 0, 5000, 'an idle pool');
    pool.shutdown(false, null);
}, {timeout: 60000});

test('mapStream() refuses what is not a list', () => {
    const pool = newPool(1);
    let thrown = null;
    try {
        InterpJS.mapStream(pool, 'square', 3);
    } catch (e) {
        thrown = e;
    }
    assert(thrown instanceof TypeError, 'a TypeError');
    pool.shutdown(false, null);
});

run();
