"""The teacher's console with no screen: the class table's order, the
question being asked (a message for the class), the line at the bottom, and
one method a key. The console (bptui.app.console_app) maps keys here and
draws what this holds; tests drive it directly. Never imports Textual."""

from __future__ import annotations

from bptui.control import MAX_TEXT, message_text
from bptui.prompt import Prompt
from bptui.scenario_file import load
from bptui.serve.class_table import COLUMNS, Row, class_rows, sort_rows

MESSAGE_LABEL = "message to the class:"
PUSH_LABEL = "push the scenario in file:"
HINT = "m: a line to all · p: push a scenario · 1-9: sort (again: reverse) · q: end"


class TeacherDesk:
    def __init__(self, room) -> None:
        self.room = room  # a bptui.serve.classroom.Classroom
        self.sort_column = 0
        self.descending = False
        self.asking: Prompt | None = None
        self.said = HINT
        self._quit_armed = False
        self.stopping = False

    def rows(self, now: float | None = None) -> list[Row]:
        return sort_rows(class_rows(self.room, now), self.sort_column, self.descending)

    def header(self) -> str:
        here = sum(1 for s in self.room.sessions if not s.closed)
        roster = self.room.settings.roster
        of = f" of {len(roster)}" if roster is not None else ""
        away = len(self.room.kept)
        parts = [f"{here}{of} here"]
        if away:
            parts.append(f"{away} away")
        parts.append(f"{sum(self.room.hand_ins.values())} hand-ins" if self.room.settings.hand_in else "no hand-ins")
        where = self.room.connect_line or "starting…"
        if self.stopping:
            where = "stopping: students' sessions end…"
        return f"bptui serve · {where} · {' · '.join(parts)}"

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

    def ask_push(self) -> None:
        self.asking = Prompt(PUSH_LABEL, "", self._push, self._not_pushed)

    def _push(self, path: str) -> str | None:
        if not path.strip():
            return "type the path of a scenario file (TOML, as s saves it; Esc: push nothing)"
        try:
            scenario = load(path.strip())
            scenario.engine()  # every student starts from a scenario that runs
        except ValueError as e:  # ScenarioFileError, or a scenario that cannot run
            return str(e)
        reached = self.room.push(scenario)
        handed = "; their sessions so far handed in" if self.room.settings.hand_in else ""
        self.said = f"Pushed {path.strip()} to {reached} student(s){handed}; later arrivals start on it."
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
