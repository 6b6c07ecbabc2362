// test-module.js: the GJS module resource:///org/interp-glib/js/interp.js,
// Promise-returning functions with plain JS values both ways.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The library registers the resource when it is loaded, which GJS does on
// the first use of the Interp namespace: hence the dynamic import, done in
// the first test (the harness runs a main loop for it; a top-level await
// would hold the module's evaluation, and with it every later Promise).

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertMatch, assertRejects, assertGError,
    runGjsModule, describeRun, assertThrows, format,
} from './harness.js';

let InterpJS;
let interp;

function assertThrowsTypeError(fn) {
    const e = assertThrows(fn);
    assert(e instanceof TypeError, `a TypeError: ${format(e)}`);
    return e;
}

test('the module imports once the library is loaded', async () => {
    Interp.init();
    InterpJS = await import('resource:///org/interp-glib/js/interp.js');
    for (const name of ['create', 'createPool', 'exec', 'call', 'evaluate', 'poolCall', 'map', 'put', 'get'])
        assertEqual(typeof InterpJS[name], 'function', name);
});

test('create() resolves to an interpreter', async () => {
    interp = await InterpJS.create();
    assert(interp instanceof Interp.Interpreter, 'an Interp.Interpreter');
    assert(interp.id > 0, `a sub-interpreter id: ${interp.id}`);
});

