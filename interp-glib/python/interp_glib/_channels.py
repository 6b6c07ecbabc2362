# interp_glib._channels: the channels of the older seeds (RecvChannel, SendChannel)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import weakref as _weakref

import _interp_glib as _c
from ._crossinterp import (
    UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE, _unbound_code, _HandleObject, _register,
)
from ._queues import ItemInterpreterDestroyed

__all__ = [
    'UNBOUND', 'UNBOUND_ERROR', 'UNBOUND_REMOVE',
    'create', 'list_all', 'RecvChannel', 'SendChannel',
    'ChannelError', 'ChannelNotFoundError', 'ChannelEmptyError',
    'ChannelNotEmptyError', 'ChannelClosedError', 'NotReceivedError',
    'ItemInterpreterDestroyed',
]


class ChannelError(Exception):
    '''A channel-related error happened.'''


class ChannelNotFoundError(ChannelError):
    '''The channel does not exist (any more).'''


class ChannelClosedError(ChannelError):
    '''The channel (or this end of it) is closed.'''


class ChannelEmptyError(ChannelError):
    '''The channel is unexpectedly empty.'''


class _ChannelTimeout(ChannelEmptyError, TimeoutError):
    '''recv(timeout=...) timed out: a ChannelEmptyError and a TimeoutError.'''


class ChannelNotEmptyError(ChannelError):
    '''The channel is unexpectedly not empty.'''


class NotReceivedError(ChannelError):
    '''Nothing was waiting to receive a sent object.'''


class _ChannelEnd(_HandleObject):
    '''The base class for RecvChannel and SendChannel.'''
    __slots__ = ('_id', '_h', '__weakref__')

    _end = None

    # One end object per channel end and interpreter.
    _known = _weakref.WeakValueDictionary()

    @classmethod
    def _key(cls, id):
        return (cls, id)

    @classmethod
    def _lookup(cls, id):
        try:
            handle = _c._channel_lookup(id)
        except ChannelNotFoundError:
            # As in CPython: the end exists, its operations raise.
            self = object.__new__(cls)
            self._id = id
            self._h = None
            return self
        return cls._from_handle(handle)

    def _bind(self, handle):
        self._id = handle.id
        self._h = handle

    @property
    def _handle(self):
        if self._h is None:
            raise ChannelNotFoundError(f'channel {self._id} not found')
        return self._h

    @property
    def id(self):
        return self._id

    @property
    def is_closed(self):
        '''Whether this end of the channel is closed.'''
        return bool(_c._channel_closed(self._handle) & self._end)

    def close(self):
        '''Closes this end of the channel, for every interpreter. Closing
        the receiving end closes the channel; once the sending end is
        closed, the receiving end closes when the channel is empty.'''
        _c._channel_close(self._handle, 3 if self._end == 2 else 1)


class RecvChannel(_ChannelEnd):
    '''The receiving end of a channel.'''
    __slots__ = ()
    _end = 2

    @property
    def is_closed(self):
        '''Whether this end is closed: closed itself, or the sending end
        is closed and nothing is left to receive.'''
        flags = _c._channel_closed(self._handle)
        return bool(flags & 2 or (flags & 1 and _c._size(self._handle) == 0))

    def recv(self, timeout=None):
        '''Returns the next object sent; waits (without polling) if none.
        A timeout raises ChannelEmptyError (a TimeoutError too); a closed
        channel, or one closed while waiting, ChannelClosedError.'''
        try:
            return _c._get(self._handle, True, timeout)
        except ChannelEmptyError as e:
            if timeout is None or isinstance(e, _ChannelTimeout):
                raise
            raise _ChannelTimeout(*e.args) from None

    def recv_nowait(self, default=None):
        '''Like recv(), but returns default instead of waiting (the seeds'
        form; CPython 3.13's test module raises ChannelEmptyError instead).'''
        try:
            return _c._get(self._handle, False, None)
        except ChannelEmptyError:
            return default


class SendChannel(_ChannelEnd):
    '''The sending end of a channel.'''
    __slots__ = ()
    _end = 1

    def send(self, obj, timeout=None, *, unbounditems=None, unbound=None):
        '''Sends obj and waits until it is received (NotReceivedError on
        timeout; ChannelClosedError if the channel is closed, or closed
        while waiting, and then obj is not sent). unbound is CPython 3.13's
        name for unbounditems.'''
        if unbounditems is None:
            unbounditems = unbound
        _c._put(self._handle, obj, True, timeout, unbounditems, True)

    def send_nowait(self, obj, *, unbounditems=None, unbound=None):
        '''Sends obj without waiting: returns whether a receiver took it at
        once (else it waits in the channel for the next recv()).'''
        if unbounditems is None:
            unbounditems = unbound
        # A closed channel refuses the offer and the _put raises.
        if _c._offer(self._handle, obj, unbounditems):
            return True
        _c._put(self._handle, obj, False, None, unbounditems, False)
        return False

    def send_buffer(self, obj, timeout=None, *, unbounditems=None, unbound=None):
        '''Sends the memory of obj (a buffer) without copying: the receiver
        gets a memoryview of it.'''
        self.send(memoryview(obj), timeout, unbounditems=unbounditems, unbound=unbound)

    def send_buffer_nowait(self, obj, *, unbounditems=None, unbound=None):
        return self.send_nowait(memoryview(obj), unbounditems=unbounditems, unbound=unbound)


def create(*, unbounditems=UNBOUND):
    '''Creates a channel: returns (RecvChannel, SendChannel).'''
    handle = _c._channel_create(0, _unbound_code(unbounditems, 1))
    return RecvChannel._from_handle(handle), SendChannel._from_handle(handle)


def list_all():
    '''Returns (RecvChannel, SendChannel) for every open channel.'''
    ends = []
    for cid in _c._list_channels():
        try:
            handle = _c._channel_lookup(cid)
        except ChannelNotFoundError:
            continue
        recv = RecvChannel._from_handle(handle)
        # A closed channel is not listed (closing the receiving end closes
        # it; a closed sending end, once nothing is left to receive).
        if not recv.is_closed:
            ends.append((recv, SendChannel._from_handle(handle)))
    return ends


_register(RecvChannel, SendChannel, ChannelNotFoundError, ChannelEmptyError,
          ChannelClosedError, NotReceivedError)
