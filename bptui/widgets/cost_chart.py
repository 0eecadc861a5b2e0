"""Cost chart: J against step, drawn by plotext (through textual-plotext).

Three things keep a step cheap however long the history:
* the series is min/max-decimated incrementally (bptui.decimate), at most about
  one point per column, so drawing costs the same at step 10 and step 10^6;
* the axes are sticky while the run only lengthens: they change only when a
  point leaves them (x grows in 1-2-5 steps, or by decades on the log axis;
  y by the whole span), because a rescale moves every cell. Whenever what is
  drawn changes otherwise (undo, reset, another run, another rule, the other
  step axis, a new size) they are fitted afresh to what is drawn now;
* only the chart lines whose text changed are repainted.

The step axis is linear, or logarithmic (log_steps) so that a long run's early
descent and its tail both show.
"""

from __future__ import annotations

from plotext._utility import get_matrix_data, marker_factor
from rich.text import Text
from textual_plotext import PlotextPlot

from bptui.chart_axes import (
    fresh_ylim,
    grown_ylim,
    linear_x_ticks,
    linear_xmax,
    log_position,
    log_x_ticks,
    log_xmax,
    y_ticks,
)
from bptui.engine import Engine
from bptui.numfmt import fmt
from bptui.series import CorrectRun, LossSeries
from bptui.widgets.line_pane import DiffLines

MIN_WIDTH = 16  # below this (or MIN_HEIGHT) a plot is unreadable: say so instead
MIN_HEIGHT = 4
Y_LABEL_WIDTH = 8  # y labels and axes, roughly: what the bucket count leaves out of the width
FRAME_ROWS = 3  # the canvas is the height less the top and bottom axes and the x labels
LOG_STEPS_NOTE = "log step axis"  # on the bottom border while the step axis is logarithmic


