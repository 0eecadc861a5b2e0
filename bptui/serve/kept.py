"""Sessions kept for a resume: when a student's app ends (they quit, their
connection dropped, they were idle), its session is kept under their name,
in a file of the server's, for --resume-minutes. Reconnecting under the same
name within that starts their app from it, at the same step with the same
history. Past that, or when more are kept than the class has seats, the
oldest is let go: handed in, when the class takes hand-ins, and deleted."""

from __future__ import annotations

import itertools
import secrets
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bptui.control import AppState

DEFAULT_RESUME_MINUTES = 15


@dataclass
class Kept:
    name: str
    path: Path
    when: float  # time.monotonic() it was kept
    state: AppState | None = None  # how it stood, for the teacher's table


class KeptSessions:
    def __init__(self, folder: Path, minutes: float, capacity: int) -> None:
        self.folder = folder
        self.seconds = minutes * 60
        self.capacity = capacity
        self._by_name: dict[str, Kept] = {}
        self._serial = itertools.count(1)

    def __len__(self) -> int:
        return len(self._by_name)

    def new_path(self) -> Path:
        """A file for a session on its way in (the server's name for it)."""
        self.folder.mkdir(mode=0o711, exist_ok=True)
        # not guessable: the folder is 0711 so that --user apps can read their own
        return self.folder / f"{next(self._serial)}-{secrets.token_hex(8)}.json"

    def keep(self, name: str, path: Path, now: float | None = None, state: AppState | None = None) -> list[Kept]:
        """Keep it under the name (the one kept before is deleted); what had
        to go to make room, for the caller to hand in and forget()."""
        old = self._by_name.pop(name, None)
        if old is not None:
            _delete(old.path)
        self._by_name[name] = Kept(name, path, time.monotonic() if now is None else now, state)
        gone = []
        while len(self._by_name) > self.capacity:
            oldest = min(self._by_name.values(), key=lambda k: k.when)
            gone.append(self._by_name.pop(oldest.name))
        return gone

    def take(self, name: str, now: float | None = None) -> Kept | None:
        """The session kept under the name, if still within the time; the
        caller deletes its file once the app has read it."""
        kept = self._by_name.get(name)
        if kept is None or not self.seconds or (time.monotonic() if now is None else now) - kept.when > self.seconds:
            return None
        return self._by_name.pop(name)

    def expired(self, now: float | None = None) -> list[Kept]:
        now = time.monotonic() if now is None else now
        gone = [k for k in self._by_name.values() if now - k.when > self.seconds]
        for k in gone:
            del self._by_name[k.name]
        return gone

    def all(self) -> list[Kept]:
        gone = list(self._by_name.values())
        self._by_name.clear()
        return gone

    def names(self) -> set[str]:
        return set(self._by_name)

    def values(self) -> list[Kept]:
        return list(self._by_name.values())


def forget(kept: Kept) -> None:
    _delete(kept.path)


def _delete(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
