# interp_glib: CPython 3.14's concurrent.interpreters for every Python >= 3.11
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The same interpreters the C, GJS and PyGObject faces of interp-glib see:
# one ID, one list_all(). Each interpreter runs its calls on a thread of
# its own (its executor); a call from here waits without holding the GIL
# and Ctrl-C interrupts the code it runs. Works the same in every
# interpreter the library runs and in a host Python that imports it.

'''Multiple interpreters in the same process: concurrent.interpreters,
for Python 3.11 and later, over interp-glib.'''

import builtins as _builtins
import marshal as _marshal
import sys as _sys
import threading as _threading
import types as _types
import weakref as _weakref

import _interp_glib as _c
from ._crossinterp import (
    InterpreterError, InterpreterNotFoundError, ExecutionFailed, RunFailedError,
    NotShareableError, ExceptionSnapshot, UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE,
    is_shareable, _check_not_loading_main, _raise_failed, _HandleObject,
)
from ._queues import (
    create as create_queue, list_all as _list_all_queues, Queue,
    QueueError, QueueNotFoundError, QueueEmpty, QueueFull, QueueEmptyError,
    QueueFullError, ItemInterpreterDestroyed,
)
from ._channels import (
    create as create_channel, list_all as list_all_channels,
    RecvChannel, SendChannel, ChannelError, ChannelNotFoundError,
    ChannelClosedError, ChannelEmptyError, ChannelNotEmptyError, NotReceivedError,
)
from . import _queues as queues, _channels as channels

CancelledError = _c.CancelledError

__all__ = [
    'get_current', 'get_main', 'create', 'list_all', 'is_shareable',
    'Interpreter',
    'InterpreterError', 'InterpreterNotFoundError', 'ExecutionFailed',
    'NotShareableError', 'RunFailedError',
    'create_queue', 'Queue', 'QueueEmpty', 'QueueFull',
    'QueueError', 'QueueNotFoundError', 'ItemInterpreterDestroyed',
    'create_channel', 'list_all_channels', 'RecvChannel', 'SendChannel',
    'ChannelError', 'ChannelNotFoundError', 'ChannelEmptyError',
    'ChannelNotEmptyError', 'ChannelClosedError', 'NotReceivedError',
    'UNBOUND', 'UNBOUND_ERROR', 'UNBOUND_REMOVE',
    'InterpreterPoolExecutor', 'BrokenInterpreterPool', 'CancelledError',
]


def __getattr__(name):
    # The executor imports concurrent.futures: only when it is used.
    if name in ('InterpreterPoolExecutor', 'BrokenInterpreterPool'):
        from . import _executor
        value = getattr(_executor, name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


# ---------------------------------------------------------------------
# Interpreters

def create(*, isolated=True):
    '''Returns a new (idle) Python interpreter.

    isolated=False gives it the legacy settings (the main interpreter's
    GIL and allocator, fork, exec and daemon threads allowed).'''
    _check_not_loading_main()
    return Interpreter._from_handle(_c._interp_create(bool(isolated)))


def list_all():
    '''Returns every interpreter that exists, the main one first.'''
    return Interpreter._all(_c._interp_list(), InterpreterNotFoundError)


def get_current():
    '''Returns the interpreter this code runs in.'''
    return Interpreter(_c._interp_current())


def get_main():
    '''Returns the main interpreter.'''
    return Interpreter(0)


_WHENCE_TO_STR = {
    0: 'unknown',
    1: 'runtime init',
    2: '_interpreters module',
}


def _is_stateless(func):
    '''No closure, no globals beyond builtins: the function can travel as
    its code (as CPython 3.14 decides it).'''
    if func.__closure__:
        return False
    globalns = func.__globals__

    def is_state(name):
        return name in globalns and globalns[name] is not getattr(_builtins, name, _NOTHING)

    # Fast and conservative: no name the code uses at all is a global.
    codes = [func.__code__]
    names = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, _types.CodeType))
    if not any(is_state(name) for name in names):
        return True
    # Exact: only the names the code loads as globals count.
    import dis
    codes = [func.__code__]
    while codes:
        code = codes.pop()
        for ins in dis.get_instructions(code):
            if ins.opname in _GLOBAL_OPS and is_state(ins.argval):
                return False
        codes.extend(c for c in code.co_consts if isinstance(c, _types.CodeType))
    return True


_GLOBAL_OPS = frozenset({'LOAD_GLOBAL', 'STORE_GLOBAL', 'DELETE_GLOBAL',
                         'LOAD_NAME', 'STORE_NAME', 'DELETE_NAME'})
_NOTHING = object()


def _main_file():
    main = _sys.modules.get('__main__')
    return getattr(main, '__file__', None)


