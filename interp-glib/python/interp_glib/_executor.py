# interp_glib._executor: InterpreterPoolExecutor over InterpPool
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# CPython 3.14's concurrent.futures.InterpreterPoolExecutor, for every
# Python >= 3.11. As CPython's, it is a ThreadPoolExecutor whose threads
# run the calls in interpreters; here those interpreters are the workers
# of an InterpPool, which keeps them warm, and which can interrupt a
# running call or give it a timeout (CPython's executor cannot).
#
# A call travels pickled: the callable as Interpreter.call() sends it (a
# stateless function as its code, others by reference), its arguments,
# and back its result, or its exception with a snapshot of it. _run() and
# _initialize() run in the workers.

import importlib as _importlib
import io as _io
import itertools as _itertools
import marshal as _marshal
import operator as _operator
import os as _os
import pickle as _pickle
import sys as _sys
import threading as _threading
import _thread as _thread_module
import types as _types
import weakref as _weakref
from concurrent.futures import _base
from concurrent.futures import thread as _thread

import _interp_glib as _c
from . import _callable_payload, _main_file
from ._crossinterp import (
    ExecutionFailed, ExceptionSnapshot, InterpreterError, NotShareableError,
    _UnguardedMainError, _check_not_loading_main, _raise_if_unguarded_main)

__all__ = ['InterpreterPoolExecutor', 'BrokenInterpreterPool']

# InterpPool's counts and milliseconds are C unsigned ints.
_UINT_MAX = 2**32 - 1


class BrokenInterpreterPool(_thread.BrokenThreadPool):
    '''A worker interpreter could not be started (or its initializer
    raised): the pool takes no more calls.'''


# ---------------------------------------------------------------------
# In the workers

def _resolve(payload):
    kind = payload[0]
    if kind == 'code':
        code, defaults, kwdefaults = _marshal.loads(payload[1])
        main = _sys.modules['__main__']
        func = _types.FunctionType(code, main.__dict__, payload[2], defaults)
        func.__kwdefaults__ = kwdefaults
        func.__qualname__ = payload[3]
        return func
    if kind == 'ref':
        _, module_name, qualname, main_file = payload
        module = _importlib.import_module(module_name)
        try:
            return _getattr_path(module, qualname)
        except AttributeError:
            if module_name != '__main__' or not main_file:
                raise
        return _getattr_path(_main_copy(main_file), qualname)
    if kind == 'obj':
        return payload[1]
    raise TypeError(f'bad callable payload {kind!r}')


def _getattr_path(obj, qualname):
    for part in qualname.split('.'):
        obj = getattr(obj, part)
    return obj


def _main_copy(filename):
    # The host's __main__ script, loaded here as __mp_main__ (as
    # multiprocessing does), for the functions defined in it.
    return _c._main_copy(filename)


def _snapshot(exc):
    import traceback
    t = type(exc)
    return (t.__name__, t.__qualname__, t.__module__, str(exc),
            ''.join(traceback.format_exception_only(exc)).rstrip('\n'),
            ''.join(traceback.format_exception(exc)))


class _WorkerUnpickler(_pickle.Unpickler):
    # What the host pickled from its __main__ script is found in its copy.
    main_file = None

    def find_class(self, module, name):
        if module == '__main__' and self.main_file:
            main = _sys.modules['__main__']
            if not hasattr(main, name.partition('.')[0]):
                module = _main_copy(self.main_file).__name__
        return super().find_class(module, name)


class _HostUnpickler(_pickle.Unpickler):
    # A worker's __mp_main__ is the host's __main__.
    def find_class(self, module, name):
        if module == '__mp_main__':
            module = '__main__'
        return super().find_class(module, name)


def _loads(data, unpickler, main_file=None):
    # The subclass (Python code for each global it finds) only where it can
    # matter: a pickle that names the module it redirects.
    if (unpickler is _HostUnpickler and b'__mp_main__' not in data) or \
            (unpickler is _WorkerUnpickler and (not main_file or b'__main__' not in data)):
        return _pickle.loads(data)
    u = unpickler(_io.BytesIO(data))
    u.main_file = main_file
    return u.load()


def _run(payload):
    '''Runs one pickled call; returns its pickled outcome.'''
    main_file, thread_name, data = _pickle.loads(payload)
    if not _named:
        _name_thread(thread_name)
    try:
        fn_payload, args, kwargs = _loads(data, _WorkerUnpickler, main_file)
    except Exception as exc:
        # As CPython's: what this interpreter cannot unpickle is not shareable.
        cause = NotShareableError(f'the call could not be unpickled here: {type(exc).__name__}: {exc}')
        error = NotShareableError('args not shareable')
        return _pickle.dumps((False, _snapshot(cause), _pickle.dumps(error)))
    if fn_payload[0] == 'chunk':
        return _run_chunk(fn_payload[1], args)
    # (ok, snapshot, pickled value or exception): the caller reads the
    # snapshot even when it cannot rebuild the exception itself.
    try:
        value = _resolve(fn_payload)(*args, **kwargs)
    except _c.CancelledError:
        raise  # the pool reports the interruption itself
    except BaseException as exc:
        return _pickle.dumps(_failure(exc))
    try:
        return _pickle.dumps((True, None, _pickle.dumps(value)))
    except Exception as exc:
        return _pickle.dumps(_unsendable_result(value, exc))


