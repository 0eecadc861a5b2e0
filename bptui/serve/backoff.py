"""Password back-off per address, as OpenSSH's PerSourcePenalties, but a
delay rather than a ban (a class behind one NAT shares an address).

Every wrong password adds one to its address's penalty, which halves every
HALF_LIFE seconds of quiet. A password attempt from an address with a penalty
of p ≥ 1 waits FIRST_DELAY × 2^(p − 1) seconds, at most MAX_DELAY, before it is
checked. An address has at most its admission limit of connections logging in
at once, so it is held to about per_address / MAX_DELAY guesses a second,
however many connections it opens, while a right password from anywhere else
is checked at once and from that address within MAX_DELAY.
"""

from __future__ import annotations

import time

FIRST_DELAY = 0.5
MAX_DELAY = 4.0
HALF_LIFE = 30.0
# addresses remembered at most (the quietest are forgotten first)
MAX_ADDRESSES = 10_000


class PasswordBackoff:
    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY, half_life: float = HALF_LIFE) -> None:
        self.first, self.cap, self.half_life = first, cap, half_life
        self._penalty: dict[str, tuple[float, float]] = {}  # address: (penalty, when)

    def penalty(self, address: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        p, when = self._penalty.get(address, (0.0, now))
        return p * 0.5 ** ((now - when) / self.half_life)

    def delay(self, address: str, now: float | None = None) -> float:
        """Seconds the next attempt from `address` waits before it is checked."""
        p = self.penalty(address, now)
        return 0.0 if p < 1 else min(self.cap, self.first * 2 ** (p - 1))

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._penalty[address] = (self.penalty(address, now) + 1, now)
        if len(self._penalty) > MAX_ADDRESSES:
            quietest = min(self._penalty, key=lambda a: self.penalty(a, now))
            del self._penalty[quietest]
