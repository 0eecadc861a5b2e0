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
# two students a line, when the class has more than the full table shows:
# (a column of COLUMNS, cells wide)
TWO_A_LINE = ((0, 8), (2, 6), (3, 7), (5, 9), (7, 4))


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

    def cells(self, widths: dict[int, int] | None = None) -> tuple[str, ...]:
        """Each column's text, in at most its width (COLUMNS', or `widths`'
        for the columns it names). Numbers lose digits to fit, never their
        end: a cut number would read as another."""
        w = {k: width for k, (_, width) in enumerate(COLUMNS)} | (widths or {})
        s = self.state
        return (
            shorten(self.name, w[0]),
            duration(self.on),
            MISSING if s is None else fit_count(s.step, w[2]),
            MISSING if s is None else fit_number(s.J, w[3], 4),
            MISSING if s is None else fit_number(s.lr, w[4], 3, keep_zeros=False),
            shorten(doing(self), w[5]),
            MISSING if s is None or not s.asked else shorten(f"{s.right}/{s.asked}", w[6]),
            duration(self.idle),
            shorten(str(self.hand_ins), w[8]) if self.hand_ins else MISSING,
        )

    def two_a_line_cells(self) -> tuple[str, ...]:
        """The columns of TWO_A_LINE, in their widths."""
        cells = self.cells(dict(TWO_A_LINE))
        return tuple(cells[column] for column, _ in TWO_A_LINE)


def fit_number(v: float, width: int, digits: int, *, keep_zeros: bool = True) -> str:
    """v in at most `width` cells: fewer digits while it does not fit."""
    for d in range(digits, 0, -1):
        for text in (fmt(v, digits=d, keep_zeros=keep_zeros), fmt(v, digits=d, scientific=True)):
            if len(text) <= width:
                return text
    return text  # (1 digit: at most 7 cells, −1e−300)


def fit_count(n: int, width: int) -> str:
    """A count in at most `width` cells: 12,345, else 12345, else 12k or 3M."""
    for text in (f"{n:,}", str(n)):
        if len(text) <= width:
            return text
    for size, unit in ((10**3, "k"), (10**6, "M"), (10**9, "G")):
        if len(f"{n // size}{unit}") <= width:
            return f"{n // size}{unit}"
    return f"{n:.0e}"


def two_a_line(rows: list[Row]) -> list[tuple[Row, Row | None]]:
    """Rows in pairs, read down the left half, then down the right: the
    sort order runs on from the bottom of one to the top of the other."""
    half = (len(rows) + 1) // 2
    return [(rows[i], rows[half + i] if half + i < len(rows) else None) for i in range(half)]


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
    return "+".join(MODE_WORDS[m][1] for m in modes)


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
