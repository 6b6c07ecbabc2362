// test-errors.js: Python exceptions, Interp.ExceptionInfo and the argument
// checks, as GJS sees them (GLib.Error thrown from the synchronous API).
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertMatch, assertStartsWith,
    assertThrowsGError,
} from './harness.js';

const EXECUTION_FAILED = Interp.Error.EXECUTION_FAILED;
const INVALID_ARGUMENT = Interp.Error.INVALID_ARGUMENT;

let a, b;

/** Runs @fn, which must fail with EXECUTION_FAILED; returns [error, info]. */
function expectPythonError(fn, what) {
    const error = assertThrowsGError(fn, Interp.Error, EXECUTION_FAILED, what);
    const info = Interp.ExceptionInfo.from_error(error);
    assert(info !== null, `${what}: new_from_error() gives a snapshot`);
    return [error, info];
}

function firstLine(error) {
    return error.message.split('\n')[0];
}

test('setup: two interpreters', () => {
    a = Interp.Interpreter.new(null);
    b = Interp.Interpreter.new(null);
    assert(a.id > 0 && b.id > 0 && a.id !== b.id, `distinct ids ${a.id}, ${b.id}`);
});

test('an exception in exec() is a GLib.Error EXECUTION_FAILED', () => {
    let caught = null;
    try {
        a.exec('1/0', null);
    } catch (e) {
        caught = e;
    }
    assert(caught instanceof GLib.Error, `a GLib.Error was thrown: ${caught}`);
    assertEqual(caught.matches(Interp.Error, Interp.Error.EXECUTION_FAILED), true, 'matches()');
    assertEqual(caught.domain, Interp.error_quark(), 'domain');
    assertEqual(GLib.quark_to_string(caught.domain), 'interp-error-quark', 'domain string');
    assertEqual(caught.code, Interp.Error.EXECUTION_FAILED, 'code');
    assertEqual(caught.message, 'ZeroDivisionError: division by zero', 'the message is one line');
    const info = Interp.ExceptionInfo.from_error(caught);
    assertEqual(info.get_interpreter_id(), a.id, 'the snapshot names the interpreter');
    assertEqual(info.get_summary(), caught.message, 'the summary is the message');
    assertStartsWith(info.get_traceback(), 'Traceback (most recent call last):', 'the traceback travels beside it');
});

test('ExceptionInfo.from_error() gives the exception snapshot', () => {
    const [, info] = expectPythonError(() => a.exec('x = 1\n1/0', null), 'exec');
    assertEqual(info.get_type_name(), 'ZeroDivisionError', 'type name');
    assertEqual(info.get_qualname(), 'ZeroDivisionError', 'qualname');
    assertEqual(info.get_module(), 'builtins', 'module');
    assertEqual(info.get_message(), 'division by zero', 'message');
    const tb = info.get_traceback();
    assertStartsWith(tb, 'Traceback (most recent call last):\n', 'traceback start');
    assertMatch(tb, /File "<exec: x = 1 … [0-9a-f]{8}>", line 2, in <module>\n {4}1\/0\n/, 'traceback names and quotes the line');
    assert(tb.trimEnd().endsWith('ZeroDivisionError: division by zero'), `traceback end:\n${tb}`);
});

test('eval() and call() raise the same way', () => {
    let [error, info] = expectPythonError(() => a.eval('1/0', null), 'eval');
    assertStartsWith(error.message, 'ZeroDivisionError: division by zero');
    assertEqual(info.get_type_name(), 'ZeroDivisionError');

    a.exec('def divide(p, q):\n    return p / q', null);
    [error, info] = expectPythonError(() => a.call('divide', new GLib.Variant('(xx)', [1, 0]), null, null), 'call');
    assertStartsWith(error.message, 'ZeroDivisionError: division by zero');
    assertMatch(info.get_traceback(), /in divide\n/, 'the traceback shows the function');
});