test('create() takes construct properties and a cancellable', async () => {
    const shared = await InterpJS.create({gil: Interp.Gil.SHARED});
    assertEqual(shared.gil, Interp.Gil.SHARED, 'the property was applied');
    assertEqual(await InterpJS.evaluate(shared, '6 * 7'), 42, 'and the interpreter initialized');
    shared.close();
    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    assertGError(await assertRejects(InterpJS.create(cancelled)), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    const e = await assertRejects(InterpJS.create({gil: Interp.Gil.OWN, use_main_obmalloc: true}));
    assert(e instanceof GLib.Error && !e.message.includes('\n'), `a one-line GLib.Error: ${e}`);
});

test('exec() runs code and resolves to undefined', async () => {
    const result = await InterpJS.exec(interp, `
        def echo(*args, **kwargs):
            return [list(args), kwargs]
        def kinds(*args):
            return [type(a).__name__ for a in args]
    `);
    assertEqual(result, undefined);
});

test('call() takes plain JS values and gives plain values back', async () => {
    const [args, kwargs] = await InterpJS.call(interp, 'echo',
        [1, 2.5, 'str', true, false, null, [1, 'a'], {k: 'v'}, new Uint8Array([0, 255])],
        {n: 3, nested: {list: [null]}});
    assertDeepEqual(args, [1, 2.5, 'str', true, false, null, [1, 'a'], {k: 'v'}, new Uint8Array([0, 255])]);
    assertDeepEqual(kwargs, {n: 3, nested: {list: [null]}});
});

test('JS values arrive in Python with the documented types', async () => {
    const kinds = await InterpJS.call(interp, 'kinds',
        [1, -0, 2 ** 53, 0.5, 1e300, 'x', true, null, undefined, [], {}, new Uint8Array(1), 10n, 2n ** 64n - 1n]);
    assertDeepEqual(kinds, ['int', 'int', 'float', 'float', 'float', 'str', 'bool', 'NoneType', 'NoneType',
        'list', 'dict', 'bytes', 'int', 'int']);
});

test('integers keep their value; beyond 2^53 they come back as BigInt', async () => {
    assertEqual(await InterpJS.evaluate(interp, '2**53 - 1'), Number.MAX_SAFE_INTEGER);
    assertEqual(await InterpJS.evaluate(interp, '-(2**63)'), -(2n ** 63n));
    assertEqual(await InterpJS.evaluate(interp, '2**64 - 1'), 2n ** 64n - 1n);
    assertEqual(await InterpJS.call(interp, 'int', [2n ** 62n + 1n]), 2n ** 62n + 1n);
});

test('args and kwargs are optional', async () => {
    assertDeepEqual(await InterpJS.call(interp, 'echo'), [[], {}]);
    assertDeepEqual(await InterpJS.call(interp, 'echo', [1]), [[1], {}]);
    assertEqual(await InterpJS.call(interp, 'math:hypot', [3, 4]), 5);
});

test('evaluate() gives dicts as objects, bytes as Uint8Array, tuples as arrays', async () => {
    assertDeepEqual(await InterpJS.evaluate(interp, "{'n': None, 'b': b'hi', 't': (1, 2), 'l': [[]]}"),
        {n: null, b: new TextEncoder().encode('hi'), t: [1, 2], l: [[]]});
    assertDeepEqual(await InterpJS.evaluate(interp, '{1: "one"}'), {1: 'one'});
    assertEqual(await InterpJS.evaluate(interp, 'None'), null);
});

test('GLib.Variant arguments are still accepted', async () => {
    const [args] = await InterpJS.call(interp, 'echo', new GLib.Variant('(us)', [7, 'x']));
    assertDeepEqual(args, [7, 'x']);
    const [args2] = await InterpJS.call(interp, 'echo', [new GLib.Variant('y', 200), 1]);
    assertDeepEqual(args2, [200, 1]);
});

test('a Python exception rejects with the GLib.Error and its snapshot', async () => {
    const error = await assertRejects(InterpJS.call(interp, 'echo', [], {bad: () => 0}).catch(e => {
        throw e;
    }), 'a function has no GVariant form');
    assert(error instanceof TypeError, `a TypeError for a JS value without a form: ${error}`);

    const e = await assertRejects(InterpJS.exec(interp, 'def fail():\n    raise ValueError("nope")\nfail()'));
    assertGError(e, Interp.Error, Interp.Error.EXECUTION_FAILED);
    assertEqual(e.message, 'ValueError: nope', 'one line');
    const info = Interp.ExceptionInfo.from_error(e);
    assertEqual(info.get_type_name(), 'ValueError');
    assertEqual(info.get_interpreter_id(), interp.id);
    assertMatch(info.get_traceback(), /in fail\n {4}raise ValueError\("nope"\)\n/, 'the traceback quotes the line');
});

test('library errors reject with the GLib.Error', async () => {
    const e = await assertRejects(InterpJS.call(interp, 'not a name'));
    assertGError(e, Interp.Error, Interp.Error.INVALID_ARGUMENT);
    const e2 = await assertRejects(InterpJS.evaluate(interp, 'object()'));
    assertGError(e2, Interp.Error, Interp.Error.NOT_SHAREABLE);
});

test('a Gio.Cancellable comes last and cancels', async () => {
    const cancellable = new Gio.Cancellable();
    const running = InterpJS.exec(interp, 'while True:\n    pass', cancellable);
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
        cancellable.cancel();
        return GLib.SOURCE_REMOVE;
    });
    const e = await assertRejects(running);
    assertGError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    // A cancellable in place of kwargs or args.
    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    assertGError(await assertRejects(InterpJS.call(interp, 'echo', [1], cancelled)),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertGError(await assertRejects(InterpJS.call(interp, 'echo', cancelled)),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(await InterpJS.evaluate(interp, '1 + 1'), 2, 'still usable');
});

test('put() and get() carry plain values through a queue', async () => {
    const queue = Interp.Queue.new(0);
    await InterpJS.put(queue, {a: [1, 'b'], z: null});
    await InterpJS.put(queue, new Uint8Array([1, 2]));
    assertDeepEqual(await InterpJS.get(queue), {a: [1, 'b'], z: null});
    assertDeepEqual(await InterpJS.get(queue), new Uint8Array([1, 2]));
});

test('get() waits until a value is put', async () => {
    const queue = Interp.Queue.new(0);
    let settled = false;
    const got = InterpJS.get(queue).then(v => {
        settled = true;
        return v;
    });
    await new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
    assertEqual(settled, false, 'get() waits on the empty queue');
    await InterpJS.put(queue, ['from', 'js']);
    assertDeepEqual(await got, ['from', 'js']);
});

test('poolCall() and map() run on a pool', async () => {
    const pool = Interp.Pool.new(2, null);
    assertEqual(await InterpJS.poolCall(pool, 'math:pow', [2, 10]), 1024);
    assertDeepEqual(await InterpJS.poolCall(pool, 'dict', [], {a: 1}), {a: 1});
    assertDeepEqual(await InterpJS.map(pool, 'math:factorial', [[1], [2], [3], [4], [5]]), [1, 2, 6, 24, 120]);
    // int('x'): its message is the same on every Python (math.sqrt(-1)'s
    // changed in 3.14).
    const e = await assertRejects(InterpJS.poolCall(pool, 'int', ['x']));
    assertGError(e, Interp.Error, Interp.Error.EXECUTION_FAILED);
    assertEqual(e.message, "ValueError: invalid literal for int() with base 10: 'x'");
    pool.shutdown(false, null);
});

test('createPool() initializes asynchronously: the main loop runs meanwhile', async () => {
    // The initializer waits for a value that this main loop puts only after
    // createPool() returned: a blocking init would never see it.
    const gate = Interp.Queue.new(0);
    const creating = InterpJS.createPool({
        maxWorkers: 2, minWorkers: 2,
        initializer: `import interp_glib\ninterp_glib.Queue(${gate.id}).get(timeout=60)\nbase = 100\n` +
            'def add(x):\n    return base + x\n',
    });
    await InterpJS.put(gate, 'go');
    await InterpJS.put(gate, 'go');
    const pool = await creating;
    assert(pool instanceof Interp.Pool, 'an Interp.Pool');
    assertEqual(pool.max_workers, 2, 'camelCase properties are applied');
    assertEqual(pool.n_workers, 2, 'minWorkers started at init');
    assertDeepEqual(await InterpJS.map(pool, 'add', [[1], [2]]), [101, 102], 'the initializer ran');
    pool.shutdown(false, null);
});

test('createPool() rejects with the initializer\'s error, a cancel or a TypeError', async () => {
    let e = await assertRejects(InterpJS.createPool({min_workers: 1, initializer: 'raise ValueError("bad setup")'}));
    assertGError(e, Interp.Error, Interp.Error.BROKEN);
    assert(e.message.includes('ValueError: bad setup') && !e.message.includes('\n'), e.message);
    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    e = await assertRejects(InterpJS.createPool({maxWorkers: 1}, cancelled));
    assertGError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    e = await assertRejects(InterpJS.createPool(cancelled));
    assertGError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'the cancellable alone');
    e = await assertRejects(InterpJS.createPool(4));
    assert(e instanceof TypeError, format(e));
    const pool = await InterpJS.createPool();
    assertEqual(pool.max_workers, GLib.get_num_processors(), 'no properties: one worker per CPU');
    assertEqual(await InterpJS.poolCall(pool, 'abs', [-3]), 3);
    pool.shutdown(false, null);
});

