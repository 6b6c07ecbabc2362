// test-interpreter.js: creating, using, isolating and closing interpreters
// from GJS, the way an application does, with the synchronous API.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Interp from 'gi://Interp';

import {
    test, run, assert, assertEqual, assertNotEqual, assertDeepEqual,
    assertThrows, assertThrowsGError, assertStartsWith,
} from './harness.js';

let a, b;

const pyEval = (interp, expression) => interp.eval(expression, null);
const kw = values => new GLib.Variant('a{sv}', values);

test('Python is not running before the first use', () => {
    assertEqual(Interp.is_embedded(), false, 'is_embedded() before Python started');
});

test('two interpreters are created with Interpreter.new()', () => {
    a = Interp.Interpreter.new(null);
    b = Interp.Interpreter.new(null);
    assert(a instanceof Interp.Interpreter, 'a is an Interp.Interpreter');
    assert(b instanceof Interp.Interpreter, 'b is an Interp.Interpreter');
    assertEqual(Interp.is_embedded(), true, 'under gjs the library embeds Python');
    assert(a.id > 0, `a has a sub-interpreter id, got ${a.id}`);
    assert(b.id > 0, `b has a sub-interpreter id, got ${b.id}`);
    assertNotEqual(a.id, b.id, 'the ids differ');
    assertEqual(a.get_id(), a.id, 'get_id() and the id property agree');
});

test('new interpreters report whence LIBRARY, not closed, not running', () => {
    for (const interp of [a, b]) {
        assertEqual(interp.whence, Interp.Whence.LIBRARY, 'whence property');
        assertEqual(interp.get_whence(), Interp.Whence.LIBRARY, 'get_whence()');
        assertEqual(interp.closed, false, 'closed property');
        assertEqual(interp.is_closed(), false, 'is_closed()');
        assertEqual(interp.running, false, 'running property');
        assertEqual(interp.is_running(), false, 'is_running()');
    }
});

test('the gil property is OWN when supports_own_gil(), else SHARED', () => {
    const expected = Interp.supports_own_gil() ? Interp.Gil.OWN : Interp.Gil.SHARED;
    assertEqual(a.gil, expected, 'a.gil');
    assertEqual(b.get_gil(), expected, 'b.get_gil()');
    const [major, minor] = pyEval(a, '__import__("sys").version_info[:2]').deepUnpack();
    assertEqual(Interp.supports_own_gil(), major > 3 || (major === 3 && minor >= 12),
        `supports_own_gil() for Python ${major}.${minor}`);
});

test('the configuration properties match the GIL kind', () => {
    const own = a.gil === Interp.Gil.OWN;
    // Isolated settings with an own GIL; the legacy ones otherwise.
    assertEqual(a.use_main_obmalloc, !own, 'use-main-obmalloc');
    assertEqual(a.allow_fork, !own, 'allow-fork');
    assertEqual(a.allow_exec, !own, 'allow-exec');
    assertEqual(a.allow_threads, true, 'allow-threads');
    assertEqual(a.allow_daemon_threads, !own, 'allow-daemon-threads');
    assertEqual(a.check_multi_interp_extensions, own, 'check-multi-interp-extensions');
});

test('get_python_version() is the running sys.version', () => {
    const version = Interp.get_python_version();
    assertEqual(pyEval(a, '__import__("sys").version').deepUnpack(), version);
    assertEqual(pyEval(b, '__import__("sys").version').deepUnpack(), version);
});

test('exec() runs code in __main__ and eval() reads it back', () => {
    assertEqual(a.exec('x = 40\ny = x + 2', null), true, 'exec() returns true');
    const v = pyEval(a, 'y');
    assertEqual(v.get_type_string(), 'x', 'a Python int is an int64');
    assertEqual(v.deepUnpack(), 42);
    assertEqual(pyEval(a, '__name__').deepUnpack(), '__main__', 'code runs in __main__');
});

test('exec() dedents indented code', () => {
    a.exec(`
        def greet(name):
            if name:
                return "hello " + name
            return "hello"

        greeting = greet("gjs")
    `, null);
    assertEqual(pyEval(a, 'greeting').deepUnpack(), 'hello gjs');
    a.exec('\tt = 1\n\tif t:\n\t\tt = 2\n', null);
    assertEqual(pyEval(a, 't').deepUnpack(), 2, 'tab-indented code');
});

