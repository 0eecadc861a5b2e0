"""Pilot tests: press keys, then read what the panes show. The question's
numbers are checked against hand algebra (hand_state, not the engine) and the
reference values; other networks' against a separately built engine, whose
own numbers tests/test_engine.py checks by finite differences and by hand."""

import io
import math
import re

import pytest
from rich.console import Console

from bptui.app import BptuiApp
from bptui.cli import make_engine
from bptui.numfmt import fmt
from bptui.scenario import Scenario
from bptui.screens.help_screen import HelpScreen
from bptui.widgets.cost_chart import CostChart
from bptui.widgets.forward_pane import ForwardPane
from bptui.widgets.gradient_pane import GradientPane
from bptui.widgets.message_bar import MessageBar
from bptui.widgets.status_pane import StatusPane
from bptui.walk import operations, view
from tests.reference import AFTER_ONE_STEP, GRADS, START

NUMBER = re.compile(r"[−-]?\d+\.\d+(?:e[−-]?\d+)?")


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def app_for(**kw) -> BptuiApp:
    s = Scenario(**kw)
    return BptuiApp(make_engine(s), s)


def pane_values(pane) -> dict[str, float]:
    """The value on each row of a pane, keyed by the row's first word."""
    out = {}
    for line in pane.plain_lines:
        found = NUMBER.findall(line)
        words = line.replace("◆", " ").replace("=", " ").split()
        if found and words:
            out[words[0]] = number(found[-1])
    return out


def hand_state(x, y, w1, w2):
    """Every quantity the screen shows, by hand algebra."""
    z1 = w1 * x
    h = 1 / (1 + math.exp(-z1))
    z2 = w2 * h
    o = 1 / (1 + math.exp(-z2))
    J = (o - y) ** 2
    dJ_do = 2 * (o - y)
    do_dz2 = o * (1 - o)
    dh_dz1 = h * (1 - h)
    return {
        "forward": {"x": x, "w1": w1, "z1": z1, "h": h, "w2": w2, "z2": z2, "o": o, "y": y, "J": J},
        "w2": {"dJ/do": dJ_do, "do/dz2": do_dz2, "dz2/dw2": h, "=": dJ_do * do_dz2 * h},
        "w1": {
            "dJ/do": dJ_do,
            "do/dz2": do_dz2,
            "dz2/dh": w2,
            "dh/dz1": dh_dz1,
            "dz1/dw1": x,
            "=": dJ_do * do_dz2 * w2 * dh_dz1 * x,
        },
    }


def grad_values(pane: GradientPane) -> dict[str, float]:
    """Each factor row's value by its symbol, the product under "=", and the
    finite-difference row's estimate under "fd" (its error under "fd err").
    The running product beside (or under) a factor is under "↳" + symbol."""
    return grad_rows(pane)[0]


def grad_rows(pane: GradientPane) -> tuple[dict[str, float], dict[str, float]]:
    """(grad_values, the running products by their factor's symbol)."""
    out, running = {}, {}
    last = None
    for line in pane.plain_lines:
        found = NUMBER.findall(line)
        if line.startswith(("  finite diff, err ", "  finite diff, noise ±")):
            err = line.split("err " if " err " in line else "±")[1].split()[0]
            out["fd noise" if "noise" in line else "fd err"] = number(err)
            out["fd"] = number(found[-1])
            continue
        if not found:
            continue
        if line.startswith("  ↳ "):  # stacked: the running product under its factor
            running[last] = number(found[-1])
            continue
        if line.startswith("="):
            out["="] = number(found[-1])
            continue
        last = line[2:].split()[0]
        # formulas hold no decimal point: the factor, then (side by side) the running product
        out[last] = number(found[0])
        if len(found) > 1:
            running[last] = number(found[-1])
    return out, running


def assert_screen_matches(app: BptuiApp, x: float, y: float, w1: float, w2: float) -> None:
    want = hand_state(x, y, w1, w2)
    shown = pane_values(app.query_one(ForwardPane))
    assert shown.keys() == want["forward"].keys()
    for k, v in want["forward"].items():
        # 7 significant digits on screen
        assert shown[k] == pytest.approx(v, rel=6e-7, abs=1e-300), k
    for p in ("w1", "w2"):
        shown = grad_values(app.query_one(f"#grad-{p}", GradientPane))
        fd, err = shown.pop("fd"), shown.pop("fd err")
        assert shown.keys() == want[p].keys()
        for k, v in want[p].items():
            assert shown[k] == pytest.approx(v, rel=6e-7), (p, k)
        # the check: a central difference of the hand-written loss, and a small error
        h = (2.0**-52) ** (1 / 3) * max(1.0, abs(w1 if p == "w1" else w2))
        def loss_at(d, p=p):
            a, b = (w1 + d, w2) if p == "w1" else (w1, w2 + d)
            return hand_state(x, y, a, b)["forward"]["J"]
        assert fd == pytest.approx((loss_at(h) - loss_at(-h)) / (2 * h), rel=1e-6)
        assert 0 <= err < 1e-6


