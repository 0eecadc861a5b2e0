"""The teacher's console with no screen: the class table's order, the
lesson (the teacher's own stepper) and its lead, the question being asked
(a message, a scenario to push, how to end a lead), the line at the bottom,
the log's last lines, and one method a key. The console
(bptui.app.console_app) maps keys here and draws what this holds; tests
drive it directly. Never imports Textual."""

from __future__ import annotations

from collections import deque

from bptui.control import MAX_TEXT, message_text
from bptui.numfmt import fmt
from bptui.predict import walk_questions
from bptui.prompt import Prompt
from bptui.scenario_file import load
from bptui.serve.class_question import ClassQuestion
from bptui.serve.class_table import COLUMNS, Row, class_rows, sort_rows
from bptui.serve.lead import Lead
from bptui.stepper import Stepper

MESSAGE_LABEL = "message to the class:"
PUSH_LABEL = "push the scenario in file (empty: the lesson's):"
END_LEAD_LABEL = "end the lead: (o)wn sessions back, or on from the (l)esson?"
HINT = "Tab lesson · L lead · A/R ask/reveal · m line · p push · 1-9 sort · q end"
LOG_LINES = 500  # the console's pane shows the last of these; --log FILE keeps them all


class TeacherDesk:
    def __init__(self, room) -> None:
        self.room = room  # a bptui.serve.classroom.Classroom
        # the lesson starts where the students do
        scenario = load(room.settings.scenario_file)
        engine = scenario.engine()
        engine.max_steps = room.settings.max_history
        self.lesson = Stepper(engine, scenario)
        self.lead = Lead(room, self.lesson)
        self.log_lines: deque[str] = deque(maxlen=LOG_LINES)
        self.on_log_line = None  # the console's pane, while it is on screen
        room.log.listeners.append(self._log_line)
        self._asked = 0
        self.sort_column = 0
        self.descending = False
        # None: two students a line only when the class outgrows the table
        self.two_a_line: bool | None = None
        self.asking: Prompt | None = None
        self.said = HINT
        self._quit_armed = False
        self.stopping = False

    def rows(self, now: float | None = None) -> list[Row]:
        return sort_rows(class_rows(self.room, now), self.sort_column, self.descending)

    def _log_line(self, line: str) -> None:
        self.log_lines.append(line)
        if self.on_log_line is not None:
            self.on_log_line(line)

    def header(self) -> str:
        here = sum(1 for s in self.room.sessions if not s.closed)
        roster = self.room.settings.roster
        of = f"/{len(roster)}" if roster is not None else ""
        away = len(self.room.kept)
        parts = [f"{here}{of} here"]
        if self.lead.on:
            parts.insert(0, "LEADING")
        if away:
            parts.append(f"{away} away")
        parts.append(f"{sum(self.room.hand_ins.values())} hand-ins" if self.room.settings.hand_in else "no hand-ins")
        where = self.room.connect_line or "starting…"
        if self.stopping:
            where = "stopping: students' sessions end…"
        return f"bptui · {where} · {' · '.join(parts)}"

    def key(self, name: str, character: str | None = None) -> bool:
        """A key for the open question, or after q asked once; True if it
        was taken here."""
        if self.asking is not None:
            self.asking.key(name, character)
            if self.asking is not None and self.asking.closed:
                self.asking = None
            return True
        if self._quit_armed and name not in ("q", "ctrl+c", "ctrl+q"):
            self._quit_armed = False
            self.said = "The class goes on."
        return False

    def paste(self, text: str) -> None:
        if self.asking is not None:
            self.asking.paste(text)

    # -- keys: one method each --

    def sort_by(self, column: int) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        if column == self.sort_column:
            self.descending = not self.descending
        else:
            self.sort_column, self.descending = column, False
        order = "descending" if self.descending else "ascending"
        self.said = f"Sorted by {COLUMNS[column][0]}, {order} (missing values last)."

    def toggle_two_a_line(self, shown_now: bool) -> None:
        """c: every column, one student a line; or two students a line
        (name, step, J, doing, idle), so that 30 fit at 80×24."""
        self.two_a_line = not shown_now
        self.said = (
            "Two students a line: name, step, J, doing, idle (c: every column)."
            if self.two_a_line
            else "Every column, a student a line (c: two students a line)."
        )

    def ask_message(self) -> None:
        self.asking = Prompt(MESSAGE_LABEL, "", self._send_message, self._not_sent, max_length=MAX_TEXT)

    def _send_message(self, text: str) -> str | None:
        line = message_text({"kind": "message", "text": text})
        if line is None:
            return "type the line to send (Esc: send nothing)"
        students = [s for s in self.room.sessions if not s.closed]
        reached = sum(1 for s in students if s.tell(line))
        self.room.log.line(f"message to the class ({reached} of {len(students)} reached): {line}")
        self.said = f"Sent to {reached} of {len(students)} students: {line}"
        return None

    def toggle_lead(self) -> None:
        """L: lead the class through the lesson, or end the lead (asking
        where the students go on from)."""
        if not self.lead.on:
            reached = self.lead.start()
            self.said = f"Leading: {reached} student(s) follow the lesson (Tab: step it; L again: end the lead)."
            return
        self.asking = Prompt(END_LEAD_LABEL, "o", self._end_lead, self._lead_goes_on, max_length=8)

    def _end_lead(self, answer: str) -> str | None:
        choice = answer.strip().lower()
        if choice not in ("o", "own", "l", "lesson"):
            return "o: their own sessions, as they left them · l: on from the lesson's state"
        keep_lesson = choice.startswith("l")
        n = self.lead.end(keep_lesson)
        self.room.question = None
        self.said = f"The lead has ended: {n} student(s) " + ("go on from the lesson." if keep_lesson else "are back in their own sessions.")
        return None

    def _lead_goes_on(self) -> None:
        self.said = "The lead goes on."

    def ask_class(self) -> None:
        """A: the lesson's next operation, asked of every follower."""
        if not self.lead.on:
            self.said = "A asks the class during a lead: L leads first."
            return
        if self.room.question is not None and not self.room.question.revealed:
            self.said = "A question is open: R reveals its answer first."
            return
        op = self.lesson._next_operation()
        if op is None:
            self.said = "The lesson cannot step on from here: nothing to ask."
            return
        e = self.lesson.engine
        qs = walk_questions(op, e.network, e.trace, e.lr, e.rule.amounts_at(e.trace), "every")
        if not qs:
            self.said = "The next operation asks nothing."
            return
        self._asked += 1
        question = ClassQuestion(self._asked, qs[0])
        self.room.question = question
        n = self.lead.send_all(question.as_message())
        self.room.log.line(f"asked the class {qs[0].symbol} ({n} student(s))")
        self.said = f"Asked {n} student(s) for {qs[0].symbol}: R reveals the answer and walks on."

    def reveal(self) -> None:
        """R: the answer on every screen, with the count; the lesson walks on."""
        q = self.room.question
        if q is None or q.revealed:
            self.said = "No question is open: A asks one during a lead."
            return
        for s in self.lead.followers():
            s.link.queue([q.reveal_message(s.name)])
        q.revealed = True
        self.room.log.line(f"revealed {q.question.symbol}: {q.right} of {len(q.answers)} right")
        self.said = f"Revealed {q.question.symbol} = {fmt(q.question.value)}: {q.right} of {len(q.answers)} right."
        self.lesson.walk(1)
        self.lead.sync()

    def question_lines(self) -> list[str]:
        q = self.room.question
        return q.summary(len(self.lead.followers())) if q is not None else []

    def ask_push(self) -> None:
        if self.lead.on:
            self.said = "A push during a lead would pull the class out of it: L ends the lead first."
            return
        self.asking = Prompt(PUSH_LABEL, "", self._push, self._not_pushed)

    def _push(self, path: str) -> str | None:
        if path.strip():
            try:
                scenario = load(path.strip())
                scenario.engine()  # every student starts from a scenario that runs
            except ValueError as e:  # ScenarioFileError, or a scenario that cannot run
                return str(e)
        else:
            scenario = self.lesson.scenario
        reached = self.room.push(scenario)
        handed = "; their sessions so far handed in" if self.room.settings.hand_in else ""
        what = path.strip() or "the lesson's scenario"
        self.said = f"Pushed {what} to {reached} student(s){handed}; later arrivals start on it."
        return None

    def _not_pushed(self) -> None:
        self.said = "Nothing pushed."

    def _not_sent(self) -> None:
        self.said = "No message sent."

    def quit(self) -> bool:
        """q: True the second time (the class ends)."""
        if self._quit_armed:
            self.stopping = True
            return True
        self._quit_armed = True
        here = sum(1 for s in self.room.sessions if not s.closed)
        self.said = f"q again ends the class: {here} student(s) are connected (any other key: go on)."
        return False
