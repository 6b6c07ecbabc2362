#!/usr/bin/env python3
# check-examples.py: compiles and runs every code example of the README and
# the API reference, so that none of them rots.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: check-examples.py SOURCE_ROOT BUILD_ROOT [--list]
#
# Examples are the README's ```c, ```js and ```python blocks, the
# <programlisting language="..."> blocks of docs/reference/*.xml, the
# |[<!-- language="..." --> blocks of the library's gtk-doc comments and the
# indented program in the header comment of interp-glib/js/interp.js.
#
# - C: a program with main() is compiled, linked and run. Anything else is
#   a fragment: it becomes the body of main(), after declarations of the
#   usual names it uses but does not declare (error, interp, result, item,
#   queue), and runs too.
# - JavaScript runs in gjs as an ES module, after the imports and the
#   `interp` it uses but does not declare. A main loop started after a
#   top-level await fails at once: GJS 1.74 settles no Promise in it, so the
#   example would hang (tests/gjs/test-module.js shows that GJS does).
# - Vala is a whole program: compiled with valac against the vapi this
#   build made, and run (skipped without valac or the vapi).
# - Python with `gi.repository` (or a fragment using `Interp.`) runs in a
#   Python with PyGObject whose major.minor is the library's (skipped
#   otherwise); other Python is code that runs inside an interpreter: it is
#   given to interp_interpreter_exec().
#
# A block whose first line is a comment containing "not run" is only
# compiled (C) or skipped (others), for examples that need a display or
# input.
#
# Prints TAP: one test per example, named by file and line.

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SOURCE_ROOT, BUILD_ROOT = sys.argv[1], sys.argv[2]
LIST_ONLY = '--list' in sys.argv[3:]
TIMEOUT = 120

LANGS = {
    'c': 'c',
    'javascript': 'js', 'js': 'js',
    'python': 'python', 'py': 'python',
    'vala': 'vala',
}


def line_of(text, offset):
    return text.count('\n', 0, offset) + 1


def unescape_xml(text):
    parts = re.split(r'(<!\[CDATA\[.*?\]\]>)', text, flags=re.DOTALL)
    out = []
    for part in parts:
        if part.startswith('<![CDATA['):
            out.append(part[len('<![CDATA['):-len(']]>')])
        else:
            part = re.sub(r'<[^>]+>', '', part)
            out.append(part.replace('&lt;', '<').replace('&gt;', '>')
                       .replace('&quot;', '"').replace('&amp;', '&'))
    return ''.join(out)


def collect():
    examples = []
    readme = os.path.join(SOURCE_ROOT, 'README.md')
    with open(readme, encoding='utf-8') as f:
        text = f.read()
    for m in re.finditer(r'^```(\w+)\n(.*?)^```', text, re.DOTALL | re.MULTILINE):
        lang = LANGS.get(m.group(1).lower())
        if lang:
            examples.append(('README.md', line_of(text, m.start()), lang, m.group(2)))

    ref = os.path.join(SOURCE_ROOT, 'docs', 'reference')
    for name in sorted(os.listdir(ref)):
        if not name.endswith('.xml'):
            continue
        with open(os.path.join(ref, name), encoding='utf-8') as f:
            text = f.read()
        for m in re.finditer(r'<programlisting\s+language="([^"]+)"\s*>(.*?)</programlisting>',
                             text, re.DOTALL):
            lang = LANGS.get(m.group(1).lower())
            if lang:
                examples.append(('docs/reference/' + name, line_of(text, m.start()), lang,
                                 unescape_xml(m.group(2))))

    examples.extend(js_header_example(os.path.join('interp-glib', 'js', 'interp.js')))

    lib = os.path.join(SOURCE_ROOT, 'interp-glib')
    for name in sorted(os.listdir(lib)):
        if not name.endswith(('.c', '.h')):
            continue
        with open(os.path.join(lib, name), encoding='utf-8') as f:
            text = f.read()
        for m in re.finditer(r'\|\[<!--\s*language="([^"]+)"\s*-->(.*?)\]\|', text, re.DOTALL):
            lang = LANGS.get(m.group(1).lower())
            if lang:
                body = '\n'.join(re.sub(r'^\s*\* ?', '', l) for l in m.group(2).split('\n'))
                examples.append(('interp-glib/' + name, line_of(text, m.start()), lang, body))
    return examples


