"""The installed `bptui` in a real terminal: tmux at 80×24, keys sent with
send-keys, the screen read with capture-pane. .ci/run installs tmux."""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
BPTUI = Path(sys.executable).with_name("bptui")

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt install tmux)")


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, *args], capture_output=True, text=True, timeout=20).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, *texts: str, timeout: float = 20.0) -> str:
    """The screen once every one of `texts` is on it (a screen is drawn in
    pieces: the first text can show before the others)."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(session)
        if all(text in shown for text in texts):
            return shown
        time.sleep(0.1)
    missing = [text for text in texts if text not in shown]
    raise AssertionError(f"{missing!r} never appeared; the screen was:\n{shown}")


def start(extra_env: dict[str, str], args: tuple[str, ...] = ()) -> str:
    assert BPTUI.exists(), f"the console script is not installed at {BPTUI}"
    name = f"bptui-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX")}
    # tmux passes the client's environment to new sessions only through -e
    flags = [f"-e{k}={v}" for k, v in extra_env.items()]
    new_tmux_session([TMUX, "new-session", "-d", "-s", name, "-x", "80", "-y", "24", *flags, str(BPTUI), *args],
                     env={**env, "TERM": "xterm-256color"})  # fmt: skip
    return name


def new_tmux_session(command: list[str], env: dict | None = None) -> None:
    """tmux new-session, tried again if it met the tmux server of the last
    test's session as that server exited ("server exited unexpectedly")."""
    for attempt in range(3):
        r = subprocess.run(command, env=env, timeout=20, capture_output=True, text=True)
        if r.returncode == 0:
            return
        if "server exited unexpectedly" not in r.stderr or attempt == 2:
            raise AssertionError(f"tmux new-session failed: {r.stderr.strip()}")
        time.sleep(0.5)


@pytest.fixture
def session():
    name = start({})
    yield name
    tmux("kill-session", "-t", name)


@pytest.fixture
def no_color_session():
    name = start({"NO_COLOR": "1"})
    yield name
    tmux("kill-session", "-t", name)


def test_installed_bptui_steps_in_a_real_terminal(session):
    # the reference numbers, as the screen shows them (7 significant digits)
    shown = wait_for(
        session, "Forward pass", "0.7713206", "0.02075195", "12.22010", "−6.991452", "−1.439869", "−0.01052685", "step 0"
    )
    assert len(shown.splitlines()) <= 24
    assert all(len(line) <= 80 for line in shown.splitlines())
    tmux("send-keys", "-t", session, "Space")
    wait_for(session, "step 1", "0.7765841", "0.7406864", "11.23425", "0.02075195 → 0.7406864", "(− 0.5 × −1.439869)")
    tmux("send-keys", "-t", session, "u")
    shown = wait_for(session, "step 0", "12.22010")
    assert "0.7406864" not in shown
    tmux("send-keys", "-t", session, "q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and session in tmux("list-sessions"):
        time.sleep(0.1)
    assert session not in tmux("list-sessions"), "q did not quit"


def test_no_color_terminal_gets_no_colors_and_keeps_meaning(no_color_session):
    wait_for(no_color_session, "Forward pass", "◆ dJ/do", "12.22010")
    styled = tmux("capture-pane", "-p", "-e", "-t", no_color_session)
    # Textual renders NO_COLOR as shades of grey: no hue anywhere
    codes = [int(n) for n in re.findall(r"[34]8;5;(\d+)", styled)]
    assert codes and all(n >= 232 or n in (0, 7, 8, 15, 16, 231) for n in codes), sorted(set(codes))
    for r, g, b in re.findall(r"[34]8;2;(\d+);(\d+);(\d+)", styled):
        assert r == g == b
    assert "◆ dJ/do" in styled and "12.22010" in styled


def test_keys_typed_ahead_in_one_burst_reach_their_prompts(session):
    wait_for(session, "Forward pass", "12.22010", "step 0")
    # one literal string: the whole burst reaches the terminal in one write
    tmux("send-keys", "-t", session, "-l", "l0.125\rj25\r")
    shown = wait_for(session, "step 25", "lr 0.125", "Jumped 25 steps: 0 → 25")
    assert "walking" not in shown
    tmux("send-keys", "-t", session, "r", "u")
    wait_for(session, "step 25", "Reset undone: back at step 25")


def test_tab_and_arrows_in_one_burst_nudge_w1(session):
    wait_for(session, "Forward pass", "12.22010", "step 0")
    # Tab, → → as one write (the terminal's escape sequences for the arrows)
    tmux("send-keys", "-t", session, "-l", "\t\x1b[C\x1b[C")
    shown = wait_for(session, "ΔJ/Δw1, nudged", "0.9713206", "←→ w1 ±0.1", "(nudged)")
    assert "w1 +0.1: ΔJ" in shown
    tmux("send-keys", "-t", session, "-l", "uu")
    shown = wait_for(session, "0.7713206", "12.22010")
    assert "0.9713206" not in shown


@pytest.mark.parametrize("args", [(), ("--preset", "mazur")], ids=["question", "mazur"])
def test_the_circuit_in_a_real_terminal_shows_the_engines_numbers(args):
    """c in the installed app at 80×24: every wire's value and gradient as
    the engine has them (formatted here from a separately built engine),
    then one step later."""
    from bptui.circuit import CircuitLayout
    from bptui.cli import build_parser, scenario_from_args

    engine = scenario_from_args(build_parser().parse_args(list(args))).engine()
    name = start({}, args)
    try:
        wait_for(name, "Forward pass", "step 0")
        tmux("send-keys", "-t", name, "-l", "c")
        for steps in (0, 1):
            rows = CircuitLayout(engine.network, 76).rows(engine.trace)
            expected = [r.text.rstrip() for r in rows]
            shown = wait_for(name, f"step {steps} ·", *(line.strip() for line in expected))
            assert "Forward pass" not in shown
            tmux("send-keys", "-t", name, "-l", " ")
            engine.step()
    finally:
        tmux("kill-session", "-t", name)


def test_predict_in_one_burst_shows_the_verdict_and_the_score(session):
    """x, ., the answer and Enter typed in one go: the answer reaches the
    question that . opens."""
    wait_for(session, "Forward pass", "12.22010", "step 0")
    tmux("send-keys", "-t", session, "-l", "x.1.5426\r")
    shown = wait_for(session, "✓ z1 = 1.542641", "predict 1/1")
    assert "(forward 1/1)" in shown
