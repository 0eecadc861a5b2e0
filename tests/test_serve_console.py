"""The teacher's console: `bptui serve` run in a terminal (tmux), with
students on real OpenSSH clients. The table shows each student's step, a
message reaches their screens, q twice ends the class, --log FILE keeps the
log, and nothing is left running."""

from __future__ import annotations

import shlex
import sys
import time
import uuid

from bptui.scenario import Scenario
from bptui.scenario_file import dumps
from bptui.session import load_session
from tests.test_serve import TMUX, _grep, free_port, pytestmark, tmux, wait_dead, wait_for  # noqa: F401
from tests.test_serve import student  # noqa: F401  (the fixture)
from tests.test_serve_class import expected_after, step
from tests.test_terminal import new_tmux_session


def test_the_console_shows_the_class_and_leads_its_messages(tmp_path, student):
    port, log = free_port(), tmp_path / "serve.log"
    roster = tmp_path / "roster"
    roster.write_text("ada\nbob\ncy\n")
    console = f"bptui-console-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "bptui", "serve", "--port", str(port), "--host-key", str(tmp_path / "key"),
               "--log", str(log), "--roster", str(roster), "--hand-in", str(tmp_path / "in")]  # fmt: skip
    env_command = f"XDG_DATA_HOME={shlex.quote(str(tmp_path))} {shlex.join(command)}; sleep 60"
    new_tmux_session([TMUX, "new-session", "-d", "-s", console, "-x", "80", "-y", "24", env_command])
    try:
        wait_for(console, f"ssh -p {port} any-name@127.0.0.1")
        assert "0/3 here" in wait_for(console, "absent")
        ada, bob = student(port, user="ada"), student(port, user="bob")
        wait_for(ada, "Forward pass")
        wait_for(bob, "Forward pass")
        step(ada, 3)
        step(bob, 1)
        deadline = time.monotonic() + 10
        shown = ""
        while time.monotonic() < deadline:
            shown = tmux("capture-pane", "-p", "-t", console)
            rows = {line.split()[0]: line.split() for line in shown.splitlines() if line.split()[:1] in (["ada"], ["bob"], ["cy"])}
            if rows.get("ada", [""] * 3)[2] == "3" and rows.get("bob", [""] * 3)[2] == "1":
                break
            time.sleep(0.2)
        assert rows["ada"][2] == "3" and rows["bob"][2] == "1" and "absent" in rows["cy"], shown
        assert "2/3 here" in shown
        # the log, in the pane and in the file
        assert "session 127.0.0.1:" in log.read_text() and "user=ada" in shown
        tmux("send-keys", "-t", console, "m")
        tmux("send-keys", "-t", console, "-l", "look at dJ/dw1")
        tmux("send-keys", "-t", console, "Enter")
        wait_for(ada, "Teacher: look at dJ/dw1")
        wait_for(bob, "Teacher: look at dJ/dw1")
        # lead: Tab to the lesson, step it, L; the students follow, locked
        tmux("send-keys", "-t", console, "Tab")
        wait_for(console, "The lesson")
        for _ in range(6):
            tmux("send-keys", "-t", console, "Space")
        wait_for(console, "step 6")
        tmux("send-keys", "-t", console, "L")
        for s in (ada, bob):
            wait_for(s, "Teacher leading")
            wait_for(s, "step 6")
        tmux("send-keys", "-t", ada, "Space")
        wait_for(ada, "The teacher is leading: watch")
        tmux("send-keys", "-t", console, "Space")
        assert "step 7" in wait_for(ada, "step 7")
        expected = expected_after(7)
        assert f"J {expected.loss:.7g}" in wait_for(bob, "step 7").replace("\n", " ")
        # ask: the lesson's next operation goes to every follower as a question
        tmux("send-keys", "-t", console, "A")
        wait_for(ada, "Your teacher asks: z1")
        wait_for(bob, "Your teacher asks: z1")
        trace = expected.trace.values
        tmux("send-keys", "-t", ada, "-l", f"{trace['w1'] * trace['x']:.6g}")
        tmux("send-keys", "-t", ada, "Enter")
        tmux("send-keys", "-t", bob, "-l", "3")
        tmux("send-keys", "-t", bob, "Enter")
        wait_for(ada, "is in: the teacher reveals it")
        tmux("send-keys", "-t", console, "C-t")
        wait_for(console, "2 of 2 answered, 1 right")
        tmux("send-keys", "-t", console, "R")
        assert "✓ yours" in wait_for(ada, "The answer: z1")
        assert "✗ yours was 3" in wait_for(bob, "The answer: z1")
        wait_for(console, "revealed: z1")
        # L again: the console asks where they go on from; Enter: their own
        tmux("send-keys", "-t", console, "L")
        wait_for(console, "end the lead")
        tmux("send-keys", "-t", console, "Enter")
        wait_for(console, "are back in their own sessions")
        wait_for(ada, "your own session is back")
        wait_for(ada, "step 3")
        wait_for(bob, "step 1")
        # push: every student starts over on the new scenario, their session so
        # far handed in; a later arrival starts on it too
        three = tmp_path / "three.toml"
        three.write_text(dumps(Scenario(layers=3)))
        tmux("send-keys", "-t", console, "p")
        tmux("send-keys", "-t", console, "-l", "/nonexistent.toml")
        tmux("send-keys", "-t", console, "Enter")
        wait_for(console, "/nonexistent.toml: no such file")  # refused with a line; the prompt stays
        tmux("send-keys", "-t", console, "C-u")
        tmux("send-keys", "-t", console, "-l", str(three))
        tmux("send-keys", "-t", console, "Enter")
        wait_for(console, "Pushed")
        assert "w3" in wait_for(ada, "new scenario") and "step 0" in wait_for(ada, "step 0")
        wait_for(bob, "new scenario")
        (handed,) = (tmp_path / "in" / "ada").iterdir()
        assert load_session(handed)[1].step_count == 3
        cy = student(port, user="cy")
        wait_for(cy, "Forward pass")
        assert "w3" in wait_for(cy, "w3")
        pids = [int(p) for p in _grep(log.read_text(), "pid=")]
        assert len(pids) == 3
        tmux("send-keys", "-t", console, "q")
        wait_for(console, "q again ends the class")
        tmux("send-keys", "-t", console, "q")
        deadline = time.monotonic() + 15
        while "stopped" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text().rstrip().endswith("stopped")
        assert all(wait_dead(p) for p in pids)
    finally:
        tmux("kill-session", "-t", console)
