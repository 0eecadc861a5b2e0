"""k: the next step as code, in the place of the panes, at 80×24. Each
line's value is read back from the screen and checked against hand algebra;
a walk marks its line and shows · for what it has not computed."""

import re

import pytest

from tests.test_app import app_for, number, screen_text
from tests.test_app_nudge import keys
from tests.test_engine import hand_gradients, loss, sig


def value_of(text: str, code: str) -> str:
    line = next(ln for ln in text.splitlines() if ln.lstrip("┃ ").startswith(code))
    return re.search(r"# (\S+)", line).group(1)


async def test_k_shows_the_step_as_code_with_each_lines_value():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "k")
        text = screen_text(app)
        w1, w2 = app.engine.params
        h = sig(w1 * 2.0)
        o = sig(w2 * h)
        dw1, dw2 = hand_gradients(2.0, 4.0, w1, w2)
        assert number(value_of(text, "z1 = w1 * x")) == pytest.approx(w1 * 2.0, rel=1e-6)
        assert number(value_of(text, "h = sigmoid(z1)")) == pytest.approx(h, rel=1e-6)
        assert number(value_of(text, "J = (o - y) * (o - y)")) == pytest.approx(loss(2.0, 4.0, w1, w2), rel=1e-6)
        assert number(value_of(text, "dJ_do = 2.0 * (o - y)")) == pytest.approx(2 * (o - 4.0), rel=1e-6)
        assert number(value_of(text, "dJ_dw2 = dJ_dz2 * dz2_dw2")) == pytest.approx(dw2, rel=1e-6)
        assert "Forward pass" not in text  # the panes gave way
        # the updates are below: they scroll into view, with the new weights
        app.query_one("#code").scroll_end(animate=False)
        await pilot.pause()
        text = screen_text(app)
        assert number(value_of(text, "w1 = w1 - lr * dJ_dw1")) == pytest.approx(w1 - 0.5 * dw1, rel=1e-6)
        assert number(value_of(text, "w2 = w2 - lr * dJ_dw2")) == pytest.approx(w2 - 0.5 * dw2, rel=1e-6)
        assert "the line the question left empty" in text
        # c and k take turns; k again brings the panes back
        await keys(pilot, "c")
        assert "Circuit" in screen_text(app) and "step as code" not in screen_text(app)
        await keys(pilot, "k", "k")
        assert "Forward pass" in screen_text(app)


async def test_a_walk_in_the_code_marks_its_line():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "k", *["full_stop"] * 6)  # the forward pass, then dJ/do
        text = screen_text(app)
        marked = [ln for ln in text.splitlines() if "◀" in ln]
        assert len(marked) == 1 and "dJ_do = 2.0 * (o - y)" in marked[0]
        assert value_of(text, "do_dz2 = sigmoid_slope(z2, o)") == "·"
        await keys(pilot, *["full_stop"] * 6)  # 12 of its 13 operations: on the first update
        text = screen_text(app)
        assert any("◀" in ln and ln.lstrip("┃ ").startswith("w") for ln in text.splitlines())
