import json
import math
import subprocess
import sys

import pytest

from bptui.cli import build_parser, scenario_from_args
from tests.reference import START


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bptui", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_option():
    r = run_cli("--help")
    assert r.returncode == 0
    for flag in ("--lr", "--x", "--y", "--w1", "--w2", "--seed", "space, n step", "t log steps"):
        assert flag in r.stdout


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--lr", "0"], "must be positive"),
        (["--lr", "-0.5"], "must be positive"),
        (["--lr", "abc"], "must be a number"),
        (["--lr", "inf"], "must be finite"),
        (["--lr", "1e999"], "too large"),
        (["--x", "nan"], "x must be a number, not nan"),
        (["--y", ""], "y is empty"),
        (["--w1", "1e400"], "w1 must be finite"),
        (["--seed", "-1"], "between 0 and"),
        (["--seed", "1.5"], "whole number"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--lr"], "expected one argument"),
        (["--y", "1e200"], "J is not finite at the starting point"),
        (["--max-history", "0"], "max history must be between 1 and"),
        (["--max-history", "-3"], "max history must be between 1 and"),
        (["--max-history", "lots"], "whole number"),
    ],
)
def test_bad_values_exit_2_with_one_line(args, reason):
    r = run_cli(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("bptui: error: ") and reason in lines[0]
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("form", [["--w1", "-0.5"], ["--w1=-0.5"]])
def test_negative_numbers_parse_in_both_forms(form):
    args = build_parser().parse_args([*form, "--x", "-2", "--y=-1"])
    s = scenario_from_args(args)
    assert (s.x, s.y) == (-2.0, -1.0)
    assert s.initial_weights()[0] == -0.5


def test_defaults_are_the_question():
    s = scenario_from_args(build_parser().parse_args([]))
    w1, w2 = s.initial_weights()
    assert (s.x, s.y, s.lr) == (2.0, 4.0, 0.5)
    assert abs(w1 - START["w1"]) < 1e-12 and abs(w2 - START["w2"]) < 1e-12


def test_seed_draws_like_numpy_global_seeding():
    np = pytest.importorskip("numpy")
    np.random.seed(7)
    want = (np.random.rand(), np.random.rand())
    s = scenario_from_args(build_parser().parse_args(["--seed", "7", "--w2", "0.25"]))
    assert s.initial_weights() == (want[0], 0.25)


@pytest.mark.parametrize("form", [["--weights", "-0.5,0.25"], ["--weights=-0.5,0.25"]])
def test_weight_lists_take_negative_numbers_in_both_forms(form):
    from bptui.cli import join_negative_values

    args = build_parser().parse_args(join_negative_values([*form, "--biases", "-1,2"]))
    s = scenario_from_args(args)
    assert s.weights == (-0.5, 0.25) and s.biases == (-1.0, 2.0)
    assert s.initial_params() == (-0.5, -1.0, 0.25, 2.0)


def test_flags_override_the_scenario_file(tmp_path):
    from bptui.cli import join_negative_values

    f = tmp_path / "s.toml"
    f.write_text("layers = 3\nlr = 0.1\nactivation = 'tanh'\n")
    args = build_parser().parse_args(join_negative_values(["--scenario", str(f), "--lr", "0.2", "--x", "-1"]))
    s = scenario_from_args(args)
    assert (s.layers, s.lr, s.activation, s.x) == (3, 0.2, "tanh", -1.0)


@pytest.mark.parametrize("sub", [[], ["trace"]])
def test_help_lists_scenario_options(sub):
    r = run_cli(*sub, "--help")
    assert r.returncode == 0
    for flag in ("--preset", "--layers", "--activation", "--loss", "--weights", "--biases", "--scenario", "--seed"):
        assert flag in r.stdout
    for choice in ("sigmoid,tanh,relu,linear", "se,half-se,bce", "question,mazur"):
        assert choice in r.stdout


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--preset", "mazur", "--layers", "3"], "drop --layers"),
        # a fixed setting is refused even at its default: mazur's loss is not se
        (["--preset", "mazur", "--loss", "se"], "drop --loss"),
        (["--preset", "mazur", "--x", "2", "--seed", "10"], "drop --x, --seed"),
        (["--weights", "1,2,3"], "weights: expected 2 values (one per layer), got 3"),
        (["--weights", "1,x"], "weights item 2 must be a number"),
        (["--activation", "relu", "--loss", "bce", "--y", "0.5"], "activation must be sigmoid"),
        (["--layers", "0"], "layers must be between 1 and 8"),
        (["--layers", "٣"], "layers must be a whole number written with 0-9"),
        (["--x", "1_0"], "x must be a number written with 0-9"),
        (["--scenario", "/nonexistent.toml"], "/nonexistent.toml: no such file"),
        (["--weights", "1,2", "--w1", "3"], "either --weights or --w1/--w2"),
        (["--layers", "1", "--w2", "3"], "--w2 needs a second weight"),
        # bce's factor (o − y)/(o(1 − o)) ≈ e^800 is past the largest double
        (["--loss", "bce", "--y", "0.5", "--weights", "30,800"], "z2 = 800, where bce's factor (o − y)/(o(1 − o)) ≈ e^|z2| is past the largest double"),
        (["--loss", "bce", "--y", "0.3", "--weights=30,-800"], "z2 = −800, where bce's factor"),
        (["--activation", "linear", "--weights", "1e300,1e300"], "J is not finite at the starting point"),
    ],
)
def test_bad_scenarios_exit_2(args, reason):
    r = run_cli(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.splitlines()) == 1 and reason in r.stderr, r.stderr


