"""One line above the footer: a standing note about the scenario, or the
latest message (a refused input, a refused step), or the learning-rate input."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from bptui.widgets.learning_rate_input import LearningRateInput
from bptui.widgets.line_pane import LinePane


class MessageLine(LinePane):
    """The text of the bar; a warning starts with "!" so it reads without color."""

    def say(self, text: str, *, warning: bool = False) -> None:
        self.set_class(warning, "-warning")
        self.set_lines([Text(("! " if warning else "") + text, "bold" if warning else "")])


class MessageBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield MessageLine(id="message")
        yield Label("learning rate:", id="lr-label")
        yield LearningRateInput(id="lr-input")

    @property
    def message(self) -> MessageLine:
        return self.query_one(MessageLine)

    @property
    def rate_input(self) -> LearningRateInput:
        return self.query_one(LearningRateInput)

    def open_rate_input(self, current: str) -> None:
        self.add_class("-editing")
        box = self.rate_input
        box.value = current
        box.select_all()
        box.focus()

    def close_rate_input(self) -> None:
        self.remove_class("-editing")