test('the snapshot of a nested exception class in __main__', () => {
    a.exec(`
        class Outer:
            class Error(Exception):
                pass
    `, null);
    const [error, info] = expectPythonError(() => a.exec('raise Outer.Error("boom: bang")', null), 'raise');
    assertEqual(firstLine(error), 'Error: boom: bang', 'first line');
    assertEqual(info.get_type_name(), 'Error', 'type name');
    assertEqual(info.get_qualname(), 'Outer.Error', 'qualname');
    assertEqual(info.get_module(), '__main__', 'module');
    assertEqual(info.get_message(), 'boom: bang', 'message');
    assertMatch(info.get_traceback(), /Outer\.Error: boom: bang\n?$/, 'traceback');
    assertEqual(error.message, 'Error: boom: bang', 'the message is the type name and str()');
});

test('the snapshot of an exception from a library module', () => {
    const [, info] = expectPythonError(() => a.exec('import json\njson.loads("{")', null), 'json');
    assertEqual(info.get_type_name(), 'JSONDecodeError');
    assertEqual(info.get_qualname(), 'JSONDecodeError');
    assertEqual(info.get_module(), 'json.decoder');
    assertMatch(info.get_traceback(), /json\/decoder\.py/, 'the traceback goes into json');
});

test('multi-line and non-ASCII messages survive', () => {
    const [error, info] = expectPythonError(() => a.exec('raise ValueError("ünï ✓\\nsecond line")', null), 'raise');
    assertEqual(info.get_message(), 'ünï ✓\nsecond line');
    assertEqual(error.message, 'ValueError: ünï ✓ …', 'the first line, and a mark that more follows');
});

test('chained exceptions show both in the traceback', () => {
    const [, info] = expectPythonError(() => a.exec(`
        try:
            {}["missing"]
        except KeyError as e:
            raise RuntimeError("wrapped") from e
    `, null), 'chained');
    assertEqual(info.get_type_name(), 'RuntimeError');
    const tb = info.get_traceback();
    assert(tb.includes("KeyError: 'missing'"), `the cause is in the traceback:\n${tb}`);
    assert(tb.includes('direct cause'), 'the chaining is explained');
});

test('an exception whose str() fails still becomes an error', () => {
    a.exec(`
        class Unprintable(Exception):
            def __str__(self):
                raise RuntimeError("no str")
    `, null);
    const [, info] = expectPythonError(() => a.exec('raise Unprintable()', null), 'raise');
    assertEqual(info.get_type_name(), 'Unprintable');
    assertEqual(info.get_module(), '__main__');
    assert(typeof info.get_message() === 'string', 'a message string exists');
});

test('a GLib.Error rebuilt from domain, code and message has no snapshot (no parsing)', () => {
    const [original] = expectPythonError(() => a.exec('raise Outer.Error("re: built")', null), 'raise');
    const rebuilt = new GLib.Error(Interp.Error, EXECUTION_FAILED, original.message);
    assertEqual(Interp.ExceptionInfo.from_error(rebuilt), null, 'the message is not parsed');
    assertEqual(Interp.ExceptionInfo.from_error(original).get_message(), 're: built', 'the original keeps it');
});

test('exec_full() names the code in tracebacks and quotes it', () => {
    a.exec_full('def helper(n):\n    return n / (n - n)\n', 'helpers.py', null);
    const [error, info] = expectPythonError(() => a.call('helper', new GLib.Variant('(x)', [3]), null, null), 'helper');
    assertEqual(error.message, 'ZeroDivisionError: division by zero');
    assertMatch(info.get_traceback(), /File "helpers\.py", line 2, in helper\n {4}return n \/ \(n - n\)\n/,
        'the traceback names helpers.py and quotes the line');
});

test('new_from_error() is null for other errors', () => {
    const notFound = new GLib.Error(Interp.Error, Interp.Error.NOT_FOUND, 'Interpreter 9 is closed');
    assertEqual(Interp.ExceptionInfo.from_error(notFound), null, 'NOT_FOUND');
    const io = new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'Operation was cancelled');
    assertEqual(Interp.ExceptionInfo.from_error(io), null, 'G_IO_ERROR_CANCELLED');
    const free = new GLib.Error(Interp.Error, EXECUTION_FAILED, 'Error: made by hand');
    assertEqual(Interp.ExceptionInfo.from_error(free), null, 'a hand-made error');
});

