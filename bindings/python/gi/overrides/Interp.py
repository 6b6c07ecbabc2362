# Interp.py: the PyGObject override of interp-glib (gi.repository.Interp)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Thin on purpose: the full Python API is the interp_glib module. What it
# adds to the introspected classes:
#
# - every error is a GLib.Error whose str() is its one-line message (a
#   plain GLib.Error's ends in the domain and "(24)"): errors of the
#   interp-glib domain are raised as Interp.InterpreterError, Python
#   exceptions as Interp.ExecutionFailed, which carries the exception
#   snapshot as attributes; a cancel as Interp.CancelledError and a timeout
#   as Interp.TimeoutError (also a builtins.TimeoutError), a closed channel
#   as Interp.ChannelClosedError. Code that
#   catches GLib.Error and reads domain, code or matches() keeps working.
#   PyGObject keeps only the domain, code and
#   message of a GError and frees it; the library then leaves the snapshot
#   the error carried to the thread that freed it, and this module takes it
#   (Interp.ExceptionInfo.steal_last()) right after the failed call, on the
#   same thread, and checks that it belongs to the error (its summary is
#   the error's message) before using it;
# - Interp.Interpreter(**properties) initializes the object (GInitable),
#   raising the error when that fails;
# - trailing arguments may be left out: the nullable ones are None, and
#   chunk_size 0, timeout_us -1 (wait for ever), cancel_pending False;
# - every GLib.Variant argument also takes plain Python values, converted
#   natively (None, bool, int, float, str, bytes, tuple, list, dict), and
#   every GLib.Variant result comes back as a plain Python value. A str
#   that 's' cannot carry intact (an embedded NUL, a lone surrogate) raises
#   ValueError (UnicodeEncodeError for the surrogate) instead of changing.

import builtins
import functools
import inspect

import gi
from gi._gi import FunctionInfo
from gi.module import get_introspection_module
from gi.overrides import override
from gi.repository import GLib, Gio

Interp = get_introspection_module("Interp")

__all__ = []

_DOMAIN = "interp-error-quark"
_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1


class _OneLine:
    """str() is the error's one-line message, without the domain and code
    a plain GLib.Error shows."""

    def __str__(self):
        return self.message

    def __repr__(self):
        return "Interp.%s(%r, %r, %d)" % (type(self).__name__, self.message, self.domain, self.code)


class InterpreterError(_OneLine, GLib.Error):
    """An error of the interp-glib domain (a GLib.Error); str() gives its
    one-line message."""


class CancelledError(_OneLine, GLib.Error):
    """The call was cancelled (Gio.IOErrorEnum.CANCELLED; a GLib.Error)."""


class TimeoutError(_OneLine, GLib.Error, builtins.TimeoutError):
    """The call ran longer than it may (Gio.IOErrorEnum.TIMED_OUT, such as
    an Interp.Pool's task timeout); a GLib.Error and a builtins.TimeoutError."""


class ChannelClosedError(_OneLine, GLib.Error):
    """The channel is closed (Gio.IOErrorEnum.CLOSED; a GLib.Error), as
    interp_glib.ChannelClosedError."""


class _OtherError(_OneLine, GLib.Error):
    """Any other GLib.Error that reaches the override."""


class ExecutionFailed(InterpreterError):
    """Python code raised an exception (Interp.Error.EXECUTION_FAILED).

    The message is the line `TypeName: message`; the snapshot is in
    `exception_info` (an Interp.ExceptionInfo), and spelled out in
    `type_name`, `qualname`, `module`, `exception_message` (str() of the
    exception), `traceback` (formatted, as traceback.format_exception()
    gives it) and `interpreter_id`. They are None when the snapshot could
    not be recovered."""

    exception_info = None
    type_name = None
    qualname = None
    module = None
    exception_message = None
    traceback = None
    interpreter_id = None


__all__ += ["InterpreterError", "ExecutionFailed", "CancelledError", "TimeoutError",
            "ChannelClosedError"]

_IO_DOMAIN = GLib.quark_to_string(Gio.io_error_quark())
_IO_ERRORS = {
    int(Gio.IOErrorEnum.CANCELLED): CancelledError,
    int(Gio.IOErrorEnum.TIMED_OUT): TimeoutError,
    int(Gio.IOErrorEnum.CLOSED): ChannelClosedError,
}


def _execution_failed(error, info):
    """Interp.ExecutionFailed for @error, with the snapshot @info (an
    Interp.ExceptionInfo, or None) as its attributes."""
    translated = ExecutionFailed(error.message, error.domain, error.code)
    if info is not None:
        translated.exception_info = info
        translated.type_name = info.get_type_name()
        translated.qualname = info.get_qualname()
        translated.module = info.get_module()
        translated.exception_message = info.get_message()
        translated.traceback = info.get_traceback()
        translated.interpreter_id = info.get_interpreter_id()
    return translated