test('map() takes a chunk size: a chunk runs on one worker', async () => {
    const pool = await InterpJS.createPool({
        maxWorkers: 2, minWorkers: 2,
        initializer: 'import interp_glib, time\n' +
            'def whoami(_):\n    time.sleep(0.01)\n    return interp_glib.get_current().id\n',
    });
    const args = Array.from({length: 8}, (_, i) => [i]);
    const whole = await InterpJS.map(pool, 'whoami', args, {chunkSize: 8});
    assertEqual(whole.length, 8);
    assertEqual(new Set(whole).size, 1, `one chunk, one worker: ${whole}`);
    const halves = await InterpJS.map(pool, 'whoami', args, {chunkSize: 4});
    assertEqual(new Set(halves.slice(0, 4)).size, 1, `the first chunk on one worker: ${halves}`);
    assertEqual(new Set(halves.slice(4)).size, 1, `the second chunk on one worker: ${halves}`);
    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    assertGError(await assertRejects(InterpJS.map(pool, 'whoami', args, {chunkSize: 2}, cancelled)),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'options, then the cancellable');
    assertGError(await assertRejects(InterpJS.map(pool, 'whoami', args, cancelled)),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'the cancellable without options');
    for (const bad of [{chunkSize: -1}, {chunkSize: 1.5}, {chunkSize: '4'}, {chunk: 4}, 4]) {
        const e = await assertRejects(InterpJS.map(pool, 'whoami', args, bad));
        assert(e instanceof TypeError, `${format(bad)}: ${format(e)}`);
    }
    pool.shutdown(false, null);
});

