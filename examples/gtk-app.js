// gtk-app.js: a GTK 4 application that runs CPU-bound Python without
// freezing its window. Run with `gjs -m gtk-app.js` (see run-demo.sh for
// the command against an uninstalled build).
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Start counts the primes below a limit in pure Python, split into chunks
// that an InterpPool runs on one interpreter per CPU (each with its own GIL
// from Python 3.12 on, so they run in parallel). The Python code puts its
// progress in a queue that the main loop reads without blocking, and feeds
// the progress bar. Cancel interrupts the running Python code and drops the
// chunks still queued. Each chunk's result goes into the list. A heartbeat
// ticks on the main loop all along: the window stays responsive because
// nothing waits for Python in the main thread.
//
// INTERP_GTK_APP_SCRIPT=1 drives the window by itself and prints what
// happened (tests/ run it so under Xvfb): a small run to the end, then a
// large one cancelled once progress shows. INTERP_GTK_APP_SCREENSHOT=FILE
// also saves a PNG of the X screen while the large run computes (with
// ImageMagick's import, under Xvfb: docs/reference/gtk-app.png).

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk?version=4.0';
import Interp from 'gi://Interp?version=1.0';
import System from 'system';

Gio._promisify(Gio.AsyncInitable.prototype, 'init_async', 'init_finish');
Gio._promisify(Interp.Pool.prototype, 'call_async', 'call_finish');
Gio._promisify(Interp.Queue.prototype, 'get_async', 'get_finish');

// Every worker of the pool runs this first (its initializer).
const WORKER_SOURCE = `
import time
import interp_glib

def count_primes(start, stop, chunk, progress_id):
    progress = interp_glib.Queue(progress_id)
    total = stop - start
    step = max(total // 100, 1)
    began = time.monotonic()
    count = 0
    for n in range(start, stop):
        if (n - start) % step == 0:
            progress.put((chunk, n - start, total))
        if n < 2:
            continue
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            count += 1
    progress.put((chunk, total, total))
    return count, time.monotonic() - began
`;

const DEFAULT_LIMIT = 3000000;
const HEARTBEAT_MS = 100;
const N_WORKERS = Math.max(2, GLib.get_num_processors());
const N_CHUNKS = 2 * N_WORKERS;     // more than the workers: some wait

const script = GLib.getenv('INTERP_GTK_APP_SCRIPT') === '1';
const screenshotPath = GLib.getenv('INTERP_GTK_APP_SCREENSHOT');

function say(text) {
    if (script)
        print(text);
}