def screen_text(app: BptuiApp) -> str:
    """What the terminal shows, as plain text (what Textual's screenshot draws)."""
    w, h = app.size
    console = Console(width=w, height=h, file=io.StringIO(), color_system=None, record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def message(app: BptuiApp) -> str:
    """The bottom line's text (a long one wraps onto a second line)."""
    return " ".join(line.strip() for line in app.query_one(MessageBar).message.plain_lines)


def status(app: BptuiApp) -> list[str]:
    return app.query_one(StatusPane).plain_lines


# --- the start and one step ------------------------------------------------------


async def test_start_shows_the_reference_numbers():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = pane_values(app.query_one(ForwardPane))
        for k, v in START.items():
            assert shown[k] == pytest.approx(v, rel=6e-7)
        assert grad_values(app.query_one("#grad-w2", GradientPane))["="] == pytest.approx(GRADS["w2"], rel=6e-7)
        assert grad_values(app.query_one("#grad-w1", GradientPane))["="] == pytest.approx(GRADS["w1"], rel=6e-7)
        w1, w2 = Scenario().initial_weights()
        assert_screen_matches(app, 2.0, 4.0, w1, w2)
        assert status(app)[0].startswith("step 0")
        assert "J can near (1 − y)² = 9, never 0" in message(app)


async def test_shared_factors_are_marked_in_both_panes():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for p, other in (("w1", "w2"), ("w2", "w1")):
            pane = app.query_one(f"#grad-{p}", GradientPane)
            marked = [line.split()[1] for line in pane.plain_lines if line.startswith("◆")]
            assert marked == ["dJ/do", "do/dz2"]
            assert f"shared with dJ/d{other}" in str(pane.border_title)


@pytest.mark.parametrize("key", ["space", "n"])
async def test_step_key_takes_one_step(key):
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert app.engine.step_count == 1
        shown = pane_values(app.query_one(ForwardPane))
        for k in ("w1", "w2", "J"):
            assert shown[k] == pytest.approx(AFTER_ONE_STEP[k], rel=6e-7)
        w1, w2 = app.engine.params
        assert_screen_matches(app, 2.0, 4.0, w1, w2)
        lines = status(app)
        assert lines[0].startswith("step 1") and "lr 0.5" in lines[0]
        assert lines[3] == "w2:  0.02075195 → 0.7406864"
        assert lines[4].strip() == "(− 0.5 × −1.439869)"
        assert lines[1] == "w1:  0.7713206 → 0.7765841"
        assert lines[2].strip() == "(− 0.5 × −0.01052685)"


async def test_many_steps_keep_every_number_right():
    app = app_for(x=-1.5, y=0.3, weights=(0.8, -1.2), lr=2.0)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            await pilot.press("space")
        await pilot.pause()
        # replay the updates by hand
        w1, w2 = 0.8, -1.2
        for _ in range(3):
            g = hand_state(-1.5, 0.3, w1, w2)
            w1, w2 = w1 - 2.0 * g["w1"]["="], w2 - 2.0 * g["w2"]["="]
        assert_screen_matches(app, -1.5, 0.3, w1, w2)
        assert app.engine.params == pytest.approx((w1, w2), rel=1e-12)


# --- undo and reset -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["u", "backspace"])
async def test_undo_restores_bit_for_bit(key):
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        e = app.engine
        await pilot.press("space", "space")
        await pilot.pause()
        after_one = None
        await pilot.press(key)
        await pilot.pause()
        assert e.step_count == 1
        after_one = (e.params, e.trace.values, e.trace.adjoints)
        forward_after_one = app.query_one(ForwardPane).plain_lines
        await pilot.press("space", key)
        await pilot.pause()
        assert (e.params, e.trace.values, e.trace.adjoints) == after_one
        assert app.query_one(ForwardPane).plain_lines == forward_after_one
        await pilot.press(key, key)
        await pilot.pause()
        assert e.step_count == 0
        assert "Nothing to undo" in message(app)


async def test_reset_returns_to_the_start():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        start_lines = app.query_one(ForwardPane).plain_lines
        start_params = app.engine.params
        for _ in range(5):
            await pilot.press("space")
        await pilot.press("r")
        await pilot.pause()
        assert app.engine.step_count == 0
        assert app.engine.params == start_params
        assert app.query_one(ForwardPane).plain_lines == start_lines
        assert status(app)[0].startswith("step 0")


# --- the learning rate -------------------------------------------------------------


async def test_plus_and_minus_double_and_halve():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus")
        await pilot.pause()
        assert app.engine.lr == 1.0
        assert "lr 1" in status(app)[0]
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert app.engine.lr == 0.25
        await pilot.press("space")
        await pilot.pause()
        assert "(− 0.25 × " in status(app)[2]


async def test_doubling_past_the_largest_double_is_refused():
    app = app_for(lr=1e308)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus")
        await pilot.pause()
        assert app.engine.lr == 1e308
        assert message(app).startswith("! The learning rate stays 1e308") and "overflows" in message(app)


async def test_the_tiniest_rates_are_taken_and_halving_never_rounds():
    """Any positive double is a rate, subnormal ones too; - refuses a halving
    that would round (so + always gives the old rate back) or reach 0."""
    app = app_for(lr=2.0**-1030)  # subnormal, and a power of 2: halving is exact
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert app.engine.lr == 2.0**-1032
        await pilot.press("plus", "plus")
        await pilot.pause()
        assert app.engine.lr == 2.0**-1030
        await type_rate(pilot, "5e-324")  # the smallest double
        await pilot.press("enter")
        await pilot.pause()
        assert app.engine.lr == 5e-324
        await pilot.press("minus")
        await pilot.pause()
        assert app.engine.lr == 5e-324 and "underflows to 0" in message(app)
        await type_rate(pilot, "1.5e-323")  # three times the smallest: half of it rounds
        await pilot.press("enter", "minus")
        await pilot.pause()
        assert app.engine.lr == 1.5e-323 and "would round" in message(app)
        await pilot.press("space")
        await pilot.pause()
        assert app.engine.step_count == 1


async def type_rate(pilot, text: str) -> None:
    await pilot.press("l")
    await pilot.pause()
    bar = pilot.app.query_one(MessageBar)
    assert bar.has_class("-editing") and pilot.app.asking is bar.prompt
    await type_answer(pilot, text)


async def type_answer(pilot, text: str) -> None:
    """Replace the open question's answer with `text`, key by key, and Enter."""
    await pilot.press("backspace")  # the default answer is selected: it goes
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.press("enter")
    await pilot.pause()


async def test_typed_rate_is_set():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await type_rate(pilot, "0.125")
        assert app.engine.lr == 0.125
        bar = app.query_one(MessageBar)
        assert not bar.has_class("-editing")
        assert "Learning rate 0.125" in message(app)
        await pilot.press("space")  # keys work again once the input closes
        await pilot.pause()
        assert app.engine.step_count == 1


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "is empty"),
        ("abc", "must be a number, not 'abc'"),
        ("0", "must be positive"),
        ("-1", "must be positive"),
        ("nan", "not nan"),
        ("inf", "must be finite"),
        ("1e999", "too large"),
        ("1e-400", "underflows to 0"),
        ("1_0", "written with 0-9"),  # float() would read 10
        ("１", "written with 0-9"),
    ],
)
async def test_bad_rates_are_refused_with_a_reason(text, reason):
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await type_rate(pilot, text)
        assert app.engine.lr == 0.5
        bar = app.query_one(MessageBar)
        assert bar.has_class("-editing") and bar.has_class("-error")
        assert reason in app.query_one(MessageBar).reason
        await pilot.press("escape")
        await pilot.pause()
        assert not bar.has_class("-editing")
        assert app.engine.lr == 0.5
        assert "unchanged: 0.5" in message(app)


async def test_escape_cancels_an_edit():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "9")
        await pilot.press("escape")
        await pilot.pause()
        assert app.engine.lr == 0.5
        await pilot.press("space")
        await pilot.pause()
        assert app.engine.step_count == 1


# --- divergence ----------------------------------------------------------------------


async def test_divergence_is_explained_and_recoverable():
    app = app_for(y=1e150, lr=1e300)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert app.engine.step_count == 0
        text = message(app)
        assert text.startswith("! Step 1 not taken") and "w2 = +inf" in text
        await pilot.press("space")
        await pilot.pause()
        assert app.engine.step_count == 0 and "not taken" in message(app)
        await type_rate(pilot, "1")
        await pilot.press("space")
        await pilot.pause()
        assert app.engine.step_count == 1
        assert all(math.isfinite(v) for v in app.engine.params)


async def test_huge_rate_never_crashes():
    app = app_for(lr=1e12)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(20):
            await pilot.press("space")
        await pilot.pause()
        assert app.engine.step_count == 20
        assert all(math.isfinite(v) for v in pane_values(app.query_one(ForwardPane)).values())


# --- help, quit ----------------------------------------------------------------------


async def test_help_screen_opens_and_closes():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain_text()
        for key in ("space, n", "u, backspace", "+  -", "dh/dz1 = h(1 − h)", "dz1/dw1 = x"):
            assert key in text
        await pilot.press("space")  # no step while help is up
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.engine.step_count == 0


async def test_q_quits():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_footer_lists_the_keys():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = {key for key, _, _ in app.keys_footer.items}
        assert {"space", "l", "equals_sign", "plus", "u", "r", "question_mark", "q"} <= shown
        line = app.keys_footer.render().plain
        assert line.startswith(" space Step  . , Walk  l Rate ") and line.endswith(" ? Help  q Quit ")


@pytest.mark.parametrize("width", [20, 40])
async def test_help_and_quit_stay_in_the_footer_with_the_forward_pane_focused(width):
    app = app_for()
    async with app.run_test(size=(width, 12)) as pilot:
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is app.forward
        line = app.keys_footer.render().plain
        assert "? Help" in line and "q Quit" in line and len(line) <= width
        assert ("←→ Nudge" in line) == (width >= 40)


