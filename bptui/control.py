"""The control channel between a student's app and the classroom server:
one SOCK_SEQPACKET socket of the app's own, handed to it at start (its fd in
BPTUI_CONTROL_FD), one small JSON object a packet, its "kind" saying which:

- up, from the app: "hello" (the locale it runs with), "state" (how it
  stands: `AppState`), "session" (its session's text in parts, to hand in
  or to keep for a resume: bptui.session_transfer);
- down, from the server: "welcome" (whether hand-ins are taken), "message"
  (a line for the screen), "leave" (keep your session and end), "handed-in"
  or "hand-in-refused" (how a hand-in went).

The student's keys and terminal never reach it: it is not the pty, and the
app only writes what it builds itself. Both ends check what they read: a
packet that is not one of these shapes is dropped, and a full socket drops
a state (the next one says it all again) instead of blocking the app; a
session's parts wait in an outbox until the socket takes them."""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import stat
import time
from collections import deque
from dataclasses import asdict, dataclass

CONTROL_ENV = "BPTUI_CONTROL_FD"
# a pipe the app closes once its first screen is drawn (bptui.serve.start_gate)
STARTED_ENV = "BPTUI_STARTED_FD"
MAX_PACKET = 8 * 1024
MAX_TEXT = 200  # a message line for the class
# packets an outbox holds at most: past this an app that does not read gets
# nothing more (a lead skips such a follower long before: bptui.serve.lead)
MAX_OUTBOX = 65_536
READ_AT_ONCE = 32  # packets read in one turn; the rest wait for the next
# the environment an app tells the server it runs with (what passed the
# server's filter, shown in the log)
TOLD_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR", "COLORTERM")
MODES = ("walk", "predict", "mistakes", "play", "following")


@dataclass(frozen=True)
class AppState:
    step: int
    J: float
    lr: float
    modes: tuple[str, ...]  # from MODES: what the student is doing
    right: int  # predictions right on the first try
    asked: int
    view: str  # panes, circuit or code

    def as_message(self) -> dict:
        return {"kind": "state", **asdict(self), "modes": list(self.modes)}

    @classmethod
    def from_message(cls, m: dict) -> "AppState | None":
        """The state in a packet, or None if any field is not what an app sends."""
        try:
            step, right, asked = (m[k] for k in ("step", "right", "asked"))
            J, lr, modes, view = m["J"], m["lr"], m["modes"], m["view"]
            if not all(type(v) is int and 0 <= v < 2**53 for v in (step, right, asked)) or right > asked:
                return None
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (J, lr)):
                return None
            if not (isinstance(modes, list) and all(x in MODES for x in modes) and len(modes) <= len(MODES)):
                return None
            if view not in ("panes", "circuit", "code"):
                return None
        except (KeyError, TypeError):
            return None
        return cls(step, float(J), float(lr), tuple(modes), right, asked, view)


def first_screen_drawn() -> None:
    """Tell the template's start gate that this app's first screen is drawn,
    so that the next student's app starts: close the pipe it was given (if
    it was given one, and that is a pipe)."""
    value = os.environ.pop(STARTED_ENV, None)
    if value is None or not value.isdigit():
        return
    fd = int(value)
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.close(fd)
    except OSError:
        pass


def state_of(stepper) -> AppState:
    """How a stepper (bptui.stepper.Stepper) stands, for the teacher's table."""
    e = stepper.engine
    modes = [
        name
        for name, on in (
            ("walk", stepper.walking),
            ("predict", stepper.predicting),
            ("mistakes", not e.rule.correct),
            ("play", stepper.playing),
            ("following", stepper.locked),
        )
        if on
    ]
    right, asked = stepper.score.total
    return AppState(e.step_count, float(e.loss), float(e.lr), tuple(modes), right, asked, stepper.view)


def encode(message: dict) -> bytes:
    # NaN and infinities are not JSON: they travel as null
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in message.items()}
    return json.dumps(clean, separators=(",", ":"), allow_nan=False).encode()


def decode(data: bytes) -> dict | None:
    """A packet's object, if it is one with a string "kind"."""
    if len(data) > MAX_PACKET:
        return None
    try:
        m = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(m, dict) or not isinstance(m.get("kind"), str):
        return None
    for k in ("J", "lr"):  # null back to NaN
        if k in m and m[k] is None:
            m[k] = math.nan
    return m


def message_text(m: dict) -> str | None:
    """A class message's line, made safe to show: printable, one line, short."""
    text = m.get("text")
    if m.get("kind") != "message" or not isinstance(text, str):
        return None
    clean = "".join(c if c.isprintable() else " " for c in text).strip()
    return clean[:MAX_TEXT] or None


class ControlLink:
    """One end of the channel, non-blocking."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.closed = False
        # packets that must all arrive, in order (a session's parts): they
        # wait here while the socket is full, and go as it drains
        self.outbox: deque[bytes] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_environment(cls) -> "ControlLink | None":
        """The app's link, if the server gave it one (and it is a socket)."""
        value = os.environ.pop(CONTROL_ENV, None)
        if value is None or not value.isdigit():
            return None
        fd = int(value)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                return None
            return cls(socket.socket(fileno=fd))
        except OSError:
            return None

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: dict) -> bool:
        """Send, or drop it if the other end is not keeping up (False)."""
        if self.closed:
            return False
        try:
            self.sock.send(encode(message))
            return True
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            self.closed = True
            return False

    def queue(self, messages: list[dict]) -> bool:
        """Send every one of them, in order, without blocking: what the
        socket cannot take now goes when it drains (in the running loop)."""
        return self.queue_encoded([encode(m) for m in messages])

    def queue_encoded(self, packets: list[bytes]) -> bool:
        """As queue, for packets encoded once and sent to many (the lead's
        lesson: every follower's outbox holds the same bytes)."""
        if self.closed or len(self.outbox) + len(packets) > MAX_OUTBOX:
            return False
        self.outbox.extend(packets)
        if not self._flush() and self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_writer(self.sock.fileno(), self._drain)
        return True

    def _drain(self) -> None:
        if self._flush() or self.closed:
            self._stop_writing()

    def _stop_writing(self) -> None:
        if self._loop is not None:
            self._loop.remove_writer(self.sock.fileno())
            self._loop = None

    def _flush(self) -> bool:
        """Send what the socket takes now; True once the outbox is empty."""
        while self.outbox and not self.closed:
            try:
                self.sock.send(self.outbox[0])
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                self.closed = True
                self.outbox.clear()
                break
            self.outbox.popleft()
        return True

    def send_now(self, messages: list[dict], timeout: float) -> bool:
        """Send them all (after what is queued), waiting at most `timeout`
        seconds in all: for an app about to exit, whose loop has stopped."""
        if self.closed:
            return False
        self._stop_writing()
        self.outbox.extend(encode(m) for m in messages)
        deadline = time.monotonic() + timeout
        try:
            while self.outbox:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                self.sock.send(self.outbox[0])
                self.outbox.popleft()
            return True
        except OSError:  # the timeout too: the server is not reading
            return False
        finally:
            self.outbox.clear()
            self.sock.setblocking(False)

    def receive(self) -> list[dict]:
        """What has come, up to READ_AT_ONCE packets; sets closed at EOF."""
        got = []
        for _ in range(READ_AT_ONCE):
            try:
                data = self.sock.recv(MAX_PACKET + 1)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            m = decode(data)
            if m is not None:
                got.append(m)
        return got

    def close(self) -> None:
        self._stop_writing()
        self.closed = True
        self.outbox.clear()
        self.sock.close()