test('SystemExit raised by Python is an error and gjs keeps running', () => {
    let [error, info] = expectPythonError(() => a.exec('raise SystemExit(3)', null), 'SystemExit(3)');
    assertEqual(firstLine(error), 'SystemExit: 3');
    assertEqual(info.get_type_name(), 'SystemExit');
    assertEqual(info.get_module(), 'builtins');

    [error] = expectPythonError(() => a.exec('import sys\nsys.exit(0)', null), 'sys.exit(0)');
    assertStartsWith(error.message, 'SystemExit: 0');
    [error] = expectPythonError(() => a.call('sys:exit', new GLib.Variant('(s)', ['bye']), null, null), 'call sys:exit');
    assertStartsWith(error.message, 'SystemExit: bye');
    [error] = expectPythonError(() => a.eval('exit(4)', null), 'exit(4)');
    assertStartsWith(error.message, 'SystemExit');
    assertEqual(a.eval('1 + 1', null).deepUnpack(), 2, 'the interpreter still works');
});

test('KeyboardInterrupt raised by Python is an error and gjs keeps running', () => {
    let [error, info] = expectPythonError(() => a.exec('raise KeyboardInterrupt', null), 'KeyboardInterrupt');
    assertStartsWith(error.message, 'KeyboardInterrupt');
    assertEqual(info.get_type_name(), 'KeyboardInterrupt');
    assertEqual(info.get_module(), 'builtins');
    a.exec('def interrupted():\n    raise KeyboardInterrupt("from a function")', null);
    [error, info] = expectPythonError(() => a.call('interrupted', null, null, null), 'from call()');
    assertEqual(firstLine(error), 'KeyboardInterrupt: from a function');
    assertEqual(info.get_message(), 'from a function');
    assertEqual(a.eval('2 + 2', null).deepUnpack(), 4, 'the interpreter still works');
});

test('a BaseException that is not an Exception is an error', () => {
    const [, info] = expectPythonError(() => a.exec('raise GeneratorExit("done")', null), 'GeneratorExit');
    assertEqual(info.get_type_name(), 'GeneratorExit');
    assertEqual(info.get_message(), 'done');
});

test('a syntax error in exec() is EXECUTION_FAILED SyntaxError', () => {
    let [error, info] = expectPythonError(() => a.exec('def (', null), 'def (');
    assertStartsWith(error.message, 'SyntaxError: ');
    assertEqual(info.get_type_name(), 'SyntaxError');
    assertEqual(info.get_module(), 'builtins');
    assert(info.get_traceback().includes('File "<exec: def (>"'), `the traceback names the source:\n${info.get_traceback()}`);

    [error, info] = expectPythonError(() => a.exec('if True:\nx = 1', null), 'bad indentation');
    assertEqual(info.get_type_name(), 'IndentationError');
    assertStartsWith(error.message, 'IndentationError: ');
});

test('a syntax error in eval() is EXECUTION_FAILED SyntaxError', () => {
    let [, info] = expectPythonError(() => a.eval('1 +', null), '1 +');
    assertEqual(info.get_type_name(), 'SyntaxError');
    [, info] = expectPythonError(() => a.eval('z = 1', null), 'a statement');
    assertEqual(info.get_type_name(), 'SyntaxError');
    [, info] = expectPythonError(() => a.eval('', null), 'empty');
    assertEqual(info.get_type_name(), 'SyntaxError');
});

test('a failed exec() keeps what ran before the exception', () => {
    expectPythonError(() => a.exec('before = 1\n1/0\nafter = 1', null), 'partial');
    assertEqual(a.eval('before', null).deepUnpack(), 1);
    assertEqual(a.eval('"after" in globals()', null).deepUnpack(), false);
});

test('an unknown callable is EXECUTION_FAILED NameError', () => {
    const [error, info] = expectPythonError(() => a.call('no_such_function', null, null, null), 'unknown');
    assertEqual(firstLine(error), "NameError: name 'no_such_function' is not defined");
    assertEqual(info.get_type_name(), 'NameError');
    assertEqual(info.get_module(), 'builtins');
});