test('a dict key __proto__ is an own property, not the prototype', async () => {
    const r = await InterpJS.evaluate(interp, "{'__proto__': {'admin': True}, 'x': 1}");
    assertEqual(Object.getPrototypeOf(r), Object.prototype, 'the prototype is untouched');
    assertEqual(r.admin, undefined, 'the value did not become inherited properties');
    assertDeepEqual(Object.keys(r), ['__proto__', 'x'], 'every key is an own property');
    assert(Object.hasOwn(r, '__proto__'), 'an own __proto__');
    assertDeepEqual(Object.getOwnPropertyDescriptor(r, '__proto__').value, {admin: true});
    assertEqual(r.x, 1);
    // Nested, and through a queue.
    const queue = Interp.Queue.new(0);
    await InterpJS.put(queue, GLib.Variant.new_array(new GLib.VariantType('{sv}'), [
        GLib.Variant.new_dict_entry(GLib.Variant.new_string('__proto__'),
            GLib.Variant.new_variant(GLib.Variant.new_string('p'))),
    ]));
    const got = await InterpJS.get(queue);
    assertEqual(Object.getPrototypeOf(got), Object.prototype);
    assertDeepEqual(Object.keys(got), ['__proto__']);
    assertEqual(Object.getOwnPropertyDescriptor(got, '__proto__').value, 'p');
    const inner = await InterpJS.evaluate(interp, "[{'__proto__': None}]");
    assertEqual(Object.getPrototypeOf(inner[0]), Object.prototype);
    assertDeepEqual(Object.keys(inner[0]), ['__proto__']);
    // Back to Python: the own key travels as a key.
    assertDeepEqual(await InterpJS.call(interp, 'sorted', [r]), ['__proto__', 'x']);
    const [, kwargs] = await InterpJS.call(interp, 'echo', [], r);
    assertDeepEqual(Object.keys(kwargs), ['__proto__', 'x'], 'and as keyword arguments');
    assertDeepEqual(kwargs, r);
});

test('a string with an embedded NUL is refused, not cut at the NUL', async () => {
    const refusals = [
        () => InterpJS.call(interp, 'echo', ['a\0b']),
        () => InterpJS.call(interp, 'echo', [['x', 'a\0b']]),
        () => InterpJS.call(interp, 'echo', [{'a\0b': 1}]),
        () => InterpJS.call(interp, 'echo', [], {'a\0b': 1}),
        () => InterpJS.put(Interp.Queue.new(0), '\0'),
    ];
    for (const start of refusals) {
        // eslint-disable-next-line no-await-in-loop
        const e = await assertRejects(start());
        assert(e instanceof TypeError, `a TypeError: ${e}`);
        assertMatch(e.message, /^a string with an embedded NUL .*has no GVariant 's' form/);
        assert(!e.message.includes('\n'), 'one line');
    }
    const e = assertThrowsTypeError(() => InterpJS.toVariant('a\0b'));
    assertMatch(e.message, /at index 1/);
    assertEqual(await InterpJS.call(interp, 'len', ['ab']), 2, 'still usable');
    assertDeepEqual(await InterpJS.call(interp, 'list', [new TextEncoder().encode('a\0b')]), [97, 0, 98],
        'bytes carry a NUL');
});