test('eval() strips surrounding whitespace', () => {
    assertEqual(pyEval(a, '   6 * 7  \n').deepUnpack(), 42);
});

test('eval() results: int, float, str, bool', () => {
    const cases = [
        ['7', 'x', 7],
        ['-(2**53 - 1)', 'x', Number.MIN_SAFE_INTEGER],
        ['2**63', 't', null],  // beyond int64: uint64 (not unpacked: a JS Number rounds it)
        ['-(2**63)', 'x', null],
        ['1.5', 'd', 1.5],
        ['-0.25', 'd', -0.25],
        ['float("inf")', 'd', Infinity],
        ['float("nan")', 'd', NaN],
        ['"héllo ✓ 𝄞"', 's', 'héllo ✓ 𝄞'],
        ['""', 's', ''],
        ['True', 'b', true],
        ['1 == 2', 'b', false],
    ];
    for (const [expression, type, expected] of cases) {
        const v = pyEval(a, expression);
        assertEqual(v.get_type_string(), type, `type of ${expression}`);
        if (expected !== null)
            assertEqual(v.deepUnpack(), expected, `value of ${expression}`);
    }
    assertEqual(pyEval(a, '2**63').print(false), '9223372036854775808', 'exact 2**63');
    assertEqual(pyEval(a, '2**64 - 1').print(false), '18446744073709551615', 'exact 2**64 - 1');
    assertEqual(pyEval(a, '-(2**63)').print(false), '-9223372036854775808', 'exact -(2**63)');
});

test('eval() results: bytes and bytearray are ay', () => {
    const v = pyEval(a, 'b"\\x00\\xffab"');
    assertEqual(v.get_type_string(), 'ay');
    assertDeepEqual(v.deepUnpack(), new Uint8Array([0, 255, 97, 98]));
    assertDeepEqual(pyEval(a, 'bytearray(b"xy")').deepUnpack(), new Uint8Array([120, 121]));
    assertDeepEqual(pyEval(a, 'b""').deepUnpack(), new Uint8Array([]));
});

test('eval() results: None is the mv nothing value and unpacks to null', () => {
    const v = pyEval(a, 'None');
    assertEqual(v.get_type_string(), 'mv');
    assertEqual(v.get_maybe(), null, 'get_maybe()');
    assertEqual(v.deepUnpack(), null, 'deepUnpack()');
    assertEqual(v.recursiveUnpack(), null, 'recursiveUnpack()');
});

test('eval() results: tuple, list, dict', () => {
    let v = pyEval(a, '(1, "two", 3.0, True, None)');
    assertEqual(v.get_type_string(), '(xsdbmv)', 'tuple');
    assertDeepEqual(v.recursiveUnpack(), [1, 'two', 3, true, null]);
    assertEqual(pyEval(a, '()').get_type_string(), '()', 'empty tuple');

    v = pyEval(a, '[1, "a", [2.5]]');
    assertEqual(v.get_type_string(), 'av', 'list');
    assertDeepEqual(v.recursiveUnpack(), [1, 'a', [2.5]]);
    assertDeepEqual(pyEval(a, '[]').recursiveUnpack(), [], 'empty list');

    // Homogeneous lists come back as typed arrays: deepUnpack() gives plain arrays.
    for (const [expression, type, expected] of [
        ['[1, 2, 3]', 'ax', [1, 2, 3]], ['[0.5, 1.5]', 'ad', [0.5, 1.5]],
        ['["a", "b"]', 'as', ['a', 'b']], ['[True, False]', 'ab', [true, false]],
        ['[1, 2.5]', 'av', null], ['[]', 'av', []]]) {
        v = pyEval(a, expression);
        assertEqual(v.get_type_string(), type, expression);
        if (expected !== null)
            assertDeepEqual(v.deepUnpack(), expected, `${expression} deepUnpack()`);
    }

    v = pyEval(a, '{"k": 1, "s": "v", "n": None}');
    assertEqual(v.get_type_string(), 'a{sv}', 'dict with str keys');
    assertDeepEqual(v.recursiveUnpack(), {k: 1, s: 'v', n: null});

    v = pyEval(a, '{1: "one", -2: "minus two"}');
    assertEqual(v.get_type_string(), 'a{xv}', 'dict with int keys');
    assertDeepEqual(v.recursiveUnpack(), {'1': 'one', '-2': 'minus two'});

    assertEqual(pyEval(a, '{}').get_type_string(), 'a{sv}', 'empty dict');
});

