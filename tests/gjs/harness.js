// harness.js: a small TAP producer for the GJS tests of interp-glib.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A test file registers its tests with test(), then calls run(). A test is
// a function; when it returns a Promise (an async function), run() spins a
// GLib.MainLoop until the Promise settles, so the `_async` methods of
// interp-glib, whose callbacks are dispatched by the main context, complete
// the way they do in an application. Output follows TAP version 13: the plan,
// one `ok`/`not ok` line per test and `# ` diagnostics after a failure. The
// process exits with status 1 when a test failed. The pool tests share
// their pools' making and their workers' Python functions from here too.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp';
import System from 'system';

const tests = [];

/** The time after which a test's main loop gives up, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 20000;

export class AssertionError extends Error {
    constructor(message) {
        super(message);
        this.name = 'AssertionError';
    }
}

/**
 * Registers a test.
 *
 * @param {string} name the test's description in the TAP output
 * @param {Function} fn the test; may be async
 * @param {object} [options] `timeout` in milliseconds for an async test;
 *   `todo`: the reason the test is expected to fail (a known bug): TAP
 *   reports it with a `# TODO` directive and its failure does not count
 */
export function test(name, fn, options = {}) {
    tests.push({name, fn, timeout: options.timeout ?? DEFAULT_TIMEOUT_MS, todo: options.todo ?? null});
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */

export function format(value, depth = 0) {
    if (depth > 8)
        return '…';
    if (value === null)
        return 'null';
    if (value === undefined)
        return 'undefined';
    if (typeof value === 'string')
        return JSON.stringify(value);
    if (typeof value === 'bigint')
        return `${value}n`;
    if (typeof value === 'number')
        return Object.is(value, -0) ? '-0' : String(value);
    if (typeof value !== 'object')
        return String(value);
    if (value instanceof GLib.Error)
        return `GLib.Error(${GLib.quark_to_string(value.domain)}, ${value.code}, ${JSON.stringify(value.message)})`;
    if (value instanceof GLib.Variant)
        return `GLib.Variant<${value.get_type_string()}>(${value.print(true)})`;
    if (value instanceof Error)
        return `${value.name}: ${value.message}`;
    if (ArrayBuffer.isView(value))
        return `${value.constructor.name}[${Array.from(value).join(', ')}]`;
    if (Array.isArray(value))
        return `[${value.map(v => format(v, depth + 1)).join(', ')}]`;
    const entries = Object.keys(value).map(k => `${JSON.stringify(k)}: ${format(value[k], depth + 1)}`);
    return `{${entries.join(', ')}}`;
}

/* ------------------------------------------------------------------ */
/* Assertions                                                          */

function fail(message, detail) {
    throw new AssertionError(detail ? `${message}\n${detail}` : message);
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        fail(message);
}

/** Strict equality; NaN equals NaN. */
export function assertEqual(actual, expected, message = 'values differ') {
    if (!(actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))))
        fail(message, `expected: ${format(expected)}\nactual:   ${format(actual)}`);
}

export function assertNotEqual(actual, unexpected, message = 'values are equal') {
    if (actual === unexpected)
        fail(message, `both are: ${format(actual)}`);
}

function deepEqual(a, b) {
    if (a === b || (Number.isNaN(a) && Number.isNaN(b)))
        return true;
    if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object')
        return false;
    if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
        if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.length !== b.length)
            return false;
        return Array.prototype.every.call(a, (v, i) => v === b[i]);
    }
    if (Array.isArray(a) !== Array.isArray(b))
        return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i]))
        return false;
    return ka.every(k => deepEqual(a[k], b[k]));
}

/** Structural equality of plain values: arrays, objects, typed arrays. */
export function assertDeepEqual(actual, expected, message = 'values differ') {
    if (!deepEqual(actual, expected))
        fail(message, `expected: ${format(expected)}\nactual:   ${format(actual)}`);
}

export function assertMatch(string, regexp, message = 'string does not match') {
    if (typeof string !== 'string' || !regexp.test(string))
        fail(message, `pattern: ${regexp}\nstring:  ${format(string)}`);
}