test('unknown attributes and modules are EXECUTION_FAILED', () => {
    let [, info] = expectPythonError(() => a.call('len.nope', null, null, null), 'len.nope');
    assertEqual(info.get_type_name(), 'AttributeError');
    [, info] = expectPythonError(() => a.call('math:nope', null, null, null), 'math:nope');
    assertEqual(info.get_type_name(), 'AttributeError');
    [, info] = expectPythonError(() => a.call('no_such_module_xyz:f', null, null, null), 'no module');
    assertEqual(info.get_type_name(), 'ModuleNotFoundError');
    [, info] = expectPythonError(() => a.call('len', new GLib.Variant('(x)', [1]), null, null), 'len(1)');
    assertEqual(info.get_type_name(), 'TypeError', 'a bad argument');
    [, info] = expectPythonError(() => a.call('len', new GLib.Variant('(s)', ['x']),
        new GLib.Variant('a{sv}', {bogus: new GLib.Variant('b', true)}), null), 'bogus keyword');
    assertEqual(info.get_type_name(), 'TypeError', 'an unknown keyword');
});

test('a malformed callable name is INVALID_ARGUMENT', () => {
    for (const name of ['a b', '', 'a..b', 'f()', 'a:', ':f', 'math:', 'a:b:c', 'x.', '.x', 'os.:join', 'tab\there', 'new\nline', 'os path:join']) {
        const error = assertThrowsGError(() => a.call(name, null, null, null), Interp.Error, INVALID_ARGUMENT,
            `callable ${JSON.stringify(name)}`);
        assert(error.message.includes('is not a callable name'), `message: ${error.message}`);
        assertEqual(Interp.ExceptionInfo.from_error(error), null, 'no snapshot');
    }
});

test('args that are not a tuple are INVALID_ARGUMENT', () => {
    const cases = [
        new GLib.Variant('s', 'hello'),
        new GLib.Variant('x', 1),
        new GLib.Variant('as', ['hello']),
        new GLib.Variant('a{sv}', {}),
        new GLib.Variant('v', new GLib.Variant('(s)', ['hello'])),
    ];
    for (const args of cases) {
        const error = assertThrowsGError(() => a.call('len', args, null, null), Interp.Error, INVALID_ARGUMENT,
            `args of type ${args.get_type_string()}`);
        assert(error.message.includes(`'${args.get_type_string()}'`), `the message names the type: ${error.message}`);
    }
});

test('kwargs that are not a string-keyed dictionary are INVALID_ARGUMENT', () => {
    const cases = [
        new GLib.Variant('(s)', ['x']),
        new GLib.Variant('as', ['x']),
        new GLib.Variant('a{xv}', {1: new GLib.Variant('s', 'x')}),
        new GLib.Variant('s', 'x'),
    ];
    for (const kwargs of cases) {
        assertThrowsGError(() => a.call('dict', null, kwargs, null), Interp.Error, INVALID_ARGUMENT,
            `kwargs of type ${kwargs.get_type_string()}`);
    }
});

test('prepare_main() with a non-dictionary is INVALID_ARGUMENT', () => {
    for (const ns of [new GLib.Variant('as', ['x']), new GLib.Variant('(x)', [1]), new GLib.Variant('a{xv}', {})]) {
        assertThrowsGError(() => a.prepare_main(ns), Interp.Error, INVALID_ARGUMENT,
            `ns of type ${ns.get_type_string()}`);
    }
});

test('a GVariant nested too deeply is INVALID_ARGUMENT', () => {
    let v = new GLib.Variant('x', 1);
    for (let i = 0; i < 300; i++)
        v = new GLib.Variant('v', v);
    assertThrowsGError(() => a.call('id', new GLib.Variant('(v)', [v]), null, null), Interp.Error, INVALID_ARGUMENT);
    assertEqual(a.eval('3', null).deepUnpack(), 3, 'the interpreter still works');
});

