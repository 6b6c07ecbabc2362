# _bootstrap.py: makes interp_glib importable in an interpreter
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The library runs this once in every interpreter it sets up (the main one
# included), with three C functions in its globals:
#   _read(path)     the bytes of a file of the library's Python GResource,
#                   or None
#   _code(path)     the same file compiled (once for the process), or None
#   _load_c(spec)   creates the low-level _interp_glib C module
# The package interp_glib is read from the GResource, so that every
# interpreter gets the sources the library was built with. It imports
# nothing beyond what the interpreter already has.

import sys
from _frozen_importlib import ModuleSpec

_PREFIX = '/org/interp-glib/python/'


class _InterpGlibFinder:
    '''Finds interp_glib (GResource) and _interp_glib (C) for the import system.'''

    _interp_glib_finder = True

    def __init__(self, read, code, load_c):
        self._read = read
        self._code = code
        self._load_c = load_c

    @staticmethod
    def _path(name):
        parts = name.split('.')
        if parts[0] != 'interp_glib':
            return None, False
        if len(parts) == 1:
            return 'interp_glib/__init__.py', True
        return '/'.join(parts) + '.py', False

    def find_spec(self, name, path=None, target=None):
        if name == '_interp_glib':
            return ModuleSpec(name, self, origin='interp-glib')
        rel, is_package = self._path(name)
        if rel is None or self._read(_PREFIX + rel) is None:
            return None
        spec = ModuleSpec(name, self, origin='resource://' + _PREFIX + rel,
                          is_package=is_package)
        spec.has_location = True
        return spec

    def create_module(self, spec):
        if spec.name == '_interp_glib':
            return self._load_c(spec)
        return None

    def exec_module(self, module):
        name = module.__spec__.name
        if name == '_interp_glib':
            return
        self._exec_source(module, name)

    def _exec_source(self, module, name):
        rel, is_package = self._path(name)
        filename = 'resource://' + _PREFIX + rel
        code = self._code(_PREFIX + rel)
        if code is None:
            raise ImportError(f'{name} is not in the library', name=name)
        if is_package and getattr(module, '__path__', None) is None:
            module.__path__ = []
        module.__file__ = filename
        exec(code, module.__dict__)

    def exec_package(self, module):
        '''Fills an already made module (the host's extension module) with interp_glib.'''
        module.__path__ = []
        module.__package__ = 'interp_glib'
        spec = getattr(module, '__spec__', None)
        if spec is not None:
            spec.submodule_search_locations = []
            spec.loader = self
        module.__loader__ = self
        self._exec_source(module, 'interp_glib')

    # importlib.abc.InspectLoader: tracebacks and inspect show the sources.
    def get_source(self, name):
        rel, _ = self._path(name)
        source = self._read(_PREFIX + rel) if rel else None
        return source.decode('utf-8') if source is not None else None

    def is_package(self, name):
        return name == 'interp_glib'


def _install():
    for finder in sys.meta_path:
        if getattr(finder, '_interp_glib_finder', False):
            return
    # First: the interpreters' own copy wins over one on sys.path.
    sys.meta_path.insert(0, _InterpGlibFinder(_read, _code, _load_c))


_install()
