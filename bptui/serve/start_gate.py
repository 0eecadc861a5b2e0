"""How many students' apps start at once. Forty apps forked together share
the cores forty ways, so every one of them draws its first screen late:
the median student waits nearly as long as the last. Let in twice as many
as there are cores (an app waits on its terminal part of the time), each
until it says its first screen is drawn (it closes its end of a pipe, or
dies) or START_SLOT_SECONDS pass, whichever is first: most students then
see their screen well before the last, and a stuck one holds its place for
a moment at most.

The template (bptui.serve.template) runs this in its loop; no Textual here.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass

START_SLOT_SECONDS = 2.0


def slots_for_this_machine() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return 2 * cores


@dataclass
class _Waiting:
    go: int  # write end: a byte (or its closing) lets the child run
    started: int  # read end: EOF once the child's first screen is drawn


class StartGate:
    def __init__(self, slots: int | None = None, slot_seconds: float = START_SLOT_SECONDS) -> None:
        self.slots = slots or slots_for_this_machine()
        self.slot_seconds = slot_seconds
        self.waiting: deque[_Waiting] = deque()
        self.starting: dict[int, float] = {}  # a started fd: when its slot ends anyway

    def add(self, go: int, started: int, now: float | None = None) -> list[int]:
        """A child waits at `go`; returns the started fds to watch from now on."""
        self.waiting.append(_Waiting(go, started))
        return self._admit(now)

    def end(self, started: int, now: float | None = None) -> list[int]:
        """The slot behind `started` ends: its child has drawn its screen,
        died, or had its time. Returns the started fds to watch from now on."""
        if self.starting.pop(started, None) is not None:
            os.close(started)
        return self._admit(now)

    def late(self, now: float | None = None) -> list[int]:
        """The started fds whose slots have had their time."""
        now = time.monotonic() if now is None else now
        return [fd for fd, until in self.starting.items() if until <= now]

    def next_deadline(self) -> float | None:
        return min(self.starting.values(), default=None)

    def _admit(self, now: float | None) -> list[int]:
        now = time.monotonic() if now is None else now
        admitted = []
        while self.waiting and len(self.starting) < self.slots:
            w = self.waiting.popleft()
            try:
                os.close(w.go)  # EOF at the child's read: go
            except OSError:
                pass
            self.starting[w.started] = now + self.slot_seconds
            admitted.append(w.started)
        return admitted

    def close(self) -> None:
        """The template ends: every waiting child goes at once."""
        for w in self.waiting:
            for fd in (w.go, w.started):
                os.close(fd)
        self.waiting.clear()
        for fd in self.starting:
            os.close(fd)
        self.starting.clear()
