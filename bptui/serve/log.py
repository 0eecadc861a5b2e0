"""The server's log, on stderr (or --log FILE), and in the teacher's console
when there is one: one line an event, with lines an attacker can
repeat (refusals, wrong passwords, connections that never logged in) folded
per address, as log daemons fold "last message repeated N times": the first
line of each kind in full, then at most one summary line an address every
FOLD_SECONDS with the counts. A flood from one address thus writes a few
hundred bytes a minute, whatever its rate."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Callable, TextIO

FOLD_SECONDS = 10.0


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


class FoldingLog:
    def __init__(self, out: TextIO | None = None, fold_seconds: float = FOLD_SECONDS, *, quiet: bool = False) -> None:
        self._out = out
        # quiet: no stream at all (the console shows the lines, and no --log)
        self._quiet = quiet
        # the banner's lines go to stdout when there is no console
        self.announce_to_stdout = True
        # who else reads each line as it is written (the console's pane)
        self.listeners: list[Callable[[str], None]] = []
        self.fold_seconds = fold_seconds
        # per address: kinds already shown in full since it was last quiet,
        # and the lines of each kind held back since the last summary
        self._shown: dict[str, set[str]] = {}
        self._held: dict[str, Counter[str]] = {}
        # kinds of once-per-interval lines (e.g. out of descriptors), and when
        self._once: dict[str, float] = {}
        self._once_held: Counter[str] = Counter()

    def line(self, text: str) -> None:
        stamped = f"{_stamp()} {text}"
        if not self._quiet:
            print(stamped, file=self._out or sys.stderr, flush=True)
        for listener in self.listeners:
            listener(stamped)

    def announce(self, text: str) -> None:
        """A line of the banner (where to connect): on stdout, or in the log
        when a console shows it."""
        if self.announce_to_stdout:
            print(text, flush=True)
        else:
            self.line(text)

    def repeated(self, address: str, kind: str, text: str) -> None:
        """A line that an address can repeat at will: shown the first time
        (per kind), then counted into the address's next summary."""
        shown = self._shown.setdefault(address, set())
        if kind not in shown:
            shown.add(kind)
            self.line(text)
        else:
            self._held.setdefault(address, Counter())[kind] += 1

    def once_per_interval(self, kind: str, text: str) -> None:
        """A line about the server itself that may recur many times a second:
        shown at most once an interval, with how often it recurred meanwhile."""
        now = time.monotonic()
        last = self._once.get(kind)
        if last is not None and now - last < self.fold_seconds:
            self._once_held[kind] += 1
            return
        again = self._once_held.pop(kind, 0)
        self._once[kind] = now
        self.line(text + (f" (and {again:,} times more in the last {now - last:.0f}s)" if again else ""))

    def fold(self) -> None:
        """Write the summaries held back; forget addresses gone quiet (their
        next line is shown in full again). Called every fold_seconds."""
        for address in list(self._shown):
            held = self._held.pop(address, None)
            if not held:
                del self._shown[address]
                continue
            parts = ", ".join(f"{n:,} {kind}" for kind, n in held.most_common())
            self.line(f"{address}: {sum(held.values()):,} more in {self.fold_seconds:g}s: {parts}")