export function assertStartsWith(string, prefix, message = 'string has the wrong start') {
    if (typeof string !== 'string' || !string.startsWith(prefix))
        fail(message, `prefix: ${format(prefix)}\nstring: ${format(string)}`);
}

export function assertLess(actual, bound, message = 'value too large') {
    if (!(actual < bound))
        fail(message, `expected below: ${format(bound)}\nactual:         ${format(actual)}`);
}

/** Checks that @error is a GLib.Error of @domain and @code. */
export function assertGError(error, domain, code, message = 'wrong error') {
    if (!(error instanceof GLib.Error))
        fail(message, `expected a GLib.Error, got: ${format(error)}${error?.stack ? `\n${error.stack}` : ''}`);
    if (!error.matches(domain, code)) {
        const want = typeof domain === 'number' ? GLib.quark_to_string(domain) : String(domain?.$gtype?.name ?? domain);
        fail(message, `expected: ${want} code ${code}\nactual:   ${format(error)}`);
    }
    return error;
}

/** Runs @fn, which must throw; returns what it threw. */
export function assertThrows(fn, message = 'expected an exception') {
    let result;
    try {
        result = fn();
    } catch (e) {
        return e;
    }
    return fail(message, `it returned: ${format(result)}`);
}

/** Runs @fn, which must throw a GLib.Error of @domain and @code; returns it. */
export function assertThrowsGError(fn, domain, code, message = 'expected a GLib.Error') {
    return assertGError(assertThrows(fn, message), domain, code, message);
}

/** Awaits @promise, which must reject; returns the reason. */
export async function assertRejects(promise, message = 'expected a rejection') {
    let result;
    try {
        result = await promise;
    } catch (e) {
        return e;
    }
    return fail(message, `it resolved to: ${format(result)}`);
}

/* ------------------------------------------------------------------ */
/* Main-loop helpers                                                   */

/** Monotonic time in milliseconds. */
export function now() {
    return GLib.get_monotonic_time() / 1000;
}

/** A Promise that resolves after @ms milliseconds of main-loop time. */
export function sleep(ms) {
    return new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
}

/** Polls @predicate every few milliseconds until it is true. */
export async function waitFor(predicate, timeoutMs = 5000, what = 'condition') {
    const deadline = now() + timeoutMs;
    while (!predicate()) {
        if (now() > deadline)
            fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
        // eslint-disable-next-line no-await-in-loop
        await sleep(5);
    }
}

/**
 * Calls `object[name + '_async'](...args, callback)` and returns a Promise
 * that settles with `object[name + '_finish'](result)` in the callback. The
 * callback also records how often it ran in `promise.calls`.
 */
export function callAsync(object, name, ...args) {
    const state = {calls: 0};
    const promise = new Promise((resolve, reject) => {
        object[`${name}_async`](...args, (source, result) => {
            state.calls++;
            try {
                resolve(object[`${name}_finish`](result));
            } catch (e) {
                reject(e);
            }
        });
    });
    promise.state = state;
    return promise;
}

/**
 * Runs @promise to completion in a fresh GLib.MainLoop on the default main
 * context and returns its value (or throws its reason). Gives up after
 * @timeoutMs.
 */
export function runMainLoop(promise, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const loop = new GLib.MainLoop(null, false);
    let settled = false;
    let value, error;
    let timedOut = false;

    const settle = (e, v) => {
        if (settled)
            return;
        settled = true;
        error = e;
        value = v;
        loop.quit();
    };
    promise.then(v => settle(null, v), e => settle(e ?? new Error('rejected without a reason')));
    const timeoutId = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
        timedOut = true;
        settle(new AssertionError(`test did not finish within ${timeoutMs} ms`));
        return GLib.SOURCE_REMOVE;
    });
    if (!settled)
        loop.run();
    if (!timedOut)
        GLib.source_remove(timeoutId);
    if (error)
        throw error;
    return value;
}

/**
 * Runs @source as an ES module in a separate gjs process (same environment),
 * for what may crash or hang the process. Resolves to
 * `{status, signal, timedOut, stdout, stderr}`.
 */
