"""Help: every key, and what each factor of the chain rule means in words."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

KEYS = [
    ("space, n", "one step: forward, backward, then both weights updated from the same gradients"),
    ("l", "type a new learning rate (Enter sets it, Escape cancels)"),
    ("+  -", "double or halve the learning rate"),
    ("u, backspace", "undo one step (bit for bit)"),
    ("r", "reset to step 0"),
    ("?", "this help"),
    ("q", "quit"),
]

FACTORS = [
    ("dJ/do = 2(o − y)", "how fast the cost grows as the output rises: twice the error"),
    ("do/dz2 = o(1 − o)", "the sigmoid's slope at the output; near 0 when o is close to 0 or 1"),
    ("dz2/dw2 = h", "z2 = w2·h, so nudging w2 moves z2 by h per unit"),
    ("dz2/dh = w2", "the same product seen from h: nudging h moves z2 by w2 per unit"),
    ("dh/dz1 = h(1 − h)", "the hidden sigmoid's slope"),
    ("dz1/dw1 = x", "z1 = w1·x, so nudging w1 moves z1 by x per unit"),
]

NOTES = """\
The first two factors (marked [b]◆[/b] on screen) are the same in both gradients:
their product dJ/dz2 is computed once and passed down. That reuse is backpropagation.

[b]The update[/b]  w ← w − lr × dJ/dw for both weights, with both gradients taken
before either weight moves.

[b]Reading the screen[/b]  Values show 7 significant digits; very large or small ones
switch to scientific notation (1.2e−9). A step that would make a weight or J
infinite or nan is not taken, and the bottom line says why (lines that warn
start with "!").
"""


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for key, meaning in rows:
        table.add_row(key, meaning)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
        Binding("q", "app.pop_screen", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Help (Escape closes, arrows scroll)"
            yield Static(
                "[b]The network[/b]\nz1 = w1·x   h = σ(z1)   z2 = w2·h   o = σ(z2)   J = (o − y)²\n\n[b]Keys[/b]"
            )
            yield Static(_table(KEYS), classes="help-table")
            yield Static("\n[b]The chain rule, factor by factor[/b]")
            yield Static(_table(FACTORS), classes="help-table")
            yield Static(
                "\ndJ/dw2 = dJ/do · do/dz2 · dz2/dw2\n"
                "dJ/dw1 = dJ/do · do/dz2 · dz2/dh · dh/dz1 · dz1/dw1\n"
            )
            yield Static(NOTES)
        yield Footer()

    def plain_text(self) -> str:
        """Everything the help says, as plain text (for tests and search)."""
        keys = "\n".join(f"{k} {v}" for k, v in KEYS + FACTORS)
        return keys + "\n" + NOTES
