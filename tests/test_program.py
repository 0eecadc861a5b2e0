"""`bptui trace --format python` and `--format dot`. The program is run by
the system's plain python3 (which has no bptui and no numpy), and what it
prints must equal the trace's figures bit for bit, for a sample of
scenarios: every activation and loss, depths 1–8, with and without biases,
Mazur, and each mistaken rule (against the engine stepped under it)."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess

import pytest

from bptui.program import program_source, step_lines
from bptui.rules import ANSWER, QUESTION
from bptui.scenario import Scenario
from bptui.trace import Run, write

PYTHON3 = shutil.which("python3")


def run_program(source: str) -> dict[str, float | int]:
    """The program's printout: name → value (the step count as an int)."""
    done = subprocess.run([PYTHON3, "-I", "-c", source], capture_output=True, text=True, timeout=60, check=True)
    out: dict[str, float | int] = {}
    for line in done.stdout.splitlines():
        name, value = line.split(" ", 1)
        if name == "not":
            continue
        if name == "step":
            out[name] = int(value)
        elif re.fullmatch(r"\w+(\(\w+\))?", name):  # w1, and a slot of its optimizer: m(w1)
            out[name] = float(value)
    return out


def traced(scenario: Scenario, steps: int, form: str) -> str:
    out = io.StringIO()
    write(Run(scenario.engine(), steps), form, out)
    return out.getvalue()


def sample() -> list[Scenario]:
    rng = random.Random(2026)
    out = [Scenario(), Scenario(preset="mazur"), Scenario(loss="bce", y=1.0), Scenario(loss="half-se", y=0.5)]
    for activation in ("sigmoid", "tanh", "relu", "linear"):
        for _ in range(3):
            layers = rng.randint(1, 8)
            loss = "bce" if activation == "sigmoid" and rng.random() < 0.4 else rng.choice(["se", "half-se"])
            y = rng.choice([0.0, 0.3, 1.0]) if loss == "bce" else rng.uniform(-2, 4)
            biases = tuple(round(rng.uniform(-1, 1), 3) for _ in range(layers)) if rng.random() < 0.5 else None
            lr = 0.1 if activation == "linear" else rng.choice([0.1, 0.5, 1.0])
            out.append(Scenario(layers=layers, activation=activation, loss=loss, y=y, biases=biases, lr=lr,
                                seed=rng.randint(0, 1000)))  # fmt: skip
    return out


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
@pytest.mark.parametrize("scenario", sample(), ids=lambda s: f"{s.preset}-{s.layers}-{s.activation}-{s.loss}-{'b' if s.biases else 'nb'}")
def test_the_program_prints_the_traces_figures_bit_for_bit(scenario):
    steps = 25
    printed = run_program(traced(scenario, steps, "python"))
    last = json.loads(traced(scenario, steps, "json").splitlines()[-1])
    assert printed["step"] == last["step"]
    assert printed[scenario.network().loss] == last["J"]  # == on floats: every bit
    for p, v in {**last["weights"], **last.get("biases", {})}.items():
        assert printed[p] == v, p


OPTIMIZED = [
    Scenario(optimizer="adam"),
    Scenario(preset="mazur", optimizer="adam", betas=(0.5, 0.75), eps=1e-3, lr=0.1),
    Scenario(layers=3, biases=(0.1, -0.2, 0.3), activation="tanh", optimizer="momentum", momentum=0.5),
    Scenario(loss="bce", y=1.0, optimizer="momentum"),
]


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
@pytest.mark.parametrize("scenario", OPTIMIZED, ids=lambda s: f"{s.preset}-{s.optimizer}")
def test_the_program_of_an_optimizer_prints_its_weights_and_state_bit_for_bit(scenario):
    printed = run_program(traced(scenario, 30, "python"))
    last = json.loads(traced(scenario, 30, "json").splitlines()[-1])
    assert printed[scenario.network().loss] == last["J"]
    for p, v in {**last["weights"], **last.get("biases", {})}.items():
        assert printed[p] == v, p
    state = {f"{slot}({p})": x for p, slots in last["optimizer"].items() for slot, x in slots.items()}
    assert state and all(printed[name] == x for name, x in state.items())


def test_a_program_from_a_later_step_starts_from_the_optimizers_state_then():
    from bptui.program import session_program

    engine = Scenario(optimizer="adam").engine()
    engine.step(4)
    engine.set_lr(0.25)  # two rates: the program is of the next step, from step 4's state
    source, takes = session_program(engine)
    assert takes == "the next step" and "t = 4.0" in source
    engine.step()
    printed = run_program(source)
    assert (printed["w1"], printed["w2"]) == engine.params
    assert printed["m(w1)"] == engine.optimizer_state_at(5)["w1"]["m"]


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
@pytest.mark.parametrize("rule", [QUESTION, ANSWER], ids=["question's rule", "answer's slip"])
def test_a_mistaken_rule_is_written_as_it_is(rule):
    engine = Scenario().engine()
    start = engine.params
    engine.set_rule(engine.rules.index(rule))
    engine.step(7)
    source = program_source(engine.network, start, engine.lr, 7, rule)
    assert f"# {rule.title}, as written: {rule.wrong}" in source
    printed = run_program(source)
    assert (printed["w1"], printed["w2"], printed["J"]) == (*engine.params, engine.loss)


