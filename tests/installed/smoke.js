// smoke.js: interp-glib from GJS against an installed prefix, with the
// interp.js module and await.
// SPDX-License-Identifier: LGPL-2.1-or-later
import Interp from 'gi://Interp';
import System from 'system';

Interp.init();
const InterpJS = await import('resource:///org/interp-glib/js/interp.js');

let failed = false;
const interp = await InterpJS.create();
await InterpJS.exec(interp, 'def area(w, h):\n    return {"area": w * h, "sides": [w, h]}');
const result = await InterpJS.call(interp, 'area', [3, 2.5]);
if (JSON.stringify(result) !== '{"area":7.5,"sides":[3,2.5]}') {
    printerr(`GJS: unexpected result ${JSON.stringify(result)}`);
    failed = true;
}
try {
    await InterpJS.evaluate(interp, 'area(1, 1)["area"] / 0');
    failed = true;
} catch (e) {
    const info = Interp.ExceptionInfo.from_error(e);
    if (e.message !== 'ZeroDivisionError: division by zero' || !info ||
        !info.get_traceback().includes('\n    area(1, 1)["area"] / 0\n')) {
        printerr(`GJS: unexpected error ${e.message}`);
        failed = true;
    } else {
        print(`GJS: ${e.message}`);
    }
}
Interp.shutdown();
if (failed)
    System.exit(1);
