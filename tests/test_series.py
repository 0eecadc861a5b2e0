"""The correct run beside a mistaken one, with values set by hand: the
shadow must equal a correct-rule engine stepped and edited by hand."""

from bptui.cli import make_engine
from bptui.scenario import Scenario
from bptui.series import CorrectRun


def losses(e):
    return [e.loss_at(k) for k in range(e.step_count + 1)]


def test_the_correct_run_sets_every_value_at_the_step_it_was_set():
    e = make_engine(Scenario())
    e.set_value("w1", 0.25)  # at step 0, before the comparison exists
    e.set_rule(1)  # the question's rule
    run = CorrectRun(e)
    e.step(3)
    e.set_value("x", 3.0)
    e.step(2)
    e.set_value("w2", -0.5)
    e.step(1)
    run.sync()
    oracle = make_engine(Scenario())
    oracle.set_value("w1", 0.25)
    oracle.step(3)
    oracle.set_value("x", 3.0)
    oracle.step(2)
    oracle.set_value("w2", -0.5)
    oracle.step(1)
    assert losses(run.shadow) == losses(oracle) and run.shadow.network.inputs == {"x": 3.0, "y": 4.0}
    # undo the step and the last edit, set another value: the shadow follows
    e.undo(2)
    e.set_value("w2", 1.0)
    e.step(2)
    run.sync()
    oracle.undo(2)
    oracle.set_value("w2", 1.0)
    oracle.step(2)
    assert losses(run.shadow) == losses(oracle)
    assert [(x.step, x.name, x.new) for x in run.shadow.edits] == [(x.step, x.name, x.new) for x in oracle.edits]