def test_the_program_reads_like_the_askers():
    source = traced(Scenario(), 10, "python")
    for line in ("x = 2.0", "y = 4.0", "h = ", "o = ", "J = (o - y) * (o - y)", "dJ_do = 2.0 * (o - y)",
                 "dJ_dz2 = dJ_do * do_dz2", "dJ_dh = dJ_dz2 * dz2_dh", "dJ_dw1 = dJ_dz1 * dz1_dw1",
                 "w2 = w2 - lr * dJ_dw2", "# the line the question left empty (w1 -= 0):\n    w1 = w1 - lr * dJ_dw1"):  # fmt: skip
        assert line in source, line
    assert "import math" in source and "numpy" not in source and "bptui." not in source.split('"""')[2]
    # both weights move from the gradients of one backward pass: no update
    # comes before the last gradient
    lines = [ln.strip() for ln in source.splitlines()]
    assert lines.index("dJ_dw1 = dJ_dz1 * dz1_dw1") < lines.index("w2 = w2 - lr * dJ_dw2")


def test_a_refused_step_stops_the_program_where_the_trace_stops():
    scenario = Scenario(layers=1, activation="linear", lr=50.0)
    printed = run_program(traced(scenario, 400, "python"))
    last = json.loads(traced(scenario, 400, "json").splitlines()[-1])
    assert printed["step"] == last["step"] < 400
    assert printed["w1"] == last["weights"]["w1"]


def test_every_step_line_is_one_operation_of_the_engine():
    net = Scenario(preset="mazur").network()
    lines = step_lines(net)
    factors = [ln for ln in lines if ln.kind == "factor"]
    assert len(factors) == len(net.edges)
    assert {ln.name for ln in lines if ln.kind == "update"} == set(net.params)
    assert [ln.name for ln in lines if ln.kind == "forward"] == [n.name for n in net.nodes if n.kind == "op"]


# --- DOT ------------------------------------------------------------------------------

NODE = re.compile(r'^  (\w+) \[shape=\w+(?:, style="\w+")?, label="((?:[^"\\]|\\.)*)"\];$')
EDGE = re.compile(r'^  (\w+) -> (\w+)(?: \[label="((?:[^"\\]|\\.)*)"\])?;$')


@pytest.mark.parametrize("scenario", [Scenario(), Scenario(preset="mazur"), Scenario(layers=3, biases=(0.1, 0.2, 0.3))])
def test_dot_names_every_node_with_its_value_and_gradient(scenario):
    source = traced(scenario, 3, "dot")
    lines = source.splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{") and lines[-1] == "}"
    engine = scenario.engine()
    engine.step(3)
    t = engine.trace
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            nodes[m.group(1)] = m.group(2).split("\\n")
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3)))
        else:
            assert re.match(r"^  (rankdir|node|label)", line), line
    assert set(nodes) == {n.name for n in t.network.nodes}
    for name, label in nodes.items():
        assert float(label[1].replace("−", "-")) == pytest.approx(t.values[name], rel=1e-6)
        if name in t.adjoints:
            assert float(label[2].removeprefix("∂ ").replace("−", "-")) == pytest.approx(t.adjoints[name], rel=1e-6)
    assert {(a, b) for a, b, _ in edges} == {(a, n.name) for n in t.network.nodes for a in n.args}
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, text=True, check=True, timeout=60)


# --- the session as a program, beside its export --------------------------------------


def session_stepper(tmp_path):
    from bptui.stepper import Stepper

    s = Scenario()
    return Stepper(s.engine(), s, files=True)


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
def test_export_writes_the_session_as_a_program_beside_it(tmp_path):
    st = session_stepper(tmp_path)
    for _ in range(4):
        st.step()
    said = st._export(tmp_path / "run.json", False)
    assert "run.py runs its 4 steps" in said
    printed = run_program((tmp_path / "run.py").read_text())
    e = st.engine
    assert printed["step"] == 4 and (printed["w1"], printed["w2"], printed["J"]) == (*e.params, e.loss)
    # a value set by hand cannot be replayed from step 0: the program takes the next step
    e.set_value("x", 1.5)
    said = st._export(tmp_path / "edited.json", False)
    assert "edited.py runs the next step" in said
    printed = run_program((tmp_path / "edited.py").read_text())
    e.step()
    assert printed["step"] == 1 and (printed["w1"], printed["w2"], printed["J"]) == (*e.params, e.loss)
    # an existing program is not overwritten without the answer that allows it
    (tmp_path / "third.py").write_text("# mine\n")
    said = st._export(tmp_path / "third.json", False)
    assert "third.py not written" in said and (tmp_path / "third.py").read_text() == "# mine\n"


def test_the_code_view_of_an_adam_step_shows_each_line_with_the_value_the_step_makes():
    from bptui.program import annotated_step
    from bptui.walk import operations, view

    engine = Scenario(preset="mazur", optimizer="adam").engine()
    engine.step(2)
    e, k = engine, engine.step_count
    ops = operations(e)
    at = next(i for i, op in enumerate(ops) if op.kind == "moment" and op.slot == "v̂") + 1
    walk = view(ops, at)
    lines = annotated_step(e.network, e.trace, e.rule, e.lr, walk, e.optimizer, e.optimizer_state_at(k), e.t_at(k + 1))
    shown = {line.code.split(" = ")[0]: line for line in lines if line.value is not None}
    assert shown["t"].value == 3.0
    [current] = [line for line in lines if line.current]
    assert current.code.startswith("v_hat_w1 = ") and current.known
    assert not shown["w1"].known and not shown["m_w2"].known  # not computed yet in the walk
    engine.step()
    after = engine.optimizer_state_at(3)
    for i, p in enumerate(engine.network.params):
        assert shown[p].value == engine.params[i]
        assert (shown[f"m_{p}"].value, shown[f"v_{p}"].value) == (after[p]["m"], after[p]["v"])
