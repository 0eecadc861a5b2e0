"""The finite-difference check beside each gradient: its estimate against an
independent central difference, its relative error, and that it never moves
the state."""

import math

import pytest

from bptui.cli import make_engine
from bptui.gradcheck import check, step_for
from bptui.scenario import Scenario
from tests.test_engine import hand_gradients, loss


@pytest.mark.parametrize("w1, w2", [(0.7713206, 0.02075195), (-1.3, 2.2), (4.0, -7.5)])
def test_estimate_is_the_central_difference_and_error_compares_it_with_backprop(w1, w2):
    engine = make_engine(Scenario(weights=(w1, w2)))
    before = engine.params
    for i, name in enumerate(("w1", "w2")):
        c = check(engine.trace, name)
        w = (w1, w2)[i]
        h = step_for(w)
        up = [w1, w2]
        down = [w1, w2]
        up[i] += h
        down[i] -= h
        by_hand = (loss(2.0, 4.0, *up) - loss(2.0, 4.0, *down)) / (2 * h)
        assert c.estimate == pytest.approx(by_hand, rel=1e-9, abs=1e-14)
        g = hand_gradients(2.0, 4.0, w1, w2)[i]
        assert c.backprop == pytest.approx(g, rel=1e-12)
        assert c.rel_error == pytest.approx(abs(c.backprop - c.estimate) / max(abs(c.backprop), abs(c.estimate)))
        assert c.rel_error < 1e-5  # rounding limits it where the gradient is tiny next to J
    assert engine.params == before  # a copy was perturbed, not the state


def test_a_wrong_gradient_shows_a_large_error():
    """The check can fail: a trace whose gradient is off by 1% reads 1e−2."""
    engine = make_engine(Scenario())
    trace = engine.trace
    true = trace.grad("w2")
    trace.adjoints["w2"] = true * 1.01
    assert check(trace, "w2").rel_error == pytest.approx(0.01 / 1.01, rel=1e-5)


def test_a_non_finite_gradient_has_no_error_figure():
    # the product overflows on the way down to w1: nothing to compare
    engine = make_engine(Scenario(weights=(-1e308, 1.7e308)))
    c = check(engine.trace, "w1")
    assert math.isnan(c.backprop) and math.isnan(c.rel_error)


def test_zero_gradient_agrees_exactly():
    engine = make_engine(Scenario(activation="relu", weights=(-1.0, 1.0), y=0.5))
    c = check(engine.trace, "w2")
    assert c.backprop == 0.0 and c.estimate == 0.0 and c.rel_error == 0.0


def test_at_a_minimum_the_check_shows_its_noise_not_an_error():
    """Deep in a minimum both gradients are rounding noise: a relative error
    of 1 there would cry wolf. The check says how far the estimate can be off."""
    engine = make_engine(Scenario(activation="tanh", y=0.5, biases=(0.1, 0.2), lr=0.1))
    engine.step(10_000)
    c = check(engine.trace, "w1")
    assert engine.loss < 1e-25 and c.rel_error > 0.5
    assert c.lost_in_noise and abs(c.backprop - c.estimate) <= 2 * c.noise
    # the noise is the estimate's truncation, gauged against the same difference at 2h
    h = step_for(engine.params[0])
    def J(dw):
        return engine.network.evaluate((engine.params[0] + dw, *engine.params[1:])).loss
    wide = (J(2 * h) - J(-2 * h)) / (4 * h)
    assert c.noise >= abs(wide - c.estimate) / 3
    # where the gradient is real, a real error is still an error
    trace = make_engine(Scenario()).trace
    trace.adjoints["w2"] *= 1.01
    c = check(trace, "w2")
    assert not c.lost_in_noise and c.rel_error == pytest.approx(0.01 / 1.01, rel=1e-5)


def test_the_noise_never_hides_a_wrong_gradient():
    """At 8 sigmoid layers dJ/dw1 is tiny next to J and the estimate is only
    good to a few tenths of a percent: a gradient 30% off must still read as
    an error, not as ± noise."""
    trace = make_engine(Scenario(layers=8)).trace
    right = check(trace, "w1")
    assert not right.lost_in_noise and right.rel_error < 0.01
    trace.adjoints["w1"] *= 1.3
    wrong = check(trace, "w1")
    assert not wrong.lost_in_noise and wrong.rel_error > 0.2


def test_an_exact_minimum_checks_exactly():
    # o = 0.25·2 = y: the gradient is exactly 0, and w ± h (h a power of two)
    # are exact, so the estimate is exactly 0 too
    engine = make_engine(Scenario(activation="linear", y=0.5, layers=1, weights=(0.25,)))
    c = check(engine.trace, "w1")
    assert c.backprop == 0.0 and c.estimate == 0.0 and c.rel_error == 0.0


def test_near_a_perfect_fit_the_residual_is_noise_and_the_check_says_so():
    # 2000 steps in, o − y is a couple of rounding errors of o: dJ/dw2 ∝ o − y
    # is as uncertain as the estimate, and "err 0.2" would mean nothing
    engine = make_engine(Scenario(y=0.5, biases=(0.1, 0.2), lr=0.1))
    engine.step(2000)
    o = engine.trace.values["o"]
    assert abs(o - 0.5) < 1e-15
    assert all(check(engine.trace, p).lost_in_noise for p in engine.network.params)
