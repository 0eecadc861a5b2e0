"""Password back-off per address, as OpenSSH's PerSourcePenalties, but a
delay rather than a ban (a class behind one NAT shares an address).

Every wrong password adds one to its address's penalty, which halves every
HALF_LIFE seconds of quiet. While an address's penalty is 1 or more:

- each attempt from it waits FIRST_DELAY × 2^(penalty − 1) seconds, at most
  MAX_DELAY, before it is checked;
- its attempts, from all its connections, are checked one at a time in the
  order they came, at most one every SPACING seconds.

So an address guesses at most 1 / SPACING times a second however many
connections it opens, and a right password from it waits at most MAX_DELAY or
its place in line (the line is no longer than the address's connections
logging in), while an address without recent failures is checked at once.
"""

from __future__ import annotations

import asyncio
import time

FIRST_DELAY = 0.5
MAX_DELAY = 3.0
SPACING = 0.25
HALF_LIFE = 30.0
# addresses remembered at most (the quietest are forgotten first)
MAX_ADDRESSES = 10_000


class PasswordBackoff:
    def __init__(
        self, first: float = FIRST_DELAY, cap: float = MAX_DELAY, spacing: float = SPACING, half_life: float = HALF_LIFE
    ) -> None:
        self.first, self.cap, self.spacing, self.half_life = first, cap, spacing, half_life
        self._penalty: dict[str, tuple[float, float]] = {}  # address: (penalty, when)
        self._lines: dict[str, asyncio.Lock] = {}  # asyncio's Lock serves its waiters in order
        self._last_check: dict[str, float] = {}

    def penalty(self, address: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        p, when = self._penalty.get(address, (0.0, now))
        return p * 0.5 ** ((now - when) / self.half_life)

    def delay(self, address: str, now: float | None = None) -> float:
        """Seconds the next attempt from `address` waits at least."""
        p = self.penalty(address, now)
        return 0.0 if p < 1 else min(self.cap, self.first * 2 ** (p - 1))

    async def turn(self, address: str) -> None:
        """Wait until an attempt from `address` may be checked."""
        now = time.monotonic()
        delay = self.delay(address, now)
        if not delay:
            return
        ready = now + delay
        line = self._lines.setdefault(address, asyncio.Lock())
        async with line:
            due = max(ready, self._last_check.get(address, 0.0) + self.spacing)
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_check[address] = time.monotonic()

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._penalty[address] = (self.penalty(address, now) + 1, now)
        if len(self._penalty) > MAX_ADDRESSES:
            quietest = min(self._penalty, key=lambda a: self.penalty(a, now))
            del self._penalty[quietest]
            self._last_check.pop(quietest, None)
            line = self._lines.get(quietest)
            if line is not None and not line.locked():
                del self._lines[quietest]