def _failure(exc):
    try:
        inner = _pickle.dumps(exc)
    except Exception:
        inner = None
    return (False, _snapshot(exc), inner)


def _unsendable_result(value, exc):
    error = NotShareableError(f'the result, of type {type(value).__name__}, cannot be sent back: {exc}')
    return (False, _snapshot(error), _pickle.dumps(error))


def _run_chunk(fn_payload, chunk):
    '''A chunk of a map: fn resolved once, called for each argument tuple.
    Returns the pickled (ok, snapshot, pickled (values, failed)): the
    values up to the first failure, and that failure's outcome (or None).
    The items after a failure run too, as they do in CPython's executor,
    though nobody sees their results.'''
    try:
        fn = _resolve(fn_payload)
    except _c.CancelledError:
        raise
    except BaseException as exc:
        return _pickle.dumps(_failure(exc))
    values = []
    failed = None
    for args in chunk:
        try:
            value = fn(*args)
        except _c.CancelledError:
            raise
        except BaseException as exc:
            if failed is None:
                failed = _failure(exc)
            continue
        if failed is None:
            values.append(value)
    try:
        return _pickle.dumps((True, None, _pickle.dumps((values, failed))))
    except Exception:
        # One value cannot cross: find which, and fail there.
        for i, value in enumerate(values):
            try:
                _pickle.dumps(value)
            except Exception as exc:
                failed = _unsendable_result(value, exc)
                return _pickle.dumps((True, None, _pickle.dumps((values[:i], failed))))
        raise


def _initialize(payload):
    '''Runs in each new worker. What it raises breaks the pool, and the
    pool's error carries its snapshot, which the executor logs.'''
    # Out of __main__ again, which the worker's tasks may read.
    _sys.modules['__main__'].__dict__.pop('__interp_glib_init__', None)
    main_file, data = _pickle.loads(payload)
    fn_payload, initargs = _loads(data, _WorkerUnpickler, main_file)
    _resolve(fn_payload)(*initargs)


_named = False


def _name_thread(name):
    # CPython's workers run on threads named for the executor; these run
    # on their interpreter's thread, named once (3.14 and later can).
    global _named
    _named = True
    set_name = getattr(_thread_module, 'set_name', None)
    if set_name is not None:
        set_name(name)


# ---------------------------------------------------------------------
# In the caller

def _pickle_call(*parts):
    return _pickle.dumps((_main_file(), _pickle.dumps(parts)))


def _pickle_task(thread_name, *parts):
    return _pickle.dumps((_main_file(), thread_name, _pickle.dumps(parts)))


def _outcome(data):
    ok, info, inner = _pickle.loads(data)
    if ok:
        return _loads(inner, _HostUnpickler)
    _raise_outcome((ok, info, inner))


def _raise_outcome(outcome):
    _, info, inner = outcome
    cause = ExecutionFailed(ExceptionSnapshot._from_tuple(info))
    try:
        exc = _loads(inner, _HostUnpickler) if inner is not None else None
    except Exception:
        exc = None  # its class is not importable here: the snapshot stands for it
    if isinstance(exc, _UnguardedMainError):
        raise RuntimeError(str(exc)) from None   # one line, as multiprocessing's
    if isinstance(exc, BaseException):
        raise exc from cause
    raise cause


class _Chunk:
    '''What map() submits for a chunk of calls of fn.'''
    __slots__ = ('fn',)

    def __init__(self, fn):
        self.fn = fn


def _batched(iterable, n):
    it = iter(iterable)
    while chunk := tuple(_itertools.islice(it, n)):
        yield chunk


def _chain_chunks(chunks):
    # Each chunk's (values, failed): its values, then its failure raised.
    for values, failed in chunks:
        yield from values
        if failed is not None:
            _raise_outcome(failed)


def _not_shareable(exc, what):
    if isinstance(exc, NotShareableError):
        return exc
    error = NotShareableError(f'{what} cannot be sent to an interpreter: {exc}')
    error.__cause__ = exc
    return error


def _default_workers():
    count = getattr(_os, 'process_cpu_count', _os.cpu_count)()
    return count or 1


