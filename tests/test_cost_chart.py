"""The cost chart: its axes fit what is drawn, its tick labels read, and a
log step axis shows a long run whole. What the chart draws is read back from
its text (labels, axis marks, braille dots) and checked against J computed
here with numpy from the engine's history, and against log10 for the step
axis, not against the chart's own arithmetic."""

import math
import random

import numpy as np
import pytest
from plotext._utility import get_matrix_data

from bptui.app import BptuiApp
from bptui.chart_axes import canvas_row, fresh_ylim, grown_ylim, linear_x_ticks, log_x_ticks, step_label, y_ticks
from bptui.cli import build_parser, join_negative_values, make_engine, scenario_from_args
from bptui.scenario import Scenario
from bptui.widgets.cost_chart import LOG_STEPS_NOTE, CostChart

BRAILLE = range(0x2801, 0x2900)  # a braille cell with at least one dot


def app_from(*argv: str) -> BptuiApp:
    """The app `bptui ARGV` opens."""
    scenario = scenario_from_args(build_parser().parse_args(join_negative_values(list(argv))))
    return BptuiApp(make_engine(scenario), scenario)


def number(label: str) -> float:
    return float(label.replace("−", "-"))


class Drawn:
    """The chart's text taken apart: the canvas rows (top first) between the
    frame, the y labels beside them, and the x axis line and its labels."""

    def __init__(self, chart: CostChart) -> None:
        lines = chart.plain_lines
        top = next(i for i, line in enumerate(lines) if "┌" in line)
        bottom = next(i for i, line in enumerate(lines) if "└" in line)
        self.axis = lines[top].index("┌")  # the column of the left axis
        self.right = lines[top].index("┐")
        self.canvas = [line[self.axis + 1 : self.right] for line in lines[top + 1 : bottom]]
        self.rows = len(self.canvas)
        # (line from the top of the canvas, label) for every labelled row
        self.y_labels = [
            (i, line[: self.axis].strip()) for i, line in enumerate(lines[top + 1 : bottom]) if line[: self.axis].strip()
        ]
        self.x_axis = lines[bottom][self.axis + 1 : self.right]
        self.x_label_line = lines[bottom + 1] if bottom + 1 < len(lines) else ""

    def dot_lines(self, column: int) -> list[int]:
        """The canvas lines (from the top) with a braille dot in `column`."""
        return [i for i, row in enumerate(self.canvas) if column < len(row) and ord(row[column]) in BRAILLE]

    def line_of(self, value: float) -> float:
        """Where `value` falls, by the two outermost y labels (linear between them)."""
        (l1, s1), (l2, s2) = self.y_labels[0], self.y_labels[-1]
        v1, v2 = number(s1), number(s2)
        return l1 + (value - v1) * (l2 - l1) / (v2 - v1)


def check_y_labels(app: BptuiApp, *, at_least: int = 2) -> Drawn:
    """Every y label distinct and a number, at least two (where the height
    allows), inside the axis, and placed where J's values are drawn."""
    chart = app.query_one(CostChart)
    drawn = Drawn(chart)
    labels = [s for _, s in drawn.y_labels]
    assert len(labels) == len(set(labels)), labels
    assert len(labels) >= min(at_least, drawn.rows), (labels, drawn.rows)
    values = [number(s) for s in labels]
    assert values == sorted(values, reverse=True), labels  # top to bottom, falling
    lo, hi = chart.ylim
    # inside the axis (the floor's label is rounded: within half a row of it)
    half_row = (hi - lo) / max(drawn.rows - 1, 1) / 2
    assert all(lo - half_row <= v <= hi + half_row for v in values), (labels, lo, hi)
    # J from the engine's own history, reckoned here: the start is drawn in the
    # first column, on the row the labels put it on
    e = app.engine
    j = e.loss_slice(0, e.step_count + 1)
    assert lo <= float(np.min(j)) and float(np.max(j)) <= hi
    if len(labels) >= 2:
        lines = drawn.dot_lines(0)
        assert lines, "no dot in the first column"
        # (a label is within half a row of its value, and a dot within one)
        assert min(abs(line - drawn.line_of(float(j[0]))) for line in lines) <= 1.5
    return drawn


