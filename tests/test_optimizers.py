"""Momentum and Adam, against an independent computation: the loss written
out here in numpy, its gradient by central differences, and each optimizer's
update as PyTorch documents it (torch.optim.SGD with momentum, torch.optim.Adam),
written out here again, not taken from bptui.optimizers."""

import math
import random

import numpy as np
import pytest

from bptui.optimizers import Optimizer
from bptui.scenario import Scenario
from bptui.session import session_from_text, session_text
from bptui.walk import operations, view
from tests.test_networks import mazur_by_hand

ACT = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "linear": lambda z: z,
}


def chain_loss(sc: Scenario, params: dict[str, float]) -> float:
    """The chain's loss written out: h_k = act(w_k·h_k−1 + b_k)."""
    h = sc.x
    for k in range(1, sc.layers + 1):
        h = ACT[sc.activation](params[f"w{k}"] * h + params.get(f"b{k}", 0.0))
    if sc.loss == "se":
        return (h - sc.y) ** 2
    if sc.loss == "half-se":
        return 0.5 * (h - sc.y) ** 2
    return -(sc.y * np.log(h) + (1 - sc.y) * np.log(1 - h))


def mazur_loss(sc: Scenario, params: dict[str, float]) -> float:
    return mazur_by_hand([params[f"w{i}"] for i in range(1, 9)])[0]["E"]


def numeric_gradient(loss, sc, params: dict[str, float]) -> dict[str, float]:
    out = {}
    for p, w in params.items():
        eps = 1e-6 * max(1.0, abs(w))
        up, down = dict(params), dict(params)
        up[p], down[p] = w + eps, w - eps
        out[p] = (loss(sc, up) - loss(sc, down)) / (2 * eps)
    return out


def torch_step(name, hyper, w, g, state, lr, t):
    """One parameter's update as PyTorch's docs write it; state is updated."""
    if name == "momentum":
        mu = hyper["momentum"]
        state["v"] = g if t == 1 else mu * state["v"] + g  # torch's buffer starts as g itself
        return w - lr * state["v"]
    b1, b2 = hyper["betas"]
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    m_hat = state["m"] / (1 - b1**t)
    v_hat = state["v"] / (1 - b2**t)
    return w - lr * m_hat / (math.sqrt(v_hat) + hyper["eps"])


