// gtk-list.js: a GTK 4 list that fills in while a pool of Python
// interpreters works through it. Run with `gjs -m gtk-list.js` (see
// run-demo.sh for the command against an uninstalled build).
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Start factors a long list of numbers by trial division in pure Python,
// one call per number on an InterpPool (one interpreter per CPU, each with
// its own GIL from Python 3.12 on). InterpJS.mapStream() gives the map's
// Interp.MapResults at once: a Gio.ListModel with one Interp.MapItem per
// number, which a Gtk.ListView shows from the start. A row shows a spinner
// until its item is done (the item's notify::done), then the factors or the
// error: one number of the list is invalid on purpose, and fails alone. The
// progress bar's "fraction" and the Cancel button's "sensitive" are bound
// to the model's "fraction" and "loading", the status line to its "n-done"
// and "n-failed". Cancel keeps what is done; every row not done shows
// "cancelled".
//
// INTERP_GTK_LIST_SCRIPT=1 drives the window by itself and prints what
// happened (examples/test-gtk-list.py runs it so under Xvfb): a small run
// of INTERP_GTK_LIST_SMALL numbers to the end, then a long one of
// INTERP_GTK_LIST_LONG cancelled once a few items are done.
// INTERP_GTK_LIST_SCREENSHOT=FILE also saves a PNG of the window, as GTK
// renders it, during the long run (docs/reference/gtk-list.png was taken
// with INTERP_GTK_LIST_LONG=40, so that its progress bar shows).

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Graphene from 'gi://Graphene';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk?version=4.0';
import Pango from 'gi://Pango';
import Interp from 'gi://Interp?version=1.0';
import System from 'system';

// Every worker of the pool runs this first (its initializer).
const WORKER_SOURCE = `
def factor(n):
    if not isinstance(n, int) or n < 2:
        raise ValueError(f'cannot factor {n!r}: not an integer > 1')
    factors = []
    while n % 2 == 0:
        factors.append(2)
        n //= 2
    d = 3
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 2
    if n > 1:
        factors.append(n)
    return factors
`;

const N_WORKERS = Math.max(2, GLib.get_num_processors());
const DEFAULT_COUNT = 2000;
const BAD_INDEX = 3;            // this input fails, to show a per-item error
const BAD_INPUT = -42;

const script = GLib.getenv('INTERP_GTK_LIST_SCRIPT') === '1';
const screenshotPath = GLib.getenv('INTERP_GTK_LIST_SCREENSHOT');

function say(text) {
    if (script)
        print(text);
}

// `count` numbers from `base` on, one of them invalid.
function inputs(count, base) {
    const numbers = [];
    for (let i = 0; i < count; i++)
        numbers.push(i === BAD_INDEX ? BAD_INPUT : base + 2 * i + 1);
    return numbers;
}

// Resolves when test() holds, checked whenever `object` emits one of
// `signals`.
function until(object, signals, test) {
    return new Promise(resolve => {
        if (test()) {
            resolve();
            return;
        }
        const ids = signals.map(signal => object.connect(signal, () => {
            if (!test())
                return;
            ids.forEach(id => object.disconnect(id));
            resolve();
        }));
    });
}

