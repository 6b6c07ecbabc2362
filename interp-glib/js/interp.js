// interp.js: the GJS face of interp-glib, shipped in the library as the
// GResource resource:///org/interp-glib/js/interp.js
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//     import GLib from 'gi://GLib';
//     import Interp from 'gi://Interp?version=1.0';
//
//     async function main(InterpJS) {
//         const interp = await InterpJS.create();
//         await InterpJS.exec(interp, 'def add(a, b):\n    return a + b');
//         print(await InterpJS.call(interp, 'add', [1, 2]));   // 3
//     }
//
//     Interp.init();   // loads the library, which registers this module
//     const loop = new GLib.MainLoop(null, false);
//     import('resource:///org/interp-glib/js/interp.js')
//         .then(main)
//         .catch(logError)
//         .finally(() => loop.quit());
//     loop.run();   // from the top level, before any await
//
// Two traps of GJS 1.74 (the API reference's "GJS: the interp.js module"
// says more):
// - A static `import * as InterpJS from 'resource:///org/interp-glib/js/interp.js'`
//   in the program's first module fails with "The resource at ... does not
//   exist": GJS fetches every static import before it runs any code, and it
//   opens the library, which registers this resource, only on the first use
//   of the Interp namespace. Import it dynamically after that first use, as
//   above, or statically from a module of yours imported that way.
// - A main loop started after a top-level await or inside a Promise callback
//   (loop.run(), a Gio.Application's or Gtk.Application's run()) never
//   settles a Promise: the program hangs silently. Start it from the top
//   level, before any await, as above.
//
// Every function returns a Promise, takes plain JS values and gives plain
// JS values back; an optional Gio.Cancellable comes last. A failure of the
// library rejects with the GLib.Error itself (a Python exception: the
// message is `Type: message`, and Interp.ExceptionInfo.from_error(e) gives
// the traceback); a JS value that has no GVariant form rejects with a
// TypeError. The value mapping is in the API reference ("GJS").

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp?version=1.0';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/* ------------------------------------------------------------------ */
/* JS values to GVariant                                               */

function describe(value) {
    if (value === null)
        return 'null';
    if (typeof value !== 'object')
        return typeof value;
    return value.constructor?.name ?? 'object';
}

// With the u flag a surrogate pair is one code point, so only a lone
// surrogate matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/*
 * The 's' GLib.Variant of a string, or a TypeError when the string would
 * not arrive as itself: GVariant strings end at a NUL, and UTF-8 has no
 * form for a lone surrogate (GJS would put U+FFFD in its place). The
 * library's own conversion from Python refuses both the same way.
 */
function stringVariant(string) {
    const nul = string.indexOf('\0');
    if (nul !== -1) {
        throw new TypeError(`a string with an embedded NUL (at index ${nul}) has no GVariant 's' form: ` +
            'use a Uint8Array for binary data');
    }
    const lone = LONE_SURROGATE.exec(string);
    if (lone) {
        const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
        throw new TypeError(`a string with a lone surrogate (U+${code} at index ${lone.index}) has no UTF-8 form: ` +
            'surrogates not allowed');
    }
    return GLib.Variant.new_string(string);
}

function isPlainObject(value) {
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}

/**
 * The GLib.Variant for a plain JS value: an integer Number (a safe
 * integer) is 'x', another Number 'd', a BigInt 'x' (or 't' above the int64
 * maximum), a string 's', a boolean 'b', null and undefined the nothing of
 * 'mv', a Uint8Array, DataView or ArrayBuffer 'ay' (the bytes it views), an
 * array (or another typed array) 'av', a plain object 'a{sv}'; a
 * GLib.Variant stays as it is. A string (value or key) with an embedded NUL
 * or a lone surrogate throws a TypeError: 's' could not carry it intact.
 *
 * @param {*} value the value
 * @returns {GLib.Variant} the variant
 */
