"""Nudging on screen at 80×24: Tab to the forward pane, ↑ ↓ choose, ← →
nudge. Every number shown is checked against hand algebra (the question) or
a separately built engine (the other networks)."""

import pytest
from textual import events

from bptui.cli import make_engine
from bptui.scenario import Scenario
from bptui.stepper_nudge import nudged
from bptui.widgets.forward_pane import CHOSEN, ForwardPane
from bptui.widgets.gradient_pane import GradientPane
from tests.test_app import NUMBER, app_for, assert_screen_matches, message, number, screen_text, status
from tests.test_engine import loss


async def keys(pilot, *names: str) -> None:
    """Keys into the app's queue at once, as a laggy link delivers them."""
    for name in names:
        char = {"space": " ", "tab": "\t", "asterisk": "*", "slash": "/"}.get(name, name if len(name) == 1 else None)
        pilot.app._driver.send_message(events.Key(name, char))
    await pilot.pause()
    await pilot.pause()


async def focus_forward(pilot) -> ForwardPane:
    forward = pilot.app.query_one(ForwardPane)
    for _ in range(4):
        if pilot.app.focused is forward:
            return forward
        await pilot.press("tab")
    raise AssertionError("Tab never reached the forward pane")


async def test_tab_then_arrows_typed_ahead_nudge_w1_and_every_pane_follows():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        w1, w2 = app.engine.params
        await keys(pilot, "tab", "right", "right")  # one burst: focus, then two nudges
        assert isinstance(app.focused, ForwardPane) and app.stepper.selected == "w1"
        new = nudged(nudged(w1, 0.1, 1), 0.1, 1)
        assert app.engine.params == (new, w2)
        before = nudged(w1, 0.1, 1)
        dJ = loss(2.0, 4.0, new, w2) - loss(2.0, 4.0, before, w2)
        rows = status(app)
        moved = next(r for r in rows if "ΔJ " in r)
        found = NUMBER.findall(moved)
        assert number(found[0]) == pytest.approx(dJ, rel=1e-6)
        assert number(found[1]) == pytest.approx(dJ / (new - before), rel=1e-3)
        assert "(nudged)" in " ".join(rows)
        # ΔJ/Δw1 beside dJ/dw1, in w1's pane, in view at 80×24
        pane = app.query_one("#grad-w1", GradientPane)
        line = next(r for r in pane.plain_lines if "ΔJ/Δw1, nudged" in r)
        assert number(NUMBER.findall(line)[-1]) == pytest.approx(dJ / (new - before), rel=1e-3)
        assert "ΔJ/Δw1, nudged" in screen_text(app)
        assert not any("nudged" in r for r in app.query_one("#grad-w2", GradientPane).plain_lines)
        assert "←→ w1 ±0.1" in str(app.query_one(ForwardPane).border_subtitle)
        text = screen_text(app)
        assert "←→ Nudge" in text and "? Help" in text and "q Quit" in text  # the Footer, at 80
        # the next key ends the moment; u takes both nudges back
        await keys(pilot, "g")
        assert "ΔJ/Δw1" not in screen_text(app)
        await keys(pilot, "g")
        assert_screen_matches(app, 2.0, 4.0, new, w2)  # forward values, factors, products, checks
        await keys(pilot, "u", "u")
        assert app.engine.params == (w1, w2)
        assert_screen_matches(app, 2.0, 4.0, w1, w2)


async def test_the_chosen_row_is_marked_and_the_step_changes_with_star_and_slash():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        w2 = app.engine.params[1]
        forward = await focus_forward(pilot)
        await keys(pilot, "down", "asterisk", "left")  # w2, step 1, down by 1
        assert app.stepper.selected == "w2" and app.stepper.nudge_step == 1.0
        assert app.engine.params[1] == nudged(w2, 1.0, -1)
        labels = forward.query_one(".labels")._lines
        row = next(t for t in labels if t.plain.startswith("w2"))
        assert any(span.style == CHOSEN and row.plain[span.start:span.end] == "w2" for span in row.spans)
        assert "←→ w2 ±1" in str(forward.border_subtitle)
        await keys(pilot, "slash", "slash")
        assert app.stepper.nudge_step == 0.01 and "←→ w2 ±0.01" in str(forward.border_subtitle)
        await keys(pilot, "tab")  # leaving the pane: nothing chosen, arrows scroll again
        assert app.stepper.selected is None and not forward.border_subtitle
        await keys(pilot, "asterisk")
        assert "Tab to the forward pane first" in message(app)


@pytest.mark.parametrize("kw", [dict(preset="mazur"), dict(layers=6), dict(layers=3, biases=(0.1, -0.2, 0.3)),
                                dict(loss="bce", y=0.5), dict(activation="relu"), dict(activation="tanh")])
async def test_every_network_nudges_at_80x24_with_its_numbers_in_view(kw):
    app = app_for(**kw)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await keys(pilot, "tab", "down", "right")
        e = app.engine
        name = app.stepper.selected
        s = Scenario(**kw)
        oracle = make_engine(s)
        old = oracle.settable()[name]
        before = oracle.loss
        oracle.set_value(name, nudged(old, 0.1, 1))
        assert e.params == oracle.params and e.loss == pytest.approx(oracle.loss, rel=1e-12)
        ratio = (oracle.loss - before) / (nudged(old, 0.1, 1) - old)
        text = screen_text(app)
        loss_name = e.network.loss
        assert f"Δ{loss_name}/Δ{name}, nudged" in text  # beside the gradient, in view
        pane = app.query_one(GradientPane) if len(app.query(GradientPane)) == 1 else app.query_one(f"#grad-{name}")
        line = next(r for r in pane.plain_lines if "nudged" in r)
        assert number(NUMBER.findall(line)[-1]) == pytest.approx(ratio, rel=1e-3, abs=1e-12)
        assert f"d{loss_name}/d{name}" in text
