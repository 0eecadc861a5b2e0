"""One line above the footer: a standing note about the scenario, or the
latest message (a refused input, a refused step), or a question being asked
(learning rate, file name, overwrite?)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from bptui.widgets.line_pane import LinePane
from bptui.prompt import Prompt
from bptui.stepper import Message
from bptui.widgets.prompt_line import PromptLine


MAX_LINES = 3  # the bar's height at most (see app.tcss)
NARROW_BAR = 78  # the app's NARROW: below it the panes stack and scroll


class MessageLine(LinePane):
    """The text of the bar; a warning starts with "!" so it reads without color.
    A message longer than the line wraps onto a second line; a warning and a
    walk's explanation may take a third. Past that, … marks the cut."""

    _text: Text | None = None
    _lines_given: tuple[str, ...] = ()
    _most = 2

    def say(self, text: str, *, warning: bool = False, most: int | None = None) -> None:
        """Show text; at most `most` lines (a warning may take the bar's
        every line, other messages two)."""
        self.set_class(warning, "-warning")
        self._text = Text(("! " if warning else "") + text, "bold" if warning else "")
        # a narrow screen scrolls its panes anyway: there every message may
        # take the bar's every line rather than be cut
        narrow = 0 < self.app.size.width < NARROW_BAR
        self._most = most or (MAX_LINES if warning or narrow else 2)
        self._wrap()

    def on_resize(self) -> None:
        super().on_resize()
        if self._text is not None or self._lines_given:
            self._wrap()

    def _wrap(self) -> None:
        if self._text is None:  # a walk's explanation: its lines wrap on their own
            texts = [Text(self._lines_given[0], "bold")] + [Text(t, "italic") for t in self._lines_given[1:]]
            self.set_lines(self._fit(texts, MAX_LINES))
            return
        self.set_lines(self._fit([self._text], self._most))

    def _fit(self, texts: list[Text], most: int) -> list[Text]:
        """Wrap each text to the width; keep at most `most` lines, and say
        with … that more was cut."""
        width = max(1, self.size.width or (self.app.size.width - 2))
        lines = [line.copy() for text in texts for line in text.wrap(self.app.console, width)]
        if len(lines) > most:
            lines = lines[:most]
            lines[-1].truncate(max(1, width - 1))
            lines[-1].append("…")
        return lines

    def explain(self, lines: tuple[str, ...]) -> None:
        """A walk's explanation: the operation, then its rule or its chain
        step; a long one wraps (a wide chain sum takes two lines)."""
        self.set_class(False, "-warning")
        self._text = None
        self._lines_given = lines
        self._wrap()


class MessageBar(Vertical):
    """Shows a message, or asks a question (a Prompt, which says what its
    answer is for through its callbacks). A refused answer's reason shows on
    the line above the question, so the answer keeps its width."""

    prompt: Prompt | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message = MessageLine(id="message")
        self.line = PromptLine(id="prompt")

    def compose(self) -> ComposeResult:
        yield self.message
        yield self.line

    @property
    def reason(self) -> str:
        return self.prompt.reason if self.prompt is not None else ""

    _shown_message: Message | None = None

    def show(self, message: Message, asking: Prompt | None) -> None:
        """The stepper's message, or the question it asks (with the reason
        its last answer was refused, if it was)."""
        if asking is not None:
            self.prompt = asking
            self.add_class("-editing")
            self.set_class(bool(asking.context), "-context")
            if asking.context:
                # what is asked, and the verdict on the last try (a hint)
                self.remove_class("-error")
                self.message.explain((*asking.context, *((asking.reason,) if asking.reason else ())))
                self._shown_message = None
            elif asking.reason:
                self.add_class("-error")
                # the answer keeps the bar's last line
                reason = asking.reason if asking.reason.endswith(".") else f"{asking.reason}."
                self.message.say(reason, warning=True, most=2)
                self._shown_message = None
            else:
                self.remove_class("-error")
            self.line.show(asking)
            return
        if self.prompt is not None:
            self.prompt = None
            self.line.show(None)
            self.remove_class("-editing", "-error", "-context")
        if message is self._shown_message:
            return
        self._shown_message = message
        if message.lines:
            self.message.explain(message.lines)
        else:
            self.message.say(message.text, warning=message.warning)
