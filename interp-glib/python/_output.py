# _output.py: sys.stdout and sys.stderr of an interpreter whose output goes
# to the application (InterpInterpreter:capture-output).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run by interp-output.c in fresh globals, on the interpreter's thread,
# when capture is turned on; emit(fileno, text) hands one line (or the
# rest, on flush) to the application's main loop. A NUL would end the C
# string on the way: it travels as the two characters \0.

import io


class _InterpGlibOutput(io.TextIOBase):
    '''sys.stdout/sys.stderr of an interpreter whose output goes to the application.'''

    def __init__(self, emit, fileno, original):
        self._emit = emit
        self._fileno = fileno
        self._pending = ''
        self.original = original

    @property
    def encoding(self):
        return 'utf-8'

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f'write() argument must be str, not {type(text).__name__}')
        data = self._pending + text
        *lines, self._pending = data.split('\n')
        for line in lines:
            self._emit(self._fileno, line.replace('\0', '\\0') + '\n')
        return len(text)

    def flush(self):
        if self._pending:
            pending, self._pending = self._pending, ''
            self._emit(self._fileno, pending.replace('\0', '\\0'))
