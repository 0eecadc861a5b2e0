"""Every network the engine can build, against central finite differences and
against formulas written out by hand here."""

import itertools
import math
import random
import warnings

import pytest

from bptui.engine import Engine
from bptui.networks import ACTIVATIONS, LOSSES, chain_network, mazur_network
from bptui.scenario import Scenario


def loss_at(net, params):
    return net.evaluate(params).loss


def central_difference(net, params, i, rel=1e-6):
    eps = rel * max(1.0, abs(params[i]))
    up = list(params)
    down = list(params)
    up[i] += eps
    down[i] -= eps
    return (loss_at(net, up) - loss_at(net, down)) / (2 * eps)


COMBOS = [
    (layers, act, loss, bias)
    for layers, act, loss, bias in itertools.product((1, 2, 3, 5), ACTIVATIONS, LOSSES, (False, True))
    if loss != "bce" or act == "sigmoid"
]


@pytest.mark.parametrize("layers, activation, loss, biases", COMBOS)
def test_gradients_match_central_differences(layers, activation, loss, biases):
    rng = random.Random(hash((layers, activation, loss, biases)) & 0xFFFF)
    checked = 0
    while checked < 12:
        x = rng.uniform(-2, 2)
        y = rng.uniform(0.05, 0.95) if loss == "bce" else rng.uniform(-1.5, 1.5)
        net = chain_network(layers, activation, loss, biases, x, y)
        params = [rng.uniform(-1.5, 1.5) for _ in net.params]
        t = net.evaluate(params)
        if activation == "relu" and any(abs(t.values[f"z{k}"]) < 1e-3 for k in range(1, layers + 1)):
            continue  # a finite difference across relu's kink measures nothing
        for i, p in enumerate(net.params):
            fd = central_difference(net, params, i)
            assert t.grad(p) == pytest.approx(fd, rel=2e-5, abs=1e-8), (p, params)
            assert sum(t.path_products(p)) == pytest.approx(t.grad(p), rel=1e-12, abs=1e-300)
        checked += 1


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_chain_forward_by_hand(activation):
    act = {
        "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
        "tanh": math.tanh,
        "relu": lambda z: max(z, 0.0),
        "linear": lambda z: z,
    }[activation]
    ws, bs, x, y = [0.7, -1.1, 0.4], [0.2, 0.05, -0.3], 1.3, 0.25
    a = x
    for w, b in zip(ws, bs):
        a = act(w * a + b)
    net = chain_network(3, activation, "half-se", True, x, y)
    t = net.evaluate([v for pair in zip(ws, bs) for v in pair])
    assert t.values["o"] == pytest.approx(a, rel=1e-14)
    assert t.loss == pytest.approx(0.5 * (a - y) ** 2, rel=1e-13)


def test_relu_derivative_at_zero_is_zero():
    net = chain_network(1, "relu", "se", False, 0.0, 1.0)
    t = net.evaluate([0.5])
    assert t.values["z1"] == 0.0 and t.factors["o", "z1"] == 0.0


def test_bce_by_hand_and_at_the_edges():
    net = chain_network(1, "sigmoid", "bce", False, 1.0, 0.3)
    t = net.evaluate([0.8])
    o = 1 / (1 + math.exp(-0.8))
    assert t.loss == pytest.approx(-(0.3 * math.log(o) + 0.7 * math.log(1 - o)), rel=1e-14)
    assert t.factors["J", "o"] == pytest.approx((o - 0.3) / (o * (1 - o)), rel=1e-13)
    # o rounds to exactly 1: J comes from z (0.3·ln(1 + e^−800) + 0.7·ln(1 + e^800)
    # = 0.7 × 800), and the factor dJ/do, which needs 1 − o, cannot be formed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = net.evaluate([800.0])
    assert t.values["o"] == 1.0 and t.loss == pytest.approx(0.7 * 800.0, rel=1e-15)
    assert math.isnan(t.factors["J", "o"])


# --- near saturation: every digit shown is right --------------------------------------
# σ(z) rounds to 1 for z past about 37, and 1 − σ(z) keeps few digits well
# before that; the slopes and bce are computed from z there. The truth here is
# worked out in 60-digit decimal arithmetic, independently of the app's code.

from decimal import Decimal, getcontext  # noqa: E402

getcontext().prec = 60


def _dsig(z: float) -> Decimal:
    return 1 / (1 + (-Decimal(z)).exp())


@pytest.mark.parametrize("z", [0.5, -3.0, 12.0, 20.0, 30.0, 36.0, 40.0, 100.0, -30.0, -100.0])
def test_sigmoid_slope_is_right_to_the_last_digit_near_saturation(z):
    net = chain_network(1, "sigmoid", "se", False, 1.0, 0.5)
    t = net.evaluate([z])
    truth = _dsig(z) * (1 - _dsig(z))
    assert t.factors["o", "z1"] == pytest.approx(float(truth), rel=1e-14)


