# interp_glib._crossinterp: what queues, channels and interpreters share
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The exceptions of concurrent.interpreters, the unbound-item policies, the
# snapshot of an exception raised in another interpreter and the base of
# the objects that stand for a handle. The C module _interp_glib raises
# these classes: they are registered with it here.

import _interp_glib as _c


class InterpreterError(Exception):
    '''A cross-interpreter operation failed.'''


class InterpreterNotFoundError(InterpreterError):
    '''The interpreter does not exist (any more): closed or destroyed.'''


def _not_shareable_base():
    # On 3.14 and later CPython's own (concurrent.interpreters'), so that
    # code that catches it catches this one too; a TypeError either way.
    import sys
    if sys.version_info >= (3, 14):
        try:
            from _interpreters import NotShareableError as base
            if issubclass(base, TypeError):
                return base
        except ImportError:
            pass
    return TypeError


class NotShareableError(_not_shareable_base()):
    '''The object cannot be sent to another interpreter.'''


class _UnguardedMainError(RuntimeError):
    '''The host's __main__ script, loaded in another interpreter for a
    function defined in it, started interpreters from its top-level code.
    The host raises a plain RuntimeError with its message (as
    multiprocessing does when its child re-imports an unguarded script).'''


_UNGUARDED_MAIN = ("the main module started an interpreter while another interpreter "
                   "imported it to find a function defined in it: put the code that starts "
                   "interpreters under `if __name__ == '__main__':`, as multiprocessing requires")


def _check_not_loading_main():
    '''Raises _UnguardedMainError while the host's __main__ script is being
    imported here (see _interp_glib._main_copy()).'''
    if _c._loading_main():
        raise _UnguardedMainError(_UNGUARDED_MAIN)


def _raise_if_unguarded_main(excinfo):
    '''Raises the one-line RuntimeError when the snapshot tuple excinfo
    is an _UnguardedMainError's.'''
    if excinfo[1] == _UnguardedMainError.__qualname__ and excinfo[2] == __name__:
        raise RuntimeError(excinfo[3]) from None


def _raise_failed(excinfo):
    '''Raises ExecutionFailed for the snapshot tuple excinfo, or the
    one-line RuntimeError when it is an unguarded main module's.'''
    _raise_if_unguarded_main(excinfo)
    raise ExecutionFailed(ExceptionSnapshot._from_tuple(excinfo))


class _TypeSnapshot:
    '''The type of an exception raised elsewhere: __name__, __qualname__, __module__.'''

    def __init__(self, name, qualname, module):
        self.__dict__.update(__name__=name, __qualname__=qualname, __module__=module)

    def __repr__(self):
        return f'<type snapshot {self.__module__}.{self.__qualname__}>'


class ExceptionSnapshot:
    '''What is known of an exception raised in another interpreter:
    type (with __name__, __qualname__ and __module__), msg, formatted
    ("Type: msg") and errdisplay (the traceback as Python prints it).'''

    __slots__ = ('type', 'msg', 'formatted', 'errdisplay')

    def __init__(self, name, qualname, module, msg, formatted, errdisplay):
        self.type = _TypeSnapshot(name, qualname, module)
        self.msg = msg
        self.formatted = formatted
        self.errdisplay = errdisplay

    @classmethod
    def _from_tuple(cls, info):
        return cls(*info)

    def __repr__(self):
        return f'ExceptionSnapshot(type={self.type.__name__}, msg={self.msg!r})'


_EXEC_FAILURE_STR = '''
{superstr}

Uncaught in the interpreter:

{formatted}
'''.strip()


class ExecutionFailed(InterpreterError):
    '''An unhandled exception happened during Interpreter.exec() or call().

    excinfo is an ExceptionSnapshot of it.'''

    def __init__(self, excinfo):
        msg = excinfo.formatted
        if not msg:
            if excinfo.type and excinfo.msg:
                msg = f'{excinfo.type.__name__}: {excinfo.msg}'
            else:
                msg = excinfo.type.__name__ or excinfo.msg
        super().__init__(msg)
        self.excinfo = excinfo

    def __str__(self):
        try:
            formatted = self.excinfo.errdisplay
        except Exception:
            return super().__str__()
        if not formatted:
            return super().__str__()
        return _EXEC_FAILURE_STR.format(superstr=super().__str__(), formatted=formatted)


class RunFailedError(ExecutionFailed, RuntimeError):
    '''Interpreter.run() (the older API) ended in an uncaught exception.'''


