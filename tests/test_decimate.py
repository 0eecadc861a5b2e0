from decimal import ROUND_FLOOR, Decimal, getcontext

import numpy as np
import pytest

from bptui.decimate import BlockExtremes, LogScale, MinMaxDecimator


def brute_force(values: np.ndarray, size: int) -> list[tuple[float, int, float, int]]:
    out = []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        out.append(
            (float(chunk.min()), start + int(chunk.argmin()), float(chunk.max()), start + int(chunk.argmax()))
        )
    return out


def buckets(d: MinMaxDecimator):
    return list(zip(d.lo, d.lo_at, d.hi, d.hi_at))


@pytest.mark.parametrize("max_buckets", [2, 7, 40])
@pytest.mark.parametrize("n", [1, 5, 39, 40, 41, 1000, 4097])
def test_matches_brute_force(max_buckets, n):
    rng = np.random.default_rng(n * 100 + max_buckets)
    values = rng.normal(size=n)
    d = MinMaxDecimator(max_buckets)
    # feed in uneven chunks, as steps and jumps do
    i = 0
    while i < n:
        k = int(rng.integers(1, 50))
        d.extend(values[i : i + k])
        i += k
    assert d.n == n
    assert len(d.lo) <= d.max_buckets
    assert buckets(d) == brute_force(values, d.size)
    # the bucket size is the smallest power of two that fits
    assert d.size == 1 or -(-n // (d.size // 2)) > d.max_buckets


def test_spike_survives_decimation():
    values = np.ones(100_000)
    values[77_777] = 50.0
    d = MinMaxDecimator(40)
    d.extend(values)
    xs, ys = d.points()
    assert 77_777 in xs and 50.0 in ys
    assert len(xs) <= 2 * 40


def test_points_are_in_step_order():
    values = np.sin(np.arange(5000) / 100.0)
    d = MinMaxDecimator(30)
    d.extend(values)
    xs, ys = d.points()
    assert xs == sorted(xs)
    assert all(values[x] == y for x, y in zip(xs, ys))


@pytest.mark.parametrize("cut", [0, 1, 2, 63, 64, 65, 500, 999, 1000])
def test_truncate_matches_a_fresh_build(cut):
    rng = np.random.default_rng(cut)
    values = rng.normal(size=1000)
    d = MinMaxDecimator(16)
    d.extend(values)
    d.truncate(cut, lambda a, b: values[a:b])
    fresh = MinMaxDecimator(16)
    fresh.extend(values[:cut])
    assert d.n == cut
    # same extremes at whatever size the truncated one kept
    assert buckets(d) == brute_force(values[:cut], d.size)
    # and it can grow again
    d.extend(values[cut:])
    fresh.extend(values[cut:])
    assert buckets(d) == buckets(fresh) == brute_force(values, d.size)


# --- the log scale: buckets of equal width in log(step + 1) ----------------------------

getcontext().prec = 60


def log_bucket(k: int, level: int) -> int:
    """floor(log2(k + 1) / δ), δ = 2^(level − 6), in 60-digit decimals: an
    independent reckoning of LogScale's exact integer one."""
    delta = Decimal(2) ** (level - LogScale.FINE)
    return int((Decimal(k + 1).ln() / Decimal(2).ln() / delta).to_integral_value(rounding=ROUND_FLOOR))


def log_brute_force(values: np.ndarray, level: int) -> list[tuple[float, int, float, int]]:
    groups: dict[int, list[int]] = {}
    for k in range(len(values)):
        groups.setdefault(log_bucket(k, level), []).append(k)
    out = []
    for _, ks in sorted(groups.items()):
        chunk = values[ks[0] : ks[-1] + 1]
        out.append((float(chunk.min()), ks[0] + int(chunk.argmin()), float(chunk.max()), ks[0] + int(chunk.argmax())))
    return out


@pytest.mark.parametrize("level", range(0, 10))
def test_log_bucket_numbers_and_starts_are_exact(level):
    ks = range(0, 5000)
    assert [LogScale.bucket(k, level) for k in ks] == [log_bucket(k, level) for k in ks]
    # start(i) is the first step of bucket i (or of the next bucket that has steps)
    for i in range(0, LogScale.bucket(4999, level) + 2):
        s = LogScale.start(i, level)
        assert LogScale.bucket(s, level) >= i and (s == 0 or LogScale.bucket(s - 1, level) < i)


@pytest.mark.parametrize("max_buckets", [2, 7, 14, 40])
@pytest.mark.parametrize("n", [1, 2, 11, 100, 1000, 3000])
def test_log_scale_matches_brute_force(max_buckets, n):
    rng = np.random.default_rng(n * 100 + max_buckets + 1)
    values = rng.normal(size=n)
    d = MinMaxDecimator(max_buckets, "log")
    i = 0
    while i < n:
        k = int(rng.integers(1, 50))
        d.extend(values[i : i + k])
        i += k
    assert d.n == n
    assert len(d.lo) <= d.max_buckets and max(d.index) < d.max_buckets
    assert buckets(d) == log_brute_force(values, d.level)
    # the finest level that fits: one level finer would need too many buckets
    assert d.level == 0 or log_bucket(n - 1, d.level - 1) >= d.max_buckets


def test_log_scale_keeps_the_early_steps_as_points_of_their_own():
    values = 10.0 / np.arange(1, 1_000_001)
    d = MinMaxDecimator(40, "log")
    d.extend(values)
    xs, ys = d.points()
    assert xs[:3] == [0, 1, 2] and len(xs) <= 2 * 40
    assert xs[-1] == 999_999 and all(values[x] == y for x, y in zip(xs, ys))
    # on the linear scale the first point after step 0 is beyond step 10,000
    lin = MinMaxDecimator(40)
    lin.extend(values)
    assert lin.points()[0][1] > 10_000


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 90, 91, 512, 999, 1000])
def test_log_truncate_matches_a_fresh_build(cut):
    rng = np.random.default_rng(cut + 7)
    values = rng.normal(size=1000)
    d = MinMaxDecimator(16, "log")
    d.extend(values)
    d.truncate(cut, lambda a, b: values[a:b])
    assert d.n == cut
    assert buckets(d) == (log_brute_force(values[:cut], d.level) if cut else [])
    d.extend(values[cut:])
    assert buckets(d) == log_brute_force(values, d.level)