@pytest.mark.parametrize("z", [0.5, -3.0, 7.0, 9.0, 15.0, 20.0, -20.0, 200.0])
def test_tanh_slope_is_right_to_the_last_digit_near_saturation(z):
    net = chain_network(1, "tanh", "se", False, 1.0, 0.5)
    t = net.evaluate([z])
    d = Decimal(z)
    tanh = ((2 * d).exp() - 1) / ((2 * d).exp() + 1)
    assert t.factors["o", "z1"] == pytest.approx(float(1 - tanh * tanh), rel=1e-14)


@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("z", [-40.0, -30.0, -5.0, 0.3, 5.0, 30.0, 40.0, 700.0])
def test_bce_and_its_slope_are_right_when_confidently_wrong(z, y):
    net = chain_network(1, "sigmoid", "bce", False, 1.0, y)
    t = net.evaluate([z])
    o, dy = _dsig(z), Decimal(y)
    one_minus_o = 1 - o if z < 0 else _dsig(-z)
    truth = -((dy * o.ln() if y else 0) + ((1 - dy) * one_minus_o.ln() if y != 1 else 0))
    assert t.loss == pytest.approx(float(truth), rel=1e-14, abs=1e-300)
    # o − y without 60 digits' rounding of o: e^(−700) is far below them
    err = (1 - dy) - one_minus_o if z >= 0 else o - dy
    if abs(z) < 700 or y in (0.0, 1.0):
        slope = err / (o * one_minus_o)
        assert t.factors["J", "o"] == pytest.approx(float(slope), rel=1e-13)
        # and the gradient's own check agrees with it
        from bptui.gradcheck import check

        c = check(t, "w1")
        dJ_dz = float(err)
        assert t.grad("w1") == pytest.approx(dJ_dz, rel=1e-13, abs=1e-300)
        if abs(dJ_dz) > 1e-6:
            assert c.rel_error < 1e-6


def test_vanishing_gradient_in_a_deep_sigmoid_chain():
    s = Scenario(layers=6)
    t = s.network().evaluate(s.initial_params())
    ratio = abs(t.grad("w6")) / abs(t.grad("w1"))
    assert ratio > 100  # each σ′ ≤ 1/4 shrinks the gradient on its way down


def test_equal_first_and_last_gradients_are_called_equal():
    from bptui.networks import vanishing_note

    s = Scenario(activation="linear", layers=3, weights=(0.2, 1.0, 0.2), y=1.0)
    t = s.network().evaluate(s.initial_params())
    assert t.grad("w1") == t.grad("w3")
    assert vanishing_note(t) == "dJ/dw1 is about as large\nas dJ/dw3"


def test_names_follow_the_question_for_two_layers():
    net = chain_network(2, "sigmoid", "se", False, 2.0, 4.0)
    assert [n.name for n in net.nodes] == ["x", "w1", "z1", "h", "w2", "z2", "o", "y", "J"]
    net = chain_network(3, "tanh", "se", True, 2.0, 4.0)
    assert net.params == ("w1", "b1", "w2", "b2", "w3", "b3")
    assert net.weights == ("w1", "w2", "w3") and net.biases == ("b1", "b2", "b3")
    assert [n.name for n in net.nodes if n.kind == "op"] == ["z1", "a1", "z2", "a2", "z3", "o", "J"]


@pytest.mark.parametrize(
    "activation, loss, y, floor",
    [
        ("sigmoid", "se", 4.0, 9.0),
        ("sigmoid", "half-se", 4.0, 4.5),
        ("sigmoid", "se", -0.5, 0.25),
        ("tanh", "se", 3.0, 4.0),
        ("relu", "se", 4.0, None),
        ("relu", "se", -1.5, 2.25),  # relu's output is never below 0
        ("relu", "half-se", -3.0, 4.5),
        ("sigmoid", "se", 0.5, None),
        ("sigmoid", "bce", 0.5, math.log(2)),
        ("sigmoid", "bce", 1.0, None),
    ],
)
def test_floor(activation, loss, y, floor):
    net = chain_network(2, activation, loss, False, 2.0, y)
    assert net.floor == (None if floor is None else pytest.approx(floor, rel=1e-15))


def test_relu_reaches_its_floor_and_never_goes_below():
    """The floor is a bound, not a guess: every J of a run stays at or above
    it, and relu (unlike σ) reaches it, once its output is 0."""
    from bptui.engine import Engine

    net = chain_network(2, "relu", "se", False, 2.0, -1.5)
    engine = Engine(net, [0.8, 0.6], 0.05)
    engine.step(200)
    losses = [engine.loss_at(k) for k in range(201)]
    assert min(losses) >= net.floor == 1.5**2
    assert losses[-1] == net.floor  # o = 0 exactly: J = (0 − y)²


# --- Mazur's 2-2-2 example -------------------------------------------------------


