# interp_glib._queues: cross-interpreter queues (concurrent.interpreters' Queue)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import queue as _queue
import weakref as _weakref

import _interp_glib as _c
from ._crossinterp import (
    InterpreterError, NotShareableError, UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE, _unbound_code,
    _HandleObject, _register,
)

__all__ = [
    'UNBOUND', 'UNBOUND_ERROR', 'UNBOUND_REMOVE',
    'create', 'list_all', 'Queue',
    'QueueError', 'QueueNotFoundError', 'QueueEmpty', 'QueueFull',
    'ItemInterpreterDestroyed',
]


class QueueError(InterpreterError):
    '''A queue-related error happened.'''


class QueueNotFoundError(QueueError):
    '''The queue does not exist (any more).'''


class QueueEmpty(QueueError, _queue.Empty):
    '''Raised from Queue.get() when the queue is empty.'''


class QueueFull(QueueError, _queue.Full):
    '''Raised from Queue.put() when the queue is full.'''


QueueEmptyError = QueueEmpty
QueueFullError = QueueFull


class ItemInterpreterDestroyed(QueueError):
    '''The interpreter that put the item was destroyed.'''


class Queue(_HandleObject):
    '''A cross-interpreter FIFO queue; the queue.Queue interface.

    Queue(id) gives the existing queue with that ID, in any interpreter.
    '''
    __slots__ = ('_handle', '_syncobj', '__weakref__')

    _known = _weakref.WeakValueDictionary()

    @classmethod
    def _lookup(cls, id):
        return cls._from_handle(_c._queue_lookup(id))

    def _bind(self, handle):
        self._handle = handle
        self._syncobj = None

    @property
    def id(self):
        return self._handle.id

    @property
    def maxsize(self):
        return self._handle.maxsize

    def empty(self):
        return _c._size(self._handle) == 0

    def full(self):
        return self.maxsize > 0 and _c._size(self._handle) >= self.maxsize

    def qsize(self):
        return _c._size(self._handle)

    def put(self, obj, block=True, timeout=None, *, unbounditems=None, syncobj=None,
            unbound=None):
        '''Adds obj; waits for room (without polling) if the queue is full.

        CPython 3.13's forms: unbound is unbounditems; syncobj=True refuses
        an object that would not cross as itself (NotShareableError).'''
        if unbounditems is None:
            unbounditems = unbound
        if syncobj is None:
            syncobj = self._syncobj
        if syncobj and not _c.is_shareable(obj):
            raise _c_not_shareable(obj)
        _c._put(self._handle, obj, block, timeout, unbounditems, False)

    def put_nowait(self, obj, *, unbounditems=None, syncobj=None, unbound=None):
        self.put(obj, False, None, unbounditems=unbounditems, syncobj=syncobj,
                 unbound=unbound)

    def get(self, block=True, timeout=None):
        '''Removes and returns the next item; waits (without polling) if empty.'''
        return _c._get(self._handle, block, timeout)

    def get_nowait(self):
        return _c._get(self._handle, False, None)


def create(maxsize=0, *, unbounditems=UNBOUND, syncobj=None):
    '''Creates a new cross-interpreter queue. syncobj (CPython 3.13's
    form) is this interpreter's default for put().'''
    queue = Queue._from_handle(_c._queue_create(maxsize, _unbound_code(unbounditems, 1)))
    queue._syncobj = syncobj
    return queue


def _c_not_shareable(obj):
    return NotShareableError(f'{type(obj).__name__} object does not cross as itself (syncobj=True)')


def list_all():
    '''Returns a Queue for every queue that exists.'''
    return Queue._all(_c._list_queues(), QueueNotFoundError)


_register(Queue, QueueEmpty, QueueFull, QueueNotFoundError, ItemInterpreterDestroyed)
