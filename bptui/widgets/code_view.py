"""The next step as code (bptui.program), each line with its value now as a
comment; in a walk, · for what is not computed yet and the current line
reversed and pointed at (◀). `bptui trace --format python` prints the same
lines as a program that runs."""

from __future__ import annotations

import textwrap

from rich.text import Text

from bptui.frame import Frame
from bptui.numfmt import count, fmt
from bptui.program import annotated_step
from bptui.widgets.line_pane import CURRENT
from bptui.widgets.rows_view import RowsView

PENDING = "·"


class CodeView(RowsView):
    def show(self, frame: Frame) -> None:
        self.frame = frame
        e = frame.history
        lines = annotated_step(frame.network, frame.trace, frame.rule, frame.lr, frame.walk, e.optimizer,
                               e.optimizer_state_at(frame.step), e.t_at(frame.step + 1))  # fmt: skip
        code_w = max(len(line.code) for line in lines if line.value is not None)
        rows, at = [], None
        for y, line in enumerate(lines):
            if line.value is None:
                code = line.code
                if y == 0:  # the step here, not in the title: a title that changes repaints every line
                    code = f"# step {count(frame.step)} → {count(frame.step + 1)}, lr {fmt(frame.lr, keep_zeros=False)}: {code[2:]}"
                    if frame.predict is not None:
                        code += f" ({frame.predict})"
                # a long comment goes on, under itself, rather than being cut
                for part in textwrap.wrap(code[2:], self.content_width - 2) or [""]:
                    rows.append(Text("# " + part, "dim italic"))
                continue
            text = Text(line.code.ljust(code_w))
            comment = f"  # {fmt(line.value)}" if line.known else f"  # {PENDING}"
            text.append(comment, "bold" if line.known else "dim")
            if line.current:
                text.stylize("reverse")
                text.append(CURRENT, "bold")
                at = len(rows)
            rows.append(text)
        self.set_rows(rows, at)
        self.set_title("The next step as code")
        subtitle = "bptui trace --format python runs it"
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
