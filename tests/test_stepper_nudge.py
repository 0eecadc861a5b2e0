"""Nudging with no screen: choose a value, move it by the step, and read
what J and the gradient did. Every number against hand algebra
(tests.test_engine's loss and hand_gradients), not the engine."""

import pytest

from bptui.cli import make_engine
from bptui.frame import FrameMaker
from bptui.scenario import Scenario
from bptui.session import export_session, load_session
from bptui.stepper import Stepper
from bptui.stepper_nudge import STEPS, nudged, signed
from tests.reference import START
from tests.test_engine import hand_gradients, loss


def stepper_for(**kw) -> Stepper:
    s = Scenario(**kw)
    return Stepper(make_engine(s), s, files=False)


def test_a_nudge_adds_the_step_as_the_numbers_read():
    assert nudged(0.7, 0.1, 1) == 0.8  # not 0.7999999999999999
    assert nudged(0.8, 0.1, -1) == 0.7
    assert nudged(0.771320643267, 0.001, 1) == 0.772320643267
    assert nudged(0.05, 0.1, -1) == -0.05
    assert signed(0.1) == "+0.1" and signed(-0.001059) == "−0.001059"


def test_focus_chooses_the_chain_s_weight_and_arrows_walk_the_values_round():
    st = stepper_for()
    assert st.selected is None
    st.select_values()
    assert st.selected == "w1" and "← → nudge it by 0.1" in st.message.text
    assert st.selectable() == ["x", "w1", "w2", "y"]
    st.select(-1)
    assert st.selected == "x"
    st.select(-1)
    assert st.selected == "y"  # round to the last
    st.select(1)
    assert st.selected == "x"
    st.unselect()
    assert st.selected is None
    st.select_values()
    assert st.selected == "x"  # the value chosen last, again


def test_the_order_shown_is_the_order_arrows_follow():
    st = stepper_for(layers=3)
    st.value_order = ("x", "y", "w1", "w2", "w3")  # a dense layout: given numbers first
    st.select_values()
    st.select(-1)
    st.select(-1)
    assert st.selected == "x"
    st.value_order = ("x", "w1")  # not every value: the network's order instead
    assert st.selectable() == ["x", "w1", "w2", "w3", "y"]


def test_nudging_w1_moves_j_and_both_gradients_as_hand_algebra_says():
    st = stepper_for()
    maker = FrameMaker(st)
    st.select_values()
    w1 = START["w1"]
    st.nudge(1)
    e = st.engine
    assert e.params[0] == nudged(e.edits[0].old, 0.1, 1) == pytest.approx(w1 + 0.1, abs=1e-12)
    new = e.params[0]
    j0, j1 = loss(2.0, 4.0, e.edits[0].old, e.params[1]), loss(2.0, 4.0, new, e.params[1])
    f = maker.frame()
    n = f.nudge
    assert n is not None and n.name == "w1" and f.selected == "w1" and f.nudge_step == 0.1
    assert n.loss_change == pytest.approx(j1 - j0, rel=1e-9)
    assert n.ratio == pytest.approx((j1 - j0) / (new - e.edits[0].old), rel=1e-9)
    g_before, _ = hand_gradients(2.0, 4.0, e.edits[0].old, e.params[1])
    g_after, dw2 = hand_gradients(2.0, 4.0, new, e.params[1])
    assert n.grad_before == pytest.approx(g_before, rel=1e-9) and n.grad_after == pytest.approx(g_after, rel=1e-9)
    assert f.trace.grad("w2") == pytest.approx(dw2, rel=1e-9)
    assert f.checks["w1"].estimate == pytest.approx(g_after, rel=1e-6)  # the check follows
    # the secant's slope lies between the gradients at its two ends (J is convex in w1 here)
    assert min(g_before, g_after) <= n.ratio <= max(g_before, g_after)
    assert st.message.text == (f"w1 +0.1: ΔJ {signed(j1 - j0)}, ΔJ/Δw1 {signed(n.ratio).lstrip('+')}; "
                               f"dJ/dw1 {signed(g_before).lstrip('+')} → {signed(g_after).lstrip('+')}")  # fmt: skip