def js_header_example(path):
    """The program in the leading comment of a JS file: its lines indented
    by four spaces after '// ', and the empty comment lines between them."""
    with open(os.path.join(SOURCE_ROOT, path), encoding='utf-8') as f:
        lines = f.read().split('\n')
    header = []
    for line in lines:
        if not line.startswith('//'):
            break
        header.append(line)
    code, first = [], None
    for i, line in enumerate(header, 1):
        if line.startswith('//     '):
            first = first or i
            code.append(line[len('//     '):])
        elif line.rstrip() == '//' and code:
            code.append('')
        elif code:
            break
    if not code:
        sys.exit('%s: no example in its header comment' % path)
    return [(path, first, 'js', '\n'.join(code).strip('\n') + '\n')]


def not_run(code):
    first = code.strip().split('\n', 1)[0]
    return 'not run' in first and first.lstrip().startswith(('//', '/*', '#'))


# ------------------------------------------------------------------ C

def pkg_config(*args):
    env = dict(os.environ)
    env['PKG_CONFIG_PATH'] = os.pathsep.join(
        [os.path.join(BUILD_ROOT, 'meson-uninstalled')] + env.get('PKG_CONFIG_PATH', '').split(os.pathsep))
    out = subprocess.run(['pkg-config'] + list(args), env=env, capture_output=True, text=True, check=True)
    return shlex.split(out.stdout)


# name, type, a value to start with when the example uses it before
# assigning it.
C_DECLS = [
    ('error', 'GError', 'NULL'),
    ('interp', 'InterpInterpreter', 'interp_interpreter_new (NULL, NULL)'),
    ('pool', 'InterpPool', 'interp_pool_new (2, NULL, NULL)'),
    ('result', 'GVariant', 'NULL'),
    ('item', 'GVariant', 'NULL'),
    ('queue', 'InterpQueue', 'interp_queue_new (0, NULL)'),
]


def declares(code, name):
    return re.search(r'(\)|\*|\b[A-Za-z_]\w*)\s+\**\s*%s\s*(=|;|\[)' % name, code) is not None


def c_program(code):
    if re.search(r'\bmain\s*\(', code):
        return code
    decls = []
    for name, ctype, value in C_DECLS:
        if not re.search(r'\b%s\b' % name, code) or declares(code, name):
            continue
        assigned = re.match(r'\s*%s\s*=[^=]' % name, code.strip())
        decls.append('g_autoptr(%s) %s = %s;' % (ctype, name, 'NULL' if assigned else value))
    body = '\n'.join('  ' + l for l in code.strip('\n').split('\n'))
    return ('#include <interp-glib.h>\n\nint\nmain (void)\n{\n' +
            ''.join('  %s\n' % d for d in decls) + body + '\n  return 0;\n}\n')


def run(cmd, workdir, env=None):
    try:
        p = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, 'timed out after %d s: %s' % (TIMEOUT, ' '.join(cmd))
    out = p.stdout + p.stderr
    bad = [l for l in out.split('\n')
           if re.search(r'CRITICAL|WARNING \*\*|JS ERROR|Unhandled promise rejection', l)]
    if p.returncode != 0 or bad:
        return False, 'exit status %d\n%s' % (p.returncode, out)
    return True, out


def cc():
    return shlex.split(os.environ.get('CC', 'cc'))


def check_c(code, workdir, env):
    src = os.path.join(workdir, 'example.c')
    exe = os.path.join(workdir, 'example')
    with open(src, 'w') as f:
        f.write(c_program(code))
    flags = pkg_config('--cflags', '--libs', 'interp-glib-1.0')
    cmd = cc() + ['-std=gnu11', '-Wall', '-Werror', '-Wno-unused', src, '-o', exe] + flags
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return False, 'does not compile:\n%s\n%s' % (c_program(code), p.stderr)
    if not_run(code):
        return True, 'compiled'
    return run([exe], workdir, env)


# ------------------------------------------------------------------ GJS

