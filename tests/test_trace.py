"""`bptui trace`: every format parses back, with the engine's numbers exactly."""

import csv
import io
import json
import subprocess
import sys

import pytest

from bptui.cli import make_engine
from bptui.scenario import Scenario
from tests.reference import AFTER_ONE_STEP, GRADS, START, close12


def trace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bptui", "trace", *args], capture_output=True, text=True, timeout=120
    )


def test_json_lines_carry_every_number_exactly():
    r = trace("--steps", "3", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["step"] for row in rows] == [0, 1, 2, 3]
    first = rows[0]
    assert set(first) >= {"step", "J", "weights", "gradients", "forward"}
    assert "biases" not in first
    assert list(first["forward"]) == ["z1", "h", "z2", "o"]
    assert close12(first["J"], START["J"]) and close12(first["weights"]["w2"], START["w2"])
    assert close12(first["gradients"]["w1"], GRADS["w1"])
    assert close12(rows[1]["weights"]["w2"], AFTER_ONE_STEP["w2"])
    assert first["factors"]["dz1/dw1"] == 2.0 and first["lr"] is None and rows[1]["lr"] == 0.5
    # bit for bit what the engine holds
    e = make_engine(Scenario())
    e.step(3)
    for row in rows:
        k = row["step"]
        assert tuple(row["weights"].values()) == e.params_at(k)
        assert row["J"] == e.loss_at(k)


def test_json_carries_the_optimizers_state_by_parameter_and_csv_its_columns():
    args = ("--steps", "3", "--preset", "mazur", "--optimizer", "adam")
    rows = [json.loads(line) for line in trace(*args, "--format", "json").stdout.splitlines()]
    e = Scenario(preset="mazur", optimizer="adam").engine()
    e.step(3)
    for row in rows:
        assert row["optimizer"] == e.optimizer_state_at(row["step"])  # == on floats: every bit
    assert rows[0]["optimizer"]["w1"] == {"m": 0.0, "v": 0.0}
    header = trace(*args, "--format", "csv").stdout.splitlines()[0].split(",")
    assert {"m(w1)", "v(w8)"} <= set(header)
    plain = json.loads(trace("--steps", "1", "--format", "json").stdout.splitlines()[0])
    assert "optimizer" not in plain  # plain descent keeps no state


def test_csv_parses_to_the_same_numbers_as_json():
    args = ("--steps", "4", "--layers", "3", "--biases", "0.1,-0.2,0.3", "--activation", "tanh")
    rows = list(csv.DictReader(io.StringIO(trace(*args, "--format", "csv").stdout)))
    objs = [json.loads(line) for line in trace(*args, "--format", "json").stdout.splitlines()]
    assert len(rows) == len(objs) == 5
    for row, obj in zip(rows, objs):
        assert float(row["J"]) == obj["J"]
        for name, v in {**obj["weights"], **obj["biases"], **obj["forward"], **obj["factors"]}.items():
            assert float(row[name]) == v, name
        for name, v in obj["gradients"].items():
            assert float(row[f"dJ/d{name}"]) == v
    assert set(objs[0]["biases"]) == {"b1", "b2", "b3"}
    assert set(objs[0]["gradients"]) == {"w1", "b1", "w2", "b2", "w3", "b3"}


def test_table_and_summary():
    table = trace("--steps", "2").stdout.splitlines()
    assert table[0].split()[:4] == ["step", "J", "lr", "w1"]
    assert [line.split()[0] for line in table[1:]] == ["0", "1", "2"]
    assert "12.22010" in table[1] and "−1.439869" in table[1]
    summary = trace("--steps", "1000", "--format", "summary").stdout.splitlines()
    assert summary[0].split() == ["step", "1000"]
    e = make_engine(Scenario())
    e.step(1000)
    j = dict(line.split(None, 1) for line in summary)["J"]
    assert float(j.replace("−", "-")) == pytest.approx(e.loss, rel=1e-6)


def test_mazur_trace():
    objs = [json.loads(line) for line in trace("--preset", "mazur", "--steps", "1", "--format", "json").stdout.splitlines()]
    assert objs[1]["weights"]["w5"] == pytest.approx(0.35891648, abs=5e-9)
    assert list(objs[0]["forward"])[:4] == ["zh1", "h1", "zh2", "h2"]
    assert objs[0]["J"] == pytest.approx(0.298371109, abs=5e-10)


def test_a_diverging_trace_stops_and_says_why():
    r = trace("--y", "1e150", "--lr", "1e300", "--steps", "5", "--format", "csv")
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == 2  # header and step 0
    assert "Step 1 not taken" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--steps", "-1"], "steps must be between"),
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--layers", "9"], "layers must be between 1 and 8"),
        (["--loss", "bce"], "loss bce needs a target y in [0, 1]"),
        (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
        (["--optimizer", "momentum", "--momentum", "1"], "momentum must be at least 0 and below 1, not 1"),
        (["--optimizer", "adam", "--betas", "0.9"], "betas takes two numbers separated by a comma, e.g. 0.9,0.999; got 1"),
        (["--optimizer", "adam", "--betas", "0.9,1.5"], "betas must be two numbers, each at least 0 and below 1"),
        (["--optimizer", "adam", "--eps", "0"], "eps must be a positive number, not 0"),
        (["--optimizer", "adam", "--eps", "nan"], "eps must be a number, not nan"),
        (["--betas", "0.5,0.5"], "betas is a setting of the adam optimizer, not of sgd"),
    ],
)
def test_trace_errors(args, reason):
    r = trace(*args)
    assert r.returncode == 2 and reason in r.stderr and len(r.stderr.splitlines()) == 1


