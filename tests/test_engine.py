import math
import random
import warnings

import numpy as np
import pytest

from bptui.engine import Engine
from bptui.graph import GraphBuilder
from bptui.scenario import Scenario, question_network
from tests.reference import AFTER_ONE_STEP, FACTORS, GRADS, START, close12


def make(**kw) -> Engine:
    from bptui.cli import make_engine

    return make_engine(Scenario(**kw))


# --- independent computations (hand algebra, not the engine) -------------------


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def loss(x, y, w1, w2):
    return (sig(w2 * sig(w1 * x)) - y) ** 2


def hand_gradients(x, y, w1, w2):
    h = sig(w1 * x)
    o = sig(w2 * h)
    dw2 = 2 * (o - y) * o * (1 - o) * h
    dw1 = 2 * (o - y) * o * (1 - o) * w2 * h * (1 - h) * x
    return dw1, dw2


def central_difference(f, v, rel=1e-6):
    eps = rel * max(1.0, abs(v))
    return (f(v + eps) - f(v - eps)) / (2 * eps)


# --- the reference numbers ----------------------------------------------------


def test_start_matches_reference():
    t = make().trace
    for name, ref in START.items():
        assert close12(t.values[name], ref), (name, t.values[name], ref)
    assert t.values["x"] == 2.0 and t.values["y"] == 4.0


def test_factors_and_gradients_match_reference():
    t = make().trace
    for key, ref in FACTORS.items():
        assert close12(t.factors[key], ref), (key, t.factors[key], ref)
    for name, ref in GRADS.items():
        assert close12(t.grad(name), ref), (name, t.grad(name), ref)


def test_one_step_matches_reference():
    e = make()
    assert e.step() == 1
    assert close12(e.params[0], AFTER_ONE_STEP["w1"])
    assert close12(e.params[1], AFTER_ONE_STEP["w2"])
    assert close12(e.loss, AFTER_ONE_STEP["J"])
    assert close12(e.trace.loss, AFTER_ONE_STEP["J"])


def test_both_weights_updated_from_the_same_gradients():
    e = make()
    g1, g2 = e.trace.grad("w1"), e.trace.grad("w2")
    (w1, w2), lr = e.params, e.lr
    e.step()
    assert e.params == (w1 - lr * g1, w2 - lr * g2)


def test_gradient_is_the_product_of_its_factors_bit_for_bit():
    t = make().trace
    f = t.factors
    assert t.grad("w2") == f["J", "o"] * f["o", "z2"] * f["z2", "w2"]
    assert t.grad("w1") == f["J", "o"] * f["o", "z2"] * f["z2", "h"] * f["h", "z1"] * f["z1", "w1"]
    assert t.path_products("w1") == [t.grad("w1")]
    assert t.path_products("w2") == [t.grad("w2")]


def test_shared_factors_are_the_first_two():
    net = question_network(2.0, 4.0)
    shared = {k for k, users in net.edge_users.items() if len(users) > 1}
    assert shared == {("J", "o"), ("o", "z2")}
    assert [e.symbol for e in net.paths["w1"][0]] == ["dJ/do", "do/dz2", "dz2/dh", "dh/dz1", "dz1/dw1"]
    assert [e.symbol for e in net.paths["w2"][0]] == ["dJ/do", "do/dz2", "dz2/dw2"]


# --- against finite differences and hand algebra over many states ----------------


def test_gradients_match_central_differences_and_hand_algebra():
    rng = random.Random(1234)
    for _ in range(400):
        x = rng.uniform(-3, 3)
        y = rng.uniform(-2, 5)
        w1 = rng.uniform(-3, 3)
        w2 = rng.uniform(-3, 3)
        t = question_network(x, y).evaluate((w1, w2))
        assert t.loss == pytest.approx(loss(x, y, w1, w2), rel=1e-13, abs=1e-15)
        fd1 = central_difference(lambda v: loss(x, y, v, w2), w1)
        fd2 = central_difference(lambda v: loss(x, y, w1, v), w2)
        assert t.grad("w1") == pytest.approx(fd1, rel=1e-5, abs=1e-8)
        assert t.grad("w2") == pytest.approx(fd2, rel=1e-5, abs=1e-8)
        h1, h2 = hand_gradients(x, y, w1, w2)
        assert t.grad("w1") == pytest.approx(h1, rel=1e-12, abs=1e-15)
        assert t.grad("w2") == pytest.approx(h2, rel=1e-12, abs=1e-15)


