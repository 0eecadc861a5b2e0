"""The lesson: the teacher's own stepper, in the console's terminal, with
every key of the students' app. It is the same app (bptui.app.stepper_app),
given the desk's stepper, so it goes on where it stood each time Tab brings
it back; and L leads the class through it, or ends the lead. Every 0.15 s
the lead sends the followers what changed (bptui.serve.lead)."""

from __future__ import annotations

import asyncio

from textual import events
from textual.binding import Binding

from bptui.app.stepper_app import BptuiApp

LESSON_SYNC_SECONDS = 0.15
LESSON_SAYS = "The lesson: your own stepper. L: lead the class through it · Ctrl-T: back to the class table."


class LessonApp(BptuiApp):
    BINDINGS = [
        *BptuiApp.BINDINGS,
        Binding("ctrl+t", "console", "Class", priority=True),
    ]
    # the teacher's keys, first in the Footer (route_key takes L, A and R)
    EXTRA_KEYS = (("ctrl+t", "^t", "Class"), ("L", "L", "Lead"), ("A", "A", "Ask"), ("R", "R", "Reveal"))
    TITLE = "bptui serve: the lesson"

    def __init__(self, desk, server: asyncio.Task) -> None:
        lesson = desk.lesson
        super().__init__(lesson.engine, lesson.scenario, stepper=lesson)
        self.desk = desk
        self._server = server  # ends when the class does: this app then exits

    def on_mount(self) -> None:
        super().on_mount()
        self.notify(LESSON_SAYS, timeout=4)
        self.draw()
        # the followers see the lesson's state this often (not every frame:
        # a lesson's history changing goes to them as its whole session), and
        # students who arrive during a lead follow within it
        self.set_interval(LESSON_SYNC_SECONDS, self.desk.lead.sync)
        self._server.add_done_callback(self._class_over)

    def on_unmount(self) -> None:
        self._server.remove_done_callback(self._class_over)

    def _class_over(self, _task) -> None:
        self.exit()

    def route_key(self, event: events.Key) -> bool:
        teachers = {"L": self.action_lead, "A": self.action_ask, "R": self.action_reveal}
        if self.stepper.asking is None and event.key in teachers:
            teachers[event.key]()
            return True
        return super().route_key(event)

    def action_ask(self) -> None:
        self.desk.ask_class()
        self.notify(self.desk.said, timeout=4)

    def action_reveal(self) -> None:
        self.desk.reveal()
        self.notify(self.desk.said, timeout=4)
        self.draw()

    def action_console(self) -> None:
        self.exit("console")

    def action_lead(self) -> None:
        if self.desk.lead.on:
            self.desk.toggle_lead()  # the question of where students go on from is the console's
            self.exit("console")
            return
        self.desk.toggle_lead()
        # the teacher's own note: a toast, not the bar the followers see
        self.notify(self.desk.said, timeout=4)
        self.draw()

    def action_quit(self) -> None:
        """q in the lesson goes back to the class table (the class ends there)."""
        self.exit("console")

    def action_quit_now(self) -> None:
        self.exit("console")
