// hello.js: the smallest interp-glib program in GJS. Run with `gjs -m hello.js`.
// SPDX-License-Identifier: LGPL-2.1-or-later
import GLib from 'gi://GLib';
import Interp from 'gi://Interp?version=1.0';
import System from 'system';

try {
    const interp = Interp.Interpreter.new(null);
    interp.exec('def greet(name):\n    return f"Hello, {name}!"\n', null);
    const result = interp.call('greet', new GLib.Variant('(s)', ['GJS']), null, null);
    print(result.deepUnpack());  // Hello, GJS!
} catch (e) {
    printerr(`Python failed: ${e.message}`);
    System.exit(1);
}