test('eval() results: nested containers', () => {
    const v = pyEval(a, '{"l": [1, (2, None)], "d": {"b": b"x", "f": 0.5}, "t": ((),)}');
    assertDeepEqual(v.recursiveUnpack(), {
        l: [1, [2, null]],
        d: {b: new Uint8Array([120]), f: 0.5},
        t: [[]],
    });
});

test('call() with positional args as a tuple and kwargs as a{sv}', () => {
    a.exec(`
        def f(x, y=1, *rest, scale=1, **extra):
            return [(x + y) * scale, list(rest), sorted(extra)]
    `, null);
    let v = a.call('f', new GLib.Variant('(x)', [1]), null, null);
    assertDeepEqual(v.recursiveUnpack(), [2, [], []], 'one positional');
    v = a.call('f', new GLib.Variant('(xxss)', [1, 2, 'r', 's']),
        kw({scale: new GLib.Variant('x', 10), other: new GLib.Variant('b', true)}), null);
    assertDeepEqual(v.recursiveUnpack(), [30, ['r', 's'], ['other']], 'positional and keyword');
    v = a.call('f', null, kw({x: new GLib.Variant('x', 5), y: new GLib.Variant('x', 6)}), null);
    assertDeepEqual(v.recursiveUnpack(), [11, [], []], 'keywords only');
});

test('call() accepts any a{s*} for kwargs', () => {
    a.exec('def kwsum(**kw): return sum(kw.values())', null);
    const v = a.call('kwsum', null, new GLib.Variant('a{si}', {p: 2, q: 40}), null);
    assertEqual(v.deepUnpack(), 42);
});

test('call() finds builtins, dotted names and module:qualname', () => {
    assertEqual(a.call('len', new GLib.Variant('(s)', ['hello']), null, null).deepUnpack(), 5, 'len');
    assertEqual(a.call('math:sqrt', new GLib.Variant('(d)', [16]), null, null).deepUnpack(), 4, 'math:sqrt');
    assertEqual(a.call('os.path:join', new GLib.Variant('(ss)', ['a', 'b']), null, null).deepUnpack(),
        'a/b', 'os.path:join');
    assertEqual(a.call('str.upper', new GLib.Variant('(s)', ['abc']), null, null).deepUnpack(), 'ABC',
        'str.upper through the builtins');
});

test('call() with no arguments and a None result', () => {
    a.exec('calls = []\ndef note():\n    calls.append(1)', null);
    const v = a.call('note', null, null, null);
    assertEqual(v.get_type_string(), 'mv');
    assertEqual(v.deepUnpack(), null);
    assertEqual(pyEval(a, 'len(calls)').deepUnpack(), 1, 'the function ran once');
});

test('call() with a method of an object in __main__', () => {
    a.exec(`
        class Counter:
            def __init__(self):
                self.n = 0
            def add(self, k):
                self.n += k
                return self.n
        counter = Counter()
    `, null);
    a.call('counter.add', new GLib.Variant('(x)', [3]), null, null);
    assertEqual(a.call('counter.add', new GLib.Variant('(x)', [4]), null, null).deepUnpack(), 7);
});

