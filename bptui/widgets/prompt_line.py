"""The question being asked, drawn on one line of the message bar: its label,
then the answer typed so far with the cursor shown in reverse video (so it
reads without colour). Not a modal screen and not a focusable Input: the app
hands every key to the prompt model in arrival order, and this only draws it,
repainting the one line (a modal would repaint every cell, about 33 KB over
SSH)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from bptui.prompt import Prompt
from bptui.widgets.line_pane import DiffLines


class PromptLine(DiffLines, Widget):
    DEFAULT_CSS = """
    PromptLine {
        height: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._init_lines()
        self.prompt: Prompt | None = None

    def show(self, prompt: Prompt | None) -> None:
        self.prompt = prompt
        self._draw()

    def on_resize(self) -> None:
        self._strips.clear()
        self._draw()

    def _draw(self) -> None:
        p = self.prompt
        if p is None:
            self.set_lines([])
            return
        line = Text(p.label, "bold")
        line.append(" ")
        room = max(4, (self.size.width or 80) - line.cell_len - 1)
        text, cursor = p.text, p.cursor
        # a long answer scrolls so that the cursor stays in view
        start = 0
        while cell_len(text[start:cursor]) >= room:
            start += 1
        shown = text[start:]
        at = cursor - start
        if start:
            shown, at = "…" + shown[1:], at
        line.append(shown[:at], "reverse" if p.fresh else "")
        line.append(shown[at : at + 1] or " ", "reverse" if not p.fresh else "reverse bold")
        line.append(shown[at + 1 :])
        self.set_lines([line])

    @property
    def plain(self) -> str:
        return "".join(self.plain_lines)
