"""A one-line question asked in place in the message bar: the learning rate,
a file name, a yes/no. Not a modal screen: a modal repaints every cell (about
33 KB over SSH), this repaints one line."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class PromptInput(Input):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    class Cancelled(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, select_on_focus=True)

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