class CostChart(DiffLines, PlotextPlot):
    def __init__(self, *, loss: str = "J", floor: float | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        # the least the loss can approach (drawn as a ── line and kept in view)
        self._loss = loss
        self.set_floor(floor)
        self._series: LossSeries | None = None
        self._compare: LossSeries | None = None  # the correct run, beside a mistaken rule
        self._labels: tuple[str, str] = ("", "")  # the runs named in the title: another rule, other names
        self._log_steps = False
        self._refit = True  # fit the axes afresh at the next drawing
        self.xmax: int = 10  # the last step the x axis shows
        self.ylim: tuple[float, float] | None = None
        self.rescales = 0  # how many times the axes moved (tests read it)
        self.builds = 0  # how many times plotext drew (tests read it)
        self._y_ticks: tuple[tuple, list[tuple[float, str]]] | None = None  # (key, ticks), cached
        self._decoded: dict[str, Text] = {}  # the last drawing's lines, by their ANSI text
        self._drawn_key: tuple | None = None  # all that decides the last drawing
        self._built: list[Text] | None = None  # and its lines
        self._init_lines()

    def set_floor(self, floor: float | None) -> None:
        """The least the loss can approach (a target set by hand moves it)."""
        self.floor = floor
        self._title = f"{self._loss} by step"
        if floor is not None:
            self._title += f"  (── floor {fmt(floor, keep_zeros=False)})"
        self.border_title = self._title
        self._refit = True
        self._y_ticks = None

    # -- data --

    def show(self, engine: Engine, compare: CorrectRun | None = None, labels: tuple[str, str] = ("", "")) -> None:
        """Draw engine's J; with `compare`, the correct run too, as a second
        series (labels name the two in the title)."""
        scale = self._scale
        if self._series is None or self._series.engine is not engine:
            self._series = LossSeries(engine, self._buckets(), scale)
            self._refit = True
        elif self._series.sync():
            self._refit = True
        if compare is None:
            if self._compare is not None:
                self._refit = True
            self._compare = None
        else:
            compare.sync()
            if self._compare is None or self._compare.engine is not compare.shadow:
                self._compare = LossSeries(compare.shadow, self._buckets(), scale)
                self._refit = True
            elif self._compare.sync():
                self._refit = True
        if labels != self._labels:  # another rule: its run is drawn from here on
            self._labels = labels
            self._refit = True
        self._set_borders(compare is not None)
        self._rebuild()

    def _set_borders(self, comparing: bool) -> None:
        title, notes = self._title, []
        if comparing:
            title = f"{self._loss}: ⣿ {self._labels[0]} • {self._labels[1]}"
            # the title has no room left for the floor: the bottom border says it
            if self.floor is not None:
                notes.append(f"── floor {fmt(self.floor, keep_zeros=False)}")
        if self._log_steps:
            notes.append(LOG_STEPS_NOTE)
        subtitle = " · ".join(notes)
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    @property
    def _scale(self) -> str:
        return "log" if self._log_steps else "linear"

    def _buckets(self) -> int:
        # two points a bucket: about one point a column
        return max(2, (self.size.width - Y_LABEL_WIDTH) // 2)

    def _all_series(self) -> list[LossSeries]:
        return [s for s in (self._series, self._compare) if s is not None]

    @property
    def points(self) -> tuple[list[int], list[float]]:
        """The drawn (step, J) points of the run."""
        return self._series.decimator.points()

    @property
    def compare_points(self) -> tuple[list[int], list[float]] | None:
        return None if self._compare is None else self._compare.decimator.points()

    # -- the step axis --

    @property
    def log_steps(self) -> bool:
        """True while the step axis is logarithmic."""
        return self._log_steps

    def set_log_steps(self, on: bool) -> None:
        """A logarithmic step axis (on) or a linear one. The series are
        decimated again into buckets of equal width on the new axis (one pass
        over the history, once), and the axes fitted afresh."""
        if on == self._log_steps:
            return
        self._log_steps = on
        for series in self._all_series():
            series.rebuild(self._buckets(), self._scale)
        self._refit = True
        self._set_borders(self._compare is not None)
        self._rebuild()

    # -- axes --

    def _update_axes(self) -> None:
        last = max(s.decimator.n for s in self._all_series()) - 1
        ranges = [s.decimator.value_range() for s in self._all_series()]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        if self.floor is not None:
            lo, hi = min(lo, self.floor), max(hi, self.floor)
        # the least J can be: the floor, else 0 (every loss here is ≥ 0)
        least = 0.0 if self.floor is None else self.floor
        xmax, ylim = self.xmax, self.ylim
        if self._refit or ylim is None:
            self._refit = False
            xmax = log_xmax(last) if self._log_steps else linear_xmax(last)
            ylim = fresh_ylim(lo, hi, least)
        else:
            if last > xmax:
                xmax = log_xmax(last) if self._log_steps else linear_xmax(last)
            ylim = grown_ylim(ylim, lo, hi, least) or ylim
        if (xmax, ylim) != (self.xmax, self.ylim):
            self.xmax, self.ylim = xmax, ylim
            self.rescales += 1

    def _ticks_for_y(self, rows: int) -> list[tuple[float, str]]:
        # the tick search is worth keeping: the axes seldom move
        key = (self.ylim, rows, self.floor)
        if self._y_ticks is None or self._y_ticks[0] != key:
            self._y_ticks = (key, y_ticks(*self.ylim, rows, self.floor))
        return self._y_ticks[1]

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

    def _x(self, steps: list[int]) -> list[float]:
        if self._log_steps:
            return [log_position(k) for k in steps]
        return steps

    def _plot_lines(self, width: int, height: int) -> list[Text]:
        ylo, yhi = self.ylim
        yticks = self._ticks_for_y(max(1, height - FRAME_ROWS))
        # plotext's canvas: the width less the labels and the two axis lines
        columns = width - max(len(label) for _, label in yticks) - 2
        if self._log_steps:
            xlim = (0, log_position(self.xmax))
            xticks = log_x_ticks(self.xmax, columns)
        else:
            xlim = (0, self.xmax)
            xticks = linear_x_ticks(self.xmax, columns)
        series = [(self._compare, "•"), (self._series, "braille")] if self._compare is not None else [(self._series, "braille")]
        plotted = [(self._x(xs), ys, marker) for s, marker in series for xs, ys in [s.decimator.points()]]
        # most steps of a long run move no dot: build only when one moves
        key = (
            width, height, self.app.theme, self.floor, xlim, (ylo, yhi), tuple(xticks), tuple(yticks),
            *(dots(xs, ys, marker, xlim, (ylo, yhi), columns, height - FRAME_ROWS) for xs, ys, marker in plotted),
        )
        if key == self._drawn_key and self._built is not None:
            return self._built
        plt = self.plt
        plt.clear_data()
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        for xs, ys, marker in plotted:
            plt.plot(xs, ys, marker=marker)
        if self.floor is not None:
            plt.hline(self.floor)
        plt.ylim(ylo, yhi)
        plt.yticks([v for v, _ in yticks], [label for _, label in yticks])
        plt.xlim(*xlim)
        plt.xticks([v for v, _ in xticks], [label for _, label in xticks])
        # a step changes a few of the lines: decode only those (plotext ends
        # every line with a reset, so a line decodes the same on its own)
        decoded, self._decoded = self._decoded, {}
        lines = []
        for ansi in plt.build().split("\n")[:height]:
            text = decoded.get(ansi) or self._decoded.get(ansi) or Text.from_ansi(ansi)
            self._decoded[ansi] = text
            lines.append(text)
        self._drawn_key, self._built = key, lines
        self.builds += 1
        return lines

    def on_resize(self) -> None:
        self.forget_lines()
        self._drawn_key = self._built = None
        for series in self._all_series():
            # the buckets follow the width only: a height change (the message
            # bar growing mid-walk) keeps them
            if series.decimator.max_buckets != self._buckets():
                series.rebuild(self._buckets(), self._scale)
        self._refit = True
        self._rebuild()

    def _register_theme(self, app_theme_name: str) -> None:
        super()._register_theme(app_theme_name)
        self.forget_lines()
        self._drawn_key = self._built = None
        self._rebuild()


def dots(xs: list[float], ys: list[float], marker: str, xlim: tuple[float, float], ylim: tuple[float, float],
         columns: int, rows: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where plotext puts each point on its canvas, in its own sub-cells (a
    braille cell is 2 by 4 dots), computed by plotext's own mapping: equal
    for two series exactly when plotext draws them alike."""
    x_bins = columns * marker_factor(marker, 2, 2, 2)
    y_bins = rows * marker_factor(marker, 2, 3, 4)
    return tuple(get_matrix_data(xs, xlim, x_bins)), tuple(get_matrix_data(ys, ylim, y_bins))
