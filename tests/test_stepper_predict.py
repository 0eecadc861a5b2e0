"""Predict mode with no screen: whole walks answered right, wrong and given
up for every preset, each classic mistake named, the tolerance's edges and
the score. The expected values come from tests/reference.py and hand algebra,
not from the questions' own numbers, wherever a reference exists."""

import math

import pytest

from bptui.predict import Score, agrees, judge, questions, typed_precision
from bptui.scenario import Scenario
from bptui.stepper import Stepper
from bptui.walk import operations
from tests.reference import FACTORS, GRADS, START


def stepper_for(**kw) -> Stepper:
    s = Scenario(**kw)
    return Stepper(s.engine(), s, files=False)


def answer(st: Stepper, text: str) -> None:
    for ch in text:
        st.key(ch, ch)
    st.key("enter")


def asked(st: Stepper):
    """The open question, as the stepper holds it (the last line of its context)."""
    assert st.asking is not None
    return st.asking


def exact_answers(st: Stepper) -> list[str]:
    """The walk's numbers, as a learner who computed them would type them
    (repr: every digit)."""
    e = st.engine
    t = e.trace
    out = []
    for op in operations(e):
        out += [repr(q.value) for q in questions(op, e.network, t, e.lr, e.rule.amounts_at(t))]
    return out


def test_the_tolerance_edges():
    assert typed_precision("1.54") == pytest.approx(0.005)
    assert typed_precision("2e-3") == pytest.approx(0.0005)
    assert agrees(1.54, 1.542641, typed_precision("1.54"))  # right at 2 decimals, 0.17 % off
    assert not agrees(1.5, 1.542641, typed_precision("1.5"))  # 1.5 rounds right, but 2.8 % off
    assert agrees(1.5426, 1.542641, typed_precision("1.5426"))
    assert not agrees(1.5427, 1.542641, typed_precision("1.5427"))  # the digits typed must hold
    assert not agrees(1.55, 1.542641, typed_precision("1.55"))
    assert agrees(0.0, 0.0, typed_precision("0"))


@pytest.mark.parametrize("preset", ["question", "mazur"])
def test_a_whole_walk_answered_right_scores_every_question(preset):
    st = stepper_for(preset=preset)
    answers = exact_answers(st)
    before = st.engine.params
    st.toggle_predict()
    typed = 0
    while st.engine.step_count == 0:
        st.walk(1)
        while st.asking is not None:
            answer(st, answers[typed])
            typed += 1
    assert typed == len(answers)
    assert st.score.total == (len(answers), len(answers))
    # the walk took the step space takes
    plain = stepper_for(preset=preset)
    plain.step()
    assert st.engine.params == plain.engine.params != before
    # each kind has its own tally
    assert all(st.score.asked[k] > 0 for k in ("forward", "factor", "upstream", "update"))


def test_the_question_prompts_say_what_and_show_what_is_needed():
    st = stepper_for()
    st.toggle_predict()
    walk_to(st, "dJ/dz2 =")
    context = " ".join(asked(st).context)
    assert "dJ/dz2: upstream × local" in context and "dJ/do = −6.991452" in context
    assert "−1.747735" not in context  # never the answer
    walk_to(st, "dh/dz1 =")
    assert asked(st).context[-1] == "dh/dz1: the slope of σ at z1 (h = 0.8238484)"


def walk_to(st: Stepper, label: str) -> None:
    """Walk, answering every question right, until `label` is asked."""
    if not hasattr(st, "test_answers"):
        st.test_answers = exact_answers(st)  # the walk's numbers, as they will be asked
    answers = st.test_answers
    while True:
        if st.asking is None:
            st.walk(1)
        if st.asking.label == label:
            return
        answer(st, answers.pop(0))
        if st.asking is None and not st.walking:
            raise AssertionError(f"{label} was never asked")


def wrong_then(st: Stepper, value: float) -> str:
    """What the try is told: the hint, or (once the question is settled)
    the verdict above the next question."""
    answer(st, f"{value:.6g}")
    if st.asking is not None:
        return st.asking.reason or " ".join(st.asking.context)
    return st.message.text or " ".join(st.message.lines)


def test_hints_grow_and_the_third_wrong_answer_gives_the_value():
    st = stepper_for()
    st.toggle_predict()
    walk_to(st, "dh/dz1 =")
    first = wrong_then(st, 0.3)
    assert first.startswith("✗ 0.3.") and "the rule: σ's slope" in first
    second = wrong_then(st, 0.3)
    assert "with the numbers in: dh/dz1 = 0.8238484·(1 − 0.8238484)" in second
    third = wrong_then(st, 0.3)
    assert st.asking.label == "dJ/dz1 ="  # moved on
    assert "The answer: dh/dz1 = 0.1451222" in third and "given up" in third
    assert st.score.asked["factor"] == st.score.right["factor"] + 1


