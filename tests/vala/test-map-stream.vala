// test-map-stream.vala: Interp.Pool.map_stream () from Vala: foreach over
// the model, yield results.wait_async (), a failing item and a cancel.
// SPDX-License-Identifier: LGPL-2.1-or-later

const string INITIALIZER = """
def square(x):
    return x * x
def fail_at(x, bad):
    if x in bad:
        raise ValueError(f'bad item {x}')
    return x
def spin_from(x, first):
    while x >= first:
        pass
    return x
""";

int failures = 0;

void check (bool condition, string what) {
    if (!condition) {
        printerr ("FAILED: %s\n", what);
        failures++;
    }
}

Variant pairs (int n, int64 second) {
    var builder = new VariantBuilder (new VariantType ("a(xx)"));
    for (int64 i = 0; i < n; i++)
        builder.add ("(xx)", i, second);
    return builder.end ();
}

async void run_async (MainLoop loop) {
    try {
        var pool = (Interp.Pool) Object.new (typeof (Interp.Pool), "max-workers", 2,
                                             "initializer", INITIALIZER);
        yield pool.init_async (Priority.DEFAULT, null);

        // 10,000 items; each notified once, the model in input order.
        var builder = new VariantBuilder (new VariantType ("a(x)"));
        for (int64 i = 0; i < 10000; i++)
            builder.add ("(x)", i);
        var results = pool.map_stream ("square", builder.end ());
        var notified = new uint[results.size];
        foreach (var item in results)
            item.notify["done"].connect ((obj, pspec) => notified[((Interp.MapItem) obj).index]++);
        check (results.loading, "loading at first");
        var ok = yield results.wait_async ();
        check (ok, "all succeeded");
        uint position = 0;
        foreach (var item in results) {
            check (item.index == position, "input order");
            check (item.done && item.get_error () == null, "done without error");
            check (item.value.get_int64 () == (int64) position * position, "value");
            check (notified[position] == 1, "done notified once");
            position++;
        }
        check (position == 10000 && results.n_done == 10000 && !results.loading, "counters");

        // A failing item among good ones; the others still run.
        var failing = pool.map_stream ("fail_at", new Variant.parsed ("[(int64 0, @ax [2]), (1, [2]), (2, [2]), (3, [2])]"), 4);
        try {
            yield failing.wait_async ();
            check (false, "a failure fails the wait");
        } catch (Error e) {
            check (e.message == "ValueError: bad item 2 (item 2)", "first failure: " + e.message);
        }
        check (failing.n_failed == 1 && failing.get (3).value.get_int64 () == 3, "the others ran");

        // A cancel keeps what is done; the rest are cancelled.
        var cancellable = new Cancellable ();
        var cancelled = pool.map_stream ("spin_from", pairs (20, 5), 1, cancellable);
        cancelled.notify["n-done"].connect (() => {
            if (cancelled.n_done >= 5)
                cancellable.cancel ();
        });
        try {
            yield cancelled.wait_async ();
            check (false, "a cancel fails the wait");
        } catch (IOError.CANCELLED e) {
            check (e.message == "Operation was cancelled (item 5)", "cancelled at 5: " + e.message);
        }
        foreach (var item in cancelled) {
            if (item.index < 5)
                check (item.value != null, "done before the cancel");
            else
                check (item.get_error () != null && item.get_error ().matches (IOError.quark (), IOError.CANCELLED),
                       "cancelled after");
        }
        pool.shutdown (false);
    } catch (Error e) {
        check (false, e.message);
    }
    loop.quit ();
}

int main () {
    var loop = new MainLoop ();
    run_async.begin (loop);
    loop.run ();
    if (failures == 0)
        print ("map_stream from Vala: ok\n");
    return failures == 0 ? 0 : 1;
}
