"""The cost chart's axes: where they go and how their ticks read.

Pure arithmetic, no drawing (this module never imports Textual or plotext):
* fitting: the y range that shows a run's J (and the floor), and the sticky
  growth that keeps it while the run only lengthens;
* y ticks: round values on rows of their own, with as many digits as it takes
  to tell them apart, and at least two where the chart has two rows;
* x ticks: steps on a linear axis, or decades (1, 10, 100, 1k, …) on a log one.
"""

from __future__ import annotations

import math

from bptui.numfmt import fmt

PAD = 0.1  # a fresh fit leaves this fraction of the data's span above and below it
# The narrowest y range, relative to the values: a J that moves by less reads
# as flat. The panes show 7 significant digits; labels need at most about 8.
MIN_RELATIVE_SPAN = 1e-6
MAX_DIGITS = 17  # enough to tell any two doubles apart


# -- fitting ----------------------------------------------------------------------


def fresh_ylim(lo: float, hi: float, least: float = 0.0) -> tuple[float, float]:
    """The y range a new chart gives values in [lo, hi]: the data with a
    margin, no room below `least` (the least J can be: 0, or the floor),
    and never narrower than labels can resolve."""
    span = hi - lo
    if not span > 0:
        span = abs(hi) * PAD or 1.0
    narrowest = max(abs(lo), abs(hi)) * MIN_RELATIVE_SPAN
    if span < narrowest:
        middle = lo / 2 + hi / 2
        lo, hi, span = middle - narrowest / 2, middle + narrowest / 2, narrowest
    return _clamp(lo, hi, lo - span * PAD, hi + span * PAD, least)


def grown_ylim(
    current: tuple[float, float], lo: float, hi: float, least: float = 0.0
) -> tuple[float, float] | None:
    """Sticky growth while the run only lengthens: None if [lo, hi] is still
    inside `current`, else the axis grown by the data's whole span on the side
    that was crossed, so a steady trend rescales a logarithmic number of times,
    not every step (a rescale repaints every cell of the chart)."""
    ylo, yhi = current
    if ylo <= lo and hi <= yhi:
        return None
    span = hi - lo
    if not span > 0:
        return fresh_ylim(lo, hi, least)
    new_lo = lo - (span if lo < ylo else span * PAD)
    new_hi = hi + (span if hi > yhi else span * PAD)
    return _clamp(lo, hi, new_lo, new_hi, least)


def _clamp(data_lo: float, data_hi: float, lo: float, hi: float, least: float) -> tuple[float, float]:
    """The padded range [lo, hi] made drawable: not below `least` for data
    that is not, and the data's own limit wherever the margin passes the
    largest double.

    No room below the least J: no ticks below 0, and the floor on the bottom
    row. plotext puts braille dots on a grid four times finer than its lines
    and labels, rounded apart, so with room below the floor a J just above
    it can be drawn a row below the floor's line, as if it had crossed it.
    At the bottom edge both grids start together."""
    if data_lo >= least:
        lo = max(lo, least)
    if not math.isfinite(lo):
        lo = data_lo
    if not math.isfinite(hi):
        hi = data_hi
    return lo, hi


def linear_xmax(last_step: int) -> int:
    """The step at the right end of a linear axis: 1, 2 or 5 × 10^k, at least 10."""
    return int(nice_ceil(max(last_step, 10)))


def log_xmax(last_step: int) -> int:
    """The step at the right end of a log axis: a power of ten, at least 10."""
    k = 1
    while 10**k < last_step:
        k += 1
    return 10**k


def log_position(step: float) -> float:
    """Where a step sits on the log axis: log10(step + 1), so step 0 (the start)
    is at the left edge and step 10^k at about k."""
    return math.log10(step + 1)


# -- y ticks ----------------------------------------------------------------------


def canvas_row(value: float, lo: float, hi: float, rows: int) -> int:
    """The row (0 = bottom) plotext draws `value` on, in a canvas of `rows`
    rows spanning [lo, hi]: plotext._utility.get_matrix_data's formula
    (tests/test_cost_chart.py checks the two agree)."""
    return math.floor(round(0.5 + (rows - 1) * (value - lo) / (hi - lo), 8))


