"""Min/max decimation of a growing series, kept up to date incrementally.

The chart shows the whole history of J but draws at most about one point per
column. The series is cut into buckets of b consecutive steps (b a power of
two); each bucket keeps its smallest and largest value and where they occur,
so a spike survives however long the history. When the buckets fill, pairs
merge and b doubles. Appending a step touches one bucket, so drawing costs
the same at step 10 and at step 10^6. This module never imports Textual.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Source = Callable[[int, int], np.ndarray]  # (start, stop) -> values[start:stop]


class MinMaxDecimator:
    def __init__(self, max_buckets: int) -> None:
        self.max_buckets = max(2, int(max_buckets))
        self.clear()

    def clear(self) -> None:
        self.n = 0  # values summarised
        self.size = 1  # b: steps per bucket
        self.lo: list[float] = []
        self.lo_at: list[int] = []
        self.hi: list[float] = []
        self.hi_at: list[int] = []

    # -- growing --

    def extend(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        i, m = 0, len(values)
        while i < m:
            pos = self.n % self.size
            if pos == 0 and len(self.lo) == self.max_buckets:
                self._merge_pairs()
                pos = self.n % self.size
            k = min(self.size - pos, m - i)
            chunk = values[i : i + k]
            if k == 1:
                j_lo = j_hi = 0
            else:
                j_lo, j_hi = int(np.argmin(chunk)), int(np.argmax(chunk))
            v_lo, v_hi = float(chunk[j_lo]), float(chunk[j_hi])
            if pos == 0:
                self.lo.append(v_lo)
                self.lo_at.append(self.n + j_lo)
                self.hi.append(v_hi)
                self.hi_at.append(self.n + j_hi)
            else:
                if v_lo < self.lo[-1]:
                    self.lo[-1], self.lo_at[-1] = v_lo, self.n + j_lo
                if v_hi > self.hi[-1]:
                    self.hi[-1], self.hi_at[-1] = v_hi, self.n + j_hi
            self.n += k
            i += k

    def _merge_pairs(self) -> None:
        lo, lo_at, hi, hi_at = [], [], [], []
        for j in range(0, len(self.lo), 2):
            a, b = j, min(j + 1, len(self.lo) - 1)
            # ties keep the earlier step, as argmin/argmax do
            m = a if self.lo[a] <= self.lo[b] else b
            lo.append(self.lo[m])
            lo_at.append(self.lo_at[m])
            m = a if self.hi[a] >= self.hi[b] else b
            hi.append(self.hi[m])
            hi_at.append(self.hi_at[m])
        self.lo, self.lo_at, self.hi, self.hi_at = lo, lo_at, hi, hi_at
        self.size *= 2

    # -- shrinking --

    def truncate(self, n: int, source: Source) -> None:
        """Forget values from index n on; `source` supplies kept values where a
        bucket has to be recomputed."""
        if n >= self.n:
            return
        if n <= 0:
            self.clear()
            return
        buckets = -(-n // self.size)
        if self.size > 1 and buckets <= self.max_buckets // 4:
            # Far fewer buckets than room for: start again at a finer size.
            values = source(0, n)
            self.clear()
            self.extend(values)
            return
        del self.lo[buckets:], self.lo_at[buckets:], self.hi[buckets:], self.hi_at[buckets:]
        start = (buckets - 1) * self.size
        for lst in (self.lo, self.lo_at, self.hi, self.hi_at):
            del lst[-1]
        self.n = start
        self.extend(source(start, n))

    # -- reading --

    def points(self) -> tuple[list[int], list[float]]:
        """(steps, values): each bucket's extremes in the order they occurred;
        one point where a bucket holds a single value."""
        xs: list[int] = []
        ys: list[float] = []
        for lo, lo_at, hi, hi_at in zip(self.lo, self.lo_at, self.hi, self.hi_at):
            if lo_at == hi_at:
                xs.append(lo_at)
                ys.append(lo)
            elif lo_at < hi_at:
                xs += (lo_at, hi_at)
                ys += (lo, hi)
            else:
                xs += (hi_at, lo_at)
                ys += (hi, lo)
        return xs, ys

    def value_range(self) -> tuple[float, float] | None:
        if not self.lo:
            return None
        return min(self.lo), max(self.hi)