test('a lone surrogate is refused, not replaced; a surrogate pair passes', async () => {
    for (const value of ['\uD800', 'x\uDC00', '\uDE00\uD83D', ['\uDBFF'], {'k\uD800': 1}]) {
        // eslint-disable-next-line no-await-in-loop
        const e = await assertRejects(InterpJS.call(interp, 'echo', [value]));
        assert(e instanceof TypeError, `a TypeError for ${format(value)}: ${e}`);
        assertMatch(e.message,
            /^a string with a lone surrogate \(U\+D[89A-F][0-9A-F]{2} at index \d+\) has no UTF-8 form: surrogates not allowed$/);
    }
    const e = assertThrowsTypeError(() => InterpJS.toVariant('ab\uDC00'));
    assertMatch(e.message, /U\+DC00 at index 2/);
    assertEqual(await InterpJS.call(interp, 'ord', ['\u{1F600}']), 0x1F600, 'a pair is one code point');
    assertEqual(await InterpJS.call(interp, 'str', ['\uD83D\uDE00\u00e9']), '\uD83D\uDE00\u00e9');
});

test('a DataView is carried as the bytes it views', async () => {
    const buffer = new Uint8Array([1, 2, 3, 4, 0, 255]).buffer;
    const [args] = await InterpJS.call(interp, 'echo', [new DataView(buffer, 1, 4), new DataView(buffer)]);
    assertDeepEqual(args, [new Uint8Array([2, 3, 4, 0]), new Uint8Array([1, 2, 3, 4, 0, 255])]);
    assertDeepEqual(await InterpJS.call(interp, 'kinds', [new DataView(buffer, 6)]), ['bytes']);
    assertEqual(await InterpJS.call(interp, 'builtins:bytes.hex', [new DataView(buffer, 2, 2)]), '0304');
    assertEqual(InterpJS.toVariant(new DataView(buffer, 3)).get_type_string(), 'ay');
});

test('a module that imports interp.js statically works once imported dynamically', async () => {
    // What the docs advise: a first use of the namespace loads the library,
    // then the application's own module, which imports interp.js, is loaded.
    const [appFile, stream] = Gio.File.new_tmp('interp-glib-app-XXXXXX.js');
    stream.get_output_stream().write_all(new TextEncoder().encode(`
        import * as InterpJS from 'resource:///org/interp-glib/js/interp.js';
        export async function main() {
            const interp = await InterpJS.create();
            return InterpJS.call(interp, 'pow', [2, 8]);
        }
    `), null);
    stream.close(null);
    try {
        const r = await runGjsModule(`
            import Interp from 'gi://Interp';
            Interp.init();
            const app = await import('${appFile.get_uri()}');
            print('result', await app.main());
            Interp.shutdown();
        `, 30000);
        assert(r.status === 0 && r.stdout.includes('result 256'), describeRun(r));
    } finally {
        appFile.delete(null);
    }
});

// What the docs warn about (faces.xml, "GJS: the interp.js module"), shown
// without the library and without timing: a Promise reaction is ready at
// once, so a loop that can settle it does so before a low-priority idle.
// A loop started at the top level settles it; after a top-level await, or
// from a then() callback, GJS 1.74 settles nothing. Should this fail on a
// newer GJS, the docs' warning is obsolete there.
const LOOP_PROBE = `
    import GLib from 'gi://GLib';
    function probe(label) {
        const loop = new GLib.MainLoop(null, false);
        let settled = false;
        Promise.resolve().then(() => { settled = true; });
        GLib.idle_add(GLib.PRIORITY_LOW, () => { loop.quit(); return GLib.SOURCE_REMOVE; });
        loop.run();
        print(\`\${label}: \${settled}\`);
    }
`;

test('GJS settles Promises only in a loop started from the top level, before any await', async () => {
    let r = await runGjsModule(`${LOOP_PROBE}
        probe('top level');
        Promise.resolve().then(() => probe('in then()'));
    `);
    assert(r.status === 0 && r.stdout.includes('top level: true'), describeRun(r));
    assert(r.stdout.includes('in then(): false'), `GJS no longer has the trap? ${describeRun(r)}`);
    r = await runGjsModule(`${LOOP_PROBE}
        await null;
        await new Promise(resolve => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => resolve()));
        probe('after a top-level await');
    `);
    assert(r.status === 0 && r.stdout.includes('after a top-level await: false'),
        `GJS no longer has the trap? ${describeRun(r)}`);
});

test('shutdown', () => {
    assertEqual(Interp.shutdown(), true);
});

run();
