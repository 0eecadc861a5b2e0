"""A one-line question and its answer being typed: the learning rate, a jump,
a file name, a yes/no. UI-free: the app hands it every key in the order they
arrived and draws what it holds, so keys typed ahead of the screen land in
the prompt they were meant for, and tests drive it with no terminal.

A prompt takes callbacks, not a purpose: `on_submit(text)` returns None when
the answer is taken (the prompt closes) or the reason it is not (the prompt
stays open with the reason shown, so the answer can be corrected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

# An answer is a number, a name = value or a file name: 256 characters is
# more than any of them needs, and a flood of pasted text stops here.
MAX_ANSWER = 256


class Outcome(Enum):
    EDITED = "edited"  # the text or the cursor moved
    SUBMITTED = "submitted"  # the answer was taken: the prompt is closed
    REFUSED = "refused"  # the answer was not taken: `reason` says why
    CANCELLED = "cancelled"  # escape: the prompt is closed
    IGNORED = "ignored"  # a key that means nothing in a line of text (up, F5)


@dataclass
class Prompt:
    label: str
    text: str = ""
    on_submit: Callable[[str], str | None] = lambda text: None
    on_cancel: Callable[[], None] = lambda: None
    # Tab: the answer completed (None: no completion)
    complete: Callable[[str], str | None] | None = None
    max_length: int = MAX_ANSWER
    cursor: int = field(default=-1)
    # the default answer is selected, as in a dialog: the first typed
    # character replaces it, a movement key keeps it
    fresh: bool = True
    reason: str = ""  # why the last answer was refused, or what was cut
    closed: bool = False
    # lines shown above the question while it is open (what a prediction
    # asks, and the verdict on the one before)
    context: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.text = self.text[: self.max_length]
        if self.cursor < 0:
            self.cursor = len(self.text)

    # -- keys --

    def key(self, key: str, character: str | None = None) -> Outcome:
        """One key, as the terminal named it (Textual's key names)."""
        if self.closed:
            return Outcome.IGNORED
        if key == "enter":
            return self.submit()
        if key == "escape":
            self.closed = True
            self.on_cancel()
            return Outcome.CANCELLED
        if key == "tab" and self.complete is not None:
            done = self.complete(self.text)
            if done is not None:
                self._replace(done)
            return Outcome.EDITED
        edit = _EDITS.get(key)
        if edit is not None:
            edit(self)
            self.fresh = False
            return Outcome.EDITED
        if character is not None and len(character) == 1 and character.isprintable():
            self.insert(character)
            return Outcome.EDITED
        return Outcome.IGNORED

    def paste(self, text: str) -> Outcome:
        """Pasted text goes in at the cursor, on one line, cut at max_length."""
        if self.closed:
            return Outcome.IGNORED
        line = "".join(c for c in text.replace("\r", " ").replace("\n", " ") if c.isprintable())
        before = (self.text, self.cursor, self.reason, self.fresh)
        self.insert(line)
        # a flood into a full answer changes nothing: no new frame to draw
        return Outcome.EDITED if (self.text, self.cursor, self.reason, self.fresh) != before else Outcome.IGNORED

    def insert(self, text: str) -> None:
        if self.fresh:
            self.text, self.cursor, self.fresh = "", 0, False
        room = self.max_length - len(self.text)
        if len(text) > room:
            self.reason = f"An answer here is at most {self.max_length} characters: the rest was cut"
            text = text[: max(room, 0)]
        self.text = self.text[: self.cursor] + text + self.text[self.cursor :]
        self.cursor += len(text)

    def submit(self) -> Outcome:
        reason = self.on_submit(self.text)
        if reason is None:
            self.closed = True
            return Outcome.SUBMITTED
        self.reason = reason
        return Outcome.REFUSED

    def _replace(self, text: str) -> None:
        self.text = text[: self.max_length]
        self.cursor = len(self.text)
        self.fresh = False

    # -- editing keys --

    def _backspace(self) -> None:
        if self.fresh:  # the selected default goes at once
            self.text, self.cursor = "", 0
        elif self.cursor:
            self.text = self.text[: self.cursor - 1] + self.text[self.cursor :]
            self.cursor -= 1

    def _delete(self) -> None:
        if self.fresh:
            self.text, self.cursor = "", 0
        else:
            self.text = self.text[: self.cursor] + self.text[self.cursor + 1 :]

    def _left(self) -> None:
        self.cursor = max(0, self.cursor - 1)

    def _right(self) -> None:
        self.cursor = min(len(self.text), self.cursor + 1)

    def _home(self) -> None:
        self.cursor = 0

    def _end(self) -> None:
        self.cursor = len(self.text)

    def _kill_before(self) -> None:
        self.text, self.cursor = self.text[self.cursor :], 0

    def _kill_after(self) -> None:
        self.text = self.text[: self.cursor]

    def _kill_word(self) -> None:
        before = self.text[: self.cursor].rstrip()
        cut = len(before) - len(before.split(" ")[-1]) if before else 0
        self.text, self.cursor = self.text[:cut] + self.text[self.cursor :], cut


_EDITS: dict[str, Callable[[Prompt], None]] = {
    "backspace": Prompt._backspace,
    "ctrl+h": Prompt._backspace,
    "delete": Prompt._delete,
    "ctrl+d": Prompt._delete,
    "left": Prompt._left,
    "ctrl+b": Prompt._left,
    "right": Prompt._right,
    "ctrl+f": Prompt._right,
    "home": Prompt._home,
    "ctrl+a": Prompt._home,
    "end": Prompt._end,
    "ctrl+e": Prompt._end,
    "ctrl+u": Prompt._kill_before,
    "ctrl+k": Prompt._kill_after,
    "ctrl+w": Prompt._kill_word,
}
