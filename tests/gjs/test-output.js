// test-output.js: an interpreter's sys.stdout/sys.stderr sent to the
// application through the "output" signal.
// SPDX-License-Identifier: LGPL-2.1-or-later
import GLib from 'gi://GLib';
import Interp from 'gi://Interp?version=1.0';
import {test, run, assertEqual, assertDeepEqual, waitFor} from './harness.js';

const a = Interp.Interpreter.new(null);
const b = Interp.Interpreter.new(null);

function collect(interp) {
    const lines = [];
    const id = interp.connect('output', (_self, stream, text) => lines.push([stream, text]));
    return {lines, disconnect: () => interp.disconnect(id)};
}

test('capture is off by default', () => {
    assertEqual(a.get_capture_output(), false);
});

test('print() and sys.stderr arrive as lines, in order, in the main context', async () => {
    const out = collect(a);
    a.set_capture_output(true);
    assertEqual(a.get_capture_output(), true);
    a.exec(`
        import sys
        print("hello")
        print("a", "b", sep="-")
        sys.stderr.write("oops\\n")
        print("no newline", end="")
    `, null);
    await waitFor(() => out.lines.length === 4, 5000, 'four lines');
    assertDeepEqual(out.lines, [
        [Interp.Stream.STDOUT, 'hello\n'],
        [Interp.Stream.STDOUT, 'a-b\n'],
        [Interp.Stream.STDERR, 'oops\n'],
        [Interp.Stream.STDOUT, 'no newline'],
    ]);
    out.disconnect();
});

test('another interpreter is not captured', async () => {
    const out = collect(b);
    b.exec('print("# from b, to the test log")', null);
    // A marker from the captured interpreter proves the signal path ran.
    const marker = collect(a);
    a.exec('print("marker")', null);
    await waitFor(() => marker.lines.length === 1, 5000, 'the marker');
    assertDeepEqual(out.lines, []);
    out.disconnect();
    marker.disconnect();
});

test('output of async calls arrives too, and capture can be turned off', async () => {
    const out = collect(a);
    await new Promise(resolve => a.exec_async('for i in range(3): print(i)', null, (s, r) => {
        s.exec_finish(r);
        resolve();
    }));
    await waitFor(() => out.lines.length === 3, 5000, 'three lines');
    assertDeepEqual(out.lines.map(l => l[1]), ['0\n', '1\n', '2\n']);
    a.set_capture_output(false);
    assertEqual(a.get_capture_output(), false);
    a.exec('print("# uncaptured, to the test log")', null);
    assertEqual(a.eval('__import__("sys").stdout is __import__("sys").__stdout__', null).deepUnpack(), true);
    // Let any stray emission arrive before checking none came.
    await new Promise(resolve => GLib.idle_add(GLib.PRIORITY_LOW, () => resolve() ?? GLib.SOURCE_REMOVE));
    assertEqual(out.lines.length, 3);
    out.disconnect();
});

test('shutdown', () => {
    assertEqual(Interp.shutdown(), true);
});

run();