export function runGjsModule(source, timeoutMs = 10000) {
    const [file, stream] = Gio.File.new_tmp('interp-glib-gjs-XXXXXX.js');
    stream.get_output_stream().write_all(new TextEncoder().encode(source), null);
    stream.close(null);
    const gjs = GLib.file_read_link('/proc/self/exe');
    const proc = Gio.Subprocess.new([gjs, '-m', file.get_path()],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    let timedOut = false;
    const timeoutId = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
        timedOut = true;
        proc.force_exit();
        return GLib.SOURCE_REMOVE;
    });
    return new Promise((resolve, reject) => {
        proc.communicate_utf8_async(null, null, (p, res) => {
            try {
                const [, stdout, stderr] = p.communicate_utf8_finish(res);
                if (!timedOut)
                    GLib.source_remove(timeoutId);
                file.delete(null);
                resolve({
                    status: p.get_if_exited() ? p.get_exit_status() : null,
                    signal: p.get_if_signaled() ? p.get_term_sig() : null,
                    timedOut,
                    stdout: stdout ?? '',
                    stderr: stderr ?? '',
                });
            } catch (e) {
                reject(e);
            }
        });
    });
}

/** Describes a runGjsModule() result for a diagnostic. */
export function describeRun(r) {
    const how = r.timedOut ? 'hung (killed after the timeout)'
        : r.signal !== null ? `died of signal ${r.signal}` : `exited with status ${r.status}`;
    return `the child ${how}\nstdout: ${r.stdout.trimEnd()}\nstderr: ${r.stderr.trimEnd()}`;
}

/* ------------------------------------------------------------------ */
/* Pools                                                               */

/**
 * Python functions that the pool tests' workers share: square() counts its
 * calls in `calls`, count() tells it, fail_at(x, bad) raises ValueError for
 * an x in bad.
 */
export const POOL_FUNCTIONS = `
calls = 0
def square(x):
    global calls
    calls += 1
    return x * x
def count():
    return calls
def fail_at(x, bad):
    if x in bad:
        raise ValueError(f'bad item {x}')
    return x
`;

/** An initialized Interp.Pool of @props whose workers run POOL_FUNCTIONS, then @initializer. */
export function newTestPool(props, initializer = '') {
    const pool = new Interp.Pool({...props, initializer: POOL_FUNCTIONS + initializer});
    pool.init(null);
    return pool;
}

/** The arguments list [(0,), (1,), ..., (n - 1,)], a GLib.Variant of type a(x). */
export function intArgs(n) {
    return new GLib.Variant('a(x)', Array.from({length: n}, (_, i) => [i]));
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

function diagnose(error) {
    let text;
    if (error instanceof AssertionError)
        text = `${error.message}\n${error.stack ?? ''}`;
    else if (error instanceof GLib.Error)
        text = `unexpected ${format(error)}\n${error.stack ?? ''}`;
    else if (error instanceof Error)
        text = `unexpected ${error.name}: ${error.message}\n${error.stack ?? ''}`;
    else
        text = `unexpected throw: ${format(error)}`;
    for (const line of text.trimEnd().split('\n'))
        print(`# ${line}`);
}

/**
 * Runs the registered tests in order, printing TAP; exits with status 1 if
 * one failed. Returns normally when all passed, so that the process ends
 * the ordinary way (and a crash at exit still fails the test).
 */
export function run() {
    let failures = 0;

    print(`1..${tests.length}`);
    tests.forEach(({name, fn, timeout, todo}, index) => {
        const number = index + 1;
        const directive = todo ? ` # TODO ${todo}` : '';
        try {
            const result = fn();
            if (result && typeof result.then === 'function')
                runMainLoop(result, timeout);
            print(`ok ${number} - ${name}${directive}`);
        } catch (e) {
            if (!todo)
                failures++;
            print(`not ok ${number} - ${name}${directive}`);
            diagnose(e);
        }
    });

    if (failures > 0) {
        print(`# ${failures} of ${tests.length} tests failed`);
        System.exit(1);
    }
}
