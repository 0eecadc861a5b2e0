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
    for flag in ("--lr", "--x", "--y", "--w1", "--w2", "--seed", "space/n step"):
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