test('results with no GVariant form are NOT_SHAREABLE', () => {
    const cases = [
        ['set()', /set/],
        ['object()', /object/],
        ['len', /builtin_function_or_method/],
        ['"a\\0b"', /NUL/],
        ['{1: "a", "b": 2}', /keys/],
        ['{(1, 2): 3}', /keys/],
        ['[1, {2}]', /set/],
        ['(1, frozenset())', /frozenset/],
    ];
    for (const [expression, pattern] of cases) {
        const error = assertThrowsGError(() => a.eval(expression, null), Interp.Error, Interp.Error.NOT_SHAREABLE,
            `eval(${expression})`);
        assertMatch(error.message, pattern, `the message for ${expression}`);
    }
    a.exec('def make_set(): return {1}', null);
    assertThrowsGError(() => a.call('make_set', null, null, null), Interp.Error, Interp.Error.NOT_SHAREABLE,
        'a call result');
});

test('a self-referencing list is NOT_SHAREABLE, not a crash', () => {
    a.exec('loop = []\nloop.append(loop)', null);
    assertThrowsGError(() => a.eval('loop', null), Interp.Error, Interp.Error.NOT_SHAREABLE);
});

test('ints beyond 64 bits are OUT_OF_RANGE', () => {
    for (const expression of ['2**64', '-(2**63) - 1', '10**30', '[1, 2**70]']) {
        assertThrowsGError(() => a.eval(expression, null), Interp.Error, Interp.Error.OUT_OF_RANGE,
            `eval(${expression})`);
    }
});

// Messages a GJS (or Vala, or Python) user reads: they name the methods
// every language shares, not a C function such as g_initable_init().
const C_FUNCTION = /\b(g|interp)_[a-z_]+\s*\(/;

test('errors about setup name no C function', () => {
    const pool = new Interp.Pool({max_workers: 1});
    let e = assertThrowsGError(() => pool.call('abs', new GLib.Variant('(x)', [-1]), null, null),
        Interp.Error, Interp.Error.FAILED, 'a pool without init()');
    assertEqual(e.message, 'The pool is not initialized: call its init or init_async method ' +
        '(GInitable, GAsyncInitable) first');
    const interp = new Interp.Interpreter();
    e = assertThrowsGError(() => interp.exec('pass', null), Interp.Error, Interp.Error.FAILED,
        'an interpreter without init()');
    assertEqual(e.message, 'The interpreter is not initialized: call its init or init_async method ' +
        '(GInitable, GAsyncInitable) first');
    e = assertThrowsGError(() => Interp.get_main().close(), Interp.Error, Interp.Error.FAILED, 'close main');
    assertEqual(e.message, 'The main interpreter cannot be closed: it ends when interp-glib shuts down');
    const broken = new Interp.Pool({max_workers: 1, min_workers: 1, initializer: 'raise ValueError("no")'});
    assertThrowsGError(() => broken.init(null), Interp.Error, Interp.Error.BROKEN, 'a failing initializer');
    e = assertThrowsGError(() => broken.call('abs', new GLib.Variant('(x)', [-1]), null, null),
        Interp.Error, Interp.Error.BROKEN, 'a pool whose init() failed gives that failure');
    assertStartsWith(e.message, 'The pool is broken: ');
    for (const m of [pool, interp].map(o => assertThrowsGError(() => o.call('abs', null, null, null),
        Interp.Error, Interp.Error.FAILED).message))
        assert(!C_FUNCTION.test(m), m);
});

test('after all those errors both interpreters still work and stay isolated', () => {
    assertEqual(a.eval('before', null).deepUnpack(), 1);
    assertDeepEqual(b.eval('[1, "x"]', null).recursiveUnpack(), [1, 'x']);
    assertEqual(b.eval('"Outer" in globals()', null).deepUnpack(), false);
    expectPythonError(() => b.eval('Outer', null), 'Outer is not in b');
});

test('shutdown() returns true', () => {
    assertEqual(Interp.shutdown(), true);
    assertEqual(a.closed, true);
    assertEqual(b.closed, true);
});

run();
