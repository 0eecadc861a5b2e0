"""Values set by hand (`=`, nudges): an input, a target, a parameter or the
rate, changed at the current step, taken back by undo bit for bit, and
undone and brought back with a reset. No Textual; the numbers are checked
against hand algebra."""

import math

import pytest

from bptui.engine import Engine
from bptui.scenario import Scenario
from tests.test_engine import hand_gradients, loss, make


def bits(e: Engine):
    return e.history_array().view("u8").tolist(), e.params, e.lr, e.network.inputs


def test_a_weight_set_at_step_0_gives_that_state_exactly():
    e = make()
    x, y = e.network.inputs["x"], e.network.inputs["y"]
    w2 = e.params[1]
    edit = e.set_value("w1", 1.5)
    assert (edit.step, edit.name, edit.new, edit.kind) == (0, "w1", 1.5, "parameter")
    assert e.params == (1.5, w2) and e.step_count == 0
    assert math.isclose(e.loss, loss(x, y, 1.5, w2), rel_tol=1e-14)
    assert math.isclose(e.trace.grad("w1"), hand_gradients(x, y, 1.5, w2)[0], rel_tol=1e-12)
    assert e.loss_at(0) == e.loss  # the history's row is the edited state
    e.step()
    assert e.params_at(0) == (1.5, w2)


def test_an_input_set_recompiles_the_network_and_undo_takes_it_back():
    e = make()
    before = bits(e)
    old_network = e.network
    w1, w2 = e.params
    edit = e.set_value("x", 3)
    assert edit.kind == "input" and e.network is not old_network and e.network.inputs["x"] == 3.0
    assert math.isclose(e.loss, loss(3.0, 4.0, w1, w2), rel_tol=1e-14)
    e.step(2)
    g1, g2 = hand_gradients(3.0, 4.0, *e.params_at(1))
    assert math.isclose(e.params[0], e.params_at(1)[0] - 0.5 * g1, rel_tol=1e-12)
    assert e.undo(3) == 3  # two steps, then the edit
    assert bits(e) == before and e.network is old_network and e.edits == ()


def test_a_target_changes_the_floor_and_a_target_bce_cannot_take_is_refused():
    e = make()
    assert e.network.floor == pytest.approx((1 - 4) ** 2)
    e.set_value("y", 0.5)
    assert e.network.floor is None  # 0.5 is inside σ's range: J can reach 0
    b = make(loss="bce", y=0.5)
    before = bits(b)
    with pytest.raises(ValueError, match=r"target y in \[0, 1\]"):
        b.set_value("y", 2)
    assert bits(b) == before and b.edits == ()


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [("w9", 1.0, "no value 'w9' here: x, y, w1, w2, lr can be set"), ("w1", math.inf, "w1 must be finite"),
     ("lr", -1.0, "the learning rate must be a positive"), ("x", math.nan, "x must be finite")],
)  # fmt: skip
def test_a_value_that_cannot_be_set_leaves_everything_as_it_was(name, value, reason):
    e = make()
    e.step(3)
    before = bits(e)
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        e.set_value(name, value)
    assert bits(e) == before and e.edits == ()


def test_a_state_with_no_gradient_is_refused_with_the_value_named():
    e = make(activation="linear")
    e.set_value("w1", 1e100)
    with pytest.raises(ValueError, match=r"^J is not finite with w2 = 1e100 \(inf\)$"):
        e.set_value("w2", 1e100)
    assert len(e.edits) == 1


def test_undo_takes_back_steps_and_edits_latest_first():
    e = make()
    e.step(2)
    at2 = bits(e)
    e.set_value("w2", -1.0)
    e.set_value("lr", 0.25)
    e.step()
    assert e.lr_at(3) == 0.25 and e.params_at(2)[1] == -1.0
    assert e.undo() == 1 and e.step_count == 2 and e.lr == 0.25  # the step
    assert e.undo() == 1 and e.lr == 0.5 and e.params[1] == -1.0  # the rate
    assert e.undo() == 1 and bits(e) == at2  # the weight, bit for bit
    assert e.undo(5) == 2 and e.step_count == 0
    assert e.undo() == 0


def test_the_last_update_is_the_step_as_taken_before_an_edit_made_after_it():
    e = make()
    e.step()
    took = e.last_update()
    e.set_value("w1", 3.0)
    e.set_value("x", 1.0)
    assert e.last_update() == took  # the step's own numbers, not the edit's
    assert e.last_edit.name == "x"
    e.step()
    g1, _ = hand_gradients(1.0, 4.0, 3.0, e.params_at(1)[1])
    w1 = next(u for u in e.last_update() if u.name == "w1")
    assert (w1.old, w1.new) == (3.0, e.params[0]) and math.isclose(w1.amount, g1, rel_tol=1e-12)
    assert e.last_edit is None


def test_reset_takes_every_edit_back_and_undo_brings_them_back():
    e = make()
    e.set_value("x", 3)
    e.step(4)
    e.set_value("w1", 0.25)
    e.step(2)
    after = bits(e)
    network = e.network
    memo = e.reset()
    assert e.step_count == 0 and e.edits == () and e.network.inputs["x"] == 2.0
    assert bits(e) == bits(make())
    e.bring_back(memo)
    assert bits(e) == after and e.network is network and len(e.edits) == 2


def test_the_history_watcher_reads_an_edited_step_again():
    e = make()
    e.step(5)
    w = e.watch()
    assert w.take(6) == 6
    e.set_value("y", 0.9)
    assert w.take(6) == 5


def test_a_scenario_with_inputs_set_again_keeps_working_at_its_limits():
    # an 8-layer tanh chain with biases: every name can be set and undone
    e = make(layers=8, activation="tanh", biases=tuple([0.1] * 8), y=0.5)
    names = list(e.settable())
    assert names[:2] == ["x", "y"] and names[-1] == "lr" and len(names) == 2 + 16 + 1
    start = bits(e)
    for i, name in enumerate(names):
        e.set_value(name, 0.5 + i / 100)
        e.step()
    assert e.undo(2 * len(names)) == 2 * len(names)
    assert bits(e) == start


def test_mazur_inputs_and_targets_can_be_set():
    e = make(preset="mazur")
    assert set(e.network.inputs) >= {"i1", "i2", "t1", "t2"}
    e.set_value("t1", 0.5)
    assert e.network.inputs["t1"] == 0.5 and e.network.floor is None
    assert Scenario(preset="mazur").network().inputs["t1"] == 0.01