def test_many_steps_match_a_hand_written_loop():
    e = make()
    e.step(500)
    w1, w2 = Scenario().initial_weights()
    for _ in range(500):
        g1, g2 = hand_gradients(2.0, 4.0, w1, w2)
        w1, w2 = w1 - 0.5 * g1, w2 - 0.5 * g2
    assert e.params == pytest.approx((w1, w2), rel=1e-12)
    # y = 4 lies outside σ's range: J approaches (1 − 4)² = 9 but stays above it
    assert 9.0 < e.loss < 9.1


def test_jump_equals_single_steps_bit_for_bit():
    a, b = make(), make()
    a.step(1000)
    for _ in range(1000):
        b.step()
    assert a.params == b.params and a.loss == b.loss
    assert np.array_equal(a.loss_slice(0, 1001), b.loss_slice(0, 1001))


# --- undo and reset -----------------------------------------------------------


def test_undo_and_reset_restore_bit_for_bit():
    e = make()
    seen = [(e.params, e.loss, e.trace.adjoints, e.trace.factors)]
    for _ in range(30):
        e.step()
        seen.append((e.params, e.loss, e.trace.adjoints, e.trace.factors))
    for k in range(30, 0, -1):
        assert e.undo() == 1
        assert e.step_count == k - 1
        assert (e.params, e.loss, e.trace.adjoints, e.trace.factors) == seen[k - 1]
    assert e.undo() == 0
    e.step(10)
    e.reset()
    assert e.step_count == 0
    assert (e.params, e.loss, e.trace.adjoints, e.trace.factors) == seen[0]


def test_last_update_reports_old_rate_gradient_new():
    e = make()
    assert e.last_update() == []
    e.step()
    e.set_lr(0.25)
    e.step()
    u1, u2 = e.last_update()
    assert (u1.name, u2.name) == ("w1", "w2")
    assert u2.lr == 0.25
    for u in (u1, u2):
        assert u.new == u.old - u.lr * u.amount
    e.undo()
    u1, u2 = e.last_update()
    assert u2.lr == 0.5 and close12(u2.new, AFTER_ONE_STEP["w2"])
    assert close12(u2.amount, GRADS["w2"])


def test_history_is_compact():
    e = make()
    e.step(100_000)
    # two weights, J, the rate and the rule: 40 bytes a step, so 10^6 steps ≈ 40 MB
    assert e.history_bytes == 40 * 100_001


# --- numerics -------------------------------------------------------------------


def test_huge_rates_never_warn_or_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lr in (1e3, 1e12, 1e100):
            e = make(lr=lr)
            e.step(200)
            assert all(math.isfinite(v) for v in e.params)
            assert all(math.isfinite(v) for v in e.loss_slice(0, e.step_count + 1))
            assert all(math.isfinite(v) for v in e.trace.values.values())


def test_sigmoid_is_stable_for_extreme_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for w1 in (-1e308, -800.0, -40.0, 0.0, 40.0, 800.0, 1e308):
            t = question_network(1.0, 0.5).evaluate((w1, 1.0))
            assert 0.0 <= t.values["h"] <= 1.0
        t = question_network(1.0, 0.5).evaluate((-800.0, 1.0))
        assert t.values["h"] == 0.0 and t.factors["h", "z1"] == 0.0