def js_program(code):
    head = []
    if not re.search(r"^import GLib\b", code, re.MULTILINE):
        head.append("import GLib from 'gi://GLib';")
    if not re.search(r"^import Gio\b", code, re.MULTILINE) and 'Gio.' in code:
        head.append("import Gio from 'gi://Gio';")
    if not re.search(r"^import Interp\b", code, re.MULTILINE):
        head.append("import Interp from 'gi://Interp?version=1.0';")
    if re.search(r'\binterp\b', code) and not re.search(r'\b(const|let|var)\s+interp\b', code):
        head.append('const interp = Interp.Interpreter.new(null);')
    # Imports come first in a module.
    lines = code.strip('\n').split('\n')
    is_import = re.compile(r"^import\s.*\bfrom\s+'[^']*';?\s*$|^import\s+'[^']*';?\s*$")
    imports = [l for l in lines if is_import.match(l)]
    rest = [l for l in lines if not is_import.match(l)]
    decl = [h for h in head if not h.startswith('import')]
    # Ours first: gi://Interp loads the library, which registers its resources.
    return '\n'.join([h for h in head if h.startswith('import')] + imports + decl + rest) + '\n'


def async_without_loop(code, lang):
    """An example that starts async work but never runs a main loop, so
    that its callbacks never run and it prints nothing."""
    starts = re.search(r'_async\s*\(|\bawait\b|_promisify', code)
    loops = re.search(r'MainLoop|\.run\(|runAsync|iteration\s*\(|Gtk\.Application|Adw\.Application', code)
    # gjs -m runs the main loop while a module's top-level await is pending.
    if lang == 'js' and re.search(r'^(?:(?:const|let|var)\s+[^=\n]+=\s*)?await\b', code, re.M):
        return False
    return starts is not None and loops is None


TOP_LEVEL_AWAIT = re.compile(r'^(?:(?:const|let|var)\s+[^=\n]+=\s*)?await\b', re.M)
TOP_LEVEL_RUN = re.compile(r'^[\w.]*\.run\s*\(', re.M)


def loop_after_await(code):
    """A main loop started at the top level after a top-level await: GJS
    1.74 runs the rest of the module as a Promise job, and a loop started
    from a Promise job settles no Promise (the example would hang)."""
    waited = TOP_LEVEL_AWAIT.search(code)
    return waited is not None and TOP_LEVEL_RUN.search(code, waited.end()) is not None


def check_js(code, workdir, env, tools):
    if tools.get('gjs') is None:
        return None, 'no gjs'
    if not_run(code):
        return None, 'marked not run'
    if async_without_loop(code, 'js'):
        return False, 'starts async work but runs no main loop: its callbacks never run'
    if loop_after_await(code):
        return False, ('starts a main loop after a top-level await: GJS 1.74 settles no Promise '
                       'in it, and the program hangs')
    src = os.path.join(workdir, 'example.js')
    with open(src, 'w') as f:
        f.write(js_program(code))
    return run([tools['gjs'], '-m', src], workdir, env)


# ------------------------------------------------------------------ Vala

def check_vala(code, workdir, env, tools):
    vapidir = os.path.join(BUILD_ROOT, 'interp-glib')
    if tools.get('valac') is None:
        return None, 'no valac'
    if not os.path.exists(os.path.join(vapidir, 'interp-glib-1.0.vapi')):
        return None, 'this build made no vapi'
    src = os.path.join(workdir, 'example.vala')
    exe = os.path.join(workdir, 'example')
    with open(src, 'w') as f:
        f.write(code)
    valac_env = dict(env)
    valac_env['PKG_CONFIG_PATH'] = os.pathsep.join(
        [os.path.join(BUILD_ROOT, 'meson-uninstalled')] + env.get('PKG_CONFIG_PATH', '').split(os.pathsep))
    cmd = [tools['valac'], '--fatal-warnings', '--vapidir', vapidir, '--pkg', 'interp-glib-1.0',
           '--pkg', 'gio-2.0', '-X', '-w', '-d', workdir, '-o', exe, src]
    p = subprocess.run(cmd, cwd=workdir, env=valac_env, capture_output=True, text=True)
    if p.returncode != 0:
        return False, 'does not compile:\n%s%s' % (p.stdout, p.stderr)
    if not_run(code):
        return True, 'compiled'
    return run([exe], workdir, env)


# ------------------------------------------------------------------ Python