class _HandleObject:
    '''What Interpreter, Queue and the channel ends share: one object per
    handle in each interpreter (X(id) is X(id), and one that comes back
    from another interpreter is the same object), shown, hashed and
    compared by ID, pickled as its class and ID. A subclass gives _known
    (the registry of its family), _lookup() (a handle by ID) and _bind()
    (keeps a new object's handle); _key() tells its objects apart.'''
    __slots__ = ()

    _keep_alive = _c._keep_alive

    def __new__(cls, id, /):
        if not isinstance(id, int):
            raise TypeError(f'id must be an int, got {id!r}')
        try:
            return cls._known[cls._key(id)]
        except KeyError:
            pass
        return cls._lookup(id)

    @classmethod
    def _key(cls, id):
        return id

    @classmethod
    def _all(cls, ids, not_found):
        '''The objects for these IDs, but for those gone meanwhile (their
        lookup raised not_found).'''
        found = []
        for id in ids:
            try:
                found.append(cls(id))
            except not_found:
                pass
        return found

    @classmethod
    def _from_handle(cls, handle):
        key = cls._key(handle.id)
        try:
            return cls._known[key]
        except KeyError:
            pass
        self = object.__new__(cls)
        self._bind(handle)
        cls._known[key] = self
        return self

    def __repr__(self):
        return f'{type(self).__name__}({self.id})'

    def __hash__(self):
        return hash(self._key(self.id))

    def __eq__(self, other):
        # The same family: the same registry.
        if not isinstance(other, _HandleObject) or other._known is not self._known:
            return NotImplemented
        return self._key(self.id) == other._key(other.id)

    def __reduce__(self):
        # Sent to another interpreter, it lives until it is received there.
        self._keep_alive(self._handle)
        return (type(self), (self.id,))


class _UnboundItem:
    '''What get() returns for an item whose interpreter was destroyed.'''
    __slots__ = ()

    def __repr__(self):
        return 'interp_glib.UNBOUND'

    def __reduce__(self):
        return 'UNBOUND'


class _UnboundPolicy:
    __slots__ = ('_name', '_code')

    def __init__(self, name, code):
        self._name = name
        self._code = code

    def __repr__(self):
        return 'interp_glib.' + self._name

    def __reduce__(self):
        return self._name


UNBOUND = _UnboundItem()
UNBOUND_ERROR = _UnboundPolicy('UNBOUND_ERROR', 2)
UNBOUND_REMOVE = _UnboundPolicy('UNBOUND_REMOVE', 3)


def _unbound_code(op, default=0):
    if op is None:
        return default
    if op is UNBOUND:
        return 1
    if isinstance(op, _UnboundPolicy):
        return op._code
    raise NotImplementedError(f'unsupported unbound replacement op {op!r}')


def is_shareable(obj):
    '''Whether obj crosses between interpreters as itself (None, bool, int,
    float, str, bytes, memoryview, queues, channel ends and tuples of
    these) rather than as a pickled copy.'''
    return _c.is_shareable(obj)


def _function_from_code(data, name, qualname):
    '''A stateless function sent as its code: it runs here, with this
    interpreter's __main__ as its globals (as CPython 3.14 does).'''
    import marshal
    import sys
    import types
    code, defaults, kwdefaults = marshal.loads(data)
    func = types.FunctionType(code, sys.modules['__main__'].__dict__, name, defaults)
    func.__kwdefaults__ = kwdefaults
    func.__qualname__ = qualname
    return func


class _Pickle:
    '''What the carrier pickles with: pickle, and where pickle cannot find
    a function by name (a local function, a lambda), a stateless one
    travels as its code, as CPython 3.14 sends it. The plain pickle is
    tried first: the fallback costs only where pickle failed.'''

    @staticmethod
    def dumps(obj, protocol):
        import pickle
        try:
            return pickle.dumps(obj, protocol)
        except Exception:
            pass
        import io
        import marshal
        import types
        from . import _is_stateless

        class Pickler(pickle.Pickler):
            def reducer_override(self, o):
                # Only what pickle cannot find by name (not, say,
                # _function_from_code itself).
                if (type(o) is types.FunctionType and
                        ('<locals>' in o.__qualname__ or '<lambda>' in o.__qualname__) and
                        _is_stateless(o)):
                    try:
                        data = marshal.dumps((o.__code__, o.__defaults__, o.__kwdefaults__))
                    except ValueError:
                        return NotImplemented
                    return (_function_from_code, (data, o.__name__, o.__qualname__))
                return NotImplemented

        buffer = io.BytesIO()
        Pickler(buffer, protocol).dump(obj)   # raises what pickle raised
        return buffer.getvalue()

    @staticmethod
    def loads(data):
        import pickle
        return pickle.loads(data)


def _register(*classes, **objects):
    '''Tells the C module the classes it raises or makes, by their names,
    and other objects it needs.'''
    _c._register(**{cls.__name__: cls for cls in classes}, **objects)


_register(InterpreterError, InterpreterNotFoundError, NotShareableError,
          pickle=_Pickle, UNBOUND=UNBOUND, UNBOUND_ERROR=UNBOUND_ERROR,
          UNBOUND_REMOVE=UNBOUND_REMOVE)