class _Future(_base.Future):
    '''A future whose call can be cancelled only while it waits in the
    pool's queue, as a call waiting in CPython's executor's queue can, and
    that is running() once a worker took it.'''
    _interp_glib_call = None
    _interp_glib_pool = None

    def cancel(self):
        with self._condition:
            call = self._interp_glib_call
            if (self._state == _base.PENDING and call is not None and
                    not _c._pool_drop(self._interp_glib_pool, call)):
                return False
            return super().cancel()

    def running(self):
        with self._condition:
            call = self._interp_glib_call
            if self._state == _base.PENDING and call is not None:
                return _c._pool_started(self._interp_glib_pool, call)
            return super().running()


class _Stopper:
    '''What concurrent.futures's exit handler puts None in.'''
    def __init__(self, pool):
        self._pool = pool

    def put(self, item):
        _c._pool_stop(self._pool)


def _complete(pool, executor_ref, outstanding):
    '''The completer: sets the futures of the calls that completed.'''
    while (batch := _c._pool_collect(pool)) is not None:
        for future, data, exc in batch:
            outstanding.discard(future)
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited: dropped
            if exc is None:
                try:
                    future.set_result(_outcome(data))
                except BaseException as e:
                    future.set_exception(e)
                continue
            executor = executor_ref()
            if executor is not None:
                exc = executor._pool_error(exc)
            future.set_exception(exc)
            executor = None
        # Nothing kept alive while waiting for the next batch.
        batch = future = data = exc = None


