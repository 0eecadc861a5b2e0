"""A session's text over the classroom's control channel (bptui.control): cut
into packets that fit one SOCK_SEQPACKET packet, and put back together on
the other side in a file, never past a size cap and only in order. Up, an
app hands its session in (`e`) or leaves it to be resumed; the server
chooses every part of where it lands. This module never imports Textual."""

from __future__ import annotations

import io
import os
from pathlib import Path

# characters of session text a packet: JSON escaping at most doubles them,
# which stays under control.MAX_PACKET with room for the other fields
CHUNK = 3500
# left to resume later, handed to the teacher (e), or handed in as the
# teacher's push starts the class over
PURPOSES = ("keep", "hand-in", "pushed")
LESSON = ("lesson",)  # down: the lesson a class follows


def session_packets(purpose: str, text: str) -> list[dict]:
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    return [
        {"kind": "session", "purpose": purpose, "part": k, "last": k == len(parts) - 1, "text": part}
        for k, part in enumerate(parts)
    ]


class TransferError(ValueError):
    pass


class SessionReceiver:
    """One session at a time, written to `path` as its parts come (None: held
    in memory, as `text`). take() gives the purpose once the last part is
    in; a part out of order, of another purpose, or past `limit` bytes
    drops the transfer (TransferError)."""

    def __init__(self, path: Path | None, limit: int, purposes: tuple[str, ...] = PURPOSES) -> None:
        self.path = path
        self.purposes = purposes
        self.text = ""
        self.limit = limit
        self._file = None
        self._purpose: str | None = None
        self._next = 0
        self._size = 0

    def take(self, m: dict) -> str | None:
        purpose, part, text, last = m.get("purpose"), m.get("part"), m.get("text"), m.get("last")
        if purpose not in self.purposes or type(part) is not int or not isinstance(text, str) or not isinstance(last, bool):
            self.drop()
            raise TransferError("not a session packet")
        if part == 0:
            self.drop()
            self._file = open(self.path, "w", encoding="utf-8") if self.path is not None else io.StringIO()
            self._purpose = purpose
        elif self._file is None or part != self._next or purpose != self._purpose:
            self.drop()
            raise TransferError("a session's parts came out of order")
        self._size += len(text)
        if self._size > self.limit:
            self.drop()
            raise TransferError(f"a session larger than {self.limit:,} bytes")
        self._file.write(text)
        self._next = part + 1
        if not last:
            return None
        if self.path is None:
            self.text = self._file.getvalue()
        self._file.close()
        self._file = None
        self._next = self._size = 0
        return purpose

    def drop(self) -> None:
        """Forget a transfer half done (and its file)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            if self.path is not None:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
        self._next = self._size = 0
        self._purpose = None
