"""The teacher's console on screen (bptui.app.console_app), with a room of
fake sessions and a server that waits to be stopped: the table shows each
student's step, sorts on a key, a message typed straight after m reaches
every student, the log's lines show, and q twice ends the class."""

from __future__ import annotations

import asyncio

from bptui.app.console_app import ConsoleApp
from bptui.scenario import Scenario
from bptui.scenario_file import dumps
from bptui.serve.teacher import TeacherDesk
from tests.test_serve_teacher import FakeSession, room_of, stepped


def table_rows(app: ConsoleApp) -> list[list[str]]:
    t = app.table
    return [[str(c) for c in t.get_row_at(r)] for r in range(t.row_count)]



async def test_the_console_shows_sorts_messages_and_ends_the_class(tmp_path):
    room = room_of(tmp_path, roster=frozenset({"ada", "bob", "cy"}))
    room.settings.scenario_file.write_text(dumps(Scenario()))
    students = [FakeSession("ada", stepped(4), 0.0, 0.0), FakeSession("bob", stepped(2), 0.0, 0.0)]
    room.sessions.update(students)
    stopped = asyncio.Event()

    async def run_server(stop: asyncio.Event) -> None:
        room.connect_line = "ssh -p 2222 any-name@127.0.0.1"
        room.log.line("listening")
        await stop.wait()
        stopped.set()

    stop = asyncio.Event()
    server = asyncio.get_running_loop().create_task(run_server(stop))
    app = ConsoleApp(TeacherDesk(room), server, stop)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        app.draw()
        rows = table_rows(app)
        assert [(r[0], r[2], r[5]) for r in rows] == [("ada", "4", "stepping"), ("bob", "2", "stepping"), ("cy", "·", "absent")]
        assert "2/3 here" in str(app.header.render())
        await pilot.press("3")  # by step: bob (2) before ada (4), cy (none) last
        assert [r[0] for r in table_rows(app)] == ["bob", "ada", "cy"]
        await pilot.press("3")
        assert [r[0] for r in table_rows(app)] == ["ada", "bob", "cy"]
        # typed straight after m: every key reaches the prompt, in order
        await pilot.press("m", *"hi all", "enter")
        assert all(s.told == ["hi all"] for s in students)
        assert "Sent to 2 of 2 students: hi all" in str(app.said.render())
        assert any("listening" in str(line) for line in app.log_pane.lines)
        await pilot.press("q")
        assert not stopped.is_set() and "q again" in str(app.said.render())
        await pilot.press("q")
        await asyncio.wait_for(stopped.wait(), 5)
        await pilot.pause(0.1)
    assert app.return_value is None and server.done()


async def test_the_lessons_footer_shows_the_teachers_keys_first_and_help_and_quit(tmp_path):
    from bptui.app.lesson_app import LessonApp

    room = room_of(tmp_path)
    stop = asyncio.Event()
    server = asyncio.get_running_loop().create_task(stop.wait())
    app = LessonApp(TeacherDesk(room), server)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = app.keys_footer.render().plain
        assert line.startswith(" ^t Class  L Lead  A Ask  R Reveal  space Step ")
        assert line.endswith(" ? Help  q Quit ") and len(line) <= 80
        await pilot.click(app.keys_footer, offset=(2, 0))  # ^t: back to the console
        await pilot.pause()
    assert app.return_value == "console"
    stop.set()
    await server


async def test_thirty_students_fit_80x24_two_a_line_and_c_shows_every_column(tmp_path):
    from dataclasses import replace

    from tests.test_app import screen_text

    room = room_of(tmp_path)
    base = stepped(1)
    names = [f"s{k:02d}" for k in range(30)]
    # step k+1 for student k, and one with a J too small for 8 cells at 4 digits
    room.sessions.update(FakeSession(n, replace(base, step=k + 1), 0.0, 0.0) for k, n in enumerate(names))
    tiny = next(s for s in room.sessions if s.name == "s29")
    tiny.state = replace(tiny.state, J=3.2e-12, lr=0.000125)
    stop = asyncio.Event()
    server = asyncio.get_running_loop().create_task(stop.wait())
    app = ConsoleApp(TeacherDesk(room), server, stop)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        app.draw()
        await pilot.pause()
        text = screen_text(app)
        assert all(n in text for n in names), "every student on the screen at once"
        assert app.table.row_count == 15 and app.table.max_scroll_y == 0
        assert all(len(line) <= 80 for line in text.splitlines())
        assert "c Cols" in text.splitlines()[-1] and "q End" in text.splitlines()[-1]
        rows = table_rows(app)
        # down the left half, then the right: s00..s14 beside s15..s29
        assert [(r[0].strip(), r[6].strip()) for r in rows[:2]] == [("s00", "s15"), ("s01", "s16")]
        assert rows[14][6].strip() == "s29" and rows[14][8].strip() == "3.2e−12"  # 7 cells: a digit fewer
        await pilot.press("3", "3")  # by step, descending: s29 first
        assert table_rows(app)[0][0].strip() == "s29"
        await pilot.press("c")  # every column: one student a line, the table scrolls
        await pilot.pause()
        rows = table_rows(app)
        assert app.table.row_count == 30 and rows[0][0] == "s29"
        assert rows[0][3] == "3.20e−12" and rows[0][4] == "1.25e−4"  # fewer digits, never cut
        assert "Every column" in str(app.said.render())
        await pilot.press("c")
        await pilot.pause()
        assert app.table.row_count == 15
    stop.set()
    await server
