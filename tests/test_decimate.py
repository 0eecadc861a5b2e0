import numpy as np
import pytest

from bptui.decimate import MinMaxDecimator


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