def test_max_history_reaches_the_app_and_a_replay_must_fit_it(tmp_path, monkeypatch):
    from bptui import cli
    from bptui.app import BptuiApp
    from bptui.session import export_session
    from bptui.cli import make_engine
    from bptui.scenario import Scenario

    started = []
    monkeypatch.setattr(BptuiApp, "run", lambda self: started.append(self))
    assert cli.main(["--max-history", "1234"]) == 0
    assert started[-1].engine.max_steps == 1234
    assert cli.main([]) == 0
    assert started[-1].engine.max_steps == cli.DEFAULT_MAX_HISTORY
    engine = make_engine(Scenario())
    engine.step(50)
    export_session(tmp_path / "s.json", engine, Scenario())
    with pytest.raises(SystemExit) as exit:
        cli.main(["--replay", str(tmp_path / "s.json"), "--max-history", "10"])
    assert exit.value.code == 2
    assert cli.main(["--replay", str(tmp_path / "s.json"), "--max-history", "50"]) == 0
    replayed = started[-1].engine
    assert replayed.step_count == 50 and replayed.max_steps == 50 and replayed.history_full


def test_a_scenario_file_is_judged_with_the_flags_on_top(tmp_path):
    """bce with the default y = 4 makes no sense alone, but with --y 0.5 it does:
    only the combined settings are checked."""
    f = tmp_path / "bce.toml"
    f.write_text('loss = "bce"\n')
    r = run_cli("trace", "--scenario", str(f), "--y", "0.5", "--steps", "1", "--format", "json")
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout.splitlines()[0])
    assert first["J"] == pytest.approx(-(0.5 * math.log(first["forward"]["o"]) + 0.5 * math.log(1 - first["forward"]["o"])))
    r = run_cli("trace", "--scenario", str(f))
    assert r.returncode == 2 and f"{f}: loss bce needs a target y in [0, 1], not 4" in r.stderr
    r = run_cli("trace", "--scenario", str(f), "--x", "1")
    assert r.returncode == 2 and f"(settings from {f} and the flags)" in r.stderr


