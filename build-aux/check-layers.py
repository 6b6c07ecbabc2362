#!/usr/bin/env python3
"""Checks that the library's private layers call in one direction only.

interp-glib/ is built in layers, bottom up (interp-executor-private.h says
why): a file may call functions of its own layer and of the layers below,
and include the private headers of those, never those of a layer above.
A lower layer reaches up only through hooks the upper one registers
(InterpExecutorHooks, InterpCarrierContext, the runtime's shutdown
notifications). Public headers (types and the public API) are not layers.

The _interp_glib module is layered the same way: its core (state,
errors, handles) under its parts (queues, channels, interpreters, pool),
which stand beside one another: each calls the core, never another part
(APART below); the top (the module definition, its installation) puts
them together.

Reads the C sources (no build needed); prints each upward call or include
and each call between files that stand apart, with its file and line, and
exits 1 if there is any. --self-test checks on a copy of the sources that
an upward call, an upward include, a circle inside the module (its core
calling a part) and a call from one part of it to another are caught, so
that this check can fail.

Usage: check-layers.py [--self-test] [SOURCE_DIR]   (default: interp-glib)
"""

import os
import re
import shutil
import sys
import tempfile

# Bottom up. A file missing from here is an error: a new file gets a layer.
LAYERS = [
    ("utilities", ["interp-python", "interp-error", "interp-spin", "interp-completion",
                   "interp-cancel-waiter", "interp-deferred", "interp-spare", "interp-values",
                   "interp-output"]),
    ("executor", ["interp-executor", "interp-executor-interrupt", "interp-executor-lifecycle",
                  "interp-executor-registry", "interp-config"]),
    ("runtime", ["interp-runtime"]),
    ("carrier", ["interp-carrier"]),
    ("queue-state", ["interp-queue-state"]),
    ("interpreter", ["interp-interpreter", "interp-interpreter-jobs", "interp-queue",
                     "interp-channel", "interp-map-results"]),
    ("pool", ["interp-pool", "interp-pool-scheduler", "interp-pool-timers"]),
    ("module-core", ["interp-module-core"]),
    ("module-parts", ["interp-module-queues", "interp-module-channels",
                      "interp-module-interp", "interp-module-pool"]),
    ("module", ["interp-module", "interp-module-install", "interp-module-site"]),
]

# Layers whose files stand beside each other: each may call the layers
# below, but no other file of its own layer.
APART = {"module-parts"}

# Private headers: the layer of the files they declare.
HEADERS = {
    "interp-python-private.h": "interp-python",
    "interp-error-private.h": "interp-error",
    "interp-spin-private.h": "interp-spin",
    "interp-completion-private.h": "interp-completion",
    "interp-cancel-waiter-private.h": "interp-cancel-waiter",
    "interp-deferred-private.h": "interp-deferred",
    "interp-spare-private.h": "interp-spare",
    "interp-values-private.h": "interp-values",
    "interp-output-private.h": "interp-output",
    "interp-executor-private.h": "interp-executor",
    "interp-config-private.h": "interp-config",
    "interp-executor-internal-private.h": "interp-executor",
    "interp-runtime-private.h": "interp-runtime",
    "interp-carrier-private.h": "interp-carrier",
    "interp-queue-private.h": "interp-queue-state",
    "interp-interpreter-private.h": "interp-interpreter",
    "interp-map-results-private.h": "interp-map-results",
    "interp-pool-private.h": "interp-pool",
    "interp-module-private.h": "interp-module-core",
    "interp-module-parts-private.h": "interp-module",
}

LEVEL = {stem: i for i, (_, stems) in enumerate(LAYERS) for stem in stems}
NAME = {stem: name for name, stems in LAYERS for stem in stems}

DEFINITION = re.compile(r"^(_?interp_[a-z0-9_]+)\s*\(")
DATA_DEFINITION = re.compile(r"^[A-Za-z_][\w \*]*\b(_interp_[a-z0-9_]+)\s*(?:\[\])?\s*=")
IDENTIFIER = re.compile(r"\b(_?interp_[a-z0-9_]+)\b")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def strip(text):
    """Comments and string literals out, line breaks kept."""
    text = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return STRING.sub('""', text)


def definitions(stem, lines):
    """The non-static functions and data a file defines."""
    found = set()
    for i, line in enumerate(lines):
        m = DEFINITION.match(line)
        if m:
            before = lines[i - 1] if i > 0 else ""
            if "static" not in before.split() and not before.rstrip().endswith(";"):
                found.add(m.group(1))
            continue
        m = DATA_DEFINITION.match(line)
        if m and not line.startswith("static"):
            found.add(m.group(1))
    return found