def test_enter_on_an_empty_answer_gives_up_and_a_typo_is_no_try():
    st = stepper_for()
    st.toggle_predict()
    st.walk(1)
    answer(st, "abc")
    assert st.asking is not None and "must be a number" in st.asking.reason
    assert st.score.total == (0, 0)
    for _ in "abc":
        st.key("backspace")
    answer(st, "")
    assert st.asking is None and st.score.total == (0, 1)
    assert "Given up: z1 = 1.542641" in " ".join(st.message.lines) + st.message.text


def mistake_named(st: Stepper, label: str, value: float) -> str:
    st.toggle_predict()
    walk_to(st, label)
    answer(st, f"{value:.7g}")  # as a learner would type it
    return st.asking.reason


def test_each_classic_mistake_is_named():
    w1, w2 = START["w1"], START["w2"]
    h, o, J, z1 = START["h"], START["o"], START["J"], START["z1"]
    # o(1 − o) where h(1 − h) belongs
    assert "o(1 − o) where h(1 − h) belongs" in mistake_named(stepper_for(), "dh/dz1 =", o * (1 - o))
    # σ′ from the pre-activation: the asker's x·(1 − x) applied to z1
    said = mistake_named(stepper_for(), "dh/dz1 =", z1 * (1 - z1))
    assert "z1(1 − z1)" in said and "x·(1 − x)" in said
    # J in place of 2(o − y): the asker's rule
    assert "J in place of 2(o − y)" in mistake_named(stepper_for(), "dJ/do =", J)
    # a missing factor of the path: dJ/dw1 without dh/dz1
    dw1_without = GRADS["w1"] / FACTORS[("h", "z1")]
    assert "a missing factor" in mistake_named(stepper_for(), "dJ/dw1 =", dw1_without)
    # the wrong sign of the update
    said = mistake_named(stepper_for(), "w1 (new) =", w1 + 0.5 * GRADS["w1"])
    assert "the wrong sign" in said
    # dW2 in place of dW1: the answer's typo
    said = mistake_named(stepper_for(), "w1 (new) =", w1 - 0.5 * GRADS["w2"])
    assert "dJ/dw2 in place of dJ/dw1" in said
    assert w2  # (w2's start is the reference's too)


def test_mazurs_hidden_unit_is_asked_as_the_sum_of_its_paths():
    st = stepper_for(preset="mazur")
    st.toggle_predict()
    walk_to(st, "dE/dh1 =")
    context = " ".join(st.asking.context)
    assert "the paths into h1 meet" in context
    e = st.engine
    t = e.trace
    part_via_zo2 = t.adjoints["zo2"] * t.factors[("zo2", "h1")]
    answer(st, repr(part_via_zo2))  # one path only
    assert "only one path" in st.asking.reason
    answer(st, repr(t.adjoints["zo1"] * t.factors[("zo1", "h1")] + part_via_zo2))
    assert st.asking is None or st.asking.label != "dE/dh1 ="


def test_space_asks_the_gradients_and_new_weights_then_steps():
    st = stepper_for()
    st.toggle_predict()
    st.step()
    labels = []
    while st.asking is not None:
        labels.append(st.asking.label)
        answer(st, "")  # give up each
    assert labels == ["dJ/dw2 =", "dJ/dw1 =", "w1 (new) =", "w2 (new) ="]
    assert st.engine.step_count == 1 and st.score.total == (0, 4)


def test_the_score_survives_undo_and_reset_and_x_asks_what_is_chosen():
    st = stepper_for()
    st.toggle_predict()
    st.walk(1)
    answer(st, "1.5426")
    assert st.score.total == (1, 1)
    st.undo()
    st.reset()
    assert st.score.total == (1, 1)
    st.change_asks()  # the gradients only
    assert st.asks == "gradients"
    st._leave_walk()
    labels = []
    while st.engine.step_count == 0:
        st.walk(1)
        if st.asking is not None:
            labels.append(st.asking.label)
            answer(st, "")
    assert labels == ["dJ/dw2 =", "dJ/dw1 ="]


def test_the_score_round_trips_and_refuses_what_is_not_a_score():
    s = Score()
    s.add("factor", True)
    s.add("factor", False)
    assert Score.from_json(s.as_json()).by_kind() == "factors 1/2"
    for bad in ({"factor": [3, 2]}, {"nope": [0, 0]}, {"forward": [0.5, 1]}, [1, 2]):
        with pytest.raises(ValueError):
            Score.from_json(bad)