def test_a_step_that_would_overflow_is_refused_and_explained():
    # J = (o − y)² ≈ 1e300 is finite; lr × dJ/dw2 ≈ 1e300 × 4e149 is not.
    e = make(y=1e150, lr=1e300)
    before = (e.params, e.loss)
    assert e.step() == 0
    assert (e.params, e.loss, e.step_count) == (*before, 0)
    d = e.divergence
    assert d is not None and d.step == 1
    assert math.isinf(d.would_be["w2"])
    text = d.describe()
    assert "Step 1 not taken" in text and "w2 = +inf" in text
    # refused again until undo, reset or a new rate
    assert e.step() == 0
    e.set_lr(0.5)
    assert e.divergence is None
    assert e.step() == 1
    e.undo()
    e.set_lr(1e300)
    assert e.step(5) == 0 and e.divergence is not None
    e.reset()
    assert e.divergence is None and e.step_count == 0
    assert e.step() == 0  # the same rate from the same state is refused again
    e.undo()
    assert e.divergence is None


def test_bce_refuses_a_step_past_where_its_slope_can_be_formed():
    """bce and its slope come from z, so σ(z) rounding to 1 (z past about 37)
    is fine; but the factor (o − y)/(o(1 − o)) grows like e^|z| and past
    |z| ≈ 710 leaves the doubles, so the step after would have nothing to
    compute. The step that lands there is refused."""
    e = make(loss="bce", y=0.5, layers=1, weights=(5.0,), lr=1e6)
    before = e.params
    assert e.step() == 0 and e.params == before
    d = e.divergence
    assert d is not None and d.would_be["z1"] < -710 and math.isfinite(d.would_be["J"])
    text = d.describe()
    assert "where bce's factor (o − y)/(o(1 − o)) ≈ e^|z1| is past the largest double" in text
    e.set_lr(100.0)  # a rate that stays within reach goes on, past o = 1.0
    assert e.step(5) == 5
    assert all(math.isfinite(g) for g in e.trace.adjoints.values())
    # with y = 1 the slope is −1/o, which exists however close o is to 1
    e = make(loss="bce", y=1.0, weights=(5.0, 5.0), lr=1e4)
    assert e.step() == 1 and e.trace.values["o"] == 1.0 and e.trace.factors["J", "o"] == -1.0


def test_bce_is_exact_for_a_near_perfect_fit_and_never_minus_0():
    # y = 0 and z2 ≈ −88: J = ln(1 + e^z2) ≈ e^z2, not 0 (as −ln(1 − o) would give)
    e = make(loss="bce", y=0.0, weights=(1.0, -100.0))
    z2 = e.trace.values["z2"]
    assert e.loss == pytest.approx(math.exp(z2), rel=1e-15)
    # past e^−745 it is 0, and +0
    e = make(loss="bce", y=0.0, weights=(30.0, -800.0))
    assert e.loss == 0.0 and math.copysign(1.0, e.loss) == 1.0
    e.step()
    assert math.copysign(1.0, e.loss) == 1.0


def test_a_nan_weight_is_named_without_the_meaningless_J_it_gives():
    from bptui.engine import Divergence

    text = Divergence(4, 0.5, {"w1": math.nan, "w2": 0.5, "J": math.inf}).describe()
    assert "w1 = nan (not a number)" in text and "J =" not in text
    text = Divergence(4, 0.5, {"w1": 1.0, "w2": 0.5, "J": math.inf}).describe()
    assert "J = +inf" in text


def test_a_jump_stops_at_the_first_bad_step():
    # J = (w·x − y)² with x = 1, y = 0 and lr = 1.5: w ← w − 1.5·2w = −2w, so
    # |w| doubles every step and J = w² overflows after about 512 steps.
    g = GraphBuilder()
    g.input("x", 1.0)
    g.param("w")
    g.op("z", "lin", "w", "x")
    g.input("y", 0.0)
    g.op("J", "se", "z", "y")
    e = Engine(g.compile("J"), (1.0,), 1.5)
    taken = e.step(10_000)
    assert 500 < taken < 520 and e.step_count == taken
    assert e.params == ((-2.0) ** taken,)
    assert all(math.isfinite(v) for v in e.loss_slice(0, taken + 1))
    assert math.isinf(e.divergence.would_be["J"])
    assert e.divergence.step == taken + 1


