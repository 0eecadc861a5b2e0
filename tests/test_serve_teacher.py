"""The teacher's table and keys with no screen (bptui.serve.class_table,
bptui.serve.teacher): rows from what each app said, sorting, the roster's
absentees, a message to the class, quitting. No Textual, no sleeps."""

from __future__ import annotations

import math
from pathlib import Path

from bptui.control import AppState, state_of
from bptui.scenario import Scenario
from bptui.scenario_file import dumps
from bptui.serve.class_table import COLUMNS, MISSING, class_rows, duration, sort_rows
from bptui.serve.classroom import Classroom, Settings
from bptui.serve.log import FoldingLog
from bptui.serve.teacher import TeacherDesk
from bptui.stepper import Stepper


class FakeSession:
    def __init__(self, name: str, state: AppState | None, connected_at: float, last_input: float) -> None:
        self.name, self.state, self.closed = name, state, False
        self.connected_at, self.last_input = connected_at, last_input
        self.told: list[str] = []

    def tell(self, text: str) -> bool:
        self.told.append(text)
        return True


def room_of(tmp_path: Path, roster=None) -> Classroom:
    lines: list[str] = []
    log = FoldingLog(quiet=True)
    log.listeners.append(lines.append)
    (tmp_path / "scenario.toml").write_text(dumps(Scenario()))
    room = Classroom(Settings(tmp_path / "scenario.toml", roster=roster, hand_in=tmp_path), log)
    room.lines = lines
    return room


def stepped(n: int, *keys: str) -> AppState:
    sc = Scenario()
    s = Stepper(sc.engine(), sc, files=False)
    for _ in range(n):
        s.step()
    for k in keys:
        getattr(s, k)()
    return state_of(s)


def test_a_row_shows_what_the_app_said(tmp_path):
    room = room_of(tmp_path, roster=frozenset({"ada", "bob", "zoe"}))
    e = Scenario().engine()
    e.step(3)
    state = stepped(3)
    room.sessions.add(FakeSession("ada", state, connected_at=100.0, last_input=170.0))
    room.hand_ins["ada"] = 2
    rows = class_rows(room, now=175.0)
    assert [r.name for r in rows] == ["ada", "bob", "zoe"]
    ada = dict(zip((c for c, _ in COLUMNS), rows[0].cells()))
    # against the engine itself, formatted independently
    assert ada == {"name": "ada", "on": "1m", "step": "3", "J": f"{e.loss:#.4g}", "rate": f"{e.lr:.3g}",
                   "doing": "stepping", "score": MISSING, "idle": "5s", "in": "2"}  # fmt: skip
    assert rows[1].cells()[5] == "absent" and rows[1].cells()[2] == MISSING
    assert all(len(c) <= w for r in rows for c, (_, w) in zip(r.cells(), COLUMNS))


def test_modes_and_scores_read_as_words():
    from bptui.serve.class_table import Row

    walk = Row("a", "here", AppState(1, 1.0, 0.5, ("walk",), 0, 0, "panes"), 0, 0, 0)
    both = Row("b", "here", AppState(1, 1.0, 0.5, ("walk", "predict", "mistakes"), 3, 4, "panes"), 0, 0, 0)
    assert walk.cells()[5] == "walk"
    assert both.cells()[5] == "walk+pre…" and both.cells()[6] == "3/4"
    assert Row("c", "here", None, 0, 0, 0).cells()[5] == "starting"


def test_sorting_by_any_column_keeps_missing_values_last(tmp_path):
    room = room_of(tmp_path, roster=frozenset({"ada", "bob", "cy", "dee"}))
    room.sessions.add(FakeSession("ada", stepped(5), 0.0, 0.0))
    room.sessions.add(FakeSession("bob", stepped(1), 0.0, 0.0))
    room.sessions.add(FakeSession("cy", stepped(9), 0.0, 0.0))
    rows = class_rows(room, now=1.0)
    step = [n for n, (c, _) in enumerate(COLUMNS) if c == "step"][0]
    assert [r.name for r in sort_rows(rows, step)] == ["bob", "ada", "cy", "dee"]
    assert [r.name for r in sort_rows(rows, step, descending=True)] == ["cy", "ada", "bob", "dee"]
    J = [n for n, (c, _) in enumerate(COLUMNS) if c == "J"][0]
    # J falls as they step: the most steps, the least J
    assert [r.name for r in sort_rows(rows, J)] == ["cy", "ada", "bob", "dee"]
    desk = TeacherDesk(room)
    desk.sort_by(step)
    desk.sort_by(step)
    assert desk.descending and [r.name for r in desk.rows(now=1.0)][0] == "cy"


def test_a_nan_J_sorts_with_the_missing():
    from bptui.serve.class_table import Row

    rows = [Row("a", "here", AppState(1, math.nan, 0.5, (), 0, 0, "panes"), 0, 0, 0),
            Row("b", "here", AppState(1, 2.0, 0.5, (), 0, 0, "panes"), 0, 0, 0)]  # fmt: skip
    assert [r.name for r in sort_rows(rows, 3)] == ["b", "a"]