export function toVariant(value) {
    if (value instanceof GLib.Variant)
        return value;
    if (value === null || value === undefined)
        return GLib.Variant.new_maybe(new GLib.VariantType('v'), null);
    switch (typeof value) {
    case 'boolean':
        return GLib.Variant.new_boolean(value);
    case 'number':
        return Number.isSafeInteger(value) ? GLib.Variant.new_int64(value) : GLib.Variant.new_double(value);
    case 'bigint':
        if (value >= INT64_MIN && value <= INT64_MAX)
            return GLib.Variant.parse(new GLib.VariantType('x'), value.toString(), null, null);
        if (value > INT64_MAX && value <= UINT64_MAX)
            return GLib.Variant.parse(new GLib.VariantType('t'), value.toString(), null, null);
        throw new RangeError(`BigInt ${value} does not fit in 64 bits`);
    case 'string':
        return stringVariant(value);
    case 'object':
        break;
    default:
        throw new TypeError(`a ${describe(value)} has no GVariant form`);
    }
    if (value instanceof Uint8Array || value instanceof ArrayBuffer || value instanceof DataView) {
        let bytes = value;
        if (value instanceof ArrayBuffer)
            bytes = new Uint8Array(value);
        else if (value instanceof DataView)
            bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        return GLib.Variant.new_from_bytes(new GLib.VariantType('ay'), new GLib.Bytes(bytes), true);
    }
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        return GLib.Variant.new_array(new GLib.VariantType('v'),
            Array.from(value, v => GLib.Variant.new_variant(toVariant(v))));
    }
    if (isPlainObject(value))
        return dictVariant(value);
    throw new TypeError(`a ${describe(value)} has no GVariant form: use numbers, strings, booleans, ` +
        'null, arrays, plain objects, Uint8Array or GLib.Variant');
}

function dictVariant(object) {
    return GLib.Variant.new_array(new GLib.VariantType('{sv}'),
        Object.entries(object).map(([k, v]) =>
            GLib.Variant.new_dict_entry(stringVariant(k), GLib.Variant.new_variant(toVariant(v)))));
}

function argsVariant(args) {
    if (args === null || args === undefined)
        return null;
    if (args instanceof GLib.Variant)
        return args;
    if (!Array.isArray(args))
        throw new TypeError(`args must be an array of values, not a ${describe(args)}`);
    return GLib.Variant.new_tuple(args.map(toVariant));
}

function kwargsVariant(kwargs) {
    if (kwargs === null || kwargs === undefined)
        return null;
    if (kwargs instanceof GLib.Variant)
        return kwargs;
    if (typeof kwargs !== 'object' || !isPlainObject(kwargs))
        throw new TypeError(`kwargs must be a plain object, not a ${describe(kwargs)}`);
    return dictVariant(kwargs);
}

/* ------------------------------------------------------------------ */
/* GVariant to JS values                                               */

function int64(variant) {
    // get_int64() would round beyond 2^53: read the digits instead.
    const text = variant.print(false);
    const big = BigInt(text);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big) : big;
}

/**
 * The plain JS value of a GLib.Variant: numbers for the integer and double
 * types (a BigInt for a 64-bit integer beyond Number.MAX_SAFE_INTEGER),
 * strings, booleans, null for an empty maybe, a Uint8Array for 'ay', an
 * object for a dictionary (a plain object whose keys are all own
 * properties, '__proto__' included), an array for any other array or a
 * tuple; 'v' is unwrapped.
 *
 * @param {GLib.Variant|null} variant the variant
 * @returns {*} the value
 */