class InterpreterPoolExecutor(_thread.ThreadPoolExecutor):
    '''A concurrent.futures.Executor that runs each call in one of a pool
    of interpreters (CPython 3.14's InterpreterPoolExecutor).

    initializer(*initargs) runs in each new worker interpreter. Beyond
    CPython's: task_timeout (seconds) interrupts a call that runs longer
    (its future gets TimeoutError), interrupt(future) interrupts one call,
    and isolated=False gives the workers the legacy settings.
    '''

    def __init__(self, max_workers=None, thread_name_prefix='', initializer=None,
                 initargs=(), *, task_timeout=None, isolated=True):
        _check_not_loading_main()
        if max_workers is None:
            max_workers = _default_workers()
        else:
            max_workers = _operator.index(max_workers)
            if max_workers <= 0:
                raise ValueError('max_workers must be greater than 0')
            if max_workers > _UINT_MAX:
                raise OverflowError(f'max_workers must be at most {_UINT_MAX}')
        if task_timeout is None:
            timeout_ms = 0
        elif task_timeout <= 0:
            raise ValueError('task_timeout must be positive')
        else:
            timeout_ms = max(1, int(task_timeout * 1000))
            if timeout_ms > _UINT_MAX:
                raise OverflowError(f'task_timeout must be at most {_UINT_MAX / 1000} seconds '
                                    f'(about 49 days), got {task_timeout}')
        if initializer is not None and not callable(initializer):
            raise TypeError('initializer must be a callable')
        thread_name_prefix = thread_name_prefix or f'InterpreterPoolExecutor-{self._counter()}'
        # As CPython's: an initializer that cannot be sent breaks the pool
        # at its first call, logged, rather than failing here.
        self._init_error = None
        init_source = None
        if initializer is not None:
            try:
                data = _pickle_call(_callable_payload(initializer), tuple(initargs))
            except Exception as exc:
                self._init_error = _not_shareable(exc, 'the initializer')
            else:
                # The payload on a line of its own: a traceback through
                # the initializer shows the call's line, not the bytes.
                init_source = ('__interp_glib_init__ = %r\n'
                               'import interp_glib._executor\n'
                               'interp_glib._executor._initialize(__interp_glib_init__)\n'
                               % (data,))
        self._worker_name = thread_name_prefix + '_worker'
        self._pool = _c._pool_new(max_workers, init_source, timeout_ms, bool(isolated))
        self._completer = None
        self._outstanding = set()  # futures submitted and not completed
        super().__init__(max_workers, thread_name_prefix)

    # A ThreadPoolExecutor whose threads are not used: a call goes from
    # submit() straight to the pool, and one thread, the completer, takes
    # the outcomes back in batches (interp-module-pool.c). CPython's tests
    # count the workers as its threads.
    @property
    def _threads(self):
        return tuple(range(_c._pool_n_workers(self._pool)))

    @_threads.setter
    def _threads(self, value):
        pass  # ThreadPoolExecutor.__init__() sets it

    def _broke(self, message, exc=None):
        '''The pool is broken: the first time, logs why as CPython's
        executor does; raises BrokenInterpreterPool.'''
        with self._shutdown_lock:
            first = not self._broken
            self._broken = message
        if first and exc is not None:
            _thread._base.LOGGER.critical('Exception in initializer:', exc_info=exc)
        raise BrokenInterpreterPool(message)

    def _payload(self, fn, args, kwargs):
        if self._init_error is not None:
            self._broke('A worker initializer failed, the pool is not usable anymore',
                        self._init_error)
        # Here, not in the caller of submit(): a call that cannot be sent
        # fails its future, as in CPython.
        try:
            if type(fn) is _Chunk:
                fn_payload = ('chunk', _callable_payload(fn.fn, check=False))
                args = args[0]
            else:
                fn_payload = _callable_payload(fn, check=False)
            return _pickle_task(self._worker_name, fn_payload, args, kwargs)
        except Exception as exc:
            raise _not_shareable(exc, 'the call') from exc

    def _pool_error(self, e):
        '''The exception a future gets for the pool's error e.'''
        # _pool_submit's (code, message, snapshot) for a broken or shut
        # down pool; the snapshot is the exception of the initializer that
        # broke it.
        if isinstance(e, InterpreterError) and len(e.args) == 3 and e.args[0] == 1:
            info = e.args[2]
            if info is not None:
                try:
                    # An initializer defined in an unguarded main script.
                    _raise_if_unguarded_main(info)
                except RuntimeError as unguarded:
                    return unguarded
            try:
                self._broke(e.args[1], ExecutionFailed(ExceptionSnapshot._from_tuple(info))
                            if info is not None else None)
            except BrokenInterpreterPool as broken:
                return broken
        if isinstance(e, InterpreterError) and len(e.args) == 3 and e.args[0] == 2:
            return RuntimeError('cannot schedule new futures after shutdown')
        return e

    def map(self, fn, *iterables, timeout=None, chunksize=1, **kwargs):
        '''As Executor.map(); with chunksize > 1, each chunk of that many
        calls travels to one worker as one call (fn sent once), as
        ProcessPoolExecutor's map sends them.'''
        if chunksize < 1:
            raise ValueError('chunksize must be >= 1.')
        if chunksize == 1:
            return super().map(fn, *iterables, timeout=timeout, **kwargs)
        chunks = super().map(_Chunk(fn), _batched(zip(*iterables), chunksize),
                             timeout=timeout, **kwargs)
        return _chain_chunks(chunks)

    map.__doc__ = _thread.ThreadPoolExecutor.map.__doc__

    def submit(self, fn, /, *args, **kwargs):
        if self._broken:
            raise BrokenInterpreterPool(self._broken)
        future = _Future()
        try:
            payload = self._payload(fn, args, kwargs)
        except BaseException as exc:
            payload = None
            error = exc
        with self._shutdown_lock, _thread._global_shutdown_lock:
            if self._broken and payload is not None:
                raise BrokenInterpreterPool(self._broken)
            if self._shutdown:
                raise RuntimeError('cannot schedule new futures after shutdown')
            if _thread._shutdown:
                raise RuntimeError('cannot schedule new futures after interpreter shutdown')
            if payload is None:
                future.set_running_or_notify_cancel()
                future.set_exception(error)
                return future
            cancellable = _c._Cancellable()
            future._interp_glib_cancellable = cancellable
            future._interp_glib_pool = self._pool
            self._outstanding.add(future)
            future._interp_glib_call = _c._pool_submit(self._pool, payload, cancellable, future)
            if self._completer is None:
                self._start_completer()
        return future

    submit.__doc__ = _thread.ThreadPoolExecutor.submit.__doc__

    def _start_completer(self):
        completer = _threading.Thread(
            name=self._thread_name_prefix + '_completer', target=_complete,
            args=(self._pool, _weakref.ref(self), self._outstanding))
        completer.start()
        self._completer = completer
        # At the interpreter's exit, concurrent.futures "puts None" in each
        # thread's queue and joins it: the completer then ends once every
        # call completed, as CPython's workers end once the queue is empty.
        _thread._threads_queues[completer] = _Stopper(self._pool)

    def interrupt(self, future):
        '''Stops the call behind future: cancels it if it has not started,
        else interrupts its code (it gets interp_glib.CancelledError at its
        next bytecode; the future then raises it). A call blocked in C
        completes after the pool's grace period anyway. Returns whether
        the future was cancelled or interrupted.'''
        if future.cancel():
            return True
        cancellable = getattr(future, '_interp_glib_cancellable', None)
        if cancellable is None or future.done():
            return False
        cancellable.cancel()
        return True

    def shutdown(self, wait=True, *, cancel_futures=False):
        with self._shutdown_lock:
            self._shutdown = True
            if cancel_futures:
                # As CPython's: what has not started is cancelled.
                for future in list(self._outstanding):
                    future.cancel()
            completer = self._completer
            _c._pool_stop(self._pool)
        pool = self._pool

        def finish():
            if completer is not None:
                completer.join()
            _c._pool_shutdown(pool, False)
        if wait:
            finish()
        else:
            _threading.Thread(target=finish, name='InterpreterPoolExecutor-shutdown').start()

    shutdown.__doc__ = _thread.ThreadPoolExecutor.shutdown.__doc__
