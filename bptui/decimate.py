"""Min/max decimation of a growing series, kept up to date incrementally.

The chart shows the whole history of J but draws at most about one point per
column. The steps are cut into buckets; each bucket keeps its smallest and
largest value and where they occur, so a spike survives however long the
history. Buckets come at a resolution `level`: when the buckets in range would
outnumber max_buckets, pairs merge and the level goes up by one. Appending a
step touches one bucket, so drawing costs the same at step 10 and at step 10^6.

Two bucket scales, one per kind of step axis:
* linear: bucket i holds steps [i·b, (i+1)·b), b = 2^level;
* log: bucket i holds the steps k with i ≤ log2(k+1)/δ < i+1, δ = 2^(level−6),
  equal widths on a logarithmic step axis, so the early steps keep their own
  points however long the run. Bucket numbers are computed in exact integer
  arithmetic (no floating log), so merging pairs (i → i // 2) always gives the
  same buckets a fresh build would.

This module never imports Textual.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

Source = Callable[[int, int], np.ndarray]  # (start, stop) -> values[start:stop]
Extremes = tuple[float, int, float, int]  # (lo, where, hi, where)
ExtremesOf = Callable[[int, int], Extremes]  # (start, stop) -> extremes of values[start:stop]


def extremes_of(values: np.ndarray, first: int) -> Extremes:
    """The smallest and largest of values and their steps (values[0] is step
    `first`); ties keep the earlier step, as argmin and argmax do."""
    if len(values) == 1:
        v = float(values[0])
        return v, first, v, first
    j_lo, j_hi = int(np.argmin(values)), int(np.argmax(values))
    return float(values[j_lo]), first + j_lo, float(values[j_hi]), first + j_hi


class LinearScale:
    """Bucket i at level L holds steps [i·2^L, (i+1)·2^L)."""

    name = "linear"

    @staticmethod
    def bucket(k: int, level: int) -> int:
        return k >> level

    @staticmethod
    def start(i: int, level: int) -> int:
        return i << level


class LogScale:
    """Bucket i at level L holds the steps k with floor(log2(k+1)/δ) = i,
    δ = 2^(L − FINE). FINE = 6: at level 0 a bucket is 1/64 of an octave
    wide, so up to step ~90 every step is its own bucket."""

    name = "log"
    FINE = 6

    @classmethod
    def bucket(cls, k: int, level: int) -> int:
        if level >= cls.FINE:
            # floor(log2(k+1) / 2^s) = floor(floor(log2(k+1)) / 2^s)
            return ((k + 1).bit_length() - 1) >> (level - cls.FINE)
        # floor(q·log2(k+1)) = floor(log2((k+1)^q)), q = 2^(FINE − level): exact in integers
        return ((k + 1) ** (1 << (cls.FINE - level))).bit_length() - 1

    @classmethod
    def start(cls, i: int, level: int) -> int:
        """The first step of bucket i (the smallest k with bucket(k) ≥ i)."""
        if i <= 0:
            return 0
        if level >= cls.FINE:
            return (1 << (i << (level - cls.FINE))) - 1
        # k + 1 ≥ 2^(i/q): a float guess, made exact by the integer bucket test
        q = 1 << (cls.FINE - level)
        k = max(0, math.floor(2.0 ** (i / q)) - 2)
        while cls.bucket(k, level) < i:
            k += 1
        while k > 0 and cls.bucket(k - 1, level) >= i:
            k -= 1
        return k


SCALES = {"linear": LinearScale, "log": LogScale}


def fold(store, extremes: Extremes, new: bool) -> None:
    """Fold extremes into a store's lo/lo_at/hi/hi_at lists: as a new last
    entry, or into the last one."""
    v_lo, lo_at, v_hi, hi_at = extremes
    if new:
        store.lo.append(v_lo)
        store.lo_at.append(lo_at)
        store.hi.append(v_hi)
        store.hi_at.append(hi_at)
        return
    if v_lo < store.lo[-1]:
        store.lo[-1], store.lo_at[-1] = v_lo, lo_at
    if v_hi > store.hi[-1]:
        store.hi[-1], store.hi_at[-1] = v_hi, hi_at


class MinMaxDecimator:
    def __init__(self, max_buckets: int, scale: str = "linear") -> None:
        self.max_buckets = max(2, int(max_buckets))
        self.scale = SCALES[scale]
        self.clear()

    def clear(self) -> None:
        self.n = 0  # values summarised
        self.level = 0
        self.index: list[int] = []  # each bucket's number (the log scale skips empty ones)
        self.lo: list[float] = []
        self.lo_at: list[int] = []
        self.hi: list[float] = []
        self.hi_at: list[int] = []

    @property
    def size(self) -> int:
        """Steps per bucket on the linear scale."""
        return 1 << self.level

    # -- growing --

    def extend(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        scale = self.scale
        i, m = 0, len(values)
        while i < m:
            b = scale.bucket(self.n, self.level)
            while b >= self.max_buckets:
                self._merge_pairs()
                b = scale.bucket(self.n, self.level)
            k = min(scale.start(b + 1, self.level) - self.n, m - i)
            self._add(b, extremes_of(values[i : i + k], self.n))
            self.n += k
            i += k

    def _add(self, b: int, extremes: Extremes) -> None:
        """Fold the extremes of the next values into bucket b (the last one, or a new one)."""
        new = not self.index or self.index[-1] != b
        if new:
            self.index.append(b)
        fold(self, extremes, new)

    def _merge_pairs(self) -> None:
        index: list[int] = []
        lo: list[float] = []
        lo_at: list[int] = []
        hi: list[float] = []
        hi_at: list[int] = []
        for j, b in enumerate(self.index):
            if index and index[-1] == b >> 1:
                # ties keep the earlier step, as argmin/argmax do
                if self.lo[j] < lo[-1]:
                    lo[-1], lo_at[-1] = self.lo[j], self.lo_at[j]
                if self.hi[j] > hi[-1]:
                    hi[-1], hi_at[-1] = self.hi[j], self.hi_at[j]
            else:
                index.append(b >> 1)
                lo.append(self.lo[j])
                lo_at.append(self.lo_at[j])
                hi.append(self.hi[j])
                hi_at.append(self.hi_at[j])
        self.index, self.lo, self.lo_at, self.hi, self.hi_at = index, lo, lo_at, hi, hi_at
        self.level += 1

    # -- shrinking --

    def truncate(self, n: int, source: Source, extremes: ExtremesOf | None = None) -> None:
        """Forget values from index n on; `source` supplies kept values where a
        bucket has to be recomputed, or `extremes` (BlockExtremes.extremes) its
        extremes without reading all of it."""
        if n >= self.n:
            return
        if n <= 0:
            self.clear()
            return
        last = self.scale.bucket(n - 1, self.level)
        if self.level > 0 and last < self.max_buckets // 4:
            # Far fewer buckets than room for: start again at a finer level.
            values = source(0, n)
            self.clear()
            self.extend(values)
            return
        # drop the bucket holding step n − 1 and every later one, then
        # recompute that bucket from the values it keeps
        keep = next(j for j, b in enumerate(self.index) if b >= last)
        for lst in (self.index, self.lo, self.lo_at, self.hi, self.hi_at):
            del lst[keep:]
        start = self.scale.start(last, self.level)
        if extremes is not None and n - start > 4 * BlockExtremes.BLOCK:
            self._add(last, extremes(start, n))
            self.n = n
        else:
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


class BlockExtremes:
    """The extremes of each block of BLOCK consecutive values, kept as values
    arrive (and cut with them), so the extremes of any range cost
    O(range / BLOCK + BLOCK) numbers read: undoing one step inside a bucket
    that spans a million steps reads a few thousand, not a million. A few
    numbers per thousand steps of memory."""

    BLOCK = 1024

    def __init__(self) -> None:
        self.n = 0
        self.lo: list[float] = []
        self.lo_at: list[int] = []
        self.hi: list[float] = []
        self.hi_at: list[int] = []

    def extend(self, values: np.ndarray) -> None:
        i, m = 0, len(values)
        while i < m:
            pos = self.n % self.BLOCK
            k = min(self.BLOCK - pos, m - i)
            fold(self, extremes_of(values[i : i + k], self.n), pos == 0)
            self.n += k
            i += k

    def truncate(self, n: int, source: Source) -> None:
        if n >= self.n:
            return
        whole = max(n, 0) // self.BLOCK
        for lst in (self.lo, self.lo_at, self.hi, self.hi_at):
            del lst[whole:]
        self.n = whole * self.BLOCK
        self.extend(source(self.n, n))

    def extremes(self, start: int, stop: int, source: Source) -> Extremes:
        """The extremes of values[start:stop] (start < stop ≤ n): whole blocks
        from the summary, the ragged ends from `source`."""
        first, last = -(-start // self.BLOCK), stop // self.BLOCK
        if first >= last:
            return extremes_of(source(start, stop), start)
        parts = []
        if start < first * self.BLOCK:
            parts.append(extremes_of(source(start, first * self.BLOCK), start))
        j_lo = first + int(np.argmin(self.lo[first:last]))
        j_hi = first + int(np.argmax(self.hi[first:last]))
        parts.append((self.lo[j_lo], self.lo_at[j_lo], self.hi[j_hi], self.hi_at[j_hi]))
        if last * self.BLOCK < stop:
            parts.append(extremes_of(source(last * self.BLOCK, stop), last * self.BLOCK))
        # the parts run in step order: a strict comparison keeps the earlier step on ties
        v_lo, lo_at, v_hi, hi_at = parts[0]
        for p_lo, p_lo_at, p_hi, p_hi_at in parts[1:]:
            if p_lo < v_lo:
                v_lo, lo_at = p_lo, p_lo_at
            if p_hi > v_hi:
                v_hi, hi_at = p_hi, p_hi_at
        return v_lo, lo_at, v_hi, hi_at