test('GVariant arguments arrive as the matching Python types', () => {
    a.exec('def kind(v): return [type(v).__name__, v]', null);
    const cases = [
        [new GLib.Variant('b', true), 'bool', true],
        [new GLib.Variant('y', 200), 'int', 200],
        [new GLib.Variant('n', -3), 'int', -3],
        [new GLib.Variant('q', 65535), 'int', 65535],
        [new GLib.Variant('i', -70000), 'int', -70000],
        [new GLib.Variant('u', 4000000000), 'int', 4000000000],
        [new GLib.Variant('x', -(2 ** 40)), 'int', -(2 ** 40)],
        [new GLib.Variant('t', 2 ** 40), 'int', 2 ** 40],
        [new GLib.Variant('d', 0.125), 'float', 0.125],
        [new GLib.Variant('s', 'über'), 'str', 'über'],
        [new GLib.Variant('o', '/org/example'), 'str', '/org/example'],
        [new GLib.Variant('g', 'a{sv}'), 'str', 'a{sv}'],
        [new GLib.Variant('ay', new Uint8Array([1, 2])), 'bytes', new Uint8Array([1, 2])],
        [new GLib.Variant('as', ['p', 'q']), 'list', ['p', 'q']],
        [new GLib.Variant('(is)', [1, 'z']), 'tuple', [1, 'z']],
        [new GLib.Variant('a{ss}', {k: 'v'}), 'dict', {k: 'v'}],
        [new GLib.Variant('a{iv}', {3: new GLib.Variant('s', 'three')}), 'dict', {'3': 'three'}],
        [new GLib.Variant('v', new GLib.Variant('x', 9)), 'int', 9],
        [new GLib.Variant('ms', null), 'NoneType', null],
        [new GLib.Variant('ms', 'just'), 'str', 'just'],
    ];
    for (const [value, typeName, expected] of cases) {
        const [name, back] = a.call('kind', new GLib.Variant('(v)', [value]), null, null).recursiveUnpack();
        assertEqual(name, typeName, `Python type of a '${value.get_type_string()}'`);
        assertDeepEqual(back, expected, `round trip of a '${value.get_type_string()}'`);
    }
});

test('prepare_main() binds an a{sv} in __main__', () => {
    assertEqual(b.prepare_main(kw({
        name: new GLib.Variant('s', 'gjs'),
        n: new GLib.Variant('x', 41),
        data: new GLib.Variant('ay', new Uint8Array([7, 8])),
        flag: new GLib.Variant('b', false),
        nested: kw({inner: new GLib.Variant('d', 1.25)}),
        nothing: new GLib.Variant('mv', null),
    })), true, 'prepare_main() returns true');
    const v = pyEval(b, '[name, n + 1, data, flag, nested["inner"], nothing is None]');
    assertDeepEqual(v.recursiveUnpack(), ['gjs', 42, new Uint8Array([7, 8]), false, 1.25, true]);
    assertEqual(pyEval(b, 'type(data).__name__').deepUnpack(), 'bytes');
});

test('prepare_main() accepts any a{s*} and null', () => {
    b.prepare_main(new GLib.Variant('a{si}', {p1: 1, p2: 2}));
    assertEqual(pyEval(b, 'p1 + p2').deepUnpack(), 3);
    assertEqual(b.prepare_main(null), true, 'null is nothing to bind');
});

test('prepare_main() overwrites existing names', () => {
    b.exec('over = "old"', null);
    b.prepare_main(kw({over: new GLib.Variant('s', 'new')}));
    assertEqual(pyEval(b, 'over').deepUnpack(), 'new');
});

test('isolation: __main__ variables stay in their interpreter', () => {
    a.exec('only_in_a = 1', null);
    assertEqual(pyEval(a, '"only_in_a" in globals()').deepUnpack(), true, 'set in a');
    assertEqual(pyEval(b, '"only_in_a" in globals()').deepUnpack(), false, 'not in b');
    assertThrowsGError(() => pyEval(b, 'only_in_a'), Interp.Error, Interp.Error.EXECUTION_FAILED,
        'reading it in b is a NameError');
    assertEqual(pyEval(b, '"name" in globals()').deepUnpack(), true, 'prepared in b');
    assertEqual(pyEval(a, '"name" in globals()').deepUnpack(), false, 'not in a');
});

test('isolation: sys.modules differs between interpreters', () => {
    a.exec('import sys, colorsys', null);
    b.exec('import sys', null);
    assertEqual(pyEval(a, '"colorsys" in sys.modules').deepUnpack(), true, 'imported in a');
    assertEqual(pyEval(b, '"colorsys" in sys.modules').deepUnpack(), false, 'not imported in b');
    assertNotEqual(pyEval(a, 'id(sys.modules)').deepUnpack(), pyEval(b, 'id(sys.modules)').deepUnpack(),
        'distinct sys.modules objects');
    assertNotEqual(pyEval(a, 'id(sys)').deepUnpack(), pyEval(b, 'id(sys)').deepUnpack(),
        'distinct sys modules');
});