def _callable_payload(func, check=True):
    '''How func travels: as its code (stateless functions, lambdas too),
    by reference (module and qualname), or as a pickled object. With
    check=False a non-callable travels too, and fails where it is called
    (InterpreterPoolExecutor.submit(), as CPython's).'''
    if isinstance(func, _types.FunctionType):
        if _is_stateless(func):
            try:
                data = _marshal.dumps((func.__code__, func.__defaults__, func.__kwdefaults__))
            except ValueError:
                data = None
            if data is not None:
                return ('code', data, func.__name__, func.__qualname__)
        if '<locals>' in func.__qualname__ or '<lambda>' in func.__qualname__:
            raise NotShareableError(
                f'function {func.__qualname__!r} uses state (a closure or globals) and '
                'cannot be found by module and name in another interpreter')
        module = func.__module__ or '__main__'
        return ('ref', module, func.__qualname__,
                _main_file() if module == '__main__' else None)
    if check and not callable(func):
        raise TypeError(f'expected a callable, got {func!r}')
    return ('obj', func)


class Interpreter(_HandleObject):
    '''A single Python interpreter.

    id: its process-wide ID (0 for the main interpreter); whence: where it
    came from ('runtime init' for the main one, '_interpreters module' for
    those interp-glib made, from Python, C or GJS).
    '''

    __slots__ = ('_id', '_handle', '__weakref__')

    _known = _weakref.WeakValueDictionary()
    _keep_alive = _c._interp_keep_alive

    def __new__(cls, id, /):
        if isinstance(id, int) and id < 0:
            raise ValueError(f'id must be a non-negative int, got {id!r}')
        return super().__new__(cls, id)

    @classmethod
    def _lookup(cls, id):
        return cls._from_handle(_c._interp_lookup(id))

    def _bind(self, handle):
        self._id = handle.id
        self._handle = handle

    @property
    def id(self):
        return self._id

    @property
    def whence(self):
        return _WHENCE_TO_STR.get(self._handle.whence, 'unknown')

    def is_running(self):
        '''Whether the interpreter runs code right now (the main one: while
        its __main__ runs). InterpreterNotFoundError once it is closed.'''
        return _c._interp_is_running(self._handle)

    def close(self):
        '''Finalizes and destroys the interpreter; waits for the call that
        runs in it. InterpreterError from code running in it.'''
        _c._interp_close(self._handle)

    def prepare_main(self, ns=None, /, **kwargs):
        '''Binds the given values into the interpreter's __main__.'''
        ns = dict(ns, **kwargs) if ns is not None else kwargs
        if not ns:
            raise ValueError('nothing to bind: give a mapping or keyword arguments')
        for name in ns:
            if not isinstance(name, str):
                raise TypeError(f'names must be str, got {name!r}')
        _c._interp_prepare_main(self._handle, tuple(ns.items()))

    def exec(self, code, /, dedent=True):
        '''Runs code (source text, a code object or a function without
        arguments, whose body runs) in the interpreter's __main__; waits
        for it. ExecutionFailed if it raises. With dedent (the seeds'
        default), source text whose every line is indented loses the
        common indentation first, as textwrap.dedent() does: source that
        compiles as it is runs unchanged.'''
        if isinstance(code, str):
            if dedent and code[:1] in (' ', '\t', '\n', '\r'):
                import textwrap
                code = textwrap.dedent(code)
            excinfo = _c._interp_exec(self._handle, 'src', code)
        else:
            if isinstance(code, _types.FunctionType):
                func = code
                if func.__code__.co_argcount or func.__code__.co_kwonlyargcount or \
                   func.__closure__:
                    raise ValueError(f'{func!r} must take no arguments and have no closure')
                code = func.__code__
            if not isinstance(code, _types.CodeType):
                raise TypeError(f'expected str, a code object or a function, got {code!r}')
            excinfo = _c._interp_exec(self._handle, 'code', _marshal.dumps(code))
        if excinfo is not None:
            raise ExecutionFailed(ExceptionSnapshot._from_tuple(excinfo))

    def call(self, callable, /, *args, **kwargs):
        '''Calls callable(*args, **kwargs) in the interpreter and returns its
        result. Arguments and result keep their types (shareable objects as
        themselves, the rest pickled). ExecutionFailed if it raises.'''
        result, excinfo = _c._interp_call(self._handle, _callable_payload(callable),
                                           args, tuple(kwargs.items()))
        if excinfo is not None:
            _raise_failed(excinfo)
        return result

    def call_in_thread(self, callable, /, *args, **kwargs):
        '''Starts and returns a thread that calls callable in the
        interpreter. Its result is discarded; an exception goes to
        threading.excepthook, as in CPython.'''
        def task():
            self.call(callable, *args, **kwargs)
        thread = _threading.Thread(target=task)
        thread.start()
        return thread

    # The older seeds' API.
    def run(self, src, /, *, channels=None):
        '''Runs source text in the interpreter (the older API): channels,
        a mapping of names to channel ends (or other shareable objects),
        is bound into its __main__ first. RunFailedError if it raises.'''
        if channels:
            self.prepare_main(dict(channels))
        excinfo = _c._interp_exec(self._handle, 'src', src)
        if excinfo is not None:
            raise RunFailedError(ExceptionSnapshot._from_tuple(excinfo))


# The public classes present themselves as interp_glib's, as CPython's do
# as concurrent.interpreters' (pickles name them so too).
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) and _obj.__module__.startswith('interp_glib.'):
        _obj.__module__ = __name__
del _name, _obj

# Low-level helpers the library's own test suites use.
_size = _c._size
_has_waiting_getter = _c._has_waiting_getter