def _translate(error):
    """The exception to raise for the GLib.Error @error."""
    if error.domain != _DOMAIN:
        cls = _IO_ERRORS.get(error.code, _OtherError) if error.domain == _IO_DOMAIN else _OtherError
        return cls(error.message, error.domain, error.code)
    if error.code != int(Interp.Error.EXECUTION_FAILED):
        return InterpreterError(error.message, error.domain, error.code)
    info = Interp.ExceptionInfo.steal_last()
    if info is not None and info.get_summary() != error.message:
        info = None     # another error's snapshot
    return _execution_failed(error, info)


def _raising(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GLib.Error as e:
            if isinstance(e, _OneLine):
                raise
            raise _translate(e) from None
    return wrapper


# ------------------------------------------------------------------ #
# Values                                                              #

def _variant(value):
    """A GLib.Variant for a plain Python value."""
    if isinstance(value, GLib.Variant):
        return value
    if value is None:
        return GLib.Variant.new_maybe(GLib.VariantType.new("v"), None)
    if isinstance(value, bool):
        return GLib.Variant.new_boolean(value)
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return GLib.Variant.new_int64(value)
        if 0 <= value <= _UINT64_MAX:
            return GLib.Variant.new_uint64(value)
        raise OverflowError("int %d does not fit in 64 bits" % value)
    if isinstance(value, float):
        return GLib.Variant.new_double(value)
    if isinstance(value, str):
        return _string_variant(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return GLib.Variant.new_from_bytes(GLib.VariantType.new("ay"),
                                           GLib.Bytes.new(bytes(value)), True)
    if isinstance(value, tuple):
        return GLib.Variant.new_tuple(*[_variant(v) for v in value])
    if isinstance(value, list):
        return GLib.Variant.new_array(GLib.VariantType.new("v"),
                                      [GLib.Variant.new_variant(_variant(v)) for v in value])
    if isinstance(value, dict):
        return _dict_variant(value)
    raise TypeError("an object of type '%s' has no GLib.Variant form" % type(value).__name__)


def _string_variant(value):
    """The 's' GLib.Variant of a str. GVariant strings end at a NUL, which
    PyGObject would cut the str at: refuse it, as the library's own
    conversion does. A lone surrogate PyGObject refuses itself
    (UnicodeEncodeError: surrogates not allowed)."""
    nul = value.find("\0")
    if nul != -1:
        raise ValueError("a str with an embedded NUL (at index %d) has no GLib.Variant 's' form: "
                         "use bytes for binary data" % nul)
    return GLib.Variant.new_string(value)


def _dict_variant(value):
    if all(isinstance(k, str) for k in value):
        key, entry = _string_variant, "{sv}"
    elif value and all(isinstance(k, int) and not isinstance(k, bool) for k in value):
        key, entry = GLib.Variant.new_int64, "{xv}"
    else:
        raise TypeError("a dict needs keys that are all str or all int to become a GLib.Variant")
    return GLib.Variant.new_array(GLib.VariantType.new(entry), [
        GLib.Variant.new_dict_entry(key(k), GLib.Variant.new_variant(_variant(v)))
        for k, v in value.items()])


def _args_variant(value):
    if value is None or isinstance(value, GLib.Variant):
        return value
    if isinstance(value, (list, tuple)):
        return _variant(tuple(value))
    raise TypeError("args must be a tuple or list of values, or a GLib.Variant tuple")


def _kwargs_variant(value):
    if value is None or isinstance(value, GLib.Variant):
        return value
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("keyword argument names must be str")
        return _dict_variant(value)
    raise TypeError("kwargs must be a dict or a GLib.Variant a{sv}")


def _args_list_variant(value):
    if value is None or isinstance(value, GLib.Variant):
        return value
    return GLib.Variant.new_array(GLib.VariantType.new("v"), [
        GLib.Variant.new_variant(_args_variant(args)) for args in value])


_CONVERTERS = {
    "args": _args_variant,
    "kwargs": _kwargs_variant,
    "ns": _kwargs_variant,
    "args_list": _args_list_variant,
}


def unpack(variant):
    """The plain Python value of a GLib.Variant: as GLib.Variant.unpack(),
    except that 'ay' gives bytes."""
    if variant is None:
        return None
    t = variant.get_type_string()
    if t == "ay":
        return variant.get_data_as_bytes().get_data()
    if t.startswith("("):
        return tuple(unpack(variant.get_child_value(i)) for i in range(variant.n_children()))
    if t.startswith("a{"):
        result = {}
        for i in range(variant.n_children()):
            entry = variant.get_child_value(i)
            result[unpack(entry.get_child_value(0))] = unpack(entry.get_child_value(1))
        return result
    if t.startswith("a"):
        return [unpack(variant.get_child_value(i)) for i in range(variant.n_children())]
    if t == "v":
        return unpack(variant.get_variant())
    if t.startswith("m"):
        return unpack(variant.get_child_value(0)) if variant.n_children() else None
    return variant.unpack()


__all__ += ["unpack"]


# ------------------------------------------------------------------ #
# Wrapping the introspected functions                                 #

def _is_variant(type_info):
    if type_info.get_tag_as_string() != "interface":
        return False
    iface = type_info.get_interface()
    return iface.get_namespace() == "GLib" and iface.get_name() == "Variant"


# Trailing arguments that are not nullable but have an obvious value, as
# C callers pass it (and as the vapi's defaults say).
_DEFAULTS = {"chunk_size": 0, "timeout_us": -1, "cancel_pending": False}
_NO_DEFAULT = inspect.Parameter.empty


def _parameters(info):
    """The Python parameters of @info, in order, as (name, default), and
    whether it ends in a callback's user data (which PyGObject passes on
    to the callback, if given). A trailing run of nullable arguments (and
    of those in _DEFAULTS) has defaults."""
    in_args = [a for a in info.get_arguments() if a.get_direction() == gi._gi.Direction.IN]
    user_data = bool(in_args) and in_args[-1].get_name() == "user_data" and \
        in_args[-1].get_type().get_tag_as_string() == "void"
    if user_data:
        in_args = in_args[:-1]
    params = []
    trailing = True
    for arg in reversed(in_args):
        name = arg.get_name()
        if trailing and arg.may_be_null():
            default = None
        elif trailing and name in _DEFAULTS:
            default = _DEFAULTS[name]
        else:
            trailing = False
            default = _NO_DEFAULT
        params.insert(0, (name, default))
    return params, user_data


def _binder(info):
    """A function (args, kwargs) -> positional args for the introspected
    callable of @info, with the trailing defaults filled in; None when
    PyGObject's own handling does (no defaults to add)."""
    params, user_data = _parameters(info)
    if not any(default is not _NO_DEFAULT for _, default in params):
        return None
    offset = 1 if info.is_method() else 0
    names = [name for name, _ in params]
    title = "%s()" % info.get_name()

    def bind(args, kwargs):
        head, values, extra = list(args[:offset]), list(args[offset:offset + len(names)]), \
            list(args[offset + len(names):])
        if extra and not user_data:
            raise TypeError("%s takes at most %d arguments (%d given)"
                            % (title, len(names), len(args) - offset))
        for name, value in kwargs.items():
            if name == "user_data" and user_data and not extra:
                extra = [value]
                continue
            if name not in names:
                raise TypeError("%s got an unexpected keyword argument '%s'" % (title, name))
            index = names.index(name)
            if index < len(values):
                raise TypeError("%s got multiple values for argument '%s'" % (title, name))
            values.extend([_NO_DEFAULT] * (index + 1 - len(values)))
            values[index] = value
        values.extend([_NO_DEFAULT] * (len(names) - len(values)))
        for index, (name, default) in enumerate(params):
            if values[index] is _NO_DEFAULT:
                if default is _NO_DEFAULT:
                    raise TypeError("%s missing required argument '%s'" % (title, name))
                values[index] = default
        return head + values + extra

    return bind


def _signature(info):
    """The inspect.Signature of @info as this module calls it."""
    params, user_data = _parameters(info)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter("self", kind)] if info.is_method() else []
    parameters += [inspect.Parameter(name, kind, default=default) for name, default in params]
    if user_data:
        parameters.append(inspect.Parameter("user_data", inspect.Parameter.VAR_POSITIONAL))
    return inspect.Signature(parameters)


def _wrap(info, func):
    """@func (the introspected callable of @info) with Python values in,
    plain values out, trailing defaults and translated errors; None if
    nothing to add."""
    offset = 1 if info.is_method() else 0
    conversions = []   # (positional index, name, converter)
    for index, arg in enumerate(info.get_arguments()):
        if _is_variant(arg.get_type()):
            convert = _CONVERTERS.get(arg.get_name())
            if convert is None:
                convert = (lambda v: None if v is None else _variant(v)) if arg.may_be_null() else _variant
            conversions.append((index + offset, arg.get_name(), convert))
    unpack_result = _is_variant(info.get_return_type())
    throws = info.can_throw_gerror()
    bind = _binder(info)
    if not (conversions or unpack_result or throws or bind):
        return None
    call = _raising(func)

    def wrapper(*args, **kwargs):
        if bind is not None:
            args, kwargs = bind(args, kwargs), {}
        if conversions:
            args = list(args)
            for index, name, convert in conversions:
                if index < len(args):
                    args[index] = convert(args[index])
                elif name in kwargs:
                    kwargs[name] = convert(kwargs[name])
        result = call(*args, **kwargs)
        return unpack(result) if unpack_result else result

    wrapper.__name__ = info.get_name()
    wrapper.__qualname__ = info.get_name()
    wrapper.__doc__ = getattr(func, "__doc__", None)
    wrapper.__signature__ = _signature(info)
    return wrapper


def _override_class(name, extra=None):
    base = getattr(Interp, name)
    namespace = {"__module__": __name__}
    for info in base.__info__.get_methods():
        wrapper = _wrap(info, getattr(base, info.get_name()))
        if wrapper is not None:
            namespace[info.get_name()] = wrapper if info.is_method() else staticmethod(wrapper)
    namespace.update(extra or {})
    cls = override(type(name, (base,), namespace))
    globals()[name] = cls
    __all__.append(name)
    return cls


_initable_init = _raising(Gio.Initable.init)


def _initializing_init(base):
    def __init__(self, **properties):
        """Creates the object with the given construct properties and
        initializes it (GInitable), e.g.
        Interp.Interpreter(gil=Interp.Gil.SHARED); raises the error
        when that fails."""
        base.__init__(self, **properties)
        _initable_init(self, None)
    return __init__


def _exception_info_from_error(error):
    """The Interp.ExceptionInfo of @error (an Interp.ExecutionFailed from
    this module, or a GLib.Error made in C), or None."""
    info = getattr(error, "exception_info", None)
    if info is not None:
        return info
    try:
        return Interp.ExceptionInfo.from_error(error)
    except TypeError:   # PyGObject's answer to a constructor returning NULL
        return None


for _name in ("Interpreter", "Queue", "Channel", "Pool"):
    if hasattr(Interp, _name):
        _base = getattr(Interp, _name)
        _override_class(_name, {"__init__": _initializing_init(_base)}
                        if _base.__gtype__.is_a(Gio.Initable.__gtype__) else None)

# ------------------------------------------------------------------ #
# Streaming maps                                                      #

def _map_item_error(item):
    """The item's error as this module raises it (Interp.ExecutionFailed
    with its snapshot for a Python exception, Interp.CancelledError,
    Interp.TimeoutError, Interp.InterpreterError...), or None."""
    error = Interp.MapItem.get_error(item)
    if error is None:
        return None
    if error.domain != _DOMAIN or error.code != int(Interp.Error.EXECUTION_FAILED):
        return _translate(error)
    return _execution_failed(error, Interp.MapItem.dup_exception_info(item))


def _map_item_repr(item):
    if not item.get_done():
        state = "pending"
    elif item.get_error() is not None:
        state = "error=%r" % _map_item_error(item).message
    else:
        state = "value=%r" % item.value
    return "<Interp.MapItem index=%d %s>" % (item.get_index(), state)


if hasattr(Interp, "MapItem"):
    # Plain attributes: item.value is a plain Python value (unpack()), and
    # item.error the exception this module would raise for it.
    _override_class("MapItem", {
        "index": property(lambda self: self.get_index(), doc="The item's position in the map's input."),
        "done": property(lambda self: self.get_done(), doc="Whether the item has its value or error."),
        "value": property(lambda self: self.get_value(),
                          doc="The call's result as a plain value; None while not done and if it failed."),
        "error": property(_map_item_error,
                          doc="The exception of a call that failed (Interp.ExecutionFailed for a "
                              "Python exception), or None."),
        "__repr__": _map_item_repr,
    })

if hasattr(Interp, "MapResults"):
    # A Gio.ListModel: `for item in results`, len(results) and
    # results[i] come from PyGObject's ListModel; these add the rest.
    _override_class("MapResults", {
        "__repr__": lambda self: "<Interp.MapResults %d of %d done, %d failed>" % (
            self.get_n_done(), len(self), self.get_n_failed()),
    })

ExceptionInfo = override(type("ExceptionInfo", (Interp.ExceptionInfo,), {
    "__module__": __name__,
    "from_error": staticmethod(_exception_info_from_error),
}))
__all__.append("ExceptionInfo")

for _info in gi.Repository.get_default().get_infos("Interp"):
    if isinstance(_info, FunctionInfo):
        _wrapper = _wrap(_info, getattr(Interp, _info.get_name()))
        if _wrapper is not None:
            globals()[_info.get_name()] = _wrapper
            __all__.append(_info.get_name())
