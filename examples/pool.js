// pool.js: an Interp.Pool from GJS with Gio._promisify and await: a map
// over many inputs while the main loop keeps ticking, and a timeout that
// wins over a call blocked in C.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Interp from 'gi://Interp';

Gio._promisify(Interp.Pool.prototype, 'map_async', 'map_finish');
Gio._promisify(Interp.Pool.prototype, 'call_async', 'call_finish');

const pool = new Interp.Pool({
    max_workers: 0,             // one per CPU
    min_workers: 1,
    task_timeout: 1000,         // ms a call may run
    initializer: `
def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
`,
});
pool.init(null);

const loop = new GLib.MainLoop(null, false);
let ticks = 0;
GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
    ticks++;
    return GLib.SOURCE_CONTINUE;
});

async function main() {
    const inputs = new GLib.Variant('a(x)', Array.from({length: 20000}, (_, i) => [i + 1]));
    const steps = (await pool.map_async('collatz', inputs, 0, null)).deepUnpack().map(v => v.deepUnpack());
    const best = steps.indexOf(Math.max(...steps)) + 1;
    print(`${steps.length} results in order; ${best} takes the most steps (${steps[best - 1]})`);
    print(`the main loop ticked ${ticks} times meanwhile`);
    try {
        await pool.call_async('time:sleep', new GLib.Variant('(x)', [600]), null, null);
    } catch (e) {
        print(`time.sleep(600): ${e.message}`);  // the timeout won
    }
    const r = await pool.call_async('collatz', new GLib.Variant('(x)', [27]), null, null);
    print(`the pool still works: collatz(27) = ${r.deepUnpack()}`);
}

main().catch(e => {
    printerr(e.message);
    imports.system.exit(1);
}).finally(() => loop.quit());
loop.run();
pool.shutdown(false, null);