def test_what_a_nudge_did_shows_until_the_next_key_and_u_takes_it_back_bit_for_bit():
    st = stepper_for()
    maker = FrameMaker(st)
    before = st.engine.history_array().view("u8").tolist()
    w1 = st.engine.params[0]
    st.select_values()
    st.nudge(-1)
    st.nudge(-1)
    assert maker.frame().nudge.old == nudged(w1, 0.1, -1)
    assert st.engine.params[0] == nudged(nudged(st.engine.edits[0].old, 0.1, -1), 0.1, -1)
    st.before_action("change_nudge_step(1)")  # changing the step keeps it shown
    st.change_nudge_step(1)
    assert maker.frame().nudge is not None and st.nudge_step == 1.0
    st.before_action("toggle_check")
    st.toggle_check()
    assert maker.frame().nudge is None
    st.undo()
    st.undo()
    assert st.engine.history_array().view("u8").tolist() == before


def test_an_undone_nudge_is_no_longer_shown():
    st = stepper_for()
    maker = FrameMaker(st)
    w1 = st.engine.params[0]
    st.select_values()
    st.nudge(1)
    st.undo()
    assert maker.frame().nudge is None and st.engine.params[0] == w1


def test_the_step_goes_from_1_to_a_millionth_and_no_further():
    st = stepper_for()
    st.change_nudge_step(1)
    assert st.nudge_step == 1.0
    st.change_nudge_step(1)
    assert st.nudge_step == 1.0 and "stays 1: the largest" in st.message.text
    for _ in range(len(STEPS)):
        st.change_nudge_step(-1)
    assert st.nudge_step == 1e-6 and "stays 1e−6: the smallest" in st.message.text


def test_with_nothing_chosen_a_nudge_only_says_how():
    st = stepper_for()
    v = st.engine.history_array().view("u8").tolist()
    st.nudge(1)
    assert "Tab to the forward pane" in st.message.text
    assert st.engine.history_array().view("u8").tolist() == v and not st.engine.edits


def test_an_input_nudges_too_and_a_refused_value_leaves_all_as_it_was():
    st = stepper_for()
    st.select_values()
    st.select(-1)  # x
    st.nudge(1)
    n = st.current_nudge()
    assert n.name == "x" and n.grad_before is None and st.engine.network.inputs["x"] == 2.1
    assert n.loss_change == pytest.approx(loss(2.1, 4.0, *st.engine.params) - loss(2.0, 4.0, *st.engine.params), rel=1e-9)
    assert "ΔJ/Δx" in st.message.text and "dJ/dx" not in st.message.text
    # bce's target must stay in [0, 1]: y = 1 + 0.1 is refused with the reason
    st = stepper_for(loss="bce", y=1.0)
    st.select_values()
    st.select(-2)  # round to y
    assert st.selected == "y"
    before = st.engine.history_array().view("u8").tolist()
    st.nudge(1)
    assert st.message.warning and st.message.text.startswith("y stays 1:")
    assert st.engine.history_array().view("u8").tolist() == before and not st.engine.edits


def test_choosing_a_weight_of_a_bigger_network_brings_its_chain_on_screen():
    st = stepper_for(preset="mazur")
    st.select_values()
    assert st.selected == "w1" and st.shown == ["w1"]
    for _ in range(4):
        st.select(1)
    assert st.selected == "w5" and st.shown == ["w5"]


def test_nudges_are_exported_and_replayed(tmp_path):
    st = stepper_for()
    st.select_values()
    st.nudge(1)
    st.step()
    st.nudge(-1)
    path = tmp_path / "nudged.json"
    export_session(path, st.engine, st.scenario)
    _, e2 = load_session(path)
    assert e2.history_array().view("u8").tolist() == st.engine.history_array().view("u8").tolist()
    assert [(x.step, x.name, x.new) for x in e2.edits] == [(x.step, x.name, x.new) for x in st.engine.edits]
