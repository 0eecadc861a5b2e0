"""The app's end of the classroom channel (bptui.app.class_link): with a
socketpair for the server, it says hello with its environment, sends its
state when it changes (checked against the engine), and shows the teacher's
line on the bar."""

import socket
import time

from bptui.control import AppState, ControlLink
from tests.test_app import screen_text
from tests.test_app_nudge import keys
from bptui.app import BptuiApp
from bptui.scenario import Scenario


_backlog: list[dict] = []


async def _until(server: ControlLink, pilot, want, timeout: float = 10.0):
    """The first message from the app with `want(message)`, in the order
    they came; the app runs meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _backlog.extend(server.receive())
        while _backlog:
            m = _backlog.pop(0)
            if want(m):
                return m
        await pilot.pause(0.05)
    raise AssertionError("the app never sent it")


async def test_state_goes_up_and_the_teachers_line_comes_down(monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server = ControlLink(ours)
    sc = Scenario()
    app = BptuiApp(sc.engine(), sc, files=False, control=ControlLink(theirs))
    async with app.run_test(size=(80, 24)) as pilot:
        hello = await _until(server, pilot, lambda m: m["kind"] == "hello")
        assert hello["env"]["LANG"] == "C.UTF-8"
        first = await _until(server, pilot, lambda m: m["kind"] == "state")
        assert AppState.from_message(first).step == 0
        await keys(pilot, "space", "space", "c")
        m = await _until(server, pilot, lambda m: m["kind"] == "state" and m["step"] == 2)
        state = AppState.from_message(m)
        assert (state.J, state.lr, state.view) == (app.engine.loss, app.engine.lr, "circuit")
        server.send({"kind": "message", "text": "Look at dJ/dw1\x1b[2J now"})
        deadline = time.monotonic() + 10
        while "Teacher: Look at dJ/dw1 [2J now" not in screen_text(app) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert "Teacher: Look at dJ/dw1 [2J now" in screen_text(app)
        # the server goes: the app goes on alone
        server.close()
        await keys(pilot, "space")
        assert app.engine.step_count == 3