def test_a_message_reaches_every_student_cleaned(tmp_path):
    room = room_of(tmp_path)
    students = [FakeSession(n, None, 0, 0) for n in ("ada", "bob")]
    room.sessions.update(students)
    desk = TeacherDesk(room)
    desk.ask_message()
    for c in "Look":
        desk.key(c, c)
    desk.paste(" at\x1b[2J w1")  # a paste may hold what a key cannot
    assert desk.asking is not None
    desk.key("enter")
    assert desk.asking is None
    assert all(s.told == ["Look at[2J w1"] for s in students)
    assert desk.said == "Sent to 2 of 2 students: Look at[2J w1"
    assert any("message to the class (2 of 2 reached)" in line for line in room.lines)
    desk.ask_message()
    desk.key("enter")  # an empty line is not sent
    assert desk.asking is not None and "type the line" in desk.asking.reason
    desk.key("escape")
    assert desk.asking is None and desk.said == "No message sent." and all(len(s.told) == 1 for s in students)


def test_q_twice_ends_the_class_and_another_key_between_goes_on(tmp_path):
    desk = TeacherDesk(room_of(tmp_path))
    assert desk.quit() is False and "q again" in desk.said
    desk.key("x", "x")
    assert desk.said == "The class goes on." and desk.quit() is False
    assert desk.quit() is True and desk.stopping and "stopping" in desk.header()


def test_durations_fit_four_cells():
    assert [duration(s) for s in (0, 59, 60, 3599, 3600, 86399, 86400, 1e12)] == ["0s", "59s", "1m", "59m", "1h", "23h", "1d", "999d"]


class FakeLink:
    def __init__(self) -> None:
        self.outbox, self.closed, self.sent = [], False, []

    def queue(self, messages: list[dict]) -> None:
        self.sent += messages

    def queue_encoded(self, packets: list[bytes]) -> None:
        from bptui.control import decode

        self.sent += [decode(p) for p in packets]


class Follower(FakeSession):
    def __init__(self, name: str) -> None:
        super().__init__(name, None, 0.0, 0.0)
        self.link, self.lead_sent = FakeLink(), (None, None)

    def send_in_order(self, message: dict) -> bool:
        self.link.sent.append(message)
        return True


def test_ask_counts_answers_names_mistakes_and_reveal_walks_on(tmp_path):
    from bptui.walk import operations

    room = room_of(tmp_path)
    students = [Follower(n) for n in ("ada", "bob", "cy", "dee")]
    room.sessions.update(students)
    desk = TeacherDesk(room)
    desk.ask_class()
    assert "L leads first" in desk.said
    desk.toggle_lead()
    # walk the lesson to the factor dh/dz1
    ops = operations(desk.lesson.engine)
    at = next(k for k, op in enumerate(ops) if op.kind == "backward" and "dh/dz1" in op.lines[0])
    for _ in range(at):
        desk.lesson.walk(1)
    desk.ask_class()
    asked = [m for m in students[0].link.sent if m["kind"] == "ask"]
    assert len(asked) == 1 and asked[0]["symbol"] == "dh/dz1"
    values = desk.lesson.engine.trace.values
    h, o = values["h"], values["o"]
    # ada right, bob the classic slip o(1 − o), cy something else, dee silent
    for s, text in ((students[0], f"{h * (1 - h):.6g}"), (students[1], f"{o * (1 - o):.6g}"), (students[2], "7")):
        assert room.question.take(s.name, {"kind": "answer", "id": asked[0]["id"], "text": text})
    assert not room.question.take("eve", {"kind": "answer", "id": asked[0]["id"], "text": "not a number"})
    lines = desk.question_lines()
    assert lines[1] == "3 of 4 answered, 1 right"
    assert any(line.startswith("1 used ") and "o(1 − o)" in line for line in lines), lines
    counts, lo, hi = room.question.histogram()
    typed = [float(f"{h * (1 - h):.6g}"), float(f"{o * (1 - o):.6g}"), 7.0]
    assert sum(counts) == 3 and lo == min(*typed, h * (1 - h)) and hi == 7
    walked = desk.lesson._walk_pos
    desk.reveal()
    assert desk.lesson._walk_pos == walked + 1
    reveals = {s.name: [m for m in s.link.sent if m["kind"] == "reveal"][0] for s in students}
    assert reveals["ada"]["yours_right"] is True and reveals["ada"]["value"] == h * (1 - h)
    assert reveals["bob"]["yours_right"] is False and "o(1 − o)" in reveals["bob"]["mistake"]
    assert reveals["dee"]["yours"] is None and reveals["dee"]["right"] == 1 and reveals["dee"]["answered"] == 3
    # answers after the reveal do not count
    assert not room.question.take("dee", {"kind": "answer", "id": asked[0]["id"], "text": "1"})


def test_no_push_during_a_lead(tmp_path):
    room = room_of(tmp_path)
    room.sessions.add(Follower("ada"))
    desk = TeacherDesk(room)
    desk.toggle_lead()
    desk.ask_push()
    assert desk.asking is None and "L ends the lead first" in desk.said
    desk.toggle_lead()
    assert desk.asking is not None  # where they go on from
    desk.key("enter")
    assert not desk.lead.on and "back in their own sessions" in desk.said
    desk.ask_push()
    assert desk.asking is not None
