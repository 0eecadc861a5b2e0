"""A Textual terminal driver whose unhandled input is bounded.

Textual's LinuxDriver reads its terminal in a thread as fast as the bytes
come and hands every key to the app's event loop at once: a paste faster than
the app handles keys piles up as queued events without bound (10 MB of keys
took an app past 700 MB). This driver reads a chunk, hands its events over,
and reads the next chunk only once the app's queues are short again. Input it
has not read stays in the terminal, whose buffer is small: the writer (under
`bptui serve`, the SSH server, and behind it SSH flow control) then waits.

A bracketed paste is one event whose text Textual collects in full before
handing it over; that text is cut at MAX_PASTE_CHARS, so a paste of any size
costs a bounded amount too.

Under `bptui serve` every student's app gets this driver through Textual's
TEXTUAL_DRIVER setting (bptui.serve.app_process.DRIVER_SETTING names it
without importing Textual).
"""

from __future__ import annotations

import os
import re
import selectors
import threading
from codecs import getincrementaldecoder
from functools import lru_cache

from textual import events
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

# how many messages (keys, mouse reports, pastes) may wait in the app, its
# screen and its focused widget before the driver stops reading: enough that a
# fast typist never waits, few enough that a key behind them is handled soon
MAX_BACKLOG = 64
# bytes read at a time; the events of one chunk are handed over together, so
# the backlog can pass MAX_BACKLOG by at most one chunk's events
CHUNK_BYTES = 1024
# a bracketed paste's text beyond this is dropped (a prompt takes far less)
MAX_PASTE_CHARS = 64 * 1024
# printable characters in one read from which they are a paste, not typing
PASTE_RUN = 64
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
# seconds between looks at the app's backlog while it is full
RECHECK_SECONDS = 0.01


class InputShaper:
    """Bounds what one chunk of terminal input can cost the app, before the
    parser sees it:

    - a bracketed paste's text past `limit` characters is dropped (its markers
      kept), so the parser's paste buffer stays bounded;
    - outside a bracketed paste, a run of `run` or more printable characters in
      one read cannot be typing (keys come a few at a time): it is a paste
      whose terminal sent no markers, and is handed over as one Paste event, as
      bracketed paste would have, instead of one key event per character.
      Control keys (Enter, Ctrl-C, Esc and escape sequences) stay keys.

    `feed` returns, in order, text for the parser and Paste events."""

    def __init__(self, limit: int = MAX_PASTE_CHARS, run: int = PASTE_RUN) -> None:
        self.limit = limit
        self.run = run
        self.in_paste = False
        self.pasted = 0  # characters of the current bracketed paste passed on
        self.held = ""  # a chunk's tail that may be the start of a marker
        self.in_sequence = False  # the text so far ends inside an escape sequence

    def feed(self, text: str) -> list[str | events.Paste]:
        text = self.held + text
        self.held = ""
        out: list[str | events.Paste] = []
        while text:
            marker = PASTE_END if self.in_paste else PASTE_START
            at = text.find(marker)
            if at < 0:
                keep = _partial_marker_len(text, marker)
                body, self.held = (text[:-keep], text[-keep:]) if keep else (text, "")
                self._body(body, out)
                break
            self._body(text[:at], out)
            out.append(marker)
            self.in_sequence = False
            self.in_paste = not self.in_paste
            self.pasted = 0
            text = text[at + len(marker) :]
        return out

    def flush(self) -> list[str | events.Paste]:
        """What is held back, once no more input has come for a while."""
        held, self.held = self.held, ""
        out: list[str | events.Paste] = []
        self._body(held, out)
        return out

    def _body(self, text: str, out: list[str | events.Paste]) -> None:
        if not text:
            return
        if self.in_paste:
            room = max(0, self.limit - self.pasted)
            self.pasted += min(room, len(text))
            if room:
                out.append(text[:room])
            return
        start = 0
        for match in _runs(self.run).finditer(text):
            # an escape sequence is left whole for the parser; so is a run
            # right at the start that may be the rest of one split across reads
            if match.lastgroup != "run" or (match.start() == 0 and self.in_sequence):
                continue
            if match.start() > start:
                out.append(text[start : match.start()])
            out.append(events.Paste(match.group()))
            start = match.end()
        if start < len(text):
            out.append(text[start:])
        self.in_sequence = _ends_inside_sequence(text)


