"""The loss landscape: J over a grid of two weights (the others at their
current values) around the weights visited so far, with the path and the
current point. The grid is one numpy pass; it is computed again only when the
view must move (the current point leaves it, the axes or the size change, or
another weight moved). Levels are characters, so it reads without color.
This module never imports Textual."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from bptui.engine import Engine

RAMP = " .:-=+*#%"  # low → high
TRAIL = "•"  # a visited point
HERE = "◉"  # the current point
BAD = "!"  # a cell whose J overflowed
# Weights may lie anywhere among the doubles: the box is kept inside them, and
# its arithmetic goes through halves (x1/2 − x0/2 never overflows, x1 − x0 can).
MAX = sys.float_info.max


def _clamp(v: float) -> float:
    return min(max(v, -MAX), MAX)


@dataclass(frozen=True)
class Frame:
    cells: list[str]  # the map, top row first (highest y)
    levels: tuple[float, float]  # J at the bottom of the lowest level and the top of the highest
    box: tuple[float, float, float, float]  # x0, x1, y0, y1
    x_name: str
    y_name: str
    here: tuple[int, int] | None  # (column, row) of the current point


class Landscape:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.x, self.y = 0, 1 if engine.n_params > 1 else 0
        self.watcher = engine.watch()
        self._bbox: np.ndarray | None = None  # min x, max x, min y, max y of the visited points
        self._synced = 0  # steps folded into _bbox and _visited
        self._visited: set[tuple[int, int]] = set()
        self._box: tuple[float, float, float, float] | None = None
        self._size = (0, 0)
        self._grid: np.ndarray | None = None
        self._grid_key: tuple | None = None
        self.recomputes = 0  # how often the grid was computed (tests read it)

    @property
    def names(self) -> tuple[str, str]:
        p = self.engine.network.params
        return p[self.x], p[self.y]

    def set_axes(self, x: int, y: int) -> None:
        n = self.engine.n_params
        if not (0 <= x < n and 0 <= y < n) or x == y:
            raise ValueError("the two axes must be two different parameters")
        if (x, y) != (self.x, self.y):
            self.x, self.y = x, y
            self._reset()

    def _reset(self) -> None:
        self._bbox, self._synced, self._visited, self._box, self._grid_key = None, 0, set(), None, None

    # -- the visited points --

    def _sync_visited(self) -> None:
        e = self.engine
        length = e.step_count + 1
        if self.watcher.take(length) < self._synced:
            self._reset()  # undo or reset: fold the history in again
        if self._synced < length:
            pts = e.params_slice(self._synced, length)[:, [self.x, self.y]]
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            new = np.array([lo[0], hi[0], lo[1], hi[1]])
            if self._bbox is None:
                self._bbox = new
            else:
                self._bbox = np.array([min(self._bbox[0], new[0]), max(self._bbox[1], new[1]),
                                       min(self._bbox[2], new[2]), max(self._bbox[3], new[3])])  # fmt: skip
            if self._box is not None:
                self._visited |= self._cells(pts)
            self._synced = length

    def _cells(self, pts: np.ndarray) -> set[tuple[int, int]]:
        x0, x1, y0, y1 = self._box
        cols, rows = self._size
        with np.errstate(all="ignore"):  # a non-finite point lands nowhere
            fx = (pts[:, 0] / 2 - x0 / 2) / (x1 / 2 - x0 / 2) * cols
            fy = (y1 / 2 - pts[:, 1] / 2) / (y1 / 2 - y0 / 2) * rows
        # a point on the far edge (a box that ends at the last double) is in the last cell
        keep = np.isfinite(fx) & np.isfinite(fy) & (fx >= 0) & (fx <= cols) & (fy >= 0) & (fy <= rows)
        cx = np.minimum(np.floor(fx[keep]), cols - 1).astype(np.int64)
        cy = np.minimum(np.floor(fy[keep]), rows - 1).astype(np.int64)
        return set(zip(cx.tolist(), cy.tolist()))

    # -- the view --

    def _needs_new_box(self, cur: tuple[float, float]) -> bool:
        if self._box is None:
            return True
        x0, x1, y0, y1 = self._box

        def inside(v: float, lo: float, hi: float) -> bool:
            # a 5% margin, except on a side that already reaches the last double
            m = (hi / 2 - lo / 2) * 0.1
            return (lo == -MAX or lo + m <= v) and (hi == MAX or v <= hi - m)

        return not (inside(cur[0], x0, x1) and inside(cur[1], y0, y1))

    def _new_box(self) -> tuple[float, float, float, float]:
        bx0, bx1, by0, by1 = (float(v) for v in self._bbox)

        def span(lo: float, hi: float) -> tuple[float, float]:
            # Python floats overflow to ±inf without a warning; _clamp takes
            # the box back to the last finite double
            mid, half = lo / 2 + hi / 2, hi / 2 - lo / 2
            half = max(half * 1.4, 0.25, abs(mid) * 0.1)
            return _clamp(mid - half), _clamp(mid + half)

        return (*span(bx0, bx1), *span(by0, by1))

    def frame(self, cols: int, rows: int) -> Frame:
        e = self.engine
        self._sync_visited()
        params = e.params
        cur = (params[self.x], params[self.y])
        if (cols, rows) != self._size or self._needs_new_box(cur):
            self._size = (cols, rows)
            self._box = self._new_box()
            self._visited = self._cells(e.params_slice(0, e.step_count + 1)[:, [self.x, self.y]])
        others = tuple(p for k, p in enumerate(params) if k not in (self.x, self.y))
        # the network too: an input or target set by hand (x = 3) moves the whole surface
        key = (self._box, self._size, self.x, self.y, others, e.network)
        if key != self._grid_key:
            x0, x1, y0, y1 = self._box
            tx, ty = (np.arange(cols) + 0.5) / cols, (np.arange(rows) + 0.5) / rows
            with np.errstate(over="ignore"):  # a rounding past the last double is clipped
                xs = np.clip((x0 / 2 * (1 - tx) + x1 / 2 * tx) * 2, -MAX, MAX)
                ys = np.clip((y1 / 2 * (1 - ty) + y0 / 2 * ty) * 2, -MAX, MAX)
            a, b = np.meshgrid(xs, ys)
            self._grid = e.network.loss_grid(params, self.x, self.y, a, b)
            self._grid_key = key
            self.recomputes += 1
        grid = self._grid
        finite = np.isfinite(grid)
        lo = float(grid[finite].min()) if finite.any() else 0.0
        hi = float(grid[finite].max()) if finite.any() else 1.0
        here_cells = self._cells(np.array([cur]))
        here = next(iter(here_cells), None)
        if here is not None and math.isfinite(e.loss):
            # the grid samples cell centres and can miss a narrow valley: the
            # levels' range takes in J where the learner actually is
            lo, hi = min(lo, e.loss), max(hi, e.loss)
        scale = (hi - lo) or 1.0
        with np.errstate(all="ignore"):
            level = np.clip(((grid - lo) / scale * len(RAMP)).astype(np.int64), 0, len(RAMP) - 1)
        cells = [[RAMP[v] if ok else BAD for v, ok in zip(lv, fn)] for lv, fn in zip(level.tolist(), finite.tolist())]
        for cx, cy in self._visited:
            cells[cy][cx] = TRAIL
        if here is not None:
            cells[here[1]][here[0]] = HERE
        return Frame(["".join(r) for r in cells], (lo, hi), self._box, *self.names, here)