def test_mazur_in_a_file_refuses_what_it_fixes_and_flags_can_switch_preset(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text('preset = "mazur"\nx = 2.0\n')
    r = run_cli("trace", "--scenario", str(f))
    assert r.returncode == 2 and f"{f}: the mazur preset fixes" in r.stderr and "drop x " in r.stderr
    r = run_cli("trace", "--scenario", str(f), "--preset", "question", "--steps", "0", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["forward"]["z1"] == 2.0 * json.loads(r.stdout)["weights"]["w1"]
    f.write_text('preset = "mazur"\n')
    r = run_cli("trace", "--scenario", str(f), "--y", "0.5")
    assert r.returncode == 2 and f"drop --y (weights and lr may change) (settings from {f} and the flags)" in r.stderr


@pytest.mark.parametrize(
    "text, reason",
    [
        ("x = 1" + "0" * 400, "key 'x': too large for a double"),
        ("weights = [1" + "0" * 400 + ", 1]", "key 'weights': item 1: too large for a double"),
        ("lr = 1" + "0" * 5000, "a number has too many digits (at most 4300)"),
        ("seed = 1" + "0" * 400, "seed must be between 0 and 4294967295, not 100000… (401 digits)"),
        ("layers = 1" + "0" * 400, "layers must be between 1 and 8, not a number that large"),
    ],
)
def test_huge_numbers_in_a_scenario_file_exit_2(tmp_path, text, reason):
    f = tmp_path / "big.toml"
    f.write_text(text + "\n")
    r = run_cli("trace", "--scenario", str(f))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.splitlines()) == 1 and f"{f}: {reason}" in r.stderr, r.stderr


# --- hostile files: exit 2 with one line naming the file and the problem ------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    import os

    d = tmp_path_factory.mktemp("hostile")
    files = {
        "deep.toml": "weights = " + "[" * 300 + "]" * 300 + "\n",
        "deep.json": '{"format": "bptui-session", "version": 1, "scenario": ' + "[" * 30_000 + "]" * 30_000 + "}",
        "big.toml": "weights = [" + "0.5, " * 10_000_000 + "]\n",
        "string.toml": 'preset = "' + "x" * 60_000 + '"\n',
        "string.json": '{"format": "bptui-session", "version": "' + "x" * 100_000_000 + '"}',
    }
    for name, text in files.items():
        (d / name).write_text(text)
    (d / "zero").symlink_to("/dev/zero")
    (d / "urandom").symlink_to("/dev/urandom")
    os.mkfifo(d / "fifo")
    (d / "dir").mkdir()
    return d


HOSTILE = [
    ("--scenario", "deep.toml", "nested more than 16 levels deep"),
    ("--replay", "deep.json", "damaged: nested too deeply"),
    ("--scenario", "zero", "is a character device (/dev/zero), not a regular file"),
    ("--replay", "zero", "is a character device (/dev/zero), not a regular file"),
    ("--scenario", "urandom", "is a character device (/dev/urandom), not a regular file"),
    ("--replay", "urandom", "is a character device (/dev/urandom), not a regular file"),
    ("--scenario", "fifo", "is a named pipe (FIFO), not a regular file"),
    ("--replay", "fifo", "is a named pipe (FIFO), not a regular file"),
    ("--scenario", "big.toml", "too large: 50,000,013 bytes (a scenario file is at most 65,536 bytes)"),
    ("--replay", "big.toml", "not a bptui session"),
    ("--scenario", "string.toml", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (60,000 characters)"),
    ("--replay", "string.json", "more than 65,536 characters outside the history"),
    ("--scenario", "dir", "is a directory, not a regular file"),
    ("--replay", "dir", "is a directory, not a regular file"),
    ("--scenario", "missing", "no such file"),
    ("--replay", "missing", "no such file"),
]


# every file-reading flag: the app's --scenario and --replay, and trace's and serve's --scenario
@pytest.mark.parametrize(
    "args, name, reason",
    [([flag], name, reason) for flag, name, reason in HOSTILE]
    + [([sub, flag], name, reason) for sub in ("trace", "serve") for flag, name, reason in HOSTILE if flag == "--scenario"],
)
def test_hostile_files_exit_2_with_one_short_line(hostile, args, name, reason):
    path = hostile / name
    r = subprocess.run([sys.executable, "-m", "bptui", *args, str(path)],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"bptui: error: {path}: ") and reason in line, line
    assert line.count(str(path)) == 1 and len(line) < len(str(path)) + 200


def test_a_replay_larger_than_max_history_allows_is_refused_unread(tmp_path):
    from bptui.session import size_limit

    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(size_limit(1000) + 1)  # sparse: refused by its size alone
    r = run_cli("--replay", str(big), "--max-history", "1000")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert f"{big}: too large: 578,049 bytes (a session of --max-history 1,000 steps takes at most 578,048 bytes)" in r.stderr