def test_history_stops_at_max_steps():
    net = question_network(2.0, 4.0)
    capped = Engine(net, (0.1, 0.2), 0.5, max_steps=5000)
    free = Engine(net, (0.1, 0.2), 0.5)
    assert capped.step(3) == 3 and not capped.history_full
    assert capped.step(10_000) == 4997 and capped.history_full and capped.step_count == 5000
    assert capped.step() == 0 and capped.divergence is None  # full, not diverged
    free.step(5000)
    assert capped.history_array().tobytes() == free.history_array().tobytes()
    assert capped.undo(2) == 2 and not capped.history_full
    assert capped.step(5) == 2 and capped.params == free.params
    with pytest.raises(ValueError, match="max_steps"):
        Engine(net, (0.1, 0.2), 0.5, max_steps=0)


def test_bad_construction_is_refused():
    net = question_network(2.0, 4.0)
    with pytest.raises(ValueError, match="finite"):
        Engine(net, (math.inf, 0.0), 0.5)
    with pytest.raises(ValueError, match="learning rate"):
        Engine(net, (0.1, 0.2), 0.0)
    with pytest.raises(ValueError, match="not finite at the starting point"):
        Engine(question_network(2.0, 1e200), (0.1, 0.2), 0.5)
    with pytest.raises(ValueError, match="learning rate"):
        Engine(net, (0.1, 0.2), 0.5).set_lr(math.nan)


# --- the question's mistakes --------------------------------------------------------


def test_the_questions_rule_moves_w2_the_wrong_way():
    e = make()
    e.set_rule(1)
    assert e.rule.name == "question"
    (w1, w2), J = e.params, e.loss
    t = e.trace
    e.step()
    # the question's own line: w2 -= 0.5 * 2 * J * h * sigmoid_derivative(o), by hand
    h, o = t.values["h"], t.values["o"]
    assert e.params[1] == w2 - 0.5 * 2.0 * J * h * (o * (1.0 - o))
    assert e.params[1] == pytest.approx(-2.4959, abs=5e-5)
    assert e.params[0] == w1  # w1 never moves
    assert e.loss > J  # and J rises
    (u,) = e.last_update()
    assert u.name == "w2" and u.formula == "2·J·h·o(1−o)" and u.new == u.old - u.lr * u.amount


def test_the_answers_slip_moves_w1_by_w2s_gradient():
    e = make()
    e.set_rule(2)
    g2 = e.trace.grad("w2")
    w1, w2 = e.params
    e.step()
    assert e.params == (w1 - 0.5 * g2, w2 - 0.5 * g2)
    assert e.params[0] == pytest.approx(1.4913, abs=5e-5)
    u1, u2 = e.last_update()
    assert u1.formula == u2.formula == "dJ/dw2" and u1.amount == g2


def test_rules_are_recorded_per_step_and_undo_is_exact():
    e = make()
    e.step(3)
    e.set_rule(1)
    e.step(2)
    e.set_rule(0)
    e.step()
    assert [e.rule_at(k) and e.rule_at(k).name for k in range(7)] == [
        None, "correct", "correct", "correct", "question", "question", "correct"
    ]  # fmt: skip
    e.undo(3)
    f = make()
    f.step(3)
    assert e.params == f.params


def test_other_networks_have_only_the_correct_rule():
    from bptui.cli import make_engine

    assert [r.name for r in make_engine(Scenario(layers=3)).rules] == ["correct"]
    assert [r.name for r in make_engine(Scenario()).rules] == ["correct", "question", "answer"]
    assert [r.name for r in make_engine(Scenario(y=0.5, x=-1)).rules] == ["correct", "question", "answer"]