class FactorsWindow {
    constructor(app, InterpJS) {
        this.InterpJS = InterpJS;
        this.pool = null;           // created on first use
        this.numbers = [];          // the inputs of the current run
        this.results = null;        // its Interp.MapResults
        this.cancellable = null;
        this.bindings = [];         // from the model to the widgets
        this.rows = new Set();      // the rows bound to an item now

        this.window = new Gtk.ApplicationWindow({
            application: app,
            title: 'Factors in parallel',
            default_width: 620,
            default_height: 660,
        });
        this.window.set_titlebar(new Gtk.HeaderBar());

        const box = new Gtk.Box({
            orientation: Gtk.Orientation.VERTICAL,
            spacing: 12,
            margin_top: 18, margin_bottom: 18, margin_start: 18, margin_end: 18,
        });
        this.window.set_child(box);

        box.append(new Gtk.Label({
            label: `Factors numbers by trial division in pure Python, one call per number ` +
                `on a pool of ${N_WORKERS} interpreters ` +
                `(Python ${Interp.get_python_version().split(' ')[0]}, ` +
                `${Interp.supports_own_gil() ? 'a GIL each' : 'one shared GIL'}). ` +
                `Number ${BAD_INDEX} is ${BAD_INPUT}: it fails on its own.`,
            wrap: true,
            xalign: 0,
        }));

        const controls = new Gtk.Box({spacing: 8});
        controls.append(new Gtk.Label({label: 'Numbers'}));
        this.countEntry = new Gtk.SpinButton({
            adjustment: new Gtk.Adjustment({
                lower: 1, upper: 100000, step_increment: 100, value: DEFAULT_COUNT,
            }),
            numeric: true,
        });
        controls.append(this.countEntry);
        controls.append(new Gtk.Label({label: 'from'}));
        this.baseEntry = new Gtk.SpinButton({
            adjustment: new Gtk.Adjustment({
                lower: 2, upper: 9e15, step_increment: 1e9, value: 1e14,
            }),
            numeric: true,
            width_chars: 16,
        });
        controls.append(this.baseEntry);
        this.startButton = new Gtk.Button({label: 'Start', hexpand: true, halign: Gtk.Align.END});
        this.startButton.add_css_class('suggested-action');
        this.cancelButton = new Gtk.Button({label: 'Cancel', sensitive: false});
        this.cancelButton.add_css_class('destructive-action');
        controls.append(this.startButton);
        controls.append(this.cancelButton);
        box.append(controls);

        this.progressBar = new Gtk.ProgressBar({show_text: true});
        box.append(this.progressBar);
        this.status = new Gtk.Label({label: 'Press Start.', xalign: 0});
        box.append(this.status);

        const factory = new Gtk.SignalListItemFactory();
        factory.connect('setup', (_, listItem) => listItem.set_child(this.makeRow()));
        factory.connect('bind', (_, listItem) => this.bindRow(listItem.get_child(), listItem.get_item()));
        factory.connect('unbind', (_, listItem) => this.unbindRow(listItem.get_child()));
        this.listView = new Gtk.ListView({factory, show_separators: true});
        box.append(new Gtk.ScrolledWindow({
            child: this.listView,
            vexpand: true,
            hscrollbar_policy: Gtk.PolicyType.NEVER,
        }));

        this.startButton.connect('clicked', () => this.start());
        this.cancelButton.connect('clicked', () => this.cancel());
    }

    // What a row says about an item: the same text the script prints.
    outcome(item) {
        if (!item.get_done())
            return '…';
        const error = item.get_error();
        if (error === null)     // a list of factors, as plain numbers
            return this.InterpJS.fromVariant(item.get_value()).join(' × ');
        if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
            return 'cancelled';
        return error.message;
    }

    makeRow() {
        const row = new Gtk.Box({spacing: 12, margin_start: 6, margin_end: 6, margin_top: 3, margin_bottom: 3});
        row.indexLabel = new Gtk.Label({width_chars: 5, xalign: 1});
        row.indexLabel.add_css_class('dim-label');
        row.numberLabel = new Gtk.Label({width_chars: 16, xalign: 1});
        row.numberLabel.add_css_class('numeric');
        row.spinner = new Gtk.Spinner();
        row.resultLabel = new Gtk.Label({xalign: 0, hexpand: true, ellipsize: Pango.EllipsizeMode.END});
        for (const child of [row.indexLabel, row.numberLabel, row.spinner, row.resultLabel])
            row.append(child);
        row.item = null;
        row.doneId = 0;
        return row;
    }

    bindRow(row, item) {
        const index = item.get_index();
        row.item = item;
        row.indexLabel.label = `${index}`;
        row.numberLabel.label = `${this.numbers[index]}`;
        row.doneId = item.connect('notify::done', () => this.updateRow(row));
        this.updateRow(row);
        this.rows.add(row);
    }