@pytest.mark.parametrize("scale", ["linear", "log"])
@pytest.mark.parametrize("n", [10, 1_000_000])
def test_a_step_changes_only_the_last_bucket_at_any_history(scale, n):
    """Appending one value touches one bucket: the same work at step 10 and
    at step 10^6."""
    d = MinMaxDecimator(40, scale)
    d.extend(np.linspace(5.0, 1.0, n))
    before, level = buckets(d), d.level
    d.extend(np.array([0.5]))
    after = buckets(d)
    assert d.level == level  # no merge at these n: one bucket changed or added
    assert after[: len(before) - 1] == before[:-1] and len(after) - len(before) in (0, 1)
    assert after[-1][:2] == (0.5, n)


# --- block extremes: cutting a long bucket without reading it all ---------------------


def numpy_extremes(values: np.ndarray, a: int, b: int) -> tuple[float, int, float, int]:
    chunk = values[a:b]
    return float(chunk.min()), a + int(chunk.argmin()), float(chunk.max()), a + int(chunk.argmax())


def test_block_extremes_match_numpy_on_any_range():
    rng = np.random.default_rng(3)
    values = np.round(rng.normal(size=10_000), 1)  # rounded: many ties, the earliest must win
    blocks = BlockExtremes()
    i = 0
    while i < len(values):
        k = int(rng.integers(1, 3000))
        blocks.extend(values[i : i + k])
        i += k
    read = []

    def source(a, b):
        read.append(b - a)
        return values[a:b]

    for _ in range(300):
        a = int(rng.integers(0, len(values) - 1))
        b = int(rng.integers(a + 1, len(values) + 1))
        read.clear()
        assert blocks.extremes(a, b, source) == numpy_extremes(values, a, b), (a, b)
        assert sum(read) < 2 * BlockExtremes.BLOCK
    blocks.truncate(4321, source)
    blocks.extend(values[4321:6000])
    assert blocks.n == 6000
    assert blocks.extremes(17, 5999, source) == numpy_extremes(values, 17, 5999)


@pytest.mark.parametrize("scale", ["linear", "log"])
@pytest.mark.parametrize("cut", [1, 5000, 40_000, 59_999, 65_000, 131_071, 199_999])
def test_truncate_with_block_extremes_matches_a_fresh_build(scale, cut):
    rng = np.random.default_rng(cut)
    values = np.round(rng.normal(size=200_000), 1)
    blocks = BlockExtremes()
    blocks.extend(values)
    d = MinMaxDecimator(14, scale)
    d.extend(values)
    level_before = d.level
    read = []

    def source(a, b):
        read.append(b - a)
        return values[a:b]

    blocks.truncate(cut, source)
    d.truncate(cut, source, lambda a, b: blocks.extremes(a, b, source))
    assert d.n == cut
    # each bucket at the level kept (LogScale.bucket is checked above against decimals)
    groups: dict[int, list[int]] = {}
    for k in range(cut):
        groups.setdefault(d.scale.bucket(k, d.level), []).append(k)
    assert buckets(d) == [numpy_extremes(values, ks[0], ks[-1] + 1) for _, ks in sorted(groups.items())]
    if d.level == level_before:
        # cut in place: the blocks' ragged ends and the bucket's, not the bucket
        assert sum(read) <= 6 * BlockExtremes.BLOCK