def fills_the_axis(chart: CostChart, j: np.ndarray) -> float:
    """The share of the y axis that the drawn J (and the floor) spans."""
    lo, hi = float(np.min(j)), float(np.max(j))
    if chart.floor is not None:
        lo, hi = min(lo, chart.floor), max(hi, chart.floor)
    ylo, yhi = chart.ylim
    assert ylo <= lo and hi <= yhi
    return (hi - lo) / (yhi - ylo)


# --- the axes fit what is drawn now --------------------------------------------------


async def test_axes_fit_again_after_a_rule_run_a_reset_and_a_jump():
    """m, eight steps, m m, r, j: the y axis once stayed at 9–20 from the
    rule's run, and the descent was squashed into two rows."""
    app = app_from()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m", *["space"] * 8, "m", "m", "r")
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        chart = app.query_one(CostChart)
        assert app.engine.rule.correct and app.engine.step_count == 1000
        j = app.engine.loss_slice(0, 1001)
        assert fills_the_axis(chart, j) > 0.8
        drawn = check_y_labels(app)
        # the descent runs from the top row of the canvas to the floor's
        assert drawn.dot_lines(0)[0] <= 1
        # and the axes are sticky again while stepping on (step 1001 widens x
        # to 2000; the next ones move nothing)
        await pilot.press("space")
        await pilot.pause()
        before = (chart.xmax, chart.ylim, chart.rescales)
        await pilot.press("space", "space")
        await pilot.pause()
        assert (chart.xmax, chart.ylim, chart.rescales) == before and chart.xmax == 2000


async def test_axes_fit_again_after_undo():
    app = app_from("--y", "0.5")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*["space"] * 10)
        await pilot.pause()
        chart = app.query_one(CostChart)
        narrow = chart.ylim
        app.engine.set_lr(35.0)
        await pilot.press("space")  # an overshoot: J rises past the start
        await pilot.pause()
        assert app.engine.loss > app.engine.loss_at(0) and chart.ylim[1] > narrow[1]
        await pilot.press("u")
        await pilot.pause()
        assert app.engine.step_count == 10
        assert fills_the_axis(chart, app.engine.loss_slice(0, 11)) > 0.8
        check_y_labels(app)


async def test_axes_fit_another_run():
    """A replayed or new session draws another engine: the axes are its own."""
    app = app_from()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m", *["space"] * 8)
        await pilot.pause()
        other = make_engine(Scenario())
        other.step(1000)
        chart = app.query_one(CostChart)
        chart.show(other)
        await pilot.pause()
        assert fills_the_axis(chart, other.loss_slice(0, 1001)) > 0.8


async def test_axes_fit_the_other_rules_run():
    """m after a long correct run: the correct run's J and the rule's, fitted."""
    app = app_from()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m", *["space"] * 8, "m")  # the answer's slip, from the same history
        await pilot.pause()
        chart = app.query_one(CostChart)
        both = np.concatenate([app.engine.loss_slice(0, 9), np.array(chart.compare_points[1])])
        assert fills_the_axis(chart, both) > 0.8


@pytest.mark.parametrize("size, steps", [((40, 12), 50), ((80, 24), 30), ((120, 40), 100_000)])
async def test_nothing_is_drawn_below_the_floor(size, steps):
    """J never goes below the floor (9 here): no dot may sit under its line."""
    app = app_from()
    async with app.run_test(size=size) as pilot:
        app.engine.step(steps)
        app.sync()
        await pilot.pause()
        assert float(np.min(app.engine.loss_slice(0, steps + 1))) >= 9.0
        drawn = Drawn(app.query_one(CostChart))
        floor_line = next(i for i, label in drawn.y_labels if label == "9")
        assert "─" in drawn.canvas[floor_line]
        below = drawn.canvas[floor_line + 1 :]
        assert not any(ord(ch) in BRAILLE for row in below for ch in row), below


