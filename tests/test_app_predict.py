"""Predict mode on screen at 80×24: the question and what it needs above the
answer, a wrong answer's hint, the verdict and the score in the status. The
values are checked against the reference numbers."""

from tests.reference import FACTORS, START
from tests.test_app import app_for, screen_text, status
from tests.test_app_nudge import keys


async def test_a_prediction_wrong_then_right_at_80x24():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "x", "full_stop", *"1.5", "enter")  # z1, 2.8 % off: wrong
        text = screen_text(app)
        assert "z1: the value of w1·x (w1 = 0.7713206, x = 2)" in text
        assert "✗ 1.5. Hint, the rule: a weighted sum" in text
        assert "z1 =" in text.splitlines()[-2]  # the answer's line, above the Footer
        await keys(pilot, *"1.54", "enter")  # right to the digits typed
        text = screen_text(app)
        assert "✓ z1 = 1.542641" in text
        assert "predict 0/1" in " ".join(status(app))  # right, but not on the first try
        # on through the forward pass to a factor, answered right first time
        for name in ("h", "z2", "o", "J"):
            await keys(pilot, "full_stop", *f"{START[name]:.7g}", "enter")
        await keys(pilot, "full_stop", *f"{FACTORS[('J', 'o')]:.7g}", "enter")
        rows = " ".join(status(app))
        assert "predict 5/6" in rows
        assert "(forward 4/5 · factors 1/1)" in screen_text(app)


async def test_a_classic_mistake_is_named_on_screen():
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "x")
        for name in ("z1", "h", "z2", "o", "J"):
            await keys(pilot, "full_stop", *f"{START[name]:.7g}", "enter")
        await keys(pilot, "full_stop", *f"{START['J']:.7g}", "enter")  # J for dJ/do: the question's rule
        text = screen_text(app)
        assert "That is J in place of 2(o − y) (the question's rule)" in text.replace("\n", " ")