    unbindRow(row) {
        if (row.doneId)
            row.item.disconnect(row.doneId);
        row.item = null;
        row.doneId = 0;
        this.rows.delete(row);
    }

    updateRow(row) {
        const item = row.item;
        const done = item.get_done();
        const text = this.outcome(item);
        row.spinner.spinning = !done;
        row.spinner.visible = !done;
        row.resultLabel.label = done ? text : '';
        row.resultLabel.tooltip_text = done ? text : null;
        const failed = done && text !== 'cancelled' && item.get_error() !== null;
        if (failed)
            row.resultLabel.add_css_class('error');
        else
            row.resultLabel.remove_css_class('error');
        if (done && text === 'cancelled')
            row.resultLabel.add_css_class('dim-label');
        else
            row.resultLabel.remove_css_class('dim-label');
    }

    async ensurePool() {
        if (this.pool !== null)
            return;
        this.status.label = `Starting ${N_WORKERS} interpreters...`;
        this.pool = await this.InterpJS.createPool({
            maxWorkers: N_WORKERS,
            minWorkers: N_WORKERS,      // started now and kept warm
            initializer: WORKER_SOURCE,
        });
    }

    // Shows a new map's model and binds the widgets to it.
    show(results) {
        this.bindings.forEach(binding => binding.unbind());
        const flags = GObject.BindingFlags.SYNC_CREATE;
        const counts = () => {
            const {n_done: done, n_failed: failed} = results;
            // A cancelled item counts as failed.
            const how = this.cancellable?.is_cancelled() ? 'failed or cancelled' : 'failed';
            return [true, `${done} of ${results.get_n_items()} done, ${failed} ${how}`];
        };
        this.bindings = [
            results.bind_property('fraction', this.progressBar, 'fraction', flags),
            results.bind_property('loading', this.cancelButton, 'sensitive', flags),
            results.bind_property_full('n-done', this.status, 'label', flags, counts, null),
            results.bind_property_full('n-failed', this.status, 'label', flags, counts, null),
        ];
        this.listView.model = new Gtk.NoSelection({model: results});
    }

    start() {
        this.started = new Promise(resolve => (this.onStarted = resolve));
        this.running = this.run(this.countEntry.get_value(), this.baseEntry.get_value())
            .catch(e => this.failed(e));
    }

