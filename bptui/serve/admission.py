"""Who may wait: connections that are not a running app yet (logging in,
logged in without an app, a session channel without a shell) are bounded, so
no one can crowd the class out with sockets that never log in.

- Each address may have `per_address` connections waiting. A newcomer from a
  full address takes the place of that address's worst waiting connection (one
  that has sent nothing, then one that has stalled, then one that gave a wrong
  password), or is refused when all of them are progressing logins. Silent
  sockets reopened as fast as they drop thus only push each other out, and a
  real client behind the same address, which speaks at once, gets a place.
- All addresses together may have `total` waiting. Past `start` of them, a
  newcomer is refused with a probability rising linearly to 1 at `total`, as
  OpenSSH's MaxStartups start:rate:full does (random early drop).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Protocol

# a client that has spoken but neither began to log in nor (once logged in)
# started its app within this long is stalled: OpenSSH and asyncssh clients
# need milliseconds for each (a person typing a password has begun to log in)
STALLED_AFTER = 5.0


class Waiter(Protocol):
    """What admission needs to know of a waiting connection."""

    address: str
    since: float

    def has_spoken(self) -> bool: ...
    def is_stalled(self, now: float) -> bool: ...
    def wrong_passwords(self) -> int: ...
    def evict(self, reason: str) -> None: ...


def _badness(w: Waiter, now: float) -> int | None:
    """How much a waiting connection deserves its place less than a newcomer
    (higher: less), or None if it is a progressing login that keeps it."""
    if not w.has_spoken():
        return 3
    if w.is_stalled(now):
        return 2
    if w.wrong_passwords():
        return 1
    return None


@dataclass
class Admission:
    per_address: int
    total: int
    start: int
    rng: random.Random = field(default_factory=random.Random)
    waiting: dict[str, list[Waiter]] = field(default_factory=dict)
    count: int = 0

    def admit(self, w: Waiter) -> str | None:
        """Admit `w` as waiting, or say why not (then it is not counted)."""
        now = time.monotonic()
        mine = self.waiting.get(w.address, [])
        if len(mine) >= self.per_address:
            worst = self._worst(mine, now)
            if worst is None:
                return f"{len(mine)} connections from {w.address} are already logging in"
            self.leave(worst)
            worst.evict(f"its place went to a newer connection from {w.address}")
        elif self.count >= self.start:
            over = (self.count - self.start + 1) / max(1, self.total - self.start + 1)
            if self.count >= self.total or self.rng.random() < over:
                return f"{self.count} connections are already waiting to log in"
        self.waiting.setdefault(w.address, []).append(w)
        self.count += 1
        return None

    def leave(self, w: Waiter) -> None:
        """`w` stops waiting: its app runs, or it went. Harmless twice."""
        mine = self.waiting.get(w.address)
        if mine is None or w not in mine:
            return
        mine.remove(w)
        self.count -= 1
        if not mine:
            del self.waiting[w.address]

    @staticmethod
    def _worst(mine: list[Waiter], now: float) -> Waiter | None:
        worst, worst_bad = None, None
        for w in mine:  # oldest first: the oldest of the worst goes
            bad = _badness(w, now)
            if bad is not None and (worst_bad is None or bad > worst_bad):
                worst, worst_bad = w, bad
        return worst