def mazur_by_hand(w):
    """Forward pass, error and every gradient, written out as in Mazur's post."""
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    i1, i2, b1, b2, t1, t2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99
    h1 = s(w[0] * i1 + w[1] * i2 + b1)
    h2 = s(w[2] * i1 + w[3] * i2 + b1)
    o1 = s(w[4] * h1 + w[5] * h2 + b2)
    o2 = s(w[6] * h1 + w[7] * h2 + b2)
    E = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    d1 = (o1 - t1) * o1 * (1 - o1)  # dE/dzo1
    d2 = (o2 - t2) * o2 * (1 - o2)  # dE/dzo2
    g = [0.0] * 8
    g[4], g[5], g[6], g[7] = d1 * h1, d1 * h2, d2 * h1, d2 * h2
    e1 = (d1 * w[4] + d2 * w[6]) * h1 * (1 - h1)  # dE/dzh1: two paths meet at h1
    e2 = (d1 * w[5] + d2 * w[7]) * h2 * (1 - h2)
    g[0], g[1], g[2], g[3] = e1 * i1, e1 * i2, e2 * i1, e2 * i2
    return {"h1": h1, "h2": h2, "o1": o1, "o2": o2, "E": E}, g


def test_mazur_forward_and_gradients_by_hand():
    net = mazur_network()
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    t = net.evaluate(w)
    values, grads = mazur_by_hand(w)
    for k, v in values.items():
        assert t.values[k] == pytest.approx(v, rel=1e-14), k
    for i, g in enumerate(grads):
        assert t.grad(f"w{i + 1}") == pytest.approx(g, rel=1e-12), i
    # the figures Mazur's post prints
    assert t.values["zh1"] == pytest.approx(0.3775, rel=1e-12)
    assert t.values["h1"] == pytest.approx(0.593269992, abs=5e-10)
    assert t.values["o1"] == pytest.approx(0.75136507, abs=5e-9)
    assert t.loss == pytest.approx(0.298371109, abs=5e-10)
    assert t.grad("w5") == pytest.approx(0.082167041, abs=5e-10)
    assert t.grad("w1") == pytest.approx(0.000438568, abs=5e-10)


def test_mazur_hidden_weights_have_two_paths():
    net = mazur_network()
    t = net.evaluate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])
    assert len(net.paths["w1"]) == 2 and len(net.paths["w5"]) == 1
    via = [[e.inp for e in path] for path in net.paths["w1"]]
    assert sorted(via) == sorted([["E1", "o1", "zo1", "h1", "zh1", "w1"], ["E2", "o2", "zo2", "h1", "zh1", "w1"]])
    assert sum(t.path_products("w1")) == pytest.approx(t.grad("w1"), rel=1e-14)


def test_mazur_one_step_updates_every_weight_from_the_same_gradients():
    s = Scenario(preset="mazur")
    e = Engine(s.network(), s.initial_params(), s.lr)
    w = list(s.initial_params())
    _, g = mazur_by_hand(w)
    e.step()
    want = [wi - 0.5 * gi for wi, gi in zip(w, g)]
    assert e.params == pytest.approx(want, rel=1e-13)
    # Mazur's updated weights
    for name, v in {"w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121,
                    "w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229}.items():  # fmt: skip
        assert e.trace.values[name] == pytest.approx(v, abs=5e-9), name
    # The post prints E = 0.291027924 after this step, but its own updated
    # weights give 0.2910277737 (by hand here and in double precision): its
    # figure carries rounding from earlier lines. We check the by-hand value.
    assert e.loss == pytest.approx(mazur_by_hand(want)[0]["E"], rel=1e-13)
    assert e.loss == pytest.approx(0.2910277737, abs=5e-11)


def test_mazur_undo_is_exact():
    s = Scenario(preset="mazur")
    e = Engine(s.network(), s.initial_params(), s.lr)
    start = (e.params, e.trace.adjoints)
    e.step(50)
    e.reset()
    assert (e.params, e.trace.adjoints) == start


@pytest.mark.parametrize(
    "activation, y, note",
    [
        ("sigmoid", 4.0, "y = 4 is outside σ's range (0, 1): J can near (1 − y)² = 9, never 0."),
        ("tanh", -1.5, "y = −1.5 is outside tanh's range (−1, 1): J can near (−1 − y)² = 0.25, never 0."),
        ("relu", -1.5, "y = −1.5 is below relu's range [0, ∞): J ≥ (0 − y)² = 2.25, reached when o = 0, never less."),
        ("relu", 1.5, None),
        ("linear", -1.5, None),
    ],
)
def test_floor_note_says_what_j_can_reach(activation, y, note):
    from bptui.scenario import Scenario, floor_note

    assert floor_note(Scenario(activation=activation, y=y).network()) == note


def test_stuck_says_why_when_no_weight_can_move():
    from bptui.cli import make_engine
    from bptui.networks import stuck_note
    from bptui.scenario import Scenario

    e = make_engine(Scenario(activation="relu"))
    assert stuck_note(e.trace, e.lr) is None
    e.step(5)
    t = e.trace
    assert all(t.grad(p) == 0.0 for p in e.network.params) and t.values["z1"] < 0  # independently: dead
    note = stuck_note(t, e.lr)
    assert "every gradient is 0" in note and "relu units h, o are dead (z ≤ 0: relu′ = 0)" in note and "undo (u)" in note
    e = make_engine(Scenario())
    e.set_lr(1e300)
    e.step(2)
    note = stuck_note(e.trace, e.lr)
    assert note is not None and "saturated" in note and "another rate (l)" in note
    assert abs(e.trace.factors[("o", "z2")]) < 1e-12
