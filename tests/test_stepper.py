"""The stepping session with no screen: every key is a method, and the frame
holds what the panes would show. No Textual and no sleeps."""

import pytest

from bptui.cli import make_engine
from bptui.frame import FrameMaker
from bptui.scenario import Scenario
from bptui.stepper import SPEEDS, FRAME_RATE, Stepper
from bptui.walk import operations
from bptui.numfmt import fmt
from tests.reference import GRADS


def stepper_for(**kw) -> Stepper:
    s = Scenario(**kw)
    return Stepper(make_engine(s), s, files=False)


def type_into(st: Stepper, text: str) -> None:
    """Keys as the app hands them over: Enter as 'enter'."""
    for ch in text:
        if ch == "\r":
            st.key("enter")
        else:
            st.key(ch, ch)


def test_a_frame_holds_the_numbers_and_is_made_once_per_change():
    st = stepper_for()
    maker = FrameMaker(st)
    f = maker.frame()
    assert f.step == 0 and f.shown == ("w2", "w1")
    assert f.trace.grad("w1") == pytest.approx(GRADS["w1"], rel=1e-12)
    assert f.checks["w1"].estimate == pytest.approx(GRADS["w1"], rel=1e-6)
    v = st.version
    st.step()
    assert st.version > v and maker.frame().step == 1
    again = maker.frame()
    assert again.checks is maker.frame().checks  # an unchanged state is not checked twice


def test_the_walk_goes_through_every_operation_and_ends_on_the_step():
    st = stepper_for()
    ops = operations(st.engine)
    for i in range(1, len(ops)):
        st.walk(1)
        assert st.walking and st.walk_view().current == ops[i - 1]
        assert st.message.lines == ops[i - 1].lines
    st.walk(1)
    assert not st.walking and st.engine.step_count == 1
    other = make_engine(Scenario())
    other.step()
    assert st.engine.params == other.params  # bit for bit what space gives
    st.walk(-1)  # back into the walk just completed
    assert st.walking and st.engine.step_count == 0


def test_the_walk_follows_the_factor_and_gives_back_the_chosen_chain():
    st = stepper_for(preset="mazur")
    st.choose(1)
    assert st.shown == ["w2"]
    seen = set()
    for op in operations(st.engine)[:-1]:
        st.walk(1)
        seen.add(st.shown[0])
        if op.kind == "backward":
            assert any(e.key == op.edge.key for path in st.engine.network.paths[st.shown[0]] for e in path)
    assert seen == set(st.engine.network.params)
    st.walk(1)
    assert st.shown == ["w2"]


def test_play_takes_the_steps_due_a_frame():
    st = stepper_for()
    st.play()
    assert st.playing and st.tick_seconds == 1 / 10
    st.play_tick()
    assert st.engine.step_count == 1
    for _ in range(SPEEDS.index(1_000) - st.speed):
        st.change_speed(1)
    st.play_tick()
    assert st.engine.step_count == 1 + 1_000 // FRAME_RATE and st.tick_seconds == 1 / FRAME_RATE
    st.play()
    assert not st.playing and "Paused at step 51" in st.message.text
    st.play_tick()
    assert st.engine.step_count == 51


def test_rules_cycle_and_the_landscape_axes_follow_the_choice():
    st = stepper_for()
    st.next_rule()
    assert not st.engine.rule.correct and st.message.warning
    st.next_rule()
    st.next_rule()
    assert st.engine.rule.correct
    mz = stepper_for(preset="mazur")
    mz.toggle_landscape()
    assert mz.show_landscape and mz.landscape_axes() == (0, 1)
    mz.choose(1)
    assert mz.landscape_axes() == (1, 2)  # the vertical weight steps past the horizontal one
    mz.landscape_y(1)
    assert mz.landscape_axes() == (1, 3)


def test_prompts_take_typed_ahead_keys_and_refuse_with_a_reason():
    st = stepper_for()
    st.edit_rate()
    type_into(st, "-1\r")
    assert st.asking is not None and "must be positive" in st.asking.reason and st.engine.lr == 0.5
    st.key("ctrl+u")
    type_into(st, "0.125\r")
    assert st.asking is None and st.engine.lr == 0.125
    st.jump()
    type_into(st, "25\r")
    assert st.engine.step_count == 25 and "Jumped 25 steps: 0 → 25" in st.message.text
    st.jump()
    type_into(st, "1_000\r")
    assert "written with 0-9" in st.asking.reason
    st.key("escape")
    assert st.asking is None and st.message.text == "No jump."


def test_reset_is_undone_by_u_straight_after_and_q_asks_once():
    st = stepper_for()
    st.step()
    st.step()
    assert not st.quit() and "q again quits" in st.message.text
    st.key("space", " ")  # any other key: not quitting
    assert "Not quitting" in st.message.text
    before = st.engine.history_array()
    st.reset()
    st.undo()
    assert st.engine.step_count == 2 and (st.engine.history_array().view("u8") == before.view("u8")).all()
    st.reset()
    st.before_action("toggle_check")
    st.toggle_check()
    st.before_action("undo")
    st.undo()
    assert st.engine.step_count == 0 and "Nothing to undo" in st.message.text


def test_files_are_off_when_served():
    st = stepper_for()
    st.export()
    assert st.asking is None and "writes no files" in st.message.text