def test_json_writes_an_overflowed_value_as_null_never_a_bare_nan():
    # dJ/dw1's product overflows on the way down (inf × 0): nan in the engine
    r = trace("--weights=-1e308,1.7e308", "--steps", "0", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "NaN" not in r.stdout and "Infinity" not in r.stdout

    def strict(name):
        raise ValueError(f"non-standard JSON constant {name}")

    (row,) = [json.loads(line, parse_constant=strict) for line in r.stdout.splitlines()]
    assert row["gradients"]["w1"] is None
    assert row["forward"]["z1"] is None  # −1e308 × 2 overflows to −inf
    assert row["J"] == (0.5 - 4.0) ** 2 and row["gradients"]["w2"] == 0.0
    r = trace("--weights=-1e308,1.7e308", "--steps", "0", "--format", "csv")
    assert list(csv.DictReader(io.StringIO(r.stdout)))[0]["dJ/dw1"] == "nan"


# --- streaming: memory does not grow with --steps ----------------------------------------


def _output(scenario: Scenario, n: int, form: str) -> str:
    from bptui.trace import Run, write

    out = io.StringIO()
    write(Run(make_engine(scenario), n), form, out)
    return out.getvalue()


CHUNKED = [
    (Scenario(), 1000),
    (Scenario(preset="mazur"), 700),
    (Scenario(layers=4, biases=(0.1, -0.2, 0.3, 0.0), activation="tanh", loss="half-se"), 700),
    (Scenario(loss="bce", y=0.5, lr=3.0), 700),
    # refused at step 1053, in the seventeenth chunk of 64
    (Scenario(layers=1, activation="linear", lr=0.3), 2000),
]


@pytest.mark.parametrize("form", ["table", "csv", "json", "summary"])
def test_every_format_holds_one_chunk_of_steps_at_a_time(monkeypatch, form):
    import bptui.trace as tr

    monkeypatch.setattr(tr, "CHUNK_STEPS", 64)
    held = []
    real_step = tr.Engine.step

    def step(self, n=1):
        taken = real_step(self, n)
        held.append(self.step_count)
        return taken

    monkeypatch.setattr(tr.Engine, "step", step)
    text = _output(Scenario(), 1000, form)
    # 15 chunks of 64 and one of 40; the table takes them twice (it measures, then prints)
    assert max(held) == 64 and len(held) == 16 * (2 if form == "table" else 1)
    if form == "summary":
        assert text.split("\n")[0].split() == ["step", "1000"]
    else:
        assert len(text.splitlines()) == 1001 + (form != "json")  # a header


@pytest.mark.parametrize("scenario, n", CHUNKED)
@pytest.mark.parametrize("form", ["table", "csv", "json", "summary"])
def test_chunks_change_no_bit_of_the_output(monkeypatch, scenario, n, form):
    """Each chunk's fresh engine starts from the last one's weights: the
    output is the same as one engine taking every step, to the byte."""
    import bptui.trace as tr
    from bptui.trace import Run

    monkeypatch.setattr(tr, "CHUNK_STEPS", 10**9)
    whole = _output(scenario, n, form)
    run = Run(make_engine(scenario), n)
    list(run)
    whole_divergence = run.divergence
    monkeypatch.setattr(tr, "CHUNK_STEPS", 64)
    assert _output(scenario, n, form) == whole
    run = Run(make_engine(scenario), n)
    list(run)
    assert run.divergence == whole_divergence
    if scenario.activation == "linear":
        assert run.divergence is not None and run.divergence.step == 1053


def test_a_table_of_many_steps_takes_no_more_memory_than_one_of_few():
    """Peak memory (ru_maxrss) of the whole trace, 5,000 steps against 50,000:
    before streaming the table held every row (50,000 took 180 MB, 3.7 times
    5,000's); now one chunk."""
    script = (
        "import os, resource, sys\n"
        "from bptui.trace import main\n"
        "sys.stdout = open(os.devnull, 'w')\n"
        "assert main(sys.argv[1:]) == 0\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )

    def peak(steps: int) -> int:
        r = subprocess.run([sys.executable, "-c", script, "--steps", str(steps), "--format", "table"],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
        assert r.returncode == 0, r.stderr
        return int(r.stderr.split()[-1])

    few, many = peak(5_000), peak(50_000)
    assert many < 1.3 * few, (few, many)


def test_json_carries_every_nodes_adjoint():
    import json
    import math
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "bptui", "trace", "--steps", "0", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    adjoints = json.loads(out.splitlines()[0])["adjoints"]
    # the question's numbers by hand: upstream × local from J down
    from bptui.scenario import Scenario

    w1, w2 = Scenario().initial_weights()
    h = 1 / (1 + math.exp(-w1 * 2))
    o = 1 / (1 + math.exp(-w2 * h))
    dJ_do = 2 * (o - 4)
    dJ_dz2 = dJ_do * o * (1 - o)
    dJ_dh = dJ_dz2 * w2
    dJ_dz1 = dJ_dh * h * (1 - h)
    assert set(adjoints) == {"o", "z2", "h", "z1"}
    for name, want in (("o", dJ_do), ("z2", dJ_dz2), ("h", dJ_dh), ("z1", dJ_dz1)):
        assert adjoints[name] == pytest.approx(want, rel=1e-12)
    assert f"{adjoints['z2']:.7g}" == "-1.747735" and f"{adjoints['h']:.7g}" == "-0.03626891"
    assert f"{adjoints['z1']:.7g}" == "-0.005263426"