class PrimesWindow {
    constructor(app) {
        this.pool = null;           // Interp.Pool, created on first use
        this.progress = Interp.Queue.new(0);
        this.done = new Array(N_CHUNKS).fill(0);
        this.total = new Array(N_CHUNKS).fill(1);
        this.cancellable = null;    // of the current run
        this.ticks = 0;
        this.busyTicks = 0;         // ticks while Python code was running
        this.onTick = null;
        this.onProgress = null;

        this.window = new Gtk.ApplicationWindow({
            application: app,
            title: 'Primes in parallel',
            default_width: 560,
            default_height: 460,
        });

        this.window.set_titlebar(new Gtk.HeaderBar());

        const box = new Gtk.Box({
            orientation: Gtk.Orientation.VERTICAL,
            spacing: 12,
            margin_top: 18, margin_bottom: 18, margin_start: 18, margin_end: 18,
        });
        this.window.set_child(box);

        this.limitEntry = new Gtk.SpinButton({
            adjustment: new Gtk.Adjustment({
                lower: 100, upper: 1e9, step_increment: 100000, value: DEFAULT_LIMIT,
            }),
            numeric: true,
        });
        const intro = new Gtk.Label({
            label: `Counts the primes below a limit in pure Python, in ${N_CHUNKS} chunks ` +
                `on a pool of ${N_WORKERS} interpreters ` +
                `(Python ${Interp.get_python_version().split(' ')[0]}, ` +
                `${Interp.supports_own_gil() ? 'a GIL each' : 'one shared GIL'}).`,
            wrap: true,
            xalign: 0,
        });
        box.append(intro);

        const controls = new Gtk.Box({spacing: 8});
        controls.append(new Gtk.Label({label: 'Limit'}));
        controls.append(this.limitEntry);
        this.startButton = new Gtk.Button({label: 'Start'});
        this.startButton.add_css_class('suggested-action');
        this.cancelButton = new Gtk.Button({label: 'Cancel', sensitive: false});
        this.cancelButton.add_css_class('destructive-action');
        controls.append(this.startButton);
        controls.append(this.cancelButton);
        this.spinner = new Gtk.Spinner();
        controls.append(this.spinner);
        this.busyLabel = new Gtk.Label({xalign: 1, hexpand: true});
        this.busyLabel.add_css_class('dim-label');
        controls.append(this.busyLabel);
        this.heartbeatLabel = new Gtk.Label({xalign: 1});
        this.heartbeatLabel.add_css_class('dim-label');
        controls.append(this.heartbeatLabel);
        box.append(controls);

        this.progressBar = new Gtk.ProgressBar({show_text: true, text: 'Idle'});
        box.append(this.progressBar);

        const resultsTitle = new Gtk.Label({label: 'Results', xalign: 0});
        resultsTitle.add_css_class('heading');
        box.append(resultsTitle);
        this.results = new Gtk.ListBox({selection_mode: Gtk.SelectionMode.NONE});
        this.results.add_css_class('boxed-list');
        box.append(new Gtk.ScrolledWindow({child: this.results, vexpand: true}));

        this.status = new Gtk.Label({label: 'Press Start.', xalign: 0});
        box.append(this.status);

        this.startButton.connect('clicked', () => {
            this.run(this.limitEntry.get_value()).catch(e => this.failed(e));
        });
        this.cancelButton.connect('clicked', () => this.cancel());

        // The heartbeat: if the main loop were blocked, it would stop.
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, HEARTBEAT_MS, () => {
            this.ticks++;
            if (this.pool?.n_busy > 0)
                this.busyTicks++;
            this.heartbeatLabel.label = `main loop: tick ${this.ticks}`;
            this.onTick?.();
            return GLib.SOURCE_CONTINUE;
        });
    }

    failed(e) {
        this.status.label = `Failed: ${e.message}`;
        say(`error: ${e.message}`);
        if (script) {
            exitStatus = 1;
            this.cancellable?.cancel();
            this.window.application.quit();
        }
    }

    updateBusy() {
        const {n_busy: busy, n_pending: pending} = this.pool;
        this.busyLabel.label = busy > 0
            ? `${busy} of ${N_WORKERS} busy, ${pending} waiting` : '';
    }

    addResult(text) {
        this.results.append(new Gtk.Label({label: text, xalign: 0,
            margin_start: 8, margin_end: 8, margin_top: 4, margin_bottom: 4}));
    }

    async ensurePool() {
        if (this.pool !== null)
            return;
        this.status.label = `Starting ${N_WORKERS} interpreters...`;
        const pool = new Interp.Pool({
            max_workers: N_WORKERS,
            min_workers: N_WORKERS,     // started now and kept warm
            initializer: WORKER_SOURCE,
        });
        await pool.init_async(GLib.PRIORITY_DEFAULT, null);
        // Notified on this main loop as calls start, end and wait.
        pool.connect('notify::n-busy', () => this.updateBusy());
        pool.connect('notify::n-pending', () => this.updateBusy());
        this.pool = pool;
    }

    // Reads the progress queue on the main loop until the run ends.
    async readProgress(stop) {
        for (;;) {
            let item;
            try {
                // eslint-disable-next-line no-await-in-loop
                item = await this.progress.get_async(stop);
            } catch (e) {
                if (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                    return;
                throw e;
            }
            const [chunk, done, total] = item.deepUnpack();
            this.done[chunk] = done;
            this.total[chunk] = total;
            const fraction = this.done.reduce((a, b) => a + b, 0) /
                this.total.reduce((a, b) => a + b, 0);
            this.progressBar.fraction = fraction;
            this.progressBar.text = `${Math.floor(fraction * 100)} %`;
            this.onProgress?.(fraction);
        }
    }

    async run(limit) {
        limit = Math.floor(limit);
        this.startButton.sensitive = false;
        this.spinner.start();
        await this.ensurePool();

        this.cancellable = new Gio.Cancellable();
        this.cancelButton.sensitive = true;
        this.done.fill(0);
        this.total.fill(1);
        this.progressBar.fraction = 0;
        this.status.label = `Counting the primes below ${limit} on ${N_WORKERS} interpreters...`;
        say(`start: limit ${limit}, ${N_CHUNKS} chunks, ${N_WORKERS} workers`);

        const stopProgress = new Gio.Cancellable();
        const progressDone = this.readProgress(stopProgress);
        const began = GLib.get_monotonic_time();
        const size = Math.ceil(limit / N_CHUNKS);
        const calls = [];
        for (let i = 0; i < N_CHUNKS; i++) {
            const start = Math.min(limit, i * size), stop = Math.min(limit, (i + 1) * size);
            const args = new GLib.Variant('(xxxx)', [start, stop, i, this.progress.id]);
            this.total[i] = Math.max(stop - start, 1);
            calls.push(this.pool.call_async('count_primes', args, null, this.cancellable)
                .then(value => {
                    const [count, seconds] = value.deepUnpack();
                    this.addResult(`Chunk ${i + 1}: ${count} primes in [${start}, ${stop}) ` +
                        `(${seconds.toFixed(2)} s)`);
                    say(`chunk ${i}: ${count} primes in [${start}, ${stop})`);
                    return count;
                }, e => {
                    if (!e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                        throw e;
                    this.addResult(`Chunk ${i + 1}: cancelled`);
                    say(`chunk ${i}: cancelled`);
                    return null;
                }));
        }
        const counts = await Promise.all(calls);
        stopProgress.cancel();
        await progressDone;

        const seconds = (GLib.get_monotonic_time() - began) / 1e6;
        const cancelled = counts.filter(c => c === null).length;
        if (cancelled > 0) {
            this.status.label = `Cancelled after ${seconds.toFixed(2)} s.`;
            this.progressBar.text = 'Cancelled';
        } else {
            const total = counts.reduce((a, b) => a + b, 0);
            this.status.label = `${total} primes below ${limit}, in ${seconds.toFixed(2)} s.`;
            this.progressBar.text = 'Done';
            say(`total: ${total} primes below ${limit}`);
        }
        say(`end: ${counts.length - cancelled} finished, ${cancelled} cancelled`);
        this.cancellable = null;
        this.cancelButton.sensitive = false;
        this.startButton.sensitive = true;
        this.spinner.stop();
        return counts;
    }

    cancel() {
        this.cancellable?.cancel();
        this.status.label = 'Cancelling...';
        say('cancel');
    }

    // Waits on the main loop until test() is true; checked at each
    // heartbeat and progress report.
    until(test) {
        return new Promise(resolve => {
            const check = () => {
                if (!test())
                    return;
                this.onTick = this.onProgress = null;
                resolve();
            };
            this.onTick = this.onProgress = check;
            check();
        });
    }

    // The X screen (the app runs alone under Xvfb then), with ImageMagick's
    // import: a picture for the docs.
    saveScreenshot(path) {
        const [, , stderr, status] = GLib.spawn_command_line_sync(
            `import -window root ${GLib.shell_quote(path)}`);
        if (status !== 0)
            throw new Error(`import failed: ${new TextDecoder().decode(stderr)}`);
        say(`screenshot: ${path}`);
    }

    // The scripted session: what a test checks.
    async drive() {
        const small = Number(GLib.getenv('INTERP_GTK_APP_SMALL') ?? 20000);
        this.limitEntry.set_value(small);
        this.startButton.emit('clicked');
        await this.until(() => this.results.get_first_child() !== null &&
            this.startButton.sensitive);

        // A run far too long to finish: cancel it once progress shows and the
        // main loop has ticked while Python was computing.
        // (A shorter one for the screenshot, to show more progress.)
        const busyBefore = this.busyTicks;
        this.limitEntry.set_value(screenshotPath ? 3000000 : 20000000);
        this.startButton.emit('clicked');
        await this.until(() => this.progressBar.fraction >= (screenshotPath ? 0.4 : 0.01) &&
            this.busyTicks >= busyBefore + 3);
        say(`progress: ${this.progressBar.text}, heartbeat ticks while computing: ` +
            `${this.busyTicks - busyBefore}`);
        if (screenshotPath)
            this.saveScreenshot(screenshotPath);
        this.cancelButton.emit('clicked');
        await this.until(() => this.startButton.sensitive);

        let rows = 0;
        for (let row = this.results.get_first_child(); row; row = row.get_next_sibling())
            rows++;
        say(`list rows: ${rows}`);
        say(`status: ${this.status.label}`);
    }
}

let exitStatus = 0;
const app = new Gtk.Application({
    application_id: 'org.interp_glib.PrimesExample',
    flags: Gio.ApplicationFlags.NON_UNIQUE,
});
app.connect('activate', () => {
    const win = new PrimesWindow(app);
    win.window.present();
    if (script) {
        win.drive().then(() => app.quit(), e => win.failed(e));
    }
});
app.connect('shutdown', () => Interp.shutdown());
const status = app.run([System.programInvocationName]);
System.exit(status || exitStatus);
