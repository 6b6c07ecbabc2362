// pool.js: an Interp.Pool from GJS through the library's ES module: created
// without blocking the main loop, a map over many inputs while the main
// loop keeps ticking, and a timeout that wins over a call blocked in C.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Interp from 'gi://Interp?version=1.0';
import System from 'system';

const INITIALIZER = `
def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
`;

let pool = null;
let ticks = 0;

async function main(InterpJS) {
    // Asynchronous init: the main loop keeps running while workers start.
    pool = await InterpJS.createPool({
        maxWorkers: 0,          // one per CPU
        minWorkers: 1,
        taskTimeout: 1000,      // ms a call may run
        initializer: INITIALIZER,
    });
    const inputs = Array.from({length: 20000}, (_, i) => [i + 1]);
    const steps = await InterpJS.map(pool, 'collatz', inputs, {chunkSize: 500});
    const best = steps.indexOf(Math.max(...steps)) + 1;
    print(`${steps.length} results in order; ${best} takes the most steps (${steps[best - 1]})`);
    print(`the main loop ticked ${ticks} times meanwhile`);
    try {
        await InterpJS.poolCall(pool, 'time:sleep', [600]);
    } catch (e) {
        print(`time.sleep(600): ${e.message}`);  // the timeout won
    }
    print(`the pool still works: collatz(27) = ${await InterpJS.poolCall(pool, 'collatz', [27])}`);
}

GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
    ticks++;
    return GLib.SOURCE_CONTINUE;
});

// GJS 1.74: the module can only be imported once the library is loaded,
// and the loop must start from the top level, before any await (the API
// reference's "GJS: the interp.js module" says why).
Interp.init();
const loop = new GLib.MainLoop(null, false);
let status = 0;
import('resource:///org/interp-glib/js/interp.js')
    .then(main)
    .catch(e => {
        printerr(e.message);
        status = 1;
    })
    .finally(() => loop.quit());
loop.run();
pool?.shutdown(false, null);
if (status !== 0)
    System.exit(status);