def nice_ceil(v: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is ≥ v (v > 0)."""
    k = math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * 10**k >= v:
            return m * 10**k
    return 10 ** (k + 1)


def _nice_steps(span: float, rows: int) -> list[float]:
    """5, 2, 1 × 10^k, coarse to fine: from one above the whole span down to
    about a quarter of a row."""
    finest = span / (4 * max(rows, 1))
    top = math.floor(math.log10(span)) + 1
    bottom = math.floor(math.log10(finest)) - 1
    return [m * 10.0**k for k in range(top, bottom - 1, -1) for m in (5, 2, 1) if m * 10.0**k >= finest]


def _multiples(step: float, lo: float, hi: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    # t = i·step, not a running sum: no drift, and an exact 0 for i = 0
    return [i * step for i in range(first, last + 1) if lo <= i * step <= hi]


def y_ticks(lo: float, hi: float, rows: int, floor: float | None = None) -> list[tuple[float, str]]:
    """(value, label) pairs for a y axis over [lo, hi] drawn in `rows` rows:

    * round values (multiples of 1, 2 or 5 × 10^k, or every second or third
      one), each on a row of its own, with blank rows between where there is
      room (two in a tall chart, one in a short one);
    * ranked by: enough labels to read the axis by (two in a short chart,
      three from six rows), then the fewest digits, then the plainest
      progression, then as many labels as fit;
    * the floor, when given and in range, labelled in place of any round
      value that would crowd it;
    * labels with the fewest significant digits that keep them all distinct
      and every round value exact."""
    if rows < 1 or not hi > lo or not (math.isfinite(lo) and math.isfinite(hi)):
        v = floor if floor is not None else lo
        return [(v, fmt(v, keep_zeros=False))]
    fixed = [floor] if floor is not None and lo <= floor <= hi else []
    best = None
    for gap in (3, 2, 1) if rows >= 12 else (2, 1):
        best = _best_ticks(lo, hi, rows, fixed, gap)
        if best is not None and len(best[0]) >= min(2, rows):
            break
    if best is None:  # not one round value on a row of its own
        values, step = sorted(fixed or [lo / 2 + hi / 2]), hi - lo
    else:
        values, step = best
    half_row = (hi - lo) / max(rows - 1, 1) / 2
    return list(zip(values, tick_labels(values, step, fixed, half_row)))


def _best_ticks(lo: float, hi: float, rows: int, fixed: list[float], gap: int) -> tuple[list[float], float] | None:
    """The best set of round values (and their step) with at least `gap` rows
    between any two labels, as y_ticks ranks them; None if none fits."""
    fixed_rows = [canvas_row(f, lo, hi, rows) for f in fixed]
    # labels enough to read the axis by: two in a short chart, three from six rows
    enough = min(rows, 2) if rows < 6 else 3
    best, best_rank = None, None
    for step in _nice_steps(hi - lo, rows):
        multiples = _multiples(step, lo, hi)
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))  # digits its labels need after the point
        for every in (1, 2, 3):
            for offset in range(every):
                chosen = [
                    t for t in multiples[offset::every]
                    if all(abs(canvas_row(t, lo, hi, rows) - r) >= gap for r in fixed_rows)
                ]  # fmt: skip
                values = sorted(chosen + fixed)
                placed = [canvas_row(v, lo, hi, rows) for v in values]
                if not values or any(b - a < gap for a, b in zip(placed, placed[1:])):
                    continue
                rank = (min(len(values), enough), -decimals, -every, len(values))
                if best_rank is None or rank > best_rank:
                    best, best_rank = (values, step), rank
    return best


def tick_labels(values: list[float], step: float, fixed: list[float] = (), fixed_error: float = 0.0) -> list[str]:
    """The fewest significant digits that tell every value apart and show each
    round one (a multiple of `step`) exactly, in fixed notation wherever the
    screen's 7 digits would use it; `fixed` values (the floor) within
    `fixed_error` (half a row: the label still names its own row)."""
    plain = ["e" not in fmt(v, keep_zeros=False) for v in values]
    labels: list[str] = []
    for digits in range(1, MAX_DIGITS + 1):
        labels = [fmt(v, keep_zeros=False, digits=digits) for v in values]
        if len(set(labels)) < len(labels):
            continue
        if any(p and "e" in s for p, s in zip(plain, labels)):
            continue  # 20, not 2e1
        if all(abs(_parse(s) - v) <= (fixed_error if v in fixed else step * 1e-6) for v, s in zip(values, labels)):
            return labels
    return labels


def _parse(label: str) -> float:
    return float(label.replace("−", "-"))


# -- x ticks ----------------------------------------------------------------------


def step_label(step: int, compact: bool) -> str:
    """A step count for an axis: 1k, 10k, 1M with `compact` (where it is exact),
    else the digits."""
    if compact:
        for size, suffix in ((10**6, "M"), (10**3, "k")):
            if step >= size and step % size == 0:
                return f"{step // size}{suffix}"
    return str(step)


def linear_x_ticks(xmax: int, columns: int) -> list[tuple[float, str]]:
    """Round steps from 0 to xmax, one label about every 8 columns; 10k, 1M
    from xmax = 10,000 on (every tick a whole thousand), so labels stay short."""
    step = max(1, int(nice_ceil(xmax / max(1, columns // 8))))
    compact = xmax >= 10_000 and step % 1000 == 0
    return [(float(t), step_label(t, compact)) for t in range(0, xmax + 1, step)]


def log_x_ticks(xmax: int, columns: int) -> list[tuple[float, str]]:
    """Decades 1, 10, 100, 1k, … up to xmax at their places on the log axis;
    every second (or third …) decade where their labels would touch."""
    decades = round(math.log10(xmax))
    labels = [(10**k, step_label(10**k, True)) for k in range(decades + 1)]
    widest = max(len(s) for _, s in labels)
    per_decade = (columns - 1) / log_position(xmax)
    every = 1
    while every < decades and per_decade * every < widest + 1:
        every += 1
    return [(log_position(s), label) for k, (s, label) in enumerate(labels) if (decades - k) % every == 0]
