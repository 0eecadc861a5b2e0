"""Help: every key, and what each factor of the chain rule means in words."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from bptui.graph import Network
from bptui.keys import HELP_ROWS
from bptui.optimizers import SGD, Optimizer

KEYS = list(HELP_ROWS)  # from the one table of keys, as the Footer's are

NOTES = (
    "Factors marked [b]◆[/b] on screen are shared: several gradients contain them, and "
    "backprop computes their product once, on the way down from the loss, and passes it on. "
    "That reuse is backpropagation.\n\n"
    "[b]The check[/b]  The finite difference (J(w + h) − J(w − h)) / 2h estimates each gradient "
    "without the chain rule. A large error there can be the estimate's own rounding, where "
    "a gradient is tiny next to J (deep chains, huge J), not a fault of backprop: where the two "
    "differ by no more than the estimate's own error the row says [i]noise ±[/i]that error, and where "
    "neither can be told from 0 (a minimum, a relu kink) it shows ±that error alone.\n\n"
    "[b]Reading the screen[/b]  Values show 7 significant digits; very large or small ones "
    "switch to scientific notation (1.2e−9). A step that would make a weight or the loss "
    "infinite or nan is not taken, and the bottom line says why (lines that warn start with \"!\")."
)


OPTIMIZER_NOTES = {
    "sgd": "Plain gradient descent (--optimizer momentum or adam changes it).",
    "momentum": "As PyTorch's SGD with momentum: v starts at 0 and keeps the gradients so far, "
                "each step's weighed μ times less, so steps grow along a steady slope and damp out "
                "where the gradient's sign flips.",
    "adam": "As PyTorch's Adam: m and v (starting at 0) are running means of the gradient and "
            "its square; m̂ and v̂ undo their pull towards 0 in the first steps (t is the step "
            "being taken), so each weight steps by about lr, scaled by how steady its gradient is.",
}  # fmt: skip


def update_text(optimizer: Optimizer, loss: str) -> str:
    """The update as the optimizer makes it, line by line."""
    lines = "\n".join(f"  {line.target} ← {line.formula}" for line in optimizer.lines(loss))
    return (f"[b]The update[/b]  by {optimizer.title}, for every parameter, with all gradients taken "
            f"before any parameter moves:\n{lines}\n{OPTIMIZER_NOTES[optimizer.name]} The status "
            "shows each value it computes; a walk computes them one at a time.")  # fmt: skip


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for key, meaning in rows:
        table.add_row(key, meaning)
    return table


def network_text(net: Network) -> str:
    forward = "   ".join(f"{n.name} = {n.formula()}" for n in net.nodes if n.kind == "op")
    return forward


def factor_rows(net: Network) -> list[tuple[str, str]]:
    return [(f"{e.symbol} = {e.formula}", e.words) for e in net.edges]


def chain_lines(net: Network) -> list[str]:
    lines = []
    for p in net.params:
        products = [" · ".join(e.symbol for e in path) for path in net.paths[p]]
        lines.append(f"d{net.loss}/d{p} = " + "\n    + ".join(products))
    return lines


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
        Binding("q", "app.pop_screen", "Close", show=False),
    ]

    def __init__(self, network: Network, optimizer: Optimizer = SGD) -> None:
        super().__init__()
        self.network = network
        self.optimizer = optimizer

    def compose(self) -> ComposeResult:
        net = self.network
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Help (Escape closes, arrows scroll)"
            yield Static("[b]The network[/b]\n" + network_text(net) + "\n\n[b]Keys[/b]", markup=True)
            yield Static(_table(KEYS), classes="help-table")
            yield Static("\n[b]The chain rule, factor by factor[/b]")
            yield Static(_table(factor_rows(net)), classes="help-table")
            yield Static("\n" + "\n".join(chain_lines(net)) + "\n", markup=False)
            yield Static(update_text(self.optimizer, net.loss) + "\n")
            yield Static(NOTES)
        yield Footer()

    def plain_text(self) -> str:
        """Everything the help says, as plain text (for tests and search)."""
        net = self.network
        rows = KEYS + factor_rows(net)
        return "\n".join(
            [network_text(net), *(f"{k} {v}" for k, v in rows), *chain_lines(net),
             Text.from_markup(update_text(self.optimizer, net.loss)).plain, NOTES]  # fmt: skip
        )