def random_scenario(rng: random.Random, optimizer: str) -> tuple[Scenario, object]:
    hyper = {"momentum": rng.choice([0.0, 0.5, 0.9, 0.99]), "betas": (rng.choice([0.5, 0.9]), rng.choice([0.9, 0.999])),
             "eps": rng.choice([1e-8, 1e-3])}  # fmt: skip
    hyper = {k: x for k, x in hyper.items() if (k == "momentum") == (optimizer == "momentum")}
    if rng.random() < 0.25:
        sc = Scenario(preset="mazur", lr=rng.choice([0.1, 0.5]), optimizer=optimizer, **hyper)
        return sc, mazur_loss
    activation = rng.choice(list(ACT))
    loss = "bce" if activation == "sigmoid" and rng.random() < 0.3 else rng.choice(["se", "half-se"])
    layers = rng.randint(1, 4)
    y = rng.uniform(0.1, 0.9) if loss == "bce" else rng.uniform(-1.0, 1.0)
    biases = tuple(rng.uniform(-0.5, 0.5) for _ in range(layers)) if rng.random() < 0.5 else None
    weights = tuple(rng.uniform(-1.0, 1.0) for _ in range(layers))
    sc = Scenario(layers=layers, activation=activation, loss=loss, y=y, x=rng.uniform(-1.5, 1.5), weights=weights,
                  biases=biases, lr=rng.choice([0.01, 0.1, 0.3]), optimizer=optimizer, **hyper)  # fmt: skip
    return sc, chain_loss


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("seed", range(12))
def test_each_step_is_the_optimizers_update_of_the_numeric_gradient(optimizer, seed):
    """From each recorded state, the independent step (central differences,
    PyTorch's formulas) gives the next recorded weights and state."""
    rng = random.Random(seed * 7 + len(optimizer))
    sc, loss = random_scenario(rng, optimizer)
    e = sc.engine()
    assert e.step(15) == 15
    hyper = {"momentum": sc.momentum, "betas": sc.betas, "eps": sc.eps}  # the defaults where not chosen
    names = e.network.params
    for k in range(15):
        params = dict(zip(names, e.params_at(k)))
        g = numeric_gradient(loss, sc, params)
        state = e.optimizer_state_at(k)
        after, slots = e.params_at(k + 1), e.optimizer_state_at(k + 1)
        for i, p in enumerate(names):
            s = dict(state[p])
            new = torch_step(optimizer, hyper, params[p], g[p], s, sc.lr, k + 1)
            scale = abs(sc.lr) * max(1.0, abs(g[p]))
            assert after[i] == pytest.approx(new, rel=1e-6, abs=1e-7 * scale), (k, p)
            for slot, value in s.items():
                assert slots[p][slot] == pytest.approx(value, rel=1e-5, abs=1e-9 * max(1.0, abs(g[p])) ** 2), (k, p, slot)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_the_step_is_the_formula_on_the_engines_own_gradient_to_the_last_bits(optimizer):
    """Given the engine's gradient at each step, PyTorch's formulas, with
    their own state kept here, follow the engine for 40 steps to rounding."""
    mine = {"momentum": 0.8} if optimizer == "momentum" else {"betas": (0.85, 0.99), "eps": 1e-6}
    sc = Scenario(preset="mazur", optimizer=optimizer, **mine)
    e = sc.engine()
    hyper = {"momentum": 0.8, "betas": (0.85, 0.99), "eps": 1e-6}
    state = {p: {"m": 0.0, "v": 0.0} for p in e.network.params}
    for k in range(1, 40):
        grads = e.trace.adjoints
        before = dict(zip(e.network.params, e.params))
        e.step()
        for i, p in enumerate(e.network.params):
            new = torch_step(optimizer, hyper, before[p], grads[p], state[p], sc.lr, k)
            assert e.params[i] == pytest.approx(new, rel=1e-12, abs=1e-15), (k, p)


def test_momentum_zero_is_plain_descent_bit_for_bit():
    plain = Scenario(preset="mazur").engine()
    heavy = Scenario(preset="mazur", optimizer="momentum", momentum=0.0).engine()
    plain.step(50)
    heavy.step(50)
    assert heavy.history_array()[:, :8].tobytes() == plain.history_array()[:, :8].tobytes()


def test_adam_first_step_moves_each_weight_by_about_lr_against_its_gradients_sign():
    e = Scenario(optimizer="adam", lr=0.01).engine()
    g = dict(e.trace.adjoints)
    before = e.params
    e.step()
    for i, p in enumerate(e.network.params):
        # m̂ = g and v̂ = g² at t = 1, so the step is lr·g/(|g| + ε)
        assert e.params[i] - before[i] == pytest.approx(-0.01 * math.copysign(1.0, g[p]), rel=1e-6)


def history_bytes(e):
    return e.history_array().tobytes()


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_undo_reset_and_bring_back_restore_the_state_bit_for_bit(optimizer):
    e = Scenario(preset="mazur", optimizer=optimizer).engine()
    e.step(5)
    at5 = (e.params, e.slots_at(5))
    e.step(7)
    at12 = history_bytes(e)
    e.undo(7)
    assert (e.params, e.slots_at(e.step_count)) == at5
    e.step(7)  # the same seven again, from the restored state
    assert history_bytes(e) == at12
    memo = e.reset()
    assert e.step_count == 0 and set(e.slots_at(0)) == {0.0}
    e.bring_back(memo)
    assert history_bytes(e) == at12


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_one_jump_equals_single_steps_bit_for_bit(optimizer):
    a = Scenario(optimizer=optimizer).engine()
    b = Scenario(optimizer=optimizer).engine()
    a.step(300)
    for _ in range(300):
        b.step()
    assert history_bytes(a) == history_bytes(b)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_an_exported_session_replays_its_state_bit_for_bit(optimizer):
    mine = {"momentum": 0.7} if optimizer == "momentum" else {"betas": (0.8, 0.95), "eps": 1e-4}
    sc = Scenario(preset="mazur", optimizer=optimizer, **mine)
    e = sc.engine()
    e.step(20)
    e.set_lr(0.25)
    e.step(10)
    text = session_text(e, sc)
    again_sc, again, _ = session_from_text(text, "s.json")
    assert again_sc == sc
    assert again.columns == e.columns and any(c.startswith("v(") for c in again.columns)
    assert history_bytes(again) == history_bytes(e)


