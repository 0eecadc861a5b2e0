"""The learning rate, typed in place in the message bar (not a modal screen:
a modal repaints every cell, about 33 KB over SSH)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from bptui.scenario import parse_learning_rate


class LearningRateInput(Input):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    class Accepted(Message):
        def __init__(self, rate: float) -> None:
            super().__init__()
            self.rate = rate

    class Rejected(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Cancelled(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="e.g. 0.5", id=id, select_on_focus=True)

    async def action_submit(self) -> None:
        try:
            rate = parse_learning_rate(self.value)
        except ValueError as e:
            self.post_message(self.Rejected(str(e)))
        else:
            self.post_message(self.Accepted(rate))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