def test_judge_refuses_what_is_not_a_number():
    q = questions(operations(Scenario().engine())[0], Scenario().network(), Scenario().engine().trace, 0.5, {})[0]
    with pytest.raises(ValueError):
        judge("nan", q)
    assert judge("1.542641", q).right and not judge("−1.542641", q).right
    assert math.isclose(q.value, START["z1"], rel_tol=1e-11)


def test_export_keeps_the_score_and_replay_brings_it_back(tmp_path):
    from bptui.session import load_session_with_score

    s = Scenario()
    st = Stepper(s.engine(), s, files=True)
    st.toggle_predict()
    st.walk(1)
    answer(st, "1.5426")
    st.walk(1)
    answer(st, "")
    st._export(tmp_path / "run.json", False)
    _, engine, score = load_session_with_score(tmp_path / "run.json")
    assert score.as_json() == st.score.as_json() and score.total == (1, 2)
    # a damaged score is refused with the reason
    text = (tmp_path / "run.json").read_text().replace('"forward": [1, 2]', '"forward": [3, 2]')
    (tmp_path / "bad.json").write_text(text)
    from bptui.session import SessionError

    with pytest.raises(SessionError, match="predict's forward"):
        load_session_with_score(tmp_path / "bad.json")


@pytest.mark.parametrize("preset", ["question", "mazur"])
@pytest.mark.parametrize("how", ["given up", "wrong three times"])
def test_a_whole_walk_given_up_or_wrong_still_takes_the_step(preset, how):
    st = stepper_for(preset=preset)
    n = len(exact_answers(st))
    st.toggle_predict()
    while st.engine.step_count == 0:
        st.walk(1)
        while st.asking is not None:
            if how == "given up":
                answer(st, "")
            else:
                label = st.asking.label
                for _ in range(3):  # 12345 is no number of these networks
                    assert st.asking.label == label
                    answer(st, "12345")
    assert st.score.total == (0, n)
    plain = stepper_for(preset=preset)
    plain.step()
    assert st.engine.params == plain.engine.params


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_walk_under_an_optimizer_asks_each_of_its_lines_and_ends_on_its_step(optimizer):
    st = stepper_for(preset="mazur", optimizer=optimizer)
    st.engine.step(2)  # state to carry: the moments are no longer 0
    answers = exact_answers(st)
    st.toggle_predict()
    typed, labels = 0, []
    while st.engine.step_count == 2:
        st.walk(1)
        while st.asking is not None:
            labels.append(st.asking.label)
            answer(st, answers[typed])
            typed += 1
    assert typed == len(answers) and st.score.total == (typed, typed)
    per_weight = ["v(w1) ="] if optimizer == "momentum" else ["m(w1) =", "v(w1) =", "m̂(w1) =", "v̂(w1) ="]
    i = labels.index(per_weight[0])
    assert labels[i : i + len(per_weight) + 1] == [*per_weight, "w1 (new) ="]
    plain = stepper_for(preset="mazur", optimizer=optimizer)
    plain.engine.step(3)
    assert st.engine.history_array().tobytes() == plain.engine.history_array().tobytes()


def test_an_adams_classic_slips_are_named():
    st = stepper_for(optimizer="adam", lr=0.1)
    st.engine.step(1)
    e = st.engine
    t = e.trace
    ops = operations(e)
    by = {(op.slot or "w", op.name): op for op in ops if op.kind in ("moment", "update")}
    amounts = e.rule.amounts_at(t)
    g, w1 = amounts["w1"], t.values["w1"]
    [new_w1] = questions(by["w", "w1"], e.network, t, e.lr, amounts)
    assert new_w1.symbol == "w1 (new)" and new_w1.kind == "update"
    assert judge(repr(w1 - 0.1 * g), new_w1).mistake.startswith("the plain step w1 − lr × dJ/dw1")
    [m_hat] = questions(by["m̂", "w1"], e.network, t, e.lr, amounts)
    m = e.optimizer_state_at(1)["w1"]["m"] * 0.9 + 0.1 * g  # the new m, by hand
    assert m_hat.value == pytest.approx(m / (1 - 0.9**2), rel=1e-15)
    assert judge(repr(m), m_hat).mistake.startswith("m uncorrected")
    [v] = questions(by["v", "w1"], e.network, t, e.lr, amounts)
    assert "v = " in v.given and "(the last step's)" in v.given and "dJ/dw1 = " in v.given