# --- tick labels --------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, keys, size",
    [
        (("--loss", "bce", "--y", "0.5"), (), (80, 24)),  # 0.6932┤ twice
        (("--loss", "bce", "--y", "0.5"), (), (120, 40)),  # 0.6932┤ seven times
        (("--loss", "bce", "--y", "0.5"), ("space",) * 3, (80, 24)),
        (("--biases", "0.1,-0.2"), (), (80, 24)),  # only 9
        (("--activation", "relu"), ("space",) * 5, (80, 24)),  # only 50
        (("--activation", "relu", "--weights", "-1,1"), ("space",) * 5, (80, 24)),  # dead from the start: flat
        ((), (), (40, 12)),
        (("--preset", "mazur"), (), (120, 40)),
    ],
)
async def test_tick_labels_are_distinct_and_read(argv, keys, size):
    app = app_from(*argv)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        check_y_labels(app)


async def test_a_flat_run_gets_labels_around_its_value():
    app = app_from("--activation", "relu", "--weights", "-1,1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*["space"] * 5)
        await pilot.pause()
        assert set(app.engine.loss_slice(0, 6)) == {16.0}
        values = [number(s) for _, s in Drawn(app.query_one(CostChart)).y_labels]
        assert min(values) <= 16.0 <= max(values)


async def test_mazur_has_y_labels_at_every_point_of_a_walk():
    """The message bar grows and shrinks during a walk, and the chart with it:
    at its shortest it once had no y label at all."""
    app = app_from("--preset", "mazur")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        heights = set()
        while app.engine.step_count < 2:
            await pilot.press("full_stop")
            await pilot.pause()
            heights.add(app.query_one(CostChart).size.height)
            check_y_labels(app)
        assert len(heights) > 1  # the chart did change height


def test_canvas_row_is_plotexts():
    rng = random.Random(5)
    for _ in range(2000):
        lo = rng.uniform(-10, 10)
        hi = lo + rng.choice([1e-6, 1e-3, 1.0, 1e3]) * rng.uniform(0.01, 1)
        rows = rng.randint(1, 40)
        v = rng.uniform(lo, hi)
        assert canvas_row(v, lo, hi, rows) == get_matrix_data([v], [lo, hi], rows)[0]


def test_y_ticks_over_many_ranges():
    """Distinct labels that parse back to the value on their row, each on a
    row of its own, at least two wherever there are two rows."""
    rng = random.Random(10)
    for _ in range(3000):
        scale = 10.0 ** rng.randint(-14, 10)
        lo = rng.uniform(0, 100) * scale * rng.choice([0.0, 1.0, 1e3])
        hi = lo + rng.uniform(1e-6, 1) * scale
        lo, hi = fresh_ylim(lo, hi)
        rows = rng.randint(1, 40)
        floor = rng.choice([None, rng.uniform(lo, hi)])
        ticks = y_ticks(lo, hi, rows, floor)
        values = [v for v, _ in ticks]
        labels = [s for _, s in ticks]
        where = (lo, hi, rows, floor, ticks)
        assert len(set(labels)) == len(labels), where
        assert all(lo <= v <= hi for v in values), where
        placed = [get_matrix_data([v], [lo, hi], rows)[0] for v in values]
        assert len(set(placed)) == len(placed), where
        assert len(ticks) >= min(2, rows), where
        assert floor is None or floor in values
        row_height = (hi - lo) / max(rows - 1, 1)
        for v, s in ticks:
            # a round value reads exactly, the floor within its row
            assert abs(number(s) - v) <= (row_height / 2 if v == floor else abs(v) * 1e-12 + row_height * 1e-6), where
            # fixed notation wherever the panes' 7 digits use it
            if 1e-4 <= abs(v) < 1e7:
                assert "e" not in s, where


def test_the_y_range_is_never_narrower_than_labels_can_tell():
    lo, hi = fresh_ylim(0.693147180559945, 0.693147180559946)
    assert hi - lo >= 0.693 * 1e-6
    labels = [s for _, s in y_ticks(lo, hi, 6)]
    assert len(labels) >= 2 and max(len(s) for s in labels) <= 10


def test_growth_is_sticky_and_by_the_whole_span():
    assert grown_ylim((0.0, 10.0), 1.0, 9.0) is None
    lo, hi = grown_ylim((0.0, 10.0), 1.0, 12.0)
    assert lo == 0.0 and hi == pytest.approx(12.0 + 11.0)


# --- the log step axis ----------------------------------------------------------------


def test_step_labels():
    assert [step_label(10**k, True) for k in range(8)] == ["1", "10", "100", "1k", "10k", "100k", "1M", "10M"]
    assert step_label(2500, True) == "2500" and step_label(50_000, True) == "50k"
    assert step_label(1000, False) == "1000"


def test_linear_x_ticks_are_compact_only_in_whole_thousands():
    assert [label for _, label in linear_x_ticks(100_000, 28)] == ["0", "50k", "100k"]
    assert [label for _, label in linear_x_ticks(10_000, 200)][:3] == ["0", "500", "1000"]
    assert [label for _, label in linear_x_ticks(1000, 28)] == ["0", "500", "1000"]


def test_log_x_ticks_thin_out_where_labels_would_touch():
    wide = [label for _, label in log_x_ticks(10_000, 60)]
    assert wide == ["1", "10", "100", "1k", "10k"]
    narrow = [label for _, label in log_x_ticks(10**7, 20)]
    assert narrow[-1] == "10M" and len(narrow) < 8


async def test_log_steps_show_a_long_descent_whole():
    app = app_from()
    async with app.run_test(size=(80, 24)) as pilot:
        app.engine.step(10_000)
        app.sync()
        await pilot.pause()
        chart = app.query_one(CostChart)
        j = app.engine.loss_slice(0, 10_001)
        # where J has made 90% of its descent, by numpy
        k90 = int(np.argmax(j <= j[-1] + 0.1 * (j[0] - j[-1])))
        columns = len(Drawn(chart).x_axis)
        assert k90 / chart.xmax * columns < 1  # linear: the whole descent in one column

        def top_dots(drawn: Drawn) -> list[int]:
            """The highest dot of each column, left to right."""
            return [min(drawn.dot_lines(c)) for c in range(len(drawn.x_axis)) if drawn.dot_lines(c)]

        # linear: J is on the floor's row from the fifth column on (the
        # decimated line reaches a bucket's end a few columns in)
        floor_line = Drawn(chart).rows - 1
        assert set(top_dots(Drawn(chart))[4:]) == {floor_line}
        assert not chart.log_steps
        await pilot.press("t")  # the stepper's log step axis, which the chart draws
        await pilot.pause()
        assert chart.log_steps and LOG_STEPS_NOTE in str(chart.border_subtitle)
        drawn = Drawn(chart)
        floor_line = drawn.rows - 1  # t's message may take a row from the chart
        # the descent now falls over many columns, row by row
        tops = top_dots(drawn)
        assert tops == sorted(tops) and set(tops) == set(range(drawn.rows))
        assert tops.index(floor_line) >= 5, tops  # 32 columns of chart at 80×24
        # decade ticks, at log10(step + 1) of the way along (plotext puts a
        # value v at floor(0.5 + (columns − 1)·v / vmax))
        assert chart.xmax == 10_000
        labels = drawn.x_label_line.split()
        assert labels == ["1", "10", "100", "1k", "10k"]
        columns = len(drawn.x_axis)
        expected = [math.floor(0.5 + (columns - 1) * math.log10(10**k + 1) / math.log10(10_001)) for k in range(5)]
        assert [c for c, ch in enumerate(drawn.x_axis) if ch == "┬"] == expected
        for k, label in enumerate(labels):  # each label stands over its mark
            at = drawn.x_label_line.index(f" {label} " if k else label) + (1 if k else 0) - drawn.axis - 1
            assert at <= expected[k] < at + len(label) + 1, (label, at, expected[k])
        # still about one point a column (a bucket keeps its min and max), the
        # start among them, in order
        xs, ys = chart.points
        assert len(xs) <= columns and xs[0] == 0 and xs == sorted(set(xs))
        assert all(j[x] == y for x, y in zip(xs, ys))
        check_y_labels(app)
        # and back
        await pilot.press("t")
        await pilot.pause()
        assert not chart.log_steps and LOG_STEPS_NOTE not in str(chart.border_subtitle)
        assert Drawn(chart).x_label_line.split()[-1] == "10k"


@pytest.mark.parametrize("history", [10, 1_000_000])
async def test_a_log_step_reads_one_value_at_any_history(history):
    app = app_from("--max-history", "2000000")
    async with app.run_test(size=(80, 24)) as pilot:
        app.engine.step(history)
        app.sync()
        await pilot.pause()
        chart = app.query_one(CostChart)
        await pilot.press("t")  # the stepper's log step axis, which the chart draws
        await pilot.pause()
        read = []
        real = app.engine.loss_slice
        app.engine.loss_slice = lambda a, b: (read.append(b - a), real(a, b))[1]
        await pilot.press("space")
        await pilot.pause()
        assert read == [1]
        assert len(chart.points[0]) <= chart.size.width


@pytest.mark.parametrize("log", [False, True])
async def test_an_undo_reads_a_few_thousand_values_at_a_million_steps(log):
    """The last bucket spans hundreds of thousands of steps (on the log axis,
    the last octaves): an undo must not read it all."""
    app = app_from("--max-history", "2000000")
    async with app.run_test(size=(80, 24)) as pilot:
        app.engine.step(1_000_000)
        app.sync()
        await pilot.pause()
        chart = app.query_one(CostChart)
        if log:
            await pilot.press("t")
        await pilot.pause()
        read = []
        real = app.engine.loss_slice
        app.engine.loss_slice = lambda a, b: (read.append(b - a), real(a, b))[1]
        await pilot.press("u")
        await pilot.pause()
        assert app.engine.step_count == 999_999 and chart.points[0][-1] == 999_999
        assert 0 < sum(read) <= 4096


async def test_log_steps_beside_a_mistaken_rule():
    app = app_from()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m", *["space"] * 6)
        await pilot.pause()
        chart = app.query_one(CostChart)
        await pilot.press("t")  # the stepper's log step axis, which the chart draws
        await pilot.pause()
        assert str(chart.border_subtitle) == f"── floor 9 · {LOG_STEPS_NOTE}"
        correct = make_engine(Scenario())
        correct.step(6)
        xs, ys = chart.compare_points
        assert xs == list(range(7)) and ys == [correct.loss_at(k) for k in range(7)]
        check_y_labels(app)


# --- a drawing is skipped only when plotext would draw the same --------------------


@pytest.mark.parametrize("argv", [(), ("--loss", "bce", "--y", "0.5"), ("--preset", "mazur")])
async def test_a_skipped_drawing_is_what_plotext_would_draw(argv):
    """The chart asks plotext to draw only when a dot would move. Through a
    long session (runs of steps of every length, undo, a mistaken rule beside
    the correct one, the log step axis, a reset), what is on screen always
    equals a drawing forced afresh; and many steps draw nothing new."""
    app = app_from(*argv)
    rng = random.Random(7)
    # None: a run of steps of random length, taken straight on the engine
    script = [None] * 40 + ["u", "u", "m", *[None] * 15, "t", *[None] * 40, "t", "m", "m", *[None] * 15, "r", None]
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(CostChart)
        await pilot.pause()
        skipped = drawn = 0
        for key in script:
            builds = chart.builds
            if key is None:
                app.engine.step(rng.choice([1, 1, 2, 3, 7, 40, 300]))
                app.sync()
            else:
                await pilot.press(key)
            await pilot.pause()
            skipped += chart.builds == builds
            drawn += chart.builds != builds
            shown = [line.copy() for line in chart._lines]
            chart._drawn_key = None
            chart._rebuild()
            assert chart._lines == shown, f"after {key or 'steps'} at step {app.engine.step_count}"
        assert skipped >= 10 and drawn >= 10