export function fromVariant(variant) {
    if (variant === null || variant === undefined)
        return null;
    const type = variant.get_type_string();
    switch (type[0]) {
    case 'b':
        return variant.get_boolean();
    case 'y': case 'n': case 'q': case 'i': case 'u': case 'h': case 'd':
        return variant.unpack();
    case 'x': case 't':
        return int64(variant);
    case 's': case 'o': case 'g':
        return variant.get_string()[0];
    case 'v':
        return fromVariant(variant.get_variant());
    case 'm':
        return variant.n_children() === 0 ? null : fromVariant(variant.get_child_value(0));
    case '(':
        return Array.from({length: variant.n_children()}, (_, i) => fromVariant(variant.get_child_value(i)));
    case 'a':
        if (type === 'ay')
            return variant.get_data_as_bytes().toArray();
        if (type[1] === '{') {
            // defineProperty, not assignment: a key such as '__proto__'
            // must become an own property, not set the prototype.
            const object = {};
            for (let i = 0; i < variant.n_children(); i++) {
                const entry = variant.get_child_value(i);
                Object.defineProperty(object, String(fromVariant(entry.get_child_value(0))), {
                    value: fromVariant(entry.get_child_value(1)),
                    writable: true, enumerable: true, configurable: true,
                });
            }
            return object;
        }
        return Array.from({length: variant.n_children()}, (_, i) => fromVariant(variant.get_child_value(i)));
    case '{':
        return [fromVariant(variant.get_child_value(0)), fromVariant(variant.get_child_value(1))];
    default:
        return variant.recursiveUnpack();
    }
}

/* ------------------------------------------------------------------ */
/* Promises over the _async/_finish pairs                              */

function settle(start, finish) {
    return new Promise((resolve, reject) => {
        try {
            start((source, result) => {
                try {
                    resolve(finish(source, result));
                } catch (e) {
                    reject(e);
                }
            });
        } catch (e) {
            reject(e);
        }
    });
}

function isCancellable(value) {
    return value instanceof Gio.Cancellable;
}

// A new Interp.Interpreter or Interp.Pool with these construct properties,
// initialized asynchronously (as a Gio.AsyncInitable).
function initAsync(klass, properties, cancellable) {
    return settle(cb => {
        if (typeof properties !== 'object' || !isPlainObject(properties))
            throw new TypeError(`properties must be a plain object, not a ${describe(properties)}`);
        new klass(properties).init_async(GLib.PRIORITY_DEFAULT, cancellable, cb);
    }, (source, res) => {
        source.init_finish(res);
        return source;
    });
}

/**
 * Creates an interpreter (Interp.Interpreter.new_async()), or, given
 * construct properties such as `{gil: Interp.Gil.SHARED}`, one configured
 * with them (initialized asynchronously, as a Gio.AsyncInitable).
 *
 * @param {object} [properties] construct properties of Interp.Interpreter
 * @param {Gio.Cancellable} [cancellable] to give up
 * @returns {Promise<Interp.Interpreter>} the interpreter
 */
export function create(properties = null, cancellable = null) {
    if (isCancellable(properties))
        [properties, cancellable] = [null, properties];
    if (properties === null || properties === undefined) {
        return settle(cb => Interp.Interpreter.new_async(cancellable, cb),
            (_, res) => Interp.Interpreter.new_finish(res));
    }
    return initAsync(Interp.Interpreter, properties, cancellable);
}

/**
 * Creates a pool of worker interpreters from its construct properties, in
 * either spelling (`{maxWorkers: 4, initializer: 'import math'}` or
 * `{max_workers: 4}`), and initializes it asynchronously (as a
 * Gio.AsyncInitable): the main loop keeps running while the first
 * `minWorkers` start and run the initializer. A failing initializer rejects
 * with the GLib.Error (Interp.Error.BROKEN).
 *
 * @param {object} [properties] construct properties of Interp.Pool
 * @param {Gio.Cancellable} [cancellable] to give up
 * @returns {Promise<Interp.Pool>} the pool, ready for poolCall() and map()
 */
export function createPool(properties = {}, cancellable = null) {
    if (isCancellable(properties))
        [properties, cancellable] = [{}, properties];
    return initAsync(Interp.Pool, properties ?? {}, cancellable);
}

/**
 * Runs Python code in the interpreter's __main__.
 *
 * @param {Interp.Interpreter} interp the interpreter
 * @param {string} code the code (dedented first)
 * @param {Gio.Cancellable} [cancellable] to interrupt it
 * @returns {Promise<undefined>} settles when the code has run
 */
export function exec(interp, code, cancellable = null) {
    return settle(cb => interp.exec_async(code, cancellable, cb),
        (source, res) => {
            source.exec_finish(res);
        });
}