test('isolation: sys.foo = 1 stays local', () => {
    a.exec('import sys; sys.foo = 1', null);
    assertEqual(pyEval(a, '__import__("sys").foo').deepUnpack(), 1, 'set in a');
    assertEqual(pyEval(b, 'hasattr(__import__("sys"), "foo")').deepUnpack(), false, 'not in b');
    assertEqual(pyEval(Interp.get_main(), 'hasattr(__import__("sys"), "foo")').deepUnpack(), false,
        'not in the main interpreter');
});

test('isolation: a builtins change stays local', () => {
    a.exec('import builtins; builtins.shared_thing = 5', null);
    assertEqual(pyEval(a, 'shared_thing').deepUnpack(), 5);
    assertEqual(pyEval(b, '"shared_thing" in dir(__import__("builtins"))').deepUnpack(), false);
});

test('threads started by Python code work', () => {
    a.exec(`
        import threading
        results = []
        workers = [threading.Thread(target=results.append, args=(i,)) for i in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    `, null);
    assertDeepEqual(pyEval(a, 'sorted(results)').recursiveUnpack(), [0, 1, 2, 3]);
});

test('list_all() gives the main interpreter first, then a and b', () => {
    const all = Interp.list_all();
    const ids = all.map(i => i.id);
    assertEqual(ids[0], 0, 'the main interpreter comes first');
    assertEqual(all[0].whence, Interp.Whence.RUNTIME, 'main whence');
    assert(ids.includes(a.id), `a (${a.id}) is listed in ${ids}`);
    assert(ids.includes(b.id), `b (${b.id}) is listed in ${ids}`);
    assertEqual(new Set(ids).size, ids.length, 'no duplicates');
    assertEqual(all.find(i => i.id === a.id), a, 'the listed object is the same GObject');
});

test('get_main() is interpreter 0 with whence RUNTIME', () => {
    const main = Interp.get_main();
    assert(main instanceof Interp.Interpreter, 'get_main() returns an interpreter');
    assertEqual(main.id, 0, 'id');
    assertEqual(main.whence, Interp.Whence.RUNTIME, 'whence');
    assertEqual(main.closed, false, 'not closed');
    assertEqual(Interp.get_main(), main, 'the same object every time');
    assertEqual(pyEval(main, '6 * 7').deepUnpack(), 42, 'it runs code');
    assertEqual(pyEval(main, '"only_in_a" in globals()').deepUnpack(), false, 'isolated from a');
});

test('get_current() from the JS thread is the main interpreter', () => {
    assertEqual(Interp.get_current().id, 0);
});

test('the main interpreter cannot be closed', () => {
    const e = assertThrowsGError(() => Interp.get_main().close(), Interp.Error, Interp.Error.FAILED);
    assertStartsWith(e.message, 'The main interpreter cannot be closed');
    assertEqual(Interp.get_main().closed, false);
});

/** Whether the process catches SIGINT (Linux: SigCgt in /proc/self/status). */
function catchesSigint() {
    const [, contents] = GLib.file_get_contents('/proc/self/status');
    const line = new TextDecoder().decode(contents).split('\n').find(l => l.startsWith('SigCgt:'));
    return (BigInt(`0x${line.split(/\s+/)[1]}`) & 2n) !== 0n;  // bit 1: signal 2
}

const sigintAtStart = catchesSigint();

test('embedded Python installed no SIGINT handler', () => {
    assertEqual(catchesSigint(), sigintAtStart, 'SIGINT disposition after starting Python');
    b.exec('import signal', null);
    assertEqual(catchesSigint(), sigintAtStart, 'after `import signal` in a sub-interpreter');
});

test('`import signal` in the main interpreter leaves the application its SIGINT', () => {
    Interp.get_main().exec('import signal', null);
    assertEqual(catchesSigint(), sigintAtStart, 'SIGINT disposition after `import signal` in the main interpreter');
});

test('an interpreter with a shared GIL from construct properties', () => {
    const shared = new Interp.Interpreter({gil: Interp.Gil.SHARED});
    assertEqual(shared.init(null), true, 'init()');
    assertEqual(shared.gil, Interp.Gil.SHARED, 'gil property');
    assertEqual(pyEval(shared, '2 + 2').deepUnpack(), 4, 'it runs code');
    assertEqual(shared.close(), true, 'close()');
});