async def test_the_footer_says_how_to_answer_a_question_and_goes_back():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert app.keys_footer.render().plain == " ⏎ Answer  esc Cancel "
        await pilot.press("escape")
        await pilot.pause()
        assert "space Step" in app.keys_footer.render().plain


async def test_clicking_a_key_in_the_footer_does_what_the_key_does():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = app.keys_footer.render().plain
        await pilot.click(app.keys_footer, offset=(line.index("Step"), 0))
        await pilot.pause()
        assert app.engine.step_count == 1
        await pilot.click(app.keys_footer, offset=(line.index("Undo"), 0))
        await pilot.pause()
        assert app.engine.step_count == 0


# --- small and resized terminals, NO_COLOR ----------------------------------------------


@pytest.mark.parametrize("size", [(40, 12), (20, 6), (60, 20), (120, 40)])
async def test_any_size_works(size):
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await pilot.press("space", "space", "u", "plus")
        await pilot.pause()
        assert app.engine.step_count == 1
        assert app.screen.has_class("-narrow") == (size[0] < 78)


async def test_resizing_keeps_working():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        for size in ((40, 12), (10, 4), (100, 30), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.press("space")
            await pilot.pause()
        assert app.engine.step_count == 5
        assert pane_values(app.query_one(ForwardPane))["J"] == pytest.approx(app.engine.loss, rel=6e-7)


async def test_no_color_keeps_meaning(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(y=1e150, lr=1e300)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        from textual.filter import Monochrome

        assert app.no_color and any(isinstance(f, Monochrome) for f in app._filters)
        # warnings and shared factors are marked with characters, not color
        assert message(app).startswith("! ")
        assert sum(line.startswith("◆") for line in app.query_one("#grad-w1", GradientPane).plain_lines) == 2
        assert app.query_one(CostChart).plain_lines


# --- the chart -------------------------------------------------------------------------


async def test_the_chart_never_shows_room_below_zero():
    """J ≥ 0 for every loss: a run falling towards 0 gets no negative ticks."""
    app = app_for(activation="tanh", y=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            await pilot.press("space")
        await pilot.pause()
        chart = app.query_one(CostChart)
        assert chart.ylim[0] >= 0.0
        assert not any("−" in line.split("┤")[0] for line in chart.plain_lines if "┤" in line)


async def test_chart_axes_are_sticky():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chart = app.query_one(CostChart)
        for _ in range(60):
            await pilot.press("space")
        await pilot.pause()
        # 60 steps of a falling J move the axes a handful of times, not 60
        assert chart.rescales <= 8
        before = (chart.xmax, chart.ylim, chart.rescales)
        await pilot.press("space")
        await pilot.pause()
        assert (chart.xmax, chart.ylim, chart.rescales) == before
        lo, hi = chart.ylim
        xs, ys = chart.points
        assert all(lo <= y <= hi for y in ys) and max(xs) <= chart.xmax


async def test_chart_draws_about_one_point_per_column_at_any_history():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        app.engine.step(100_000)
        app.sync()
        await pilot.pause()
        chart = app.query_one(CostChart)
        xs, ys = chart.points
        assert len(xs) <= chart.size.width
        assert xs[0] == 0 and xs[-1] > 99_000
        assert chart.xmax == 100_000
        assert ys[0] == app.engine.loss_at(0)
        await pilot.press("u")
        await pilot.pause()
        assert chart.points[0][-1] <= 99_999


# --- other networks -------------------------------------------------------------------


async def test_six_layer_chain_shows_one_chosen_chain_and_the_vanishing_gradient():
    app = app_for(layers=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.query_one(GradientPane)
        assert pane.param == "w1" and "1/6" in str(pane.border_title)
        t = app.engine.trace
        shown = grad_values(pane)
        assert shown["="] == pytest.approx(t.grad("w1"), rel=6e-7)
        # 13 factors, each with its running product under it (80 columns are
        # too few for both side by side here), the product, the check
        assert len(pane.plain_lines) == 28
        _, running = grad_rows(pane)
        # 4 digits in the running column
        assert running["dz1/dw1"] == pytest.approx(t.grad("w1"), rel=5e-4)
        assert running["da3/dz3"] == pytest.approx(t.adjoints["z3"], rel=5e-4)
        # dJ/dw1 ≈ 2e−6 beside J ≈ 12: rounding limits the finite difference,
        # and the row says so (its noise, not an error of backprop's)
        assert shown["fd"] == pytest.approx(t.grad("w1"), rel=1e-3)
        assert abs(shown["fd"] - t.grad("w1")) <= shown["fd noise"] and "fd err" not in shown
        text = " ".join(status(app))
        ratio = abs(t.grad("w6")) / abs(t.grad("w1"))
        assert "dJ/dw1 is" in text and "smaller than dJ/dw6" in text
        assert number(re.search(r"is ([\d,]+)×", text).group(1).replace(",", "")) == round(ratio)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert pane.param == "w2" and "2/6" in str(pane.border_title)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert pane.param == "w6"
        assert grad_values(pane)["="] == pytest.approx(t.grad("w6"), rel=6e-7)
        await pilot.press("space")
        await pilot.pause()
        assert status(app)[-2].startswith("w6:")


async def test_mazur_shows_both_paths_and_their_sum():
    app = app_for(preset="mazur")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.query_one(GradientPane)
        t = app.engine.trace
        lines = pane.plain_lines
        assert lines[0] == "path 1 via E1, o1, zo1"
        assert any(line.startswith("path 2 via E2, o2, zo2") for line in lines)
        products = [number(NUMBER.findall(line)[-1]) for line in lines if "product" in line]
        assert products == pytest.approx(t.path_products("w1"), rel=6e-7)
        total = lines[-2]
        assert total.startswith("= dE/dw1") and "sum" in total
        assert number(NUMBER.findall(total)[-1]) == pytest.approx(t.grad("w1"), rel=6e-7)
        assert number(NUMBER.findall(total)[-1]) == pytest.approx(0.000438568, abs=5e-10)
        assert grad_values(pane)["fd"] == pytest.approx(t.grad("w1"), rel=1e-6)
        forward = pane_values(app.query_one(ForwardPane))
        assert forward["E"] == pytest.approx(0.298371109, abs=5e-8)
        for _ in range(4):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        assert pane.param == "w5" and sum(1 for line in pane.plain_lines if "path" in line) == 0


def test_help_lists_every_key_the_app_binds():
    from textual.keys import key_to_character

    from bptui.screens.help_screen import KEYS

    named = {"space": "space", "backspace": "backspace", "plus": "+", "minus": "-", "ctrl+c": "Ctrl-C",
             "ctrl+q": "Ctrl-Q", "enter": "Enter", "escape": "Escape"}  # fmt: skip
    listed = {token for keys, _ in KEYS for token in re.split(r",\s+|\s+", keys)}
    for binding in BptuiApp.BINDINGS:
        key = named.get(binding.key) or key_to_character(binding.key)
        assert key in listed, f"{binding.key} ({binding.description}) is missing from the help"


async def test_curly_brackets_say_why_when_they_cannot_act():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right_curly_bracket")
        await pilot.pause()
        assert "this network has two, and the landscape shows both" in message(app)
    app = app_for(preset="mazur")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("left_curly_bracket")
        await pilot.pause()
        assert "v opens the landscape" in message(app)


async def test_help_explains_this_networks_factors():
    app = app_for(layers=3, activation="tanh", biases=(0.1, 0.2, 0.3))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = app.screen.plain_text()
        assert "da1/dz1 = 1 − a1²" in text and "dz1/db1 = 1" in text
        assert "dJ/db1 = dJ/do · do/dz3 · dz3/da2 · da2/dz2 · dz2/da1 · da1/dz1 · dz1/db1" in text


# --- gradient check, play, jump ----------------------------------------------------------


async def test_at_a_minimum_the_check_shows_its_noise_not_err_1():
    app = app_for(activation="tanh", y=0.5, biases=(0.1, 0.2), lr=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        app.engine.step(10_000)
        app.sync()
        await pilot.pause()
        line = grad_values_line(app.query_one(GradientPane), "  finite diff")
        assert "finite diff, ±" in line and "err" not in line, line


async def test_g_toggles_the_finite_difference_check():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.query_one("#grad-w1", GradientPane)
        assert "fd" in grad_values(pane)
        params = app.engine.params
        await pilot.press("g")
        await pilot.pause()
        assert "fd" not in grad_values(pane) and len(pane.plain_lines) == 6
        await pilot.press("g")
        await pilot.pause()
        assert "fd" in grad_values(pane)
        assert app.engine.params == params and app.engine.step_count == 0  # checking never steps


async def test_play_pauses_and_changes_speed():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("greater_than_sign", "greater_than_sign")  # 10 -> 50 steps a second
        await pilot.press("p")
        await pilot.pause(0.5)
        await pilot.press("p")
        await pilot.pause()
        n = app.engine.step_count
        assert n >= 5 and not app.playing
        assert "Paused at step" in message(app)
        await pilot.pause(0.3)
        assert app.engine.step_count == n  # paused means paused
        await pilot.press("less_than_sign")
        assert "20 steps a second" in message(app)


async def test_play_stops_at_divergence():
    app = app_for(y=1e150, lr=1e300)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        await pilot.pause(0.2)
        assert not app.playing and "not taken" in message(app)


async def test_jump_and_undo_back_through_it():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await pilot.pause()
        bar = app.query_one(MessageBar)
        await type_answer(pilot, "10000")
        e = app.engine
        assert e.step_count == 10_000 and "Jumped 10,000 steps" in message(app)
        at = e.params_at(9_999)
        await pilot.press("u")
        await pilot.pause()
        assert e.step_count == 9_999 and e.params == at
        assert pane_values(app.query_one(ForwardPane))["J"] == pytest.approx(e.loss, rel=6e-7)
        for bad, reason in (("ten", "must be a whole number"), ("٣", "written with 0-9"), ("0", "between 1 and"),
                            ("99999999", "between 1 and")):  # fmt: skip
            await pilot.press("j")
            await type_answer(pilot, bad)
            assert reason in bar.reason
            await pilot.press("escape")
            await pilot.pause()
        assert e.step_count == 9_999


async def test_a_full_history_is_explained_and_undo_makes_room():
    s = Scenario()
    app = BptuiApp(make_engine(s), s)
    app.engine.max_steps = 40
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await type_answer(pilot, "100")
        assert app.engine.step_count == 40
        assert "Jumped 40 of 100 steps: 0 → 40, the most history kept here (--max-history)" in message(app)
        for key in ("space", "full_stop", "j", "p"):
            await pilot.press(key)
            await pilot.pause()
            assert message(app).startswith("! History full: 40 steps is the limit here"), key
            assert app.engine.step_count == 40 and not app.walking and not app.playing
        await pilot.press("u", "space")
        await pilot.pause()
        assert app.engine.step_count == 40 and "History full" not in message(app)
        await pilot.press("u", "p")  # play runs into the limit and stops there
        await pilot.pause(0.5)
        assert not app.playing and app.engine.step_count == 40 and "History full" in message(app)


# --- the question's mistakes ------------------------------------------------------------


async def test_m_cycles_the_mistakes_and_the_chart_compares_with_the_correct_run():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert app.engine.rule.name == "question"
        assert message(app).startswith("! question's rule: J used where 2(o − y) belongs; w1 never moves")
        for _ in range(5):
            await pilot.press("space")
        await pilot.pause()
        chart = app.query_one(CostChart)
        assert "⣿ question's rule • correct" in str(chart.border_title)
        # the floor holds whatever the rule: it stays on the chart and in the note
        assert str(chart.border_subtitle) == "── floor 9"
        assert "J can near (1 − y)² = 9, never 0." in message(app)
        xs, ys = chart.compare_points
        correct = make_engine(Scenario())
        correct.step(5)
        assert xs == list(range(6)) and ys == [correct.loss_at(k) for k in range(6)]
        assert chart.points[1] == [app.engine.loss_at(k) for k in range(6)]
        assert app.engine.loss > correct.loss  # the mistake costs
        await pilot.press("r", "space")
        await pilot.pause()
        forward = pane_values(app.query_one(ForwardPane))
        assert forward["w2"] == pytest.approx(-2.4959, abs=5e-5)
        assert forward["w1"] == pytest.approx(Scenario().initial_params()[0], rel=6e-7)
        lines = status(app)
        assert "(not moved by this rule)" in lines[2]
        assert "2·J·h·o(1−o)=" in lines[4]
        await pilot.press("m", "r", "space")  # the answer's slip
        await pilot.pause()
        assert app.engine.rule.name == "answer"
        assert pane_values(app.query_one(ForwardPane))["w1"] == pytest.approx(1.4913, abs=5e-5)
        assert "dJ/dw2=−1.439869" in status(app)[2]
        # other messages replace the note; the status still names the rule
        await pilot.press("g", "v", "v", "full_stop")
        await pilot.pause()
        assert "answer's slip" not in message(app)
        # the chart's title names the rule, and the status shows its stand-in
        assert "answer's slip" in str(chart.border_title) and "dJ/dw2" in status(app)[2]
        await pilot.press("m")
        await pilot.pause()
        assert app.engine.rule.name == "correct" and chart.compare_points is None
        assert "J by step" in str(chart.border_title) and "floor 9" in str(chart.border_title)
        assert not chart.border_subtitle


async def test_the_mistakes_belong_to_the_questions_network():
    app = app_for(layers=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert app.engine.rule.name == "correct" and "belong to the question's network" in message(app)


# --- walk mode ---------------------------------------------------------------------------


WALK_SCENARIOS = [
    {},
    {"preset": "mazur"},
    {"layers": 6, "biases": (0.1,) * 6, "activation": "tanh", "y": 0.3},
    {"loss": "bce", "y": 0.2},
]


@pytest.mark.parametrize("kw", WALK_SCENARIOS)
async def test_walking_through_a_step_equals_a_step_bit_for_bit(kw):
    walked, stepped = app_for(**kw), make_engine(Scenario(**kw))
    stepped.step(2)
    async with walked.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        ops = operations(walked.engine)
        # every update the walk shows, before the step is taken, is the number
        # a separate engine's step gives, bit for bit and as displayed
        for op in ops[:-1]:
            await pilot.press("full_stop")
        await pilot.pause()
        updates = walked.stepper.walk_view().updates
        expected = dict(zip(stepped.network.params, stepped.params))
        for name, new in updates.items():
            assert new == expected[name]
        shown = [op for op in ops if op.kind == "update"]
        assert shown and all(op.lines[0].endswith("= " + fmt(expected[op.name], keep_zeros=False)) for op in shown)
        await pilot.press("full_stop")
        await pilot.pause()
        assert not walked.walking
        assert walked.engine.step_count == 2
        assert walked.engine.params == stepped.params
        assert walked.engine.history_array().tobytes() == stepped.history_array().tobytes()
        assert "complete" in message(walked)


@pytest.mark.parametrize("kw", WALK_SCENARIOS)
async def test_every_walk_operation_is_on_screen_at_80x24(kw):
    """The current operation's row (marked ◀) is never scrolled out of view,
    whichever pane it lives in, and its explanation is never cut."""
    app = app_for(**kw)
    async with app.run_test(size=(80, 24)) as pilot:
        ops = operations(app.engine)
        for i, op in enumerate(ops[:-1], 1):
            await pilot.press("full_stop")
            await pilot.pause()
            text = screen_text(app)
            assert "◀" in text, f"operation {i} ({op.kind} {op.name}) is off screen:\n{text}"
            assert message(app) == " ".join(op.lines), f"operation {i}'s explanation is cut"
            if op.kind == "update":
                # the status shows the update being built, with its value
                assert any(line.startswith(f"{op.name}:") and line.endswith("◀") for line in status(app))
            else:  # and otherwise its top row, whole ("step 0", never "step0")
                assert re.search(r"│? step 0 +lr 0\.5 ", text), text
        # the next walk starts with the status back at its top
        await pilot.press("full_stop", "full_stop")
        await pilot.pause()
        assert re.search(r"│? step 1 +lr 0\.5 ", screen_text(app))


async def test_walk_shows_pending_values_and_explains_each_operation():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("full_stop")
        await pilot.pause()
        forward = app.query_one(ForwardPane).plain_lines
        assert forward[2].endswith("1.542641 ◀")  # z1, the first operation, marked
        assert all(line.rstrip().endswith("·") for line in forward[3:] if line.split()[0] in ("h", "z2", "o", "J"))
        assert message(app) == "z1 = w1·x = 0.7713206·2 = 1.542641 forward 1 of 5: a weighted sum: each input times its weight"
        w1_pane = app.query_one("#grad-w1", GradientPane)
        assert all("·" in line for line in w1_pane.plain_lines)  # nothing computed backwards yet
        assert "   J ·" in status(app)[0]  # nor J, in the status either
        await pilot.press("full_stop", "full_stop", "full_stop", "full_stop")  # h, z2, o, J
        await pilot.pause()
        assert f"   J {fmt(START['J'])}" in status(app)[0]
        for _ in range(4):  # down to dz2/dh
            await pilot.press("full_stop")
        await pilot.pause()
        # the example, with the screen's 7 digits
        assert "dJ/dh = dJ/dz2 × dz2/dh = (−1.747735) × 0.02075195 = −0.03626891" in message(app)
        lines = w1_pane.plain_lines
        # dJ/dh is complete: its running product (4 digits) beside the factor
        assert lines[2].endswith("0.02075195 −0.03627 ◀") and lines[3].split()[-2:] == ["·", "·"]
        w2_pane = app.query_one("#grad-w2", GradientPane)
        assert grad_values(w2_pane)["="] == pytest.approx(GRADS["w2"], rel=6e-7)  # dJ/dw2 is done
        await pilot.press("comma")
        await pilot.pause()
        assert "dJ/dw2 = dJ/dz2 × dz2/dw2 = (−1.747735) × 0.8238484 = −1.439869" in message(app)
        assert grad_values_line(app.query_one("#grad-w1", GradientPane), "=").rstrip().endswith("·")
        await pilot.press("space")  # completes the step
        await pilot.pause()
        assert not app.walking and app.engine.step_count == 1
        assert app.engine.params[1] == pytest.approx(AFTER_ONE_STEP["w2"], rel=1e-12)


def grad_values_line(pane, start: str) -> str:
    return next(line for line in pane.plain_lines if line.startswith(start))


async def test_walk_back_to_the_start_closes_it_and_other_keys_end_it():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("full_stop", "full_stop", "comma", "comma")
        await pilot.pause()
        assert not app.walking and "Walk closed" in message(app)
        assert "·" not in "".join(app.query_one(ForwardPane).query_one(".values").plain_lines)
        await pilot.press("full_stop", "u")
        await pilot.pause()
        assert not app.walking and app.engine.step_count == 0
        await pilot.press("comma")
        assert "Not walking" in message(app)


async def test_comma_after_a_completed_walk_goes_back_into_it():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        ops = operations(app.engine)
        for _ in ops:
            await pilot.press("full_stop")
        await pilot.pause()
        assert app.engine.step_count == 1 and "step 1 complete" in message(app)
        after = app.engine.history_array().tobytes()
        await pilot.press("comma")  # back into the step: it is taken back
        await pilot.pause()
        assert app.walking and app.engine.step_count == 0
        assert message(app) == " ".join(ops[-2].lines)
        assert "◀" in screen_text(app)
        await pilot.press("full_stop")  # and taken again, bit for bit
        await pilot.pause()
        assert not app.walking and app.engine.history_array().tobytes() == after
        # after a plain step, or once the rate changed, , does not undo anything
        await pilot.press("space", "comma")
        await pilot.pause()
        assert app.engine.step_count == 2 and "Not walking" in message(app)
        for _ in ops:
            await pilot.press("full_stop")
        await pilot.press("plus", "comma")
        await pilot.pause()
        assert app.engine.step_count == 3 and not app.walking and "Not walking" in message(app)


async def test_walk_updates_under_a_mistaken_rule():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        n = len(operations(app.engine))
        for _ in range(n - 1):
            await pilot.press("full_stop")
        await pilot.pause()
        assert "(not moved)" in status(app)[1] and status(app)[3].endswith("→ ·")
        await pilot.press("full_stop")  # the last operation completes the step
        await pilot.pause()
        assert message(app).startswith("w2 ← w2 − lr × 2·J·h·o(1−o) = 0.02075195 − 0.5 × ")
        assert "step 1 complete" in message(app)
        assert app.engine.params[1] == pytest.approx(-2.4959, abs=5e-5)



# --- edges of the screen ------------------------------------------------------------------


async def test_a_long_refusal_leaves_the_input_its_width():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await type_rate(pilot, "-1")
        bar = app.query_one(MessageBar)
        assert bar.line.size.width > 40
        assert "a negative rate climbs the cost" in message(app)
        assert "of descending it." in screen_text(app)  # the reason is whole on screen
    app = app_for()
    async with app.run_test(size=(40, 12)) as pilot:
        await type_rate(pilot, "-1")
        text = screen_text(app)
        # two lines of it, the cut marked, and the input still there
        assert "must be positive:" in text and "…" in text and "learning rate: -1" in text


async def test_wide_numbers_wrap_in_the_status_instead_of_being_cut():
    app = app_for(y=-1e150, lr=1e-300, weights=(-1.234567e-300, -2.2e-300))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(12):
            await pilot.press("space")
        await pilot.pause()
        pane = app.query_one(StatusPane)
        width = pane.scrollable_content_region.width
        assert all(len(line) <= width for line in pane.plain_lines)
        text = " ".join(pane.plain_lines)
        assert fmt(app.engine.loss) in text
        u = {x.name: x for x in app.engine.last_update()}
        assert fmt(u["w2"].amount) in text and fmt(u["w2"].new) in text


async def test_a_nan_gradient_says_where_the_product_overflowed():
    app = app_for(weights=(-1e308, 1.7e308))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = app.query_one("#grad-w1", GradientPane).plain_lines
        assert lines[5].split()[-1] == "nan"
        assert lines[6].startswith("! running product dJ/dh") and lines[6].endswith("−inf")
        await pilot.press("space", "plus", "space")  # no rate can step from here: the message says so
        await pilot.pause()
        assert app.engine.step_count == 0
        assert "dJ/dw1 is nan (not a number) at these weights, so no learning rate can step" in message(app)
        assert "Start from other weights" in message(app)


def test_negative_zero_reads_as_zero():
    assert fmt(-0.0) == fmt(0.0) == "0.000000"


async def test_v_toggles_the_landscape_and_keys_choose_its_weights():
    app = app_for(preset="mazur")
    async with app.run_test(size=(80, 24)) as pilot:
        from bptui.widgets.landscape_view import LandscapeView

        await pilot.press("v", "space")
        await pilot.pause()
        view = app.query_one(LandscapeView)
        assert view.display and not app.query_one(CostChart).display
        assert str(view.border_title) == "E over (w1, w2)"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert str(view.border_title) == "E over (w2, w3)"
        await pilot.press("right_curly_bracket")  # the vertical weight moves on from w3
        await pilot.pause()
        assert str(view.border_title) == "E over (w2, w4)"
        assert any("◉" in line for line in view.plain_lines)
        await pilot.press("v")
        await pilot.pause()
        assert app.query_one(CostChart).display and not view.display


@pytest.mark.parametrize("size", [(80, 24), (60, 30), (100, 40)])
async def test_landscape_legend_is_whole_and_tells_its_levels_apart(size):
    """Late in a run J varies little over the view: the levels' range gets
    the digits that tell its ends apart, and no legend text is cut."""
    from bptui.widgets.landscape_view import LandscapeView

    app = app_for(preset="mazur")
    async with app.run_test(size=size) as pilot:
        app.engine.step(5000)
        await pilot.press("v")
        await pilot.pause()
        view = app.query_one(LandscapeView)
        lines = view.plain_lines
        text = " ".join(lines)
        lo, hi = view.landscape.frame(view.size.width, view.size.height - view._legend_rows).levels
        m = re.search(r"E (\S+)→(\S+)", text)
        assert m, text
        shown_lo, shown_hi = (number(g) for g in m.groups())
        assert shown_lo != shown_hi
        assert shown_lo == pytest.approx(lo, rel=5e-3) and shown_hi == pytest.approx(hi, rel=5e-3)
        assert re.search(r"w1 → \S+…\S+", text) and re.search(r"w2 ↑ \S+…\S+", text)
        assert all(len(line.rstrip()) <= view.size.width for line in lines)
        assert len(lines) == view.size.height and any("◉" in line for line in lines)
        assert "• path ◉ now" in str(view.border_subtitle)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_bces_factor_is_written_whole(size):
    app = app_for(loss="bce", y=1.0)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lines = [line for line in screen_text(app).splitlines() if "dJ/do " in line and "◆" in line]
        assert len(lines) == 2 and all(" (o−y)/(o(1−o)) −1.983049" in line for line in lines), lines


async def test_a_cropped_label_ends_in_an_ellipsis_and_a_blank():
    """A label too wide for its pane is cut; it must not run into the value
    (…(1−o)−1.98 would read as a subtraction)."""
    app = app_for(loss="bce", y=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.query_one("#grad-w1", GradientPane)
        pane.styles.width = 30  # narrower than its labels and values
        await pilot.pause()
        lines = [line for line in screen_text(app).splitlines() if "dJ/do" in line and "◆" in line]
        assert re.search(r"… +−1\.983049", lines[-1]), lines


def test_distinct_gives_each_end_the_digits_its_span_needs():
    """Rounding either end moves it by at most a twentieth of the span."""
    from bptui.widgets.landscape_view import distinct

    assert distinct(9.81, 12.5) == ("9.81", "12.5")
    assert distinct(0.26034, 0.26053) == ("0.26034", "0.26053")  # not 0.26→0.261
    assert distinct(1.0, 1.0) == ("1", "1")
    for lo, hi in [(0.26034, 0.26053), (3.0, 12.5), (0.00184, 0.0925), (1e-9, 3e-9), (11.2, 11.2001)]:
        a, b = (float(v.replace("−", "-")) for v in distinct(lo, hi))
        assert abs(a - lo) <= (hi - lo) / 20 + 1e-7 * hi and abs(b - hi) <= (hi - lo) / 20 + 1e-7 * hi


async def test_the_landscapes_levels_take_in_where_the_learner_is():
    """The grid samples cell centres and can miss a narrow valley; the range
    the legend states always holds J at the current point."""
    from bptui.widgets.landscape_view import LandscapeView

    app = app_for(layers=3, biases=(0.0, 0.0, 0.0), activation="tanh", y=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "space", "space", "v")
        for _ in range(4):
            await pilot.press("right_curly_bracket")
            await pilot.pause()
            land = app.query_one(LandscapeView).landscape
            f = land.frame(*land._size)
            if f.here is not None:
                assert f.levels[0] <= app.engine.loss <= f.levels[1]


async def test_tab_focuses_a_long_pane_and_arrows_scroll_it():
    app = app_for(layers=8, biases=(0.1,) * 8)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        forward = app.query_one(ForwardPane)
        assert forward.max_scroll_y > 0  # 18 dense rows do not fit at 80×24
        for _ in range(4):
            if app.focused is forward:
                break
            await pilot.press("tab")
        assert app.focused is forward
        await pilot.press("pagedown")  # page keys scroll it
        await pilot.pause()
        assert forward.scroll_y > 0
        names = app.stepper.selectable()
        assert names[:2] == ["x", "y"]  # in the order shown: the given numbers first
        # ↑ from the first value wraps to the last; the chosen row comes into view
        for _ in range(names.index(app.stepper.selected) + 1):
            await pilot.press("up")
        await pilot.pause()
        assert app.stepper.selected == names[-1] == "b8"
        y = next(i for i, line in enumerate(forward.plain_lines) if "b8 " in line)
        assert forward.scroll_y <= y < forward.scroll_y + forward.scrollable_content_region.height
        await pilot.press("space")  # keys still step while a pane has focus
        await pilot.pause()
        assert app.engine.step_count == 1


async def test_a_walk_follows_the_current_factor_then_gives_back_the_chosen_chain():
    app = app_for(preset="mazur")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right_square_bracket")  # the user picks w2's chain
        pane = app.query_one(GradientPane)
        ops = operations(app.engine)
        seen = set()
        for op in ops[:-1]:
            await pilot.press("full_stop")
            await pilot.pause()
            seen.add(pane.param)
            if op.kind == "backward":
                assert any(e.key == op.edge.key for path in app.engine.network.paths[pane.param] for e in path)
            elif op.kind == "update":
                assert pane.param == op.name
        assert seen == set(app.engine.network.params)  # it went where the walk went
        await pilot.press("full_stop")
        await pilot.pause()
        assert not app.walking and pane.param == "w2"


# --- typed-ahead keys: a whole burst written at once -------------------------------------


async def burst(pilot, text: str) -> None:
    """Every key of `text` into the app's queue at once, as a fast typist or a
    laggy SSH link delivers them (Pilot's press waits between keys)."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for ch in text:
        if ch == "\r":
            key, char = "enter", "\r"
        elif ch == "\x1b":
            key, char = "escape", "\x1b"
        elif ch == " ":
            key, char = "space", " "
        else:
            key, char = (ch if ch.isalnum() else _character_to_key(ch)), ch
        app._driver.send_message(events.Key(key, char))
    await pilot.pause()
    await pilot.pause()


async def test_a_rate_typed_ahead_of_the_prompt_goes_into_it():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "l0.125\r")
        assert app.engine.lr == 0.125 and not app.walking and app.asking is None
        assert "Learning rate 0.125" in message(app)


async def test_a_jump_typed_ahead_jumps_that_many_and_later_keys_step_after_it():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "j25\r  u")
        assert app.engine.step_count == 26  # 25, then two steps, then one undone
        await burst(pilot, "l2\rj5\r")
        assert app.engine.lr == 2.0 and app.engine.step_count == 31
        assert [app.engine.lr_at(k) for k in (26, 27, 31)] == [0.5, 2.0, 2.0]


async def test_a_refused_answer_typed_ahead_keeps_the_prompt_and_the_keys_after_it():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "l-1\r")
        assert app.asking is not None and "must be positive" in app.asking.reason
        await pilot.press("ctrl+u")
        await burst(pilot, "0.25\r ")
        assert app.engine.lr == 0.25 and app.engine.step_count == 1


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_factor_shows_its_running_product_upstream_times_local(size):
    """The issue's numbers at step 0: dJ/dz2 = −1.747735, dJ/dh = −0.03626891,
    dJ/dz1 = −0.005263426, beside the factors that make them, in 4 digits;
    and again after three steps, against hand algebra."""
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        _, running = grad_rows(app.query_one("#grad-w1", GradientPane))
        shown = {k: f"{v:.4g}" for k, v in running.items()}
        assert shown == {"dJ/do": "-6.991", "do/dz2": "-1.748", "dz2/dh": "-0.03627", "dh/dz1": "-0.005263",
                         "dz1/dw1": "-0.01053"}  # fmt: skip
        await pilot.press("space", "space", "space")
        await pilot.pause()
        x, y = 2.0, 4.0
        w1, w2 = app.engine.params
        h = 1 / (1 + math.exp(-w1 * x))
        o = 1 / (1 + math.exp(-w2 * h))
        dJ_dz2 = 2 * (o - y) * o * (1 - o)
        want = {"dJ/do": 2 * (o - y), "do/dz2": dJ_dz2, "dz2/dh": dJ_dz2 * w2, "dh/dz1": dJ_dz2 * w2 * h * (1 - h),
                "dz1/dw1": dJ_dz2 * w2 * h * (1 - h) * x}  # fmt: skip
        for pane, keys in (("#grad-w1", want), ("#grad-w2", {"dJ/do": 0, "do/dz2": 0, "dz2/dw2": 0})):
            _, running = grad_rows(app.query_one(pane, GradientPane))
            assert running.keys() == keys.keys()
        _, running = grad_rows(app.query_one("#grad-w1", GradientPane))
        for k, v in want.items():
            assert f"{running[k]:.4g}" == f"{v:.4g}", k
        _, running = grad_rows(app.query_one("#grad-w2", GradientPane))
        assert f"{running['dz2/dw2']:.4g}" == f"{dJ_dz2 * h:.4g}"
        assert "upstream × local" in str(app.query_one("#grad-w1", GradientPane).border_subtitle)


async def test_where_paths_meet_the_running_product_is_their_sum():
    app = app_for(preset="mazur")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.query_one(GradientPane)
        t = app.engine.trace
        summed = [line for line in pane.plain_lines if "Σ" in line]
        assert len(summed) == 2 and all(line.split()[1] in ("dzo1/dh1", "dzo2/dh1") for line in summed)
        assert all(number(line.split("Σ")[1].split()[0]) == pytest.approx(t.adjoints["h1"], rel=5e-4) for line in summed)
        # the sum of the two paths' upstream × local, by hand
        f = t.factors
        via_o1 = f["E", "E1"] * f["E1", "o1"] * f["o1", "zo1"] * f["zo1", "h1"]
        via_o2 = f["E", "E2"] * f["E2", "o2"] * f["o2", "zo2"] * f["zo2", "h1"]
        assert t.adjoints["h1"] == pytest.approx(via_o1 + via_o2, rel=1e-12)


async def test_values_set_with_equals_typed_ahead_recompute_every_pane():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        w1, w2 = app.engine.params
        await burst(pilot, "=x = 3\r")
        assert app.asking is None and app.engine.network.inputs["x"] == 3.0
        assert_screen_matches(app, 3.0, 4.0, w1, w2)
        assert status(app)[1].split() == ["set:", "x", "2.000000", "→", "3.000000", "(by", "hand)"]
        await burst(pilot, "=y 0.5\r=w1 = −1.5\r ")  # and a step after them
        assert app.engine.step_count == 1
        assert_screen_matches(app, 3.0, 0.5, *app.engine.params)
        assert "floor" not in app.query_one(CostChart).border_title  # 0.5 is in σ's range: J can reach 0
        await burst(pilot, "uuu")  # the step, then w1, then y
        assert_screen_matches(app, 3.0, 4.0, w1, w2)
        assert "floor 9" in app.query_one(CostChart).border_title
        assert message(app) == "Undone: y is 4 again (it was set to 0.5)."


async def test_a_bad_value_for_equals_is_refused_in_one_line_and_the_keys_after_it_wait():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        start = app.engine.params
        await burst(pilot, "=w7 = 1\r ")
        assert app.asking is not None and app.engine.step_count == 0 and app.engine.params == start
        assert "no value 'w7' here: x, y, w1, w2, lr can be set" in message(app)
        assert app.asking.text == "w7 = 1 "  # the space went into the answer, not to a step
        await burst(pilot, "\x1b ")
        assert app.asking is None and app.engine.step_count == 1


async def test_file_prompts_and_their_overwrite_question_take_typed_ahead_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "  e\r")  # two steps, export under the default name
        assert (tmp_path / "bptui-session-step2.json").exists()
        await burst(pilot, "s\rs\ry\r")  # save, save again, yes overwrite
        assert (tmp_path / "scenario.toml").exists() and app.asking is None
        assert "Saved the scenario" in message(app)
        await burst(pilot, "s\rn\r ")  # save again, no, then a step
        assert app.asking is None and app.engine.step_count == 3


async def test_a_paste_goes_into_the_prompt_cut_at_its_length():
    from textual import events

    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "backspace")
        app.post_message(events.Paste("1" * 100_000))
        await pilot.pause()
        assert len(app.asking.text) == 256 and "at most 256 characters" in message(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.engine.lr == 0.5 and app.asking is None
        app.post_message(events.Paste("0.1"))
        await pilot.pause()
        assert "here it does nothing" in message(app) and app.engine.lr == 0.5


async def test_an_unbound_key_says_so():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        await pilot.pause()
        assert "z does nothing here: ? lists every key." in message(app)


async def test_q_with_steps_asks_once():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, " q")
        assert app.is_running and "q again quits" in message(app)
        await burst(pilot, " ")  # any other key stays, and does what it does
        assert app.is_running and app.engine.step_count == 2
        await burst(pilot, "qq")
        assert not app.is_running


async def test_u_right_after_r_brings_back_every_step_and_the_rate():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "   l0.25\r  ")
        e = app.engine
        before = e.history_array()
        await burst(pilot, "r")
        assert e.step_count == 0 and "u brings back all 5 steps" in message(app)
        await burst(pilot, "u")
        assert e.step_count == 5 and e.lr == 0.25
        assert (e.history_array().view("u8") == before.view("u8")).all()
        assert pane_values(app.query_one(ForwardPane))["J"] == pytest.approx(e.loss, rel=6e-7)
        await burst(pilot, "u")  # a plain undo again
        assert e.step_count == 4
        await burst(pilot, "rgu")  # a key between r and u: the reset stays
        assert e.step_count == 0 and "Nothing to undo" in message(app)


# --- what 80×24 must show ------------------------------------------------------------------


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


async def test_mazur_at_80x24_shows_every_unit_e_and_the_gradients_products_without_scrolling():
    app = app_for(preset="mazur")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        # Mazur's network by hand (inputs, targets and biases are his)
        w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
        i1, i2, b1, b2, t1, t2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99
        h1, h2 = sig(w[0] * i1 + w[1] * i2 + b1), sig(w[2] * i1 + w[3] * i2 + b1)
        o1, o2 = sig(w[4] * h1 + w[5] * h2 + b2), sig(w[6] * h1 + w[7] * h2 + b2)
        E1, E2 = 0.5 * (o1 - t1) ** 2, 0.5 * (o2 - t2) ** 2
        for v in (h1, h2, o1, o2, E1, E2, E1 + E2):
            assert fmt(v) in text, (fmt(v), text)
        # dE/dw1 = Σ over the two paths through o1 and o2
        p1 = (o1 - t1) * o1 * (1 - o1) * w[4] * h1 * (1 - h1) * i1
        p2 = (o2 - t2) * o2 * (1 - o2) * w[6] * h1 * (1 - h1) * i1
        for label, v in (("path 1 product", p1), ("path 2 product", p2), ("sum", p1 + p2)):
            line = next(line for line in text.splitlines() if label in line)
            assert number(NUMBER.findall(line.split(label)[1])[0]) == pytest.approx(v, rel=6e-7)


async def test_six_layers_at_80x24_show_o_j_and_the_first_gradient():
    app = app_for(layers=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        ws = app.scenario.initial_weights()
        a, slopes = 2.0, []
        for wk in ws:
            a = sig(wk * a)
            slopes.append(a * (1 - a))
        J = (a - 4.0) ** 2
        g = 2 * (a - 4.0) * 2.0  # dJ/do · dz1/dw1 = x, then each layer's slope and weight
        for k in range(6):
            g *= slopes[k] * (ws[k] if k else 1.0)
        assert f"o {fmt(a)}" in text and f"J {fmt(J)}" in text
        line = next(line for line in text.splitlines() if "= product" in line)
        assert number(NUMBER.findall(line)[-1]) == pytest.approx(g, rel=6e-7)


async def test_a_two_line_message_never_hides_the_status_last_line():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m", "space")
        await pilot.pause()
        assert len(app.query_one(MessageBar).message.plain_lines) >= 2
        text = screen_text(app)
        assert "(− 0.5 × 2·J·h·o(1−o)=" in text
        assert text.splitlines()[-3].strip(), "the message's lines are on screen"


async def test_focus_shows_without_colour():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "┏" not in screen_text(app)
        await pilot.press("tab")
        await pilot.pause()
        assert "┏" in screen_text(app)  # the focused pane's border turns heavy


async def test_mid_walk_the_vanishing_ratio_waits_for_both_gradients():
    app = app_for(layers=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("full_stop")
        await pilot.pause()
        text = " ".join(status(app))
        assert "· until the walk has both" in text and "smaller than" not in text
        ops = operations(app.engine)
        last_backward = max(i for i, op in enumerate(ops) if op.kind == "backward")
        for _ in range(last_backward):
            await pilot.press("full_stop")
        await pilot.pause()
        assert "smaller than dJ/dw6" in " ".join(status(app))


async def test_u_mid_walk_says_what_it_did():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "full_stop", "full_stop", "u")
        await pilot.pause()
        assert not app.walking and app.engine.step_count == 0
        assert "Walk closed, and step 1 undone: now at step 0." in message(app)
        await pilot.press("full_stop", "u")
        await pilot.pause()
        assert "Walk closed; nothing to undo: this is step 0." in message(app)


async def test_t_switches_the_step_axis_and_says_so():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "j\rt")
        chart = app.query_one(CostChart)
        assert chart.log_steps and "Step axis logarithmic" in message(app)
        assert "log step axis" in str(chart.border_subtitle)
        await burst(pilot, "t")
        assert not chart.log_steps and "linear again" in message(app)


# --- optimizers ------------------------------------------------------------------------


def adam_by_hand(steps: int, lr=0.5, b1=0.9, b2=0.999, eps=1e-8):
    """The question's network under Adam, by hand algebra: each weight's
    last old and new value, and m, v, m̂, v̂ of the last step."""
    w = {"w1": START["w1"], "w2": START["w2"]}
    m = {p: 0.0 for p in w}
    v = {p: 0.0 for p in w}
    for t in range(1, steps + 1):
        s = hand_state(2.0, 4.0, w["w1"], w["w2"])
        last = {}
        for p in w:
            g = s[p]["="]
            m[p] = b1 * m[p] + (1 - b1) * g
            v[p] = b2 * v[p] + (1 - b2) * g * g
            mh, vh = m[p] / (1 - b1**t), v[p] / (1 - b2**t)
            last[p] = (w[p], w[p] - lr * mh / (math.sqrt(vh) + eps), m[p], v[p], mh, vh)
        w = {p: last[p][1] for p in w}
    return last


async def test_adams_factors_are_on_the_status_at_80x24():
    app = app_for(optimizer="adam")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "space")
        await pilot.pause()
        lines = [" ".join(line.split()) for line in app.query_one(StatusPane).plain_lines]
        text = "\n".join(lines)
        for p, (old, new, m, v, mh, vh) in adam_by_hand(2).items():
            assert f"{p}: {fmt(old)} → {fmt(new)}" in text
            assert f"m {fmt(m)} v {fmt(v)}" in text and f"m̂ {fmt(mh)} v̂ {fmt(vh)}" in text
            assert f"(− 0.5 × {fmt(mh, keep_zeros=False).replace('−', '(−')}" in text
        # every row on screen: the pane does not scroll at 80×24
        assert app.query_one(StatusPane).max_scroll_y == 0


async def test_a_walk_under_momentum_shows_v_then_the_step_and_help_writes_its_lines():
    app = app_for(optimizer="momentum", momentum=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        ops = operations(app.engine)
        at = next(i for i, op in enumerate(ops) if op.kind == "moment") + 1
        await pilot.press(*["full_stop"] * at)
        await pilot.pause()
        g = hand_state(2.0, 4.0, START["w1"], START["w2"])["w1"]["="]  # w1's moment comes first
        bar = " ".join(message(app).split())
        status = "\n".join(" ".join(line.split()) for line in app.query_one(StatusPane).plain_lines)
        assert f"v {fmt(g)}" in status and "v ·" in status  # w1's v is computed, w2's not yet
        assert f"v(w1) ← μ·v + dJ/dw1 = 0.5 × 0 + {fmt(g, keep_zeros=False).replace('−', '(−')}" in bar
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = app.screen.plain_text()
        assert "by momentum μ 0.5" in help_text and "v ← μ·v + dJ/dw" in help_text and "w ← w − lr × v" in help_text