/**
 * Calls a Python function: `callable` is "name" in __main__ (or a
 * builtin) or "module:qualname".
 *
 * @param {Interp.Interpreter} interp the interpreter
 * @param {string} callable what to call
 * @param {Array} [args] positional arguments, plain values
 * @param {object} [kwargs] keyword arguments, plain values
 * @param {Gio.Cancellable} [cancellable] to interrupt the call
 * @returns {Promise<*>} the result, as a plain value
 */
export function call(interp, callable, args = [], kwargs = {}, cancellable = null) {
    if (isCancellable(args))
        [args, kwargs, cancellable] = [[], {}, args];
    else if (isCancellable(kwargs))
        [kwargs, cancellable] = [{}, kwargs];
    return settle(cb => interp.call_async(callable, argsVariant(args), kwargsVariant(kwargs), cancellable, cb),
        (source, res) => fromVariant(source.call_finish(res)));
}

/**
 * Evaluates a Python expression in the interpreter's __main__.
 *
 * @param {Interp.Interpreter} interp the interpreter
 * @param {string} expression the expression
 * @param {Gio.Cancellable} [cancellable] to interrupt it
 * @returns {Promise<*>} its value, as a plain value
 */
export function evaluate(interp, expression, cancellable = null) {
    return settle(cb => interp.eval_async(expression, cancellable, cb),
        (source, res) => fromVariant(source.eval_finish(res)));
}

/**
 * Calls a Python function on a worker of a pool.
 *
 * @param {Interp.Pool} pool the pool
 * @param {string} callable what to call, as for call()
 * @param {Array} [args] positional arguments, plain values
 * @param {object} [kwargs] keyword arguments, plain values
 * @param {Gio.Cancellable} [cancellable] to cancel the task
 * @returns {Promise<*>} the result, as a plain value
 */
export function poolCall(pool, callable, args = [], kwargs = {}, cancellable = null) {
    // Interp.Pool's call_async()/call_finish() take what the interpreter's do.
    return call(pool, callable, args, kwargs, cancellable);
}

function chunkSizeOf(options) {
    if (options === null || options === undefined)
        return 0;
    if (typeof options !== 'object' || !isPlainObject(options))
        throw new TypeError(`options must be a plain object such as {chunkSize: 16}, not a ${describe(options)}`);
    for (const key of Object.keys(options)) {
        if (key !== 'chunkSize')
            throw new TypeError(`unknown option '${key}': map() takes {chunkSize}`);
    }
    const {chunkSize = 0} = options;
    if (!Number.isInteger(chunkSize) || chunkSize < 0 || chunkSize > 0xffffffff)
        throw new TypeError(`chunkSize must be an integer from 0 (the pool chooses) to 2^32 - 1, not ${chunkSize}`);
    return chunkSize;
}

/**
 * Calls a Python function once per entry of `argsList` on the workers of a
 * pool, in parallel. Items travel to the workers in chunks: `chunkSize`
 * items per job (0, the default: the pool chooses, from the number of items
 * and workers). Larger chunks cost less per item; smaller ones spread
 * uneven work better.
 *
 * @param {Interp.Pool} pool the pool
 * @param {string} callable what to call, as for call()
 * @param {Array<Array>} argsList the positional arguments of each call
 * @param {object} [options] `{chunkSize}`
 * @param {Gio.Cancellable} [cancellable] to cancel the calls
 * @returns {Promise<Array>} the results, in the order of argsList
 */
export function map(pool, callable, argsList, options = {}, cancellable = null) {
    if (isCancellable(options))
        [options, cancellable] = [{}, options];
    return settle(cb => {
        const chunkSize = chunkSizeOf(options);
        if (!Array.isArray(argsList))
            throw new TypeError(`argsList must be an array of argument arrays, not a ${describe(argsList)}`);
        const list = GLib.Variant.new_array(new GLib.VariantType('v'),
            argsList.map(args => GLib.Variant.new_variant(argsVariant(Array.isArray(args) ? args : [args]))));
        pool.map_async(callable, list, chunkSize, cancellable, cb);
    }, (source, res) => fromVariant(source.map_finish(res)));
}