    async run(count, base) {
        this.startButton.sensitive = false;
        await this.ensurePool();

        this.numbers = inputs(Math.floor(count), Math.floor(base));
        this.cancellable = new Gio.Cancellable();
        // One number per call (chunkSize 1): each row fills in as soon as its
        // number is factored.
        const stream = this.InterpJS.mapStream(this.pool, 'factor', this.numbers.map(n => [n]),
            {chunkSize: 1, cancellable: this.cancellable});
        this.results = stream.results;
        this.show(stream.results);
        say(`start: ${this.numbers.length} numbers, ${N_WORKERS} workers`);
        this.onStarted();

        // The rows need none of this: they follow their items. The loop
        // tells the order in which items finished.
        let finished = 0;
        for await (const {index, error} of stream) {
            finished++;
            if (error && !error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                say(`failed: item ${index}: ${error.message}`);
        }
        say(`end: ${finished} items yielded, ${this.results.n_done} done, ` +
            `${this.results.n_failed} failed`);
        this.cancellable = null;
        this.startButton.sensitive = true;
    }

    cancel() {
        this.cancellable?.cancel();
        say('cancel');
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

    // Every item's outcome, and what each row on screen shows.
    report(label, {items = true} = {}) {
        const results = this.results;
        for (let i = 0; items && i < results.get_n_items(); i++)
            say(`${label} item ${i}: ${this.numbers[i]}: ${this.outcome(results.get_item(i))}`);
        const shown = [...this.rows].sort((a, b) => a.item.get_index() - b.item.get_index());
        for (const row of shown) {
            const state = row.spinner.spinning ? 'spinning' : 'still';
            say(`${label} row ${row.indexLabel.label}: ${row.numberLabel.label}: ` +
                `${row.resultLabel.label || '…'} (${state})`);
        }
    }

    // The next frame GTK draws.
    nextFrame() {
        return new Promise(resolve => {
            this.window.add_tick_callback(() => {
                resolve();
                return GLib.SOURCE_REMOVE;
            });
        });
    }

    // The window as GTK renders it (no X tools needed): the docs' picture.
    async saveScreenshot(path) {
        this.window.set_focus(null);    // no text cursor in the picture
        await this.nextFrame();
        await this.nextFrame();
        // The paintable draws the window with its shadow, whose top left
        // corner is the window's bounds' (negative) origin: keep the window.
        const paintable = new Gtk.WidgetPaintable({widget: this.window});
        const snapshot = new Gtk.Snapshot();
        paintable.snapshot(snapshot, paintable.get_intrinsic_width(), paintable.get_intrinsic_height());
        const [, bounds] = this.window.compute_bounds(this.window);
        const frame = new Graphene.Rect().init(-bounds.get_x(), -bounds.get_y(),
            this.window.get_width(), this.window.get_height());
        const texture = this.window.get_renderer().render_texture(snapshot.to_node(), frame);
        if (!texture.save_to_png(path))
            throw new Error(`could not save ${path}`);
        say(`screenshot: ${path}`);
    }

    // The scripted session: what the test checks.
    async drive() {
        const small = Number(GLib.getenv('INTERP_GTK_LIST_SMALL') ?? 40);
        this.countEntry.set_value(small);
        this.baseEntry.set_value(1e9);
        this.startButton.emit('clicked');
        await this.running;
        await this.nextFrame();
        this.report('small');

        // A list far too long to finish: cancel it once some items are done.
        this.countEntry.set_value(Number(GLib.getenv('INTERP_GTK_LIST_LONG') ?? 3000));
        this.baseEntry.set_value(1e15);
        this.startButton.emit('clicked');
        await this.started;
        const results = this.results;
        const enough = screenshotPath ? 10 : 5;     // the picture: some rows of each kind
        await until(results, ['notify::n-done'], () => results.n_done >= enough);
        if (screenshotPath)
            await this.saveScreenshot(screenshotPath);
        const before = results.n_done;
        for (let i = 0; i < results.get_n_items(); i++) {
            const item = results.get_item(i);
            if (item.get_done())
                say(`done before cancel: item ${i}: ${this.numbers[i]}: ${this.outcome(item)}`);
        }
        say(`done before cancel: ${before}`);
        this.report('before cancel', {items: false});
        this.cancelButton.emit('clicked');
        await this.running;
        await this.nextFrame();
        this.report('long');
        say(`progress: ${this.progressBar.fraction.toFixed(6)}, status: ${this.status.label}, ` +
            `cancel sensitive: ${this.cancelButton.sensitive}`);
    }
}

let exitStatus = 0;
const app = new Gtk.Application({
    application_id: 'org.interp_glib.ListExample',
    flags: Gio.ApplicationFlags.NON_UNIQUE,
});
app.connect('activate', () => {
    // GJS 1.74: the module loads after a first use of the namespace, and no
    // main loop may start after an await (see the reference's GJS page);
    // app.run() below is the loop, and the window comes once it runs.
    app.hold();
    Interp.init();
    import('resource:///org/interp-glib/js/interp.js')
        .then(InterpJS => {
            const win = new FactorsWindow(app, InterpJS);
            win.window.present();
            if (script)
                return win.drive().then(() => app.quit(), e => win.failed(e));
            return null;
        })
        .catch(e => {
            logError(e);
            exitStatus = 1;
            app.quit();
        })
        .finally(() => app.release());
});
app.connect('shutdown', () => Interp.shutdown());
const status = app.run([System.programInvocationName]);
System.exit(status || exitStatus);
