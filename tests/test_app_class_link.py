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


async def test_e_hands_the_session_in_and_leave_keeps_it(monkeypatch, tmp_path):
    from bptui.session import load_session
    from bptui.session_transfer import SessionReceiver

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server = ControlLink(ours)
    sc = Scenario()
    app = BptuiApp(sc.engine(), sc, files=False, control=ControlLink(theirs))
    receiver = SessionReceiver(tmp_path / "in.json", 10**7)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(server, pilot, lambda m: m["kind"] == "hello")
        await keys(pilot, "e")
        assert "this class takes no hand-ins" in screen_text(app)  # not welcomed yet
        server.send({"kind": "welcome", "hand_in": True})
        await pilot.pause(0.2)
        await keys(pilot, *["space"] * 200, "e")
        done = None
        while done is None:
            done = receiver.take(await _until(server, pilot, lambda m: m["kind"] == "session"))
        assert done == "hand-in"
        _, handed = load_session(tmp_path / "in.json")
        assert handed.step_count == 200 and handed.loss == app.engine.loss
        server.send({"kind": "handed-in", "file": "ada/2026-12-02T10-00-00.json"})
        deadline = time.monotonic() + 10
        while "Handed in" not in screen_text(app) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert "Handed in: your teacher has it (ada/2026-12-02T10-00-00.json)" in screen_text(app)
        server.send({"kind": "leave"})
        deadline = time.monotonic() + 10
        while app.is_running and time.monotonic() < deadline:
            await pilot.pause(0.05)
    assert not app.is_running
    app.class_link.leave()  # what the command does once the app has closed
    parts = [m for m in server.receive() if m["kind"] == "session"]
    assert [receiver.take(m) for m in parts][-1] == "keep" and load_session(tmp_path / "in.json")[1].step_count == 200


class _Session:
    """What the lead needs of a server's session: its link."""

    def __init__(self, link: ControlLink) -> None:
        self.link, self.closed, self.lead_sent = link, False, (None, None)

    def send_in_order(self, message: dict) -> bool:
        return self.link.queue([message])


def _follower_and_lead(tmp_path):
    """A student's app on one end of a control channel, and on the other a
    room whose one session it is, with a lesson to lead it through."""
    from bptui.serve.lead import Lead
    from bptui.stepper import Stepper
    from tests.test_serve_teacher import room_of

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sc = Scenario()
    app = BptuiApp(sc.engine(), sc, files=False, control=ControlLink(theirs))
    room = room_of(tmp_path)
    room.sessions.add(_Session(ControlLink(ours)))
    lesson = Stepper(sc.engine(), sc)
    return app, lesson, Lead(room, lesson)


async def test_a_follower_steps_the_lesson_bit_for_bit_locked_then_gets_its_own_back(tmp_path):
    import numpy as np

    from bptui.stepper_follow import BANNER, LOCKED

    app, lesson, lead = _follower_and_lead(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "space", "space")
        own = app.stepper
        lesson.engine.step(7)
        lesson.edit_rate()
        for k in ["ctrl+u", *"0.3", "enter"]:
            lesson.key(k, k if len(k) == 1 else None)
        lesson.step()
        lesson.walk(1)
        lesson.walk(1)
        lesson.toggle_view("circuit")
        assert lead.start() == 1
        deadline = time.monotonic() + 10
        while app.stepper.engine.step_count != 8 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        f = app.stepper
        assert f is not own and f.locked
        # exact replay: every number of the lesson's history, bit for bit
        assert np.array_equal(f.engine.history_array().view(np.uint64), lesson.engine.history_array().view(np.uint64))
        assert f.engine.lr == 0.3 and f.view == "circuit" and f.walk_view() is not None
        assert f.message.text.startswith(BANNER + "The circuit")
        await keys(pilot, "space", "u", "r")
        assert app.stepper.engine.step_count == 8 and app.stepper.message.text == LOCKED
        lesson.walk(1)
        lead.sync()
        deadline = time.monotonic() + 10
        while app.stepper._walk_pos != 3 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.stepper._walk_pos == 3
        lead.end(keep_lesson=False)
        deadline = time.monotonic() + 10
        while app.stepper is not own and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.stepper is own and own.engine.step_count == 2 and not own.locked
        await keys(pilot, "space")
        assert own.engine.step_count == 3


async def test_ending_a_lead_on_the_lesson_lets_the_follower_step_on_from_it(tmp_path):
    app, lesson, lead = _follower_and_lead(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "space")
        lesson.engine.step(5)
        lead.start()
        deadline = time.monotonic() + 10
        while app.stepper.engine.step_count != 5 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        lead.end(keep_lesson=True)
        deadline = time.monotonic() + 10
        while app.stepper.locked and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert "you go on from the lesson's step" in app.stepper.message.text
        await keys(pilot, "space")
        assert app.stepper.engine.step_count == 6 and not app.stepper.locked
        want = Scenario().engine()
        want.step(6)
        assert app.stepper.engine.loss == want.loss


async def test_a_lead_ended_on_the_lesson_before_it_was_shown_still_lands_on_it(tmp_path):
    """The lesson and the lead's end in one read: the follower goes on from
    the lesson, unlocked, not stuck on a stepper never shown."""
    app, lesson, lead = _follower_and_lead(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(pilot, "space")
        lesson.engine.step(5)
        lead.start()
        lead.end(keep_lesson=True)
        deadline = time.monotonic() + 10
        while app.stepper.engine.step_count != 5 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        assert app.stepper.engine.step_count == 5 and not app.stepper.locked
        await keys(pilot, "space")
        assert app.stepper.engine.step_count == 6


async def test_the_app_tells_the_start_gate_once_its_first_screen_is_drawn(monkeypatch):
    import os

    from bptui.control import STARTED_ENV

    started_r, started_w = os.pipe()
    os.set_blocking(started_r, False)
    monkeypatch.setenv(STARTED_ENV, str(started_w))
    app = BptuiApp(Scenario().engine(), Scenario(), files=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(50):
                await pilot.pause()
                try:
                    if os.read(started_r, 1) == b"":
                        break  # EOF: its end is closed
                except BlockingIOError:
                    pass
            else:
                raise AssertionError("the app never closed its started pipe")
            assert "Forward pass" in screen_text(app) and STARTED_ENV not in os.environ
    finally:
        os.close(started_r)
