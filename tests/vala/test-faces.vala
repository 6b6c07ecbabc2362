// test-faces.vala: interp-glib as a Vala program sees it, through the
// generated interp-glib-1.0.vapi: the ways the API reference documents to
// create a pool with an initializer, the async methods' default arguments,
// and errors that name no C function.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

const string SQUARE = "def square(x):\n    return x * x\n";

/* Async tests run in a main loop of their own, as an application's loop
 * would run them; each quits it when done (Vala has no async delegates). */
delegate void Launch (MainLoop loop);

void run_loop (Launch launch) {
    var loop = new MainLoop ();
    launch (loop);
    loop.run ();
}

/* The documented async form: Object.@new () with the construct properties,
 * then init_async (), so the main loop runs while the workers start.
 * (Vala 0.56's binding of GLib.AsyncInitable.new_async () does not compile:
 * it calls g_async_initable_new_finish () without its source object.) */
async void test_pool_new_async (MainLoop loop) {
    try {
        var pool = (Interp.Pool) Object.@new (typeof (Interp.Pool),
                                              "max-workers", 2u, "min-workers", 1u, "task-timeout", 5000u,
                                              "initializer", SQUARE);
        yield pool.init_async (Priority.DEFAULT, null);
        assert_cmpuint (pool.max_workers, CompareOperator.EQ, 2);
        assert_cmpuint (pool.n_workers, CompareOperator.GE, 1);
        var results = yield pool.map_async ("square", new Variant.parsed ("[(int64 3,), (4,), (5,)]"));
        assert_cmpstr (results.print (false), CompareOperator.EQ, "[<int64 9>, <int64 16>, <int64 25>]");
        var v = yield pool.call_async ("square", new Variant ("(x)", (int64) 8));
        assert_cmpint ((int) v.get_int64 (), CompareOperator.EQ, 64);
        yield pool.shutdown_async (false);
    } catch (Error e) {
        error ("unexpected error: %s", e.message);
    }
    loop.quit ();
}

/* The blocking form, for a program without a main loop. */
void test_pool_new_sync () {
    try {
        var pool = (Interp.Pool) Initable.@new (typeof (Interp.Pool), null,
                                                "max-workers", 1u, "initializer", SQUARE);
        assert_cmpint ((int) pool.call ("square", new Variant ("(x)", (int64) 7)).get_int64 (),
                       CompareOperator.EQ, 49);
        pool.shutdown (false);
    } catch (Error e) {
        error ("unexpected error: %s", e.message);
    }
}

/* A failing initializer: the construction fails with the Python error. */
async void test_pool_initializer_fails (MainLoop loop) {
    try {
        try {
            var pool = (Interp.Pool) Object.@new (typeof (Interp.Pool), "min-workers", 1u,
                                                  "initializer", "raise ValueError('bad setup')");
            yield pool.init_async (Priority.DEFAULT, null);
            assert_not_reached ();
        } catch (Interp.Error e) {
            assert (e is Interp.Error.BROKEN);
            assert ("ValueError: bad setup" in e.message);
            assert (!("\n" in e.message));
        }
    } catch (Error e) {
        error ("unexpected error: %s", e.message);
    }
    loop.quit ();
}

/* An error read from Vala names the methods Vala has, not C functions. */
void test_errors_name_no_c_function () {
    var pool = (Interp.Pool) Object.@new (typeof (Interp.Pool), "max-workers", 1u);
    try {
        pool.call ("abs", new Variant ("(x)", (int64) (-1)));
        assert_not_reached ();
    } catch (Error e) {
        assert (e is Interp.Error.FAILED);
        assert_cmpstr (e.message, CompareOperator.EQ,
                       "The pool is not initialized: call its init or init_async method " +
                       "(GInitable, GAsyncInitable) first");
        assert (!/\b(g|interp)_[a-z_]+\s*\(/.match (e.message));
    }
}

/* Channel.recv_async () takes its cancellable as an optional last argument,
 * as Queue.get_async () does. */
async void test_channel_recv_async_default (MainLoop loop) {
    try {
        var channel = new Interp.Channel ();
        // A send waits until its item is received: from a thread of its own.
        var sender = new Thread<bool> ("sender", () => {
            try {
                return channel.send (new Variant.int64 (42), -1);
            } catch (Error e) {
                error ("send: %s", e.message);
            }
        });
        var item = yield channel.recv_async ();
        assert_cmpint ((int) item.get_int64 (), CompareOperator.EQ, 42);
        assert (sender.join ());
        var queue = new Interp.Queue (0);
        yield queue.put_async (new Variant.string ("x"));
        assert_cmpstr ((yield queue.get_async ()).get_string (), CompareOperator.EQ, "x");
    } catch (Error e) {
        error ("unexpected error: %s", e.message);
    }
    loop.quit ();
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/pool/new-async-with-initializer", () => run_loop (l => test_pool_new_async.begin (l)));
    Test.add_func ("/vala/pool/new-sync-with-initializer", test_pool_new_sync);
    Test.add_func ("/vala/pool/initializer-fails", () => run_loop (l => test_pool_initializer_fails.begin (l)));
    Test.add_func ("/vala/errors/no-c-function", test_errors_name_no_c_function);
    Test.add_func ("/vala/channel/recv-async-default", () => run_loop (l => test_channel_recv_async_default.begin (l)));
    var status = Test.run ();
    try {
        Interp.shutdown ();
    } catch (Error e) {
        printerr ("shutdown: %s\n", e.message);
        return 1;
    }
    return status;
}