test('an own GIL is UNSUPPORTED exactly when supports_own_gil() is false', () => {
    const own = new Interp.Interpreter({gil: Interp.Gil.OWN});
    if (Interp.supports_own_gil()) {
        assertEqual(own.init(null), true);
        assertEqual(own.gil, Interp.Gil.OWN);
        assertEqual(own.close(), true);
    } else {
        assertThrowsGError(() => own.init(null), Interp.Error, Interp.Error.UNSUPPORTED);
    }
});

test('an interpreter that was never initialized fails with FAILED', () => {
    const raw = new Interp.Interpreter();
    assertEqual(raw.id, -1, 'id of an uninitialized interpreter');
    assertEqual(raw.closed, true, 'it counts as closed');
    assertThrowsGError(() => raw.exec('1', null), Interp.Error, Interp.Error.FAILED, 'exec');
    assertThrowsGError(() => raw.eval('1', null), Interp.Error, Interp.Error.FAILED, 'eval');
    assertThrowsGError(() => raw.call('len', null, null, null), Interp.Error, Interp.Error.FAILED, 'call');
});

test('close() closes an interpreter; calls then fail with NOT_FOUND', () => {
    const id = a.id;
    assertEqual(a.close(), true, 'close() returns true');
    assertEqual(a.closed, true, 'closed property');
    assertEqual(a.is_closed(), true, 'is_closed()');
    assertEqual(a.id, id, 'the id is kept');
    let e = assertThrowsGError(() => a.exec('1', null), Interp.Error, Interp.Error.NOT_FOUND, 'exec');
    assert(e.message.includes(String(id)), `the message names interpreter ${id}: ${e.message}`);
    assertThrowsGError(() => a.eval('1', null), Interp.Error, Interp.Error.NOT_FOUND, 'eval');
    assertThrowsGError(() => a.call('len', new GLib.Variant('(s)', ['x']), null, null),
        Interp.Error, Interp.Error.NOT_FOUND, 'call');
    e = assertThrowsGError(() => a.prepare_main(kw({z: new GLib.Variant('x', 1)})),
        Interp.Error, Interp.Error.NOT_FOUND, 'prepare_main');
    assertEqual(e.domain, Interp.error_quark(), 'the domain is interp-error-quark');
});

test('closing a closed interpreter succeeds', () => {
    assertEqual(a.close(), true);
    assertEqual(a.closed, true);
});

test('a closed interpreter leaves list_all(); the other keeps working', () => {
    const ids = Interp.list_all().map(i => i.id);
    assert(!ids.includes(a.id), `closed a (${a.id}) is not listed in ${ids}`);
    assert(ids.includes(b.id), `b (${b.id}) is still listed in ${ids}`);
    assertEqual(pyEval(b, 'name').deepUnpack(), 'gjs', 'b kept its state');
});

test('an interpreter created after others gets a fresh id and state', () => {
    const c = Interp.Interpreter.new(null);
    assert(c.id > b.id, `new id ${c.id} is above ${b.id}`);
    assertEqual(pyEval(c, '"name" in globals()').deepUnpack(), false);
    assertEqual(c.close(), true);
});

test('shutdown() returns true and closes every interpreter', () => {
    assertEqual(Interp.shutdown(), true, 'shutdown()');
    assertEqual(b.closed, true, 'b is closed');
    assertEqual(Interp.is_embedded(), false, 'Python is no longer running');
});

test('after shutdown() nothing starts Python again', () => {
    assertThrowsGError(() => Interp.Interpreter.new(null), Interp.Error, Interp.Error.RUNTIME, 'new()');
    assertThrowsGError(() => Interp.init(), Interp.Error, Interp.Error.RUNTIME, 'init()');
    assertEqual(Interp.get_main(), null, 'get_main()');
    assertEqual(Interp.list_all().length, 0, 'list_all()');
    const e = assertThrows(() => pyEval(b, '1'), 'eval() on an interpreter after shutdown()');
    assert(e instanceof GLib.Error && e.domain === Interp.error_quark() &&
        (e.code === Interp.Error.RUNTIME || e.code === Interp.Error.NOT_FOUND),
    `RUNTIME or NOT_FOUND, got ${e}`);
    assertEqual(Interp.shutdown(), true, 'a second shutdown() is harmless');
});

run();
