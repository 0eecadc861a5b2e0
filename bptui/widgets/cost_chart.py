"""Cost chart: J against step, drawn by plotext (through textual-plotext).

Three things keep a step cheap however long the history:
* the series is min/max-decimated incrementally (bptui.decimate), at most about
  one point per column, so drawing costs the same at step 10 and step 10^6;
* the axes are sticky: they change only when a point leaves them (x grows in
  1-2-5 steps, y by the whole span), because a rescale moves every cell;
* only the chart lines whose text changed are repainted.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from bptui.engine import Engine
from bptui.series import CorrectRun, LossSeries
from bptui.numfmt import fmt
from bptui.widgets.line_pane import DiffLines

MIN_WIDTH = 16  # below this (or MIN_HEIGHT) a plot is unreadable: say so instead
MIN_HEIGHT = 4
Y_LABEL_WIDTH = 8  # plotext's y tick labels and axis, roughly


def nice_ceil(v: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is ≥ v (v > 0)."""
    k = math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * 10**k >= v:
            return m * 10**k
    return 10 ** (k + 1)


def nice_ticks(lo: float, hi: float, max_ticks: int, integer: bool = False) -> list[float]:
    """Round tick values inside [lo, hi], at most max_ticks of them."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0) or max_ticks < 1:
        return [lo]
    step = nice_ceil(span / max(1, max_ticks))
    if integer:
        step = max(1.0, float(round(step)))
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9 and len(ticks) <= max_ticks:
        ticks.append(0.0 if abs(t) < step * 1e-9 else t)
        t = first + len(ticks) * step
    return ticks


class CostChart(DiffLines, PlotextPlot):
    def __init__(self, *, loss: str = "J", floor: float | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        # the least the loss can approach (drawn as a ── line and kept in view)
        self.floor = floor
        self._loss = loss
        self._title = f"{loss} by step"
        if floor is not None:
            self._title += f"  (── floor {fmt(floor, keep_zeros=False)})"
        self.border_title = self._title
        self._series: LossSeries | None = None
        self._compare: LossSeries | None = None  # the correct run, beside a mistaken rule
        self.xmax: float = 10.0
        self.ylim: tuple[float, float] | None = None
        self.rescales = 0  # how many times the axes moved (tests read it)
        self._init_lines()

    # -- data --

    def show(self, engine: Engine, compare: CorrectRun | None = None, labels: tuple[str, str] = ("", "")) -> None:
        """Draw engine's J; with `compare`, the correct run too, as a second
        series (labels name the two in the title)."""
        if self._series is None or self._series.engine is not engine:
            self._series = LossSeries(engine, self._buckets())
        else:
            self._series.sync()
        if compare is None:
            self._compare = None
        else:
            compare.sync()
            if self._compare is None or self._compare.engine is not compare.shadow:
                self._compare = LossSeries(compare.shadow, self._buckets())
            else:
                self._compare.sync()
        title, subtitle = self._title, ""
        if compare is not None:
            title = f"{self._loss}: ⣿ {labels[0]} • {labels[1]}"
            # the title has no room left for the floor: the bottom border says it
            if self.floor is not None:
                subtitle = f"── floor {fmt(self.floor, keep_zeros=False)}"
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        self._rebuild()

    def _buckets(self) -> int:
        # two points a bucket: about one point a column
        return max(2, (self.size.width - Y_LABEL_WIDTH) // 2)

    def _all_series(self) -> list[LossSeries]:
        return [s for s in (self._series, self._compare) if s is not None]

    @property
    def points(self) -> tuple[list[int], list[float]]:
        return self._series.decimator.points()

    @property
    def compare_points(self) -> tuple[list[int], list[float]] | None:
        return None if self._compare is None else self._compare.decimator.points()

    # -- axes --

    def _update_axes(self) -> None:
        n = max(s.decimator.n for s in self._all_series()) - 1
        needed = nice_ceil(max(n, 10))
        if n > self.xmax or needed * 5 <= self.xmax:
            self.xmax = needed
            self.rescales += 1
        ranges = [s.decimator.value_range() for s in self._all_series()]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        if self.floor is not None:
            lo, hi = min(lo, self.floor), max(hi, self.floor)
        if self.ylim is not None:
            ylo, yhi = self.ylim
            inside = ylo <= lo and hi <= yhi
            too_loose = (hi - lo) * 8 < (yhi - ylo)
            if inside and not too_loose:
                return
        span = hi - lo
        if not span > 0:
            span = abs(hi) * 0.1 or 1.0
        if self.ylim is None or (hi - lo) * 8 < (self.ylim[1] - self.ylim[0]):
            pad_lo = pad_hi = span * 0.1
        else:
            # grow by the whole span on the side that was crossed, so a steady
            # trend rescales a logarithmic number of times, not every step
            pad_lo = span if lo < self.ylim[0] else span * 0.1
            pad_hi = span if hi > self.ylim[1] else span * 0.1
        ylim = (lo - pad_lo, hi + pad_hi)
        if lo >= 0.0:  # every loss here is ≥ 0: no room, and no ticks, below 0
            ylim = (max(ylim[0], 0.0), ylim[1])
        if not all(math.isfinite(v) for v in ylim):
            ylim = (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)
        self.ylim = ylim
        self.rescales += 1

    # -- drawing --

    def _rebuild(self) -> None:
        width, height = self.size
        if self._series is None or not width:
            return
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            lines = [Text("(enlarge the window", "italic"), Text(" to see the chart)", "italic")]
        else:
            self._update_axes()
            lines = self._plot_lines(width, height)
        self.set_lines(lines)

    def _plot_lines(self, width: int, height: int) -> list[Text]:
        plt = self.plt
        plt.clear_data()
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        if self._compare is not None:
            xs, ys = self._compare.decimator.points()
            plt.plot(xs, ys, marker="•")
        xs, ys = self._series.decimator.points()
        plt.plot(xs, ys, marker="braille")
        if self.floor is not None:
            plt.hline(self.floor)
        ylo, yhi = self.ylim
        plt.xlim(0, self.xmax)
        plt.ylim(ylo, yhi)
        xticks = nice_ticks(0, self.xmax, max(1, (width - Y_LABEL_WIDTH) // 8), integer=True)
        plt.xticks(xticks, [f"{int(t)}" for t in xticks])
        rows = max(1, height - 3)  # less the frame and the x labels
        yticks = nice_ticks(ylo, yhi, max(1, rows // 2))
        if self.floor is not None:
            # label the floor; drop round ticks that would share its row
            row = (yhi - ylo) / rows
            yticks = sorted([t for t in yticks if abs(t - self.floor) > 1.5 * row] + [self.floor])
        # 4 significant digits: a tick labels a row, and a row is coarse
        plt.yticks(yticks, [fmt(t, keep_zeros=False, digits=4) for t in yticks])
        text = Text.from_ansi(plt.build())
        return text.split("\n", allow_blank=True)[:height]

    def on_resize(self) -> None:
        self.forget_lines()
        for series in self._all_series():
            series.resize(self._buckets())
        self._rebuild()

    def _register_theme(self, app_theme_name: str) -> None:
        super()._register_theme(app_theme_name)
        self.forget_lines()
        self._rebuild()
