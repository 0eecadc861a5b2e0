"""The teacher's console: `bptui serve` run in a terminal. The server runs
in the event loop this app and the lesson (bptui.app.lesson_app) take
turns on: Tab goes to the lesson, Ctrl-T comes back. The screen shows the
class table (who is here, their step, J, rate, what they are doing, their
predict score, how long they have been idle, their hand-ins), the log's
last lines and a line for the question or what the last key did. Every key
goes to one method of the desk (bptui.serve.teacher), in the order keys
came; this only draws."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, RichLog, Static

from bptui.serve.class_table import COLUMNS, TWO_A_LINE, two_a_line
from bptui.serve.lead import LEAD_SECONDS
from bptui.serve.teacher import LOG_LINES, TeacherDesk
from bptui.widgets.prompt_line import PromptLine

TABLE_SECONDS = 1.0  # the table is redrawn this often (students say how they stand twice a second)
# rows the screen keeps from the full table: the top line, the table's
# heading, the log (5 lines and its border), the said line, the Footer
AROUND_THE_TABLE = 10
TWO_A_LINE_WIDTH = 80  # cells two students a line take, with the scrollbar
GAP = "│"  # between the two halves of a line
SORT_KEYS = {str(n + 1): n for n in range(len(COLUMNS))}


class ConsoleApp(App[None]):
    CSS_PATH = "console.tcss"
    TITLE = "bptui serve"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("tab", "lesson", "Lesson", priority=True),
        Binding("L", "lead", "Lead"),
        Binding("A", "ask", "Ask"),
        Binding("R", "reveal", "Reveal"),
        Binding("m", "message", "Line"),
        Binding("p", "push", "Push"),
        Binding("1", "sort(0)", "Sort", key_display="1-9"),
        Binding("c", "two_a_line", "Cols"),
        Binding("q", "quit_class", "End"),
        Binding("ctrl+q", "quit_class", "End class", show=False, priority=True),
        Binding("ctrl+c", "quit_class", "End class", show=False, priority=True),
    ]

    def __init__(self, desk: TeacherDesk, server: asyncio.Task, stop: asyncio.Event) -> None:
        super().__init__()
        self.desk = desk
        self._server = server  # ends when the class does: this app then exits
        self._stop = stop
        self._shown_order: list[str] = []
        self._shown_cells: dict[str, tuple[str, ...]] = {}
        self._shown_two: bool | None = None  # the table's columns: two students a line, or one

    def compose(self) -> ComposeResult:
        self.header = Static(id="header")
        self.table = DataTable(id="table", cursor_type="row", zebra_stripes=True)
        self.question = Static(id="question")
        self.log_pane = RichLog(id="log", max_lines=LOG_LINES, wrap=False)
        self.prompt = PromptLine(id="prompt")
        self.said = Static(id="said")
        yield self.header
        yield self.table
        yield self.question
        yield self.log_pane
        yield self.prompt
        yield self.said
        yield Footer()

    def on_mount(self) -> None:
        for line in self.desk.log_lines:
            self.log_pane.write(line)
        self.desk.on_log_line = self.log_pane.write
        self.table.focus()
        self.draw()
        self.set_interval(TABLE_SECONDS, self.draw)
        self.set_interval(LEAD_SECONDS, self.desk.lead.sync)
        self._server.add_done_callback(self._class_over)

    def on_unmount(self) -> None:
        self.desk.on_log_line = None
        self._server.remove_done_callback(self._class_over)

    def _class_over(self, _task) -> None:
        self.exit()

    # -- drawing: what the desk holds --

    def draw(self) -> None:
        d = self.desk
        self.header.update(d.header())
        asked = d.question_lines()
        self.question.display = bool(asked)
        self.question.update("\n".join(asked))
        self.prompt.display = d.asking is not None
        self.prompt.show(d.asking)
        reason = d.asking.reason if d.asking is not None else ""
        self.said.update(reason or d.said)
        rows = self.desk.rows()
        two = self._two_a_line(len(rows), len(asked))
        self.screen.set_class(two, "-two-a-line")
        self.screen.set_class(two and bool(asked), "-asking")
        if two != self._shown_two:
            self._set_columns(two)
        if two:
            self._draw_two_a_line(rows)
        else:
            self._draw_table(rows)

    def _two_a_line(self, students: int, question_lines: int) -> bool:
        """Two students a line when the full table would scroll and the
        width has room for them, unless c chose otherwise."""
        if self.desk.two_a_line is not None:
            return self.desk.two_a_line
        question = question_lines + 1 if question_lines else 0
        full_rows = self.size.height - AROUND_THE_TABLE - question
        return students > full_rows and self.size.width >= TWO_A_LINE_WIDTH

    def _set_columns(self, two: bool) -> None:
        t = self.table
        t.clear(columns=True)
        if two:
            # no padding: the widths below hold each column and its gap
            t.cell_padding = 0
            for half in ("", "'"):
                for column, width in TWO_A_LINE:
                    heading = COLUMNS[column][0]
                    t.add_column(heading, width=width + 1, key=heading + half)
                if not half:
                    t.add_column(GAP, width=2, key="gap")
        else:
            t.cell_padding = 1
            for heading, width in COLUMNS:
                t.add_column(heading, width=width, key=heading)
        self._shown_two = two
        self._shown_order, self._shown_cells = [], {}

    def _draw_two_a_line(self, rows) -> None:
        lines = [
            (*left.two_a_line_cells(), GAP, *(right.two_a_line_cells() if right else ("",) * len(TWO_A_LINE)))
            for left, right in two_a_line(rows)
        ]
        shown = {str(k): v for k, v in enumerate(lines)}
        if shown == self._shown_cells:
            return
        at = self.table.cursor_row
        self.table.clear()
        for key, cells in shown.items():
            self.table.add_row(*cells, key=key)
        if lines:
            self.table.move_cursor(row=min(max(at, 0), len(lines) - 1))
        self._shown_order, self._shown_cells = [], shown

    def _draw_table(self, rows) -> None:
        order = [r.name for r in rows]
        cells = {r.name: r.cells() for r in rows}
        if order != self._shown_order:
            # who is here, or the order, changed: the rows again, the cursor
            # staying on the same student
            at = self._shown_order[self.table.cursor_row] if 0 <= self.table.cursor_row < len(self._shown_order) else None
            self.table.clear()
            for name in order:
                self.table.add_row(*cells[name], key=name)
            if at in order:
                self.table.move_cursor(row=order.index(at))
        else:
            for name in order:
                old = self._shown_cells.get(name)
                for k, (heading, _) in enumerate(COLUMNS):
                    if old is None or old[k] != cells[name][k]:
                        self.table.update_cell(name, heading, cells[name][k])
        self._shown_order, self._shown_cells = order, cells

    # -- keys: in the order they came, each to one method --

    async def on_event(self, event: events.Event) -> None:
        ending = isinstance(event, events.Key) and event.key in ("ctrl+c", "ctrl+q")
        if len(self.screen_stack) == 1 and not event.is_forwarded and not ending:
            if isinstance(event, events.Key) and self.desk.asking is not None:
                self.desk.key(event.key, event.character)
                self.draw()
                return
            if isinstance(event, events.Key) and event.key in SORT_KEYS:
                self.action_sort(SORT_KEYS[event.key])
                return
            if isinstance(event, events.Key):
                self.desk.key(event.key, event.character)  # a key after q: the class goes on
            if isinstance(event, events.Paste) and self.desk.asking is not None:
                self.desk.paste(event.text)
                self.draw()
                return
        await super().on_event(event)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = event.column_index
        if self._shown_two:  # the halves' columns, and the gap between them
            half = len(TWO_A_LINE) + 1
            if column % half == len(TWO_A_LINE):
                return
            column = TWO_A_LINE[column % half][0]
        self.action_sort(column)

    def action_two_a_line(self) -> None:
        self.desk.toggle_two_a_line(bool(self._shown_two))
        self.draw()

    def action_sort(self, column: int) -> None:
        self.desk.sort_by(column)
        self.draw()

    def action_message(self) -> None:
        self.desk.ask_message()
        self.draw()

    def action_lesson(self) -> None:
        if self.desk.asking is None:
            self.exit("lesson")

    def action_lead(self) -> None:
        self.desk.toggle_lead()
        self.draw()

    def action_ask(self) -> None:
        self.desk.ask_class()
        self.draw()

    def action_reveal(self) -> None:
        self.desk.reveal()
        self.draw()

    def action_push(self) -> None:
        self.desk.ask_push()
        self.draw()

    def action_quit_class(self) -> None:
        if self.desk.quit():
            self._stop.set()  # the server ends every session, then _serve exits
        self.draw()


def run_console(room, run_server: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run the server under the console until the teacher ends the class;
    an error the server met (it could not listen) is raised here."""
    asyncio.run(_take_turns(room, run_server))


async def _take_turns(room, run_server) -> None:
    from bptui.app.lesson_app import LessonApp

    desk = TeacherDesk(room)
    stop = asyncio.Event()
    server = asyncio.get_running_loop().create_task(run_server(stop))
    app: App = ConsoleApp(desk, server, stop)
    while True:
        turn = await app.run_async()
        if server.done():
            break
        if turn == "lesson":
            app = LessonApp(desk, server)
        elif turn == "console":
            app = ConsoleApp(desk, server, stop)
        else:  # the app ended itself (a signal): the class ends too
            stop.set()
            break
    await server
