"""The circuit on screen at 80×24: c puts it in the place of the panes, and
c again brings them back. The numbers on screen are read back from the
terminal's text and checked against hand algebra (the question) or the
engine's trace (the others); it follows steps, undo, edits and nudges, and
marks a walk."""

import re

import pytest

from bptui.circuit import LEGEND, PENDING
from bptui.widgets.circuit_view import CircuitView
from tests.test_app import app_for, number, screen_text
from tests.test_app_nudge import keys
from tests.test_engine import hand_gradients, loss, sig


def wire(text: str, name: str) -> tuple[float, float | None]:
    """The value and gradient on the screen row of wire `name` (its leaf row,
    or its gate's output row)."""
    for line in text.splitlines():
        m = re.search(rf"(?:│  |\b){re.escape(name)}\b(?! =)[ ─┐┤]*\s+([−\d.e]+)(?:\s+[◆Σ ]?∂ ([−\d.e]+))?", line)
        if m and "=" not in line[: m.start()]:
            return number(m.group(1)), number(m.group(2)) if m.group(2) else None
    raise AssertionError(f"no row for {name} in\n{text}")


async def test_c_shows_the_questions_circuit_whole_with_every_number():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        w1, w2 = app.engine.params
        x, y = 2.0, 4.0
        z1 = w1 * x
        h = sig(z1)
        z2 = w2 * h
        o = sig(z2)
        dJ_do = 2 * (o - y)
        dJ_dz2 = dJ_do * o * (1 - o)
        dJ_dh = dJ_dz2 * w2
        dJ_dz1 = dJ_dh * h * (1 - h)
        dw1, dw2 = hand_gradients(x, y, w1, w2)
        expected = {"w1": (w1, dw1), "w2": (w2, dw2), "z1": (z1, dJ_dz1), "h": (h, dJ_dh), "z2": (z2, dJ_dz2),
                    "o": (o, dJ_do), "J": (loss(x, y, w1, w2), 1.0)}  # fmt: skip
        for name, (value, grad) in expected.items():
            shown_value, shown_grad = wire(text, name)
            assert shown_value == pytest.approx(value, rel=1e-6), name
            assert shown_grad == pytest.approx(grad, rel=1e-6), name
        assert wire(text, "x") == (2.0, None)
        # the gates and their rules, and the legend, all in view
        for gate in ("(×) z1 = w1·x", "(σ) h = σ(z1)", "(×) z2 = w2·h", "(σ) o = σ(z2)", "(²) J = (o − y)²",
                     "× swaps: ∂w1 = ∂z1·x", "σ′: ∂z1 = ∂h·h(1 − h)"):  # fmt: skip
            assert gate in text
        assert LEGEND in text
        assert "Forward pass" not in text and "dJ/dw2" not in text  # the panes gave way
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert "Forward pass" in text and "Circuit" not in text


@pytest.mark.parametrize("argv", [{"preset": "mazur"}, {"layers": 3, "biases": (0.1, 0.2, 0.3)}])
async def test_other_networks_fit_or_scroll_to_the_chosen_weight(argv):
    app = app_for(**argv)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        circuit = app.query_one(CircuitView)
        t = app.engine.trace
        text = screen_text(app)
        if argv.get("preset") == "mazur":
            # Mazur's 2-2-2 fits whole at 80×24
            assert circuit.max_scroll_y == 0
            for name in ("zh1", "h1", "zo2", "o2", "E1", "E"):
                value, grad = wire(text, name)
                assert value == pytest.approx(t.values[name], rel=1e-3)
                assert grad == pytest.approx(t.adjoints[name], rel=1e-3)
        # the chosen weight's wire is in view, whichever it is
        for _ in range(len(app.engine.network.params)):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            await pilot.pause()
            chosen = app.stepper.shown[0]
            value, grad = wire(screen_text(app), chosen)
            assert value == pytest.approx(t.values[chosen], rel=1e-3)


async def test_the_circuit_follows_steps_undo_edits_and_a_walk():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "c", "space", "space")
        w1, w2 = app.engine.params
        assert wire(screen_text(app), "w2")[0] == pytest.approx(w2, rel=1e-6)
        assert wire(screen_text(app), "J")[0] == pytest.approx(loss(2.0, 4.0, w1, w2), rel=1e-6)
        assert "step 2" in screen_text(app)
        await keys(pilot, "u")
        w1, w2 = app.engine.params
        assert wire(screen_text(app), "w1")[0] == pytest.approx(w1, rel=1e-6)
        # an edit typed ahead of its prompt
        await keys(pilot, "equals_sign", *"w1 = 1.5", "enter")
        assert app.engine.params[0] == 1.5
        text = screen_text(app)
        assert wire(text, "w1")[0] == 1.5
        assert wire(text, "z1")[0] == pytest.approx(3.0)
        assert wire(text, "w1")[1] == pytest.approx(hand_gradients(2.0, 4.0, 1.5, w2)[0], rel=1e-6)
        # a walk: the current row pointed at, what is not computed yet shown ·
        await keys(pilot, "full_stop")
        text = screen_text(app)
        assert sum("◀" in line for line in text.splitlines()) == 1
        assert "◀" in next(line for line in text.splitlines() if "(×) z1" in line)
        h_row = next(line for line in text.splitlines() if re.search(r"│  h\b", line))
        assert PENDING in h_row
        await keys(pilot, *["full_stop"] * 5)  # the forward pass, then dJ/do
        text = screen_text(app)
        assert "◀" in next(line for line in text.splitlines() if re.search(r"│  o\b", line))


async def test_arrows_in_the_circuit_choose_a_wire_and_nudge_it():
    """↓ chooses a wire's value (the chosen weight first), ← → nudge it: the
    circuit follows at once, and u takes the nudge back."""
    from bptui.stepper_nudge import nudged

    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "c", "down", "right")  # one burst
        w1, w2 = app.engine.params
        assert w1 == nudged(0.7713206432667460, 0.1, 1) or w1 == pytest.approx(0.8713206, rel=1e-7)
        text = screen_text(app)
        value, grad = wire(text, "w1")
        assert value == pytest.approx(w1, rel=1e-6)
        assert grad == pytest.approx(hand_gradients(2.0, 4.0, w1, w2)[0], rel=1e-6)
        assert wire(text, "J")[0] == pytest.approx(loss(2.0, 4.0, w1, w2), rel=1e-6)
        assert "←→ w1 ±0.1" in text and "←→ Nudge" in text
        await keys(pilot, "down", "right", "u", "u")  # x up, then both nudges undone
        assert app.engine.params[0] == pytest.approx(0.7713206432667460, rel=1e-15)
        assert wire(screen_text(app), "x")[0] == 2.0