def check(src):
    problems = []
    files = sorted(f for f in os.listdir(src) if f.endswith((".c", ".h")))
    sources = {}
    for f in files:
        stem = f[:-2]
        if f.endswith(".h"):
            if f not in HEADERS:
                continue  # public headers
            stem = HEADERS[f]
        elif stem not in LEVEL:
            problems.append(f"{src}/{f}: not in any layer (add it to LAYERS in {sys.argv[0]})")
            continue
        with open(os.path.join(src, f), encoding="utf-8") as fh:
            sources[f] = (stem, fh.read())

    definer = {}
    for f, (stem, text) in sources.items():
        if f.endswith(".c"):
            for name in definitions(stem, strip(text).split("\n")):
                definer[name] = stem

    for f, (stem, text) in sources.items():
        level = LEVEL[stem]
        for n, line in enumerate(text.split("\n"), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) in HEADERS:
                target = HEADERS[m.group(1)]
                if LEVEL[target] > level:
                    problems.append(f"{src}/{f}:{n}: includes {m.group(1)}: "
                                    f"{NAME[stem]} must not reach up into {NAME[target]}")
        for n, line in enumerate(strip(text).split("\n"), 1):
            for name in IDENTIFIER.findall(line):
                target = definer.get(name)
                if target is not None and LEVEL[target] > level:
                    problems.append(f"{src}/{f}:{n}: uses {name}(): {NAME[stem]} must not "
                                    f"reach up into {NAME[target]} ({target}.c)")
                elif (target is not None and target != stem and LEVEL[target] == level
                      and NAME[stem] in APART):
                    problems.append(f"{src}/{f}:{n}: uses {name}(): {stem} must not call "
                                    f"{target}.c beside it in {NAME[stem]}")
    return problems


def plant(copy, name, text, after=None):
    """Adds @text to the file @name of @copy, after its line @after (at the end if None)."""
    path = os.path.join(copy, name)
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    if after is None:
        source += text
    else:
        assert after in source, f"{name} lacks {after}"
        source = source.replace(after, after + text, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)


def self_test(src):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "interp-glib")
        shutil.copytree(src, copy)
        if check(copy):
            print("check-layers self-test: the sources already fail", file=sys.stderr)
            return 1
        # Up from the bottom of the library.
        plant(copy, "interp-executor.c", '\n#include "interp-module-private.h"',
              after='#include "interp-output-private.h"')
        plant(copy, "interp-executor.c",
              "\nvoid _interp_check_layers_probe (void);\n"
              "void\n_interp_check_layers_probe (void)\n{\n"
              "  (void) _interp_module_get_current_state ();\n}\n")
        # Inside the module: a part that the core calls (a circle), and
        # that another part calls (parts stand apart).
        plant(copy, "interp-module-queues.c",
              "\nvoid\n_interp_check_layers_part_probe (void)\n{\n}\n")
        plant(copy, "interp-module-core.c",
              "\nvoid\n_interp_check_layers_core_probe (void)\n{\n"
              "  _interp_check_layers_part_probe ();\n}\n")
        plant(copy, "interp-module-pool.c",
              "\nvoid\n_interp_check_layers_pool_probe (void)\n{\n"
              "  _interp_check_layers_part_probe ();\n}\n")
        problems = check(copy)
        # Each: what one problem must say.
        wanted = [("interp-executor.c:", "includes interp-module-private.h"),
                  ("interp-executor.c:", "uses _interp_module_get_current_state()"),
                  ("interp-module-core.c:", "uses _interp_check_layers_part_probe()",
                   "module-core must not reach up into module-parts"),
                  ("interp-module-pool.c:", "uses _interp_check_layers_part_probe()",
                   "interp-module-pool must not call interp-module-queues.c")]
        missing = [" ".join(w) for w in wanted
                   if not any(all(part in p for part in w) for p in problems)]
        if missing:
            print("check-layers self-test: not caught: " + "; ".join(missing), file=sys.stderr)
            return 1
    print("check-layers self-test: an upward include and an upward call are caught, "
          "and so are a circle inside the module and a call between its parts")
    return 0


def main(argv):
    args = [a for a in argv if a != "--self-test"]
    src = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "interp-glib")
    if "--self-test" in argv:
        return self_test(src)
    problems = check(src)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print("check-layers: %d files in %d layers; no call or include goes up"
          % (sum(len(s) for _, s in LAYERS), len(LAYERS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