/**
 * Calls a Python function once per entry of `argsList` on the workers of a
 * pool, as map() does, and yields each item as it finishes, in the order
 * they finish (Interp.Pool.map_stream()):
 *
 *     for await (const {index, value, error} of InterpJS.mapStream(pool, 'f', [[1], [2]]))
 *         print(index, error ? error.message : value);
 *
 * `value` is the item's result as a plain value (null if it failed),
 * `error` the GLib.Error of an item that failed (null if it succeeded): a
 * failing item does not stop the others. Leaving the loop early (break,
 * return, throw) cancels the items not done. The returned iterable's
 * `results` is the Interp.MapResults itself, a Gio.ListModel with one
 * item per entry in input order, whose "fraction" and "loading" a widget
 * can bind to.
 *
 * @param {Interp.Pool} pool the pool
 * @param {string} callable what to call, as for call()
 * @param {Array<Array>} argsList the positional arguments of each call
 * @param {object} [options] `chunkSize`: how many calls a worker takes at
 *   once (0, the default, chooses; 1 yields each item as soon as it is
 *   done); `cancellable`: a Gio.Cancellable to cancel the items not done
 * @returns {AsyncIterable<{index: number, value: *, error: GLib.Error|null}>}
 *   the items, as they finish
 */
export function mapStream(pool, callable, argsList, {chunkSize = 0, cancellable = null} = {}) {
    if (!Array.isArray(argsList))
        throw new TypeError(`argsList must be an array of argument arrays, not a ${describe(argsList)}`);
    const list = GLib.Variant.new_array(new GLib.VariantType('v'),
        argsList.map(args => GLib.Variant.new_variant(argsVariant(Array.isArray(args) ? args : [args]))));
    // A cancellable of its own, so that leaving the loop cancels this map
    // and nothing else that shares the caller's.
    const own = new Gio.Cancellable();
    let forwardId = cancellable ? cancellable.connect(() => own.cancel()) : 0;
    const results = pool.map_stream(callable, list, chunkSize, own);
    const total = results.get_n_items();
    const ready = [];           // indices done, in the order they finished
    let head = 0;               // the next of them to yield
    let wake = null;
    let handlerId = results.connect('items-done', (_, position, count) => {
        for (let i = position; i < position + count; i++)
            ready.push(i);
        if (wake) {
            const resolve = wake;
            wake = null;
            resolve();
        }
    });

    const finish = () => {
        if (handlerId) {
            results.disconnect(handlerId);
            handlerId = 0;
        }
        if (forwardId) {
            cancellable.disconnect(forwardId);
            forwardId = 0;
        }
    };
    const itemAt = index => {
        const item = results.get_item(index);
        const error = item.get_error();
        return {index, value: error ? null : fromVariant(item.get_value()), error: error ?? null};
    };

    return {
        results,
        [Symbol.asyncIterator]() {
            return this;
        },
        async next() {
            while (head === ready.length && head < total && handlerId)
                await new Promise(resolve => (wake = resolve));
            if (head === ready.length) {
                finish();
                return {value: undefined, done: true};
            }
            return {value: itemAt(ready[head++]), done: false};
        },
        async return(value) {
            if (head < total)
                own.cancel();
            finish();
            return {value, done: true};
        },
    };
}

/**
 * Puts a value into a queue, waiting while it is full.
 *
 * @param {Interp.Queue} queue the queue
 * @param {*} value a plain value
 * @param {Gio.Cancellable} [cancellable] to stop waiting
 * @returns {Promise<undefined>} settles when the value is in the queue
 */
export function put(queue, value, cancellable = null) {
    return settle(cb => queue.put_async(toVariant(value), cancellable, cb),
        (source, res) => {
            source.put_finish(res);
        });
}

/**
 * Takes the next value from a queue, waiting while it is empty.
 *
 * @param {Interp.Queue} queue the queue
 * @param {Gio.Cancellable} [cancellable] to stop waiting
 * @returns {Promise<*>} the value, as a plain value
 */
export function get(queue, cancellable = null) {
    return settle(cb => queue.get_async(cancellable, cb),
        (source, res) => fromVariant(source.get_finish(res)));
}