def test_a_session_whose_optimizer_state_was_edited_is_refused():
    import json

    sc = Scenario(optimizer="adam")
    e = sc.engine()
    e.step(3)
    data = json.loads(session_text(e, sc))
    col = data["columns"].index("m(w1)")
    data["history"][2][col] *= 1.5
    with pytest.raises(ValueError, match=r"step 2 does not follow.*m\(w1\)"):
        session_from_text(json.dumps(data), "s.json")


def test_the_walk_computes_each_line_and_ends_on_the_step_bit_for_bit():
    e = Scenario(preset="mazur", optimizer="adam").engine()
    e.step(3)
    ops = operations(e)
    moments = [op for op in ops if op.kind == "moment"]
    assert [op.slot for op in moments[:4]] == ["m", "v", "m̂", "v̂"] and len(moments) == 4 * 8
    final = view(ops, len(ops))
    e.step()
    assert tuple(final.updates[p] for p in e.network.params) == e.params
    slots = e.optimizer_state_at(4)
    assert all(final.moments[p, s] == slots[p][s] for p in e.network.params for s in ("m", "v"))
    b1 = 0.9
    assert final.moments["w1", "m̂"] == slots["w1"]["m"] / (1 - b1**4)
    # t is the step being taken, in the walk's words
    assert "t 4" in moments[0].lines[1]


def test_optimizer_settings_are_checked():
    for kw, why in [({"name": "rmsprop"}, "optimizer must be one of"), ({"momentum": 1.0}, "momentum must be"),
                    ({"betas": (0.9,)}, "betas must be two"), ({"betas": (0.9, -0.1)}, "betas must be"),
                    ({"eps": 0.0}, "eps must be a positive"), ({"eps": math.nan}, "eps must be")]:  # fmt: skip
        with pytest.raises(ValueError, match=why):
            Optimizer(**{"name": "adam", **kw})


def test_a_setting_of_another_optimizer_is_refused_not_ignored():
    with pytest.raises(ValueError, match="betas is a setting of the adam optimizer, not of momentum"):
        Scenario(optimizer="momentum", betas=(0.5, 0.5))
    with pytest.raises(ValueError, match="momentum is a setting of the momentum optimizer, not of sgd"):
        Scenario(momentum=0.5)
    assert Scenario(optimizer="adam", momentum=0.9).optimizer == "adam"  # the default is no choice


def test_momentum_carries_a_weight_past_dead_relus_and_is_stuck_only_when_its_velocity_is_spent():
    from bptui.networks import stuck_note

    e = Scenario(activation="relu", optimizer="momentum", momentum=0.5).engine()
    for _ in range(200):
        if all(e.trace.grad(p) == 0.0 for p in e.network.params):
            break
        e.step()
    assert all(e.trace.grad(p) == 0.0 for p in e.network.params)  # dead, by the gradients themselves
    v = e.optimizer_state_at(e.step_count)
    assert any(v[p]["v"] != 0.0 for p in e.network.params)
    # the velocity still moves the weights: not stuck, though every gradient is 0
    assert stuck_note(e.trace, e.lr, e.next_value) is None and stuck_note(e.trace, e.lr) is not None
    before = e.params
    e.step()
    assert e.params != before
    e.step(2000)  # v halves each step with g = 0: it underflows to 0, or stops moving the weights
    note = stuck_note(e.trace, e.lr, e.next_value)
    assert note is not None and "every gradient is 0" in note
    before = e.params
    e.step()
    assert e.params == before
