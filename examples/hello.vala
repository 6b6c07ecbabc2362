// hello.vala: interp-glib from Vala, blocking and async, with a Python
// exception caught. Build: valac --pkg interp-glib-1.0 hello.vala
// SPDX-License-Identifier: LGPL-2.1-or-later

async void run_async (MainLoop loop) {
    try {
        // The async creation method; the blocking one is Interpreter.sync ().
        var interp = yield new Interp.Interpreter ();
        yield interp.exec_async ("import math");
        var result = yield interp.call_async ("math:hypot", new Variant ("(dd)", 3.0, 4.0));
        print ("async hypot: %g\n", result.get_double ());   // 5
        ok = result.get_double () == 5.0;
    } catch (Error e) {
        printerr ("async: %s\n", e.message);
    }
    loop.quit ();
}

bool ok = false;

int main () {
    try {
        var interp = new Interp.Interpreter.sync ();
        interp.exec_full ("def greet(name):\n    return f\"Hello, {name}!\"\n", "greet.py");
        var result = interp.call ("greet", new Variant ("(s)", "Vala"));
        print ("%s\n", result.get_string ());   // Hello, Vala!

        try {
            interp.exec_full ("def divide(a, b):\n    return a / b\n\ndivide(1, 0)\n", "divide.py");
        } catch (Error e) {
            // One line: ZeroDivisionError: division by zero
            print ("caught: %s\n", e.message);
            var info = Interp.ExceptionInfo.from_error (e);
            if (info == null || "\n" in e.message || !("return a / b" in info.get_traceback ())) {
                printerr ("unexpected error or snapshot\n");   // the smoke test fails
                return 1;
            }
            print ("type %s.%s in interpreter %lld\n", info.get_module (), info.get_qualname (),
                   info.get_interpreter_id ());
            print ("%s", info.get_traceback ());
        }
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }

    var loop = new MainLoop ();
    run_async.begin (loop);
    loop.run ();
    if (!ok)
        return 1;

    try {
        Interp.shutdown ();
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    return 0;
}