@lru_cache(maxsize=4)
def _runs(length: int) -> re.Pattern[str]:
    """Escape sequences (CSI, SS3, ESC and one character), and runs of at
    least `length` printable characters (no C0/C1 control, DEL or Esc)."""
    return re.compile(
        "(?P<sequence>\x1b(?:\\[[0-?]*[ -/]*[@-~]?|O.?|.)?)"
        f"|(?P<run>[^\\x00-\\x1f\\x7f-\\x9f]{{{length},}})",
        re.DOTALL,
    )


def _ends_inside_sequence(text: str) -> bool:
    """Whether `text` ends in an escape sequence's start (ESC, ESC [ or ESC O
    and parameters, without the final character yet)."""
    at = text.rfind("\x1b")
    if at < 0 or len(text) - at > 32:
        return False
    tail = text[at + 1 :]
    if not tail:
        return True
    if tail[0] not in "[O":
        return False
    return not any("@" <= c <= "~" for c in tail[1:])


def _partial_marker_len(text: str, marker: str) -> int:
    """How long a tail of `text` is also a proper prefix of `marker`, from two
    characters on (a lone Esc is a key and is never held back)."""
    for n in range(min(len(marker) - 1, len(text)), 1, -1):
        if text.endswith(marker[:n]):
            return n
    return 0


class BoundedLinuxDriver(LinuxDriver):
    """LinuxDriver that reads its terminal only while the app keeps up."""

    def send_message(self, message: Message) -> None:
        # straight onto the app's queue, in order, from the loop's thread (the
        # base class makes a task a message, and the backlog check below must
        # see every message handed over before it)
        self._loop.call_soon_threadsafe(self._app.post_message, message)

    def _backlog(self) -> int:
        """Messages waiting in the app and where it forwards keys (runs on
        the app's loop)."""
        app = self._app
        waiting = app.message_queue_size
        try:
            screen = app.screen
        except Exception:  # no screen yet, or no longer
            return waiting
        waiting += screen.message_queue_size
        focused = screen.focused
        if focused is not None:
            waiting += focused.message_queue_size
        return waiting

    def _offer_room(self, room: threading.Event) -> None:
        if self._backlog() <= MAX_BACKLOG or self.exit_event.is_set():
            room.set()
        else:
            self._loop.call_later(RECHECK_SECONDS, self._offer_room, room)

    def _wait_for_room(self) -> None:
        """Block the input thread until the app's backlog is short (or the
        driver stops)."""
        room = threading.Event()
        try:
            self._loop.call_soon_threadsafe(self._offer_room, room)
        except RuntimeError:  # the loop has closed: the app is ending
            return
        while not room.wait(0.1):
            if self.exit_event.is_set():
                return

    def run_input_thread(self) -> None:
        """Textual's input loop (read, decode, parse, hand over) with a wait
        for room before each read and pastes cut to size."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")(errors="replace").decode
        shaper = InputShaper()

        def hand_over(pieces: list[str | events.Paste]) -> None:
            for piece in pieces:
                if isinstance(piece, str):
                    for event in parser.feed(piece):
                        self.process_message(event)
                else:
                    self.process_message(piece)

        try:
            while not self.exit_event.is_set():
                self._wait_for_room()
                if self.exit_event.is_set():
                    break
                if not selector.select(0.1):
                    hand_over(shaper.flush())  # no marker is split by a pause
                else:
                    try:
                        data = os.read(self.fileno, CHUNK_BYTES)
                    except OSError:  # EIO: the terminal has gone
                        break
                    if not data:
                        break
                    hand_over(shaper.feed(decode(data)))
                for event in parser.tick():  # a lone Esc becomes a key after a pause
                    self.process_message(event)
            hand_over(shaper.flush())
        finally:
            selector.close()
            try:
                for _ in parser.feed(""):
                    pass
            except Exception:  # an unfinished sequence at the end: nothing to hand over
                pass
