"""The student's terminal on the server's side: the pty's size, its modes
before the app takes it, and what gives it back when the app cannot."""

from __future__ import annotations

import fcntl
import re
import struct
import termios

# a client may claim any size: the app's work and memory grow with the cells
# it lays out, so a claim past MAX_COLS × MAX_ROWS is capped
MAX_COLS, MAX_ROWS = 500, 200
# a terminal type the app may be given; anything else gets the default
TERM_PATTERN = re.compile(r"[A-Za-z0-9._+-]{1,64}")
DEFAULT_TERM = "xterm-256color"
# what the server sends before its own goodbye when it ends a running app:
# the app never got to undo its terminal modes, so leave the alternate screen,
# stop mouse and focus reports, bracketed paste and the kitty keyboard
# protocol, and show the cursor again
TERMINAL_RESET = (
    b"\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"
    b"\x1b[?2004l\x1b[?2048l\x1b[?1004l\x1b[?7h\x1b[0m\x1b[?1049l\x1b[?25h"
)


def set_winsize(fd: int, cols: int, rows: int) -> None:
    rows, cols = min(max(rows, 1), MAX_ROWS), min(max(cols, 1), MAX_COLS)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def quiet_until_the_app_reads(fd: int) -> None:
    """Keys typed before the app sets up its terminal must not be echoed,
    line-edited or turned into signals (a Ctrl-C would kill the app as it
    starts): the pty starts without echo, canonical mode, signals and flow
    control. Output processing stays on."""
    attrs = termios.tcgetattr(fd)
    attrs[0] &= ~(termios.IXON | termios.ICRNL)  # iflag
    attrs[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)  # lflag
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def take_terminal() -> None:
    """In the child, before exec: the pty on fd 0 becomes its controlling
    terminal (it leads a session of its own)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