def host_python_program(code):
    head = []
    if 'gi.require_version' not in code:
        head += ['import gi', "gi.require_version('Interp', '1.0')"]
    if 'from gi.repository import' not in code:
        head.append('from gi.repository import GLib, Gio, Interp')
    code = code.strip('\n')
    if (re.search(r'\binterp\b', code) and not re.search(r'\binterp\s*=[^=]', code) and
            not re.search(r'def \w+\([^)]*\binterp\b', code)):
        # After the example's own imports.
        lines = code.split('\n')
        last_import = max([i for i, l in enumerate(lines) if re.match(r'(import|from)\s', l)],
                          default=-1)
        lines.insert(last_import + 1, 'interp = Interp.Interpreter.new(None)')
        code = '\n'.join(lines)
    return '\n'.join(head + [code]) + '\n'


INTERP_HOST = r'''
#include <interp-glib.h>
int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;

  if (!g_file_get_contents (argv[1], &code, NULL, &error) ||
      (interp = interp_interpreter_new (NULL, &error)) == NULL ||
      !interp_interpreter_exec (interp, code, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_clear_object (&interp);
  return interp_shutdown (NULL) ? 0 : 1;
}
'''


def check_python(code, workdir, env, tools):
    if not_run(code):
        return None, 'marked not run'
    host = 'gi.repository' in code or re.search(r'\bInterp\.', code)
    if host and async_without_loop(code, 'python'):
        return False, 'starts async work but runs no main loop: its callbacks never run'
    if host:
        if tools.get('pygobject') is None:
            return None, 'no Python with PyGObject for this build'
        src = os.path.join(workdir, 'example.py')
        with open(src, 'w') as f:
            f.write(host_python_program(code))
        return run([tools['pygobject'], src], workdir, env)
    # Code that runs inside an interpreter.
    if tools.get('interp_host') is None:
        src = os.path.join(workdir, 'interp-host.c')
        exe = os.path.join(workdir, 'interp-host')
        with open(src, 'w') as f:
            f.write(INTERP_HOST)
        subprocess.run(cc() + ['-std=gnu11', src, '-o', exe] +
                       pkg_config('--cflags', '--libs', 'interp-glib-1.0'), check=True)
        tools['interp_host'] = exe
    src = os.path.join(workdir, 'example-inside.py')
    with open(src, 'w') as f:
        f.write(code)
    return run([tools['interp_host'], src], workdir, env)


def self_test():
    """The trap detector catches the trap, and only it."""
    traps = ["const M = await import('m');\nconst loop = new GLib.MainLoop(null, false);\nloop.run();\n",
             "await setup();\napp.run([System.programInvocationName]);\n"]
    fine = ["import('m').then(main).finally(() => loop.quit());\nloop.run();\n",
            "const M = await import('m');\nprint(await M.f());\n",
            "async function f() {\n    await x;\n}\nloop.run();\n"]
    for code in traps:
        assert loop_after_await(code), code
    for code in fine:
        assert not loop_after_await(code), code


def main():
    self_test()
    examples = collect()
    env = dict(os.environ)
    env['G_DEBUG'] = 'fatal-criticals'
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    tools = {
        'gjs': os.environ.get('CHECK_EXAMPLES_GJS') or None,
        'pygobject': os.environ.get('CHECK_EXAMPLES_PYGOBJECT') or None,
        'valac': shutil.which('valac'),
    }
    print('1..%d' % len(examples))
    failed = 0
    with tempfile.TemporaryDirectory(prefix='interp-examples-') as tmp:
        for i, (path, line, lang, code) in enumerate(examples, 1):
            name = '%s:%d (%s)' % (path, line, lang)
            if LIST_ONLY:
                print('ok %d %s # SKIP listed only' % (i, name))
                continue
            workdir = os.path.join(tmp, str(i))
            os.mkdir(workdir)
            if lang == 'c':
                ok, out = check_c(code, workdir, env)
            elif lang == 'js':
                ok, out = check_js(code, workdir, env, tools)
            elif lang == 'vala':
                ok, out = check_vala(code, workdir, env, tools)
            else:
                ok, out = check_python(code, workdir, env, tools)
            if ok is None:
                print('ok %d %s # SKIP %s' % (i, name, out))
            elif ok:
                print('ok %d %s' % (i, name))
            else:
                failed += 1
                print('not ok %d %s' % (i, name))
                for l in out.rstrip('\n').split('\n'):
                    print('# ' + l)
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
