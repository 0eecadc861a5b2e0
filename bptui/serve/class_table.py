"""The teacher's table of the class, as rows of text: one a student who is
here (from what their app last said), away (their session kept for a
resume) or absent (on the roster, not come). Sorted by any column. The
console shows it; this module never imports Textual."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from bptui.control import AppState
from bptui.numfmt import fmt

# (heading, cells wide): 74 cells with the table's padding, inside 80
COLUMNS = (
    ("name", 10),
    ("on", 4),
    ("step", 7),
    ("J", 8),
    ("rate", 7),
    ("doing", 9),
    ("score", 5),
    ("idle", 4),
    ("in", 2),
)
# the words a mode takes alone, and in a list of several
MODE_WORDS = {"walk": ("walk", "walk"), "predict": ("predict", "pred"), "mistakes": ("mistakes", "mist"), "play": ("play", "play"), "following": ("following", "foll")}
MISSING = "·"  # no value (yet): the app has not said, or the student is absent


@dataclass(frozen=True)
class Row:
    name: str
    where: str  # "here", "away" or "absent"
    state: AppState | None
    on: float | None  # seconds connected
    idle: float | None  # seconds since their last key
    hand_ins: int

    def sort_key(self, column: int):
        """Numbers sort as numbers, text as text; missing values last."""
        s = self.state
        value = (
            self.name,
            self.on,
            s and s.step,
            s and s.J,
            s and s.lr,
            doing(self),
            s and (s.right / s.asked if s.asked else None),
            self.idle,
            self.hand_ins,
        )[column]
        if isinstance(value, float) and math.isnan(value):
            value = None
        return (value is None, value if value is not None else 0, self.name)

    def cells(self) -> tuple[str, ...]:
        s = self.state
        return (
            shorten(self.name, COLUMNS[0][1]),
            duration(self.on),
            MISSING if s is None else f"{s.step:,}",
            MISSING if s is None else fmt(s.J, digits=4),
            MISSING if s is None else fmt(s.lr, digits=3, keep_zeros=False),
            doing(self),
            MISSING if s is None or not s.asked else f"{s.right}/{s.asked}",
            duration(self.idle),
            str(self.hand_ins) if self.hand_ins else MISSING,
        )


def doing(row: Row) -> str:
    if row.where != "here":
        return row.where
    if row.state is None:
        return "starting"
    modes = row.state.modes
    if not modes:
        return "stepping"
    if len(modes) == 1:
        return MODE_WORDS[modes[0]][0]
    return shorten("+".join(MODE_WORDS[m][1] for m in modes), COLUMNS[5][1])


def shorten(text: str, width: int) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= width else printable[: width - 1] + "…"


def duration(seconds: float | None) -> str:
    """4 cells at most: 9s, 42s, 12m, 3h05 would not fit: 3h, 12h, 3d."""
    if seconds is None:
        return MISSING
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{min(s // 86400, 999)}d"


def class_rows(room, now: float | None = None) -> list[Row]:
    """Every student of the room (a bptui.serve.classroom.Classroom), by name."""
    now = time.monotonic() if now is None else now
    rows: dict[str, Row] = {}
    for s in room.sessions:
        if s.closed:
            continue
        rows[s.name] = Row(s.name, "here", s.state, now - s.connected_at, now - s.last_input, room.hand_ins[s.name])
    for k in room.kept.values():
        if k.name not in rows:
            rows[k.name] = Row(k.name, "away", k.state, None, now - k.when, room.hand_ins[k.name])
    for name in room.settings.roster or ():
        if name not in rows:
            rows[name] = Row(name, "absent", None, None, None, room.hand_ins[name])
    return sorted(rows.values(), key=lambda r: r.name)


def sort_rows(rows: list[Row], column: int, descending: bool = False) -> list[Row]:
    """Missing values stay last either way."""
    present = [r for r in rows if not r.sort_key(column)[0]]
    missing = [r for r in rows if r.sort_key(column)[0]]
    present.sort(key=lambda r: r.sort_key(column), reverse=descending)
    return present + sorted(missing, key=lambda r: r.name)