def test_a_flood_of_pastes_makes_new_frames_only_while_something_changes():
    st = stepper_for()
    st.paste("x" * 100)  # no question open: it says so, once
    v = st.version
    for _ in range(50):
        st.paste("x" * 100)
    assert st.version == v
    st.edit_rate()
    st.paste("1" * 1000)
    v = st.version
    for _ in range(50):
        st.paste("1" * 1000)
    assert st.version == v and st.asking is not None
    st.key("escape")
    assert st.asking is None and st.version > v


# --- = : values set by hand --------------------------------------------------------------

from tests.test_engine import hand_gradients, loss  # noqa: E402  (independent algebra)


def test_equals_opens_on_the_chain_s_weight_and_sets_what_is_typed():
    st = stepper_for()
    st.edit_value()
    w1 = st.engine.params[0]
    assert st.asking.text == f"w1 = {w1!r}" and st.asking.fresh
    before = st.engine.loss
    type_into(st, "x = 3\r")  # typing replaces the selected default
    assert st.asking is None and st.engine.network.inputs["x"] == 3.0
    assert st.engine.loss == pytest.approx(loss(3.0, 4.0, *st.engine.params), rel=1e-14)
    assert st.message.text == f"x = 3 (was 2): J {fmt(before)} → {fmt(st.engine.loss)}. u takes it back."
    f = FrameMaker(st).frame()
    assert f.trace.values["x"] == 3.0 and f.last_edit.name == "x"
    assert f.trace.grad("w1") == pytest.approx(hand_gradients(3.0, 4.0, *st.engine.params)[0], rel=1e-12)
    st.undo()
    assert st.engine.network.inputs["x"] == 2.0 and st.message.text == "Undone: x is 2 again (it was set to 3)."


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("w3 = 1\r", "no value 'w3' here: x, y, w1, w2, lr can be set"), ("w1 = 1,5\r", "w1 must be a number, not '1,5'"),
     ("lr = 0\r", "0 would never move the weights"), ("w1\r", "w1: a value is missing")],
)  # fmt: skip
def test_a_bad_name_or_number_is_refused_and_the_question_stays_open(typed, reason):
    st = stepper_for()
    st.edit_value()
    type_into(st, typed)
    assert st.asking is not None and reason in st.asking.reason
    assert st.engine.edits == ()
    st.key("escape")
    assert st.asking is None and st.message.text == "Nothing set."


def test_tab_completes_a_name_and_lists_the_ones_it_could_be():
    st = stepper_for(preset="mazur")
    st.edit_value()
    st.key("tab")  # on the fresh default: every name
    assert st.asking.text == "" and st.asking.reason.startswith("Tab: i1, i2, b1, b2, t1, t2, w1")
    type_into(st, "w")
    st.key("tab")
    assert st.asking.text == "w" and "w1, w2, w3" in st.asking.reason
    type_into(st, "7")
    st.key("tab")
    assert st.asking.text == "w7 = " and st.asking.reason == ""
    type_into(st, "0.5\r")
    assert st.engine.params[6] == 0.5


def test_values_set_by_hand_are_undone_in_order_and_reset_brings_them_back():
    st = stepper_for()
    st.step()
    st.edit_value()
    type_into(st, "w2 = -1\r")
    st.step()
    st.edit_value()
    type_into(st, "lr = 0.25\r")
    assert [e.name for e in st.engine.edits] == ["w2", "lr"] and st.engine.lr == 0.25
    st.reset()
    assert st.message.text == "Reset to step 0. u brings back all 2 steps and 2 values set by hand."
    assert st.engine.edits == () and st.engine.lr == 0.25  # the rate stays, as r always kept it
    st.before_action("undo")
    st.undo()
    assert st.engine.step_count == 2 and len(st.engine.edits) == 2
    st.undo()
    assert st.engine.lr == 0.5 and "lr is 0.5 again" in st.message.text
    st.undo()
    assert st.engine.params[1] == -1.0 and st.engine.step_count == 1  # the step after the edit
    st.undo()
    assert st.engine.edits == () and st.engine.step_count == 1 and st.engine.params[1] != -1.0


def test_a_walk_does_not_go_back_into_a_step_whose_values_were_set_after_it():
    st = stepper_for()
    for _ in range(len(operations(st.engine))):
        st.walk(1)
    assert st.engine.step_count == 1
    st.edit_value()
    type_into(st, "y = 0.5\r")
    st.walk(-1)
    assert not st.walking and "Not walking" in st.message.text


def test_s_saves_step_0_with_its_values_set_by_hand_and_names_what_it_cannot_hold(tmp_path):
    from bptui.scenario_file import load

    s = Scenario()
    st = Stepper(make_engine(s), s, files=True)
    e = st.engine
    w2 = e.params[1]
    e.set_value("w1", 0.25)
    e.set_value("x", 3.0)
    e.step(2)
    e.set_value("y", 0.5)
    path = tmp_path / "start.toml"
    assert st._save(path, False).endswith("Not in it: y set at step 2 (e exports them).")
    saved = load(path)
    assert (saved.x, saved.y, saved.weights, saved.lr) == (3.0, 4.0, (0.25, w2), 0.5)
    again = make_engine(saved)
    assert again.params == e.params_at(0) and again.loss == e.loss_at(0)
    # Mazur's inputs are fixed by the preset: a scenario cannot hold them
    m = Scenario(preset="mazur")
    st = Stepper(make_engine(m), m, files=True)
    st.engine.set_value("i1", 0.5)
    st.engine.set_value("w3", 0.7)
    assert "Not in it: i1 set at step 0" in st._save(tmp_path / "m.toml", False)
    assert load(tmp_path / "m.toml").weights[2] == 0.7
