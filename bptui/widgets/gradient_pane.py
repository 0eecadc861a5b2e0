"""One weight's gradient as the chain rule builds it: each factor along the
path from J down to the weight (symbol, formula, value) and their product.

Factors that backprop computes once and uses for several gradients are
marked ◆ (not by color alone), so the sharing that makes backprop cheap shows.
The factors scroll when the pane is short; the products, their sum, the
gradient and its check stay pinned below them, always in view.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from bptui.frame import Frame
from bptui.gradcheck import Check
from bptui.graph import Network
from bptui.numfmt import aligned, fmt
from bptui.widgets.line_pane import LabelledPane, mark_current, pending

SHARED = "◆"


class GradientPane(Vertical):
    """The chain of one parameter; `choices` > 1 lets the user pick which."""

    DEFAULT_CSS = """
    GradientPane {
        height: 1fr;
    }
    GradientPane > .factors {
        height: 1fr;
    }
    GradientPane > .summary {
        height: auto;
        scrollbar-size-vertical: 0;
    }
    """

    def __init__(self, network: Network, param: str, *, choices: int = 1, id: str | None = None) -> None:
        super().__init__(id=id, classes="gradient-pane")
        self.network = network
        self.choices = choices
        self.param = param
        self._rows = 0  # factor and summary rows, for the pane's height

    def compose(self) -> ComposeResult:
        yield LabelledPane(classes="factors")
        yield LabelledPane(classes="summary")

    def on_mount(self) -> None:
        self.select(self.param)

    @property
    def factors(self) -> LabelledPane:
        return self.query_one(".factors", LabelledPane)

    @property
    def summary(self) -> LabelledPane:
        return self.query_one(".summary", LabelledPane)

    @property
    def plain_lines(self) -> list[str]:
        return [line.rstrip() for line in self.factors.plain_lines + self.summary.plain_lines]

    def select(self, param: str) -> None:
        net = self.network
        self.param = param
        others = sorted(
            {u for path in net.paths[param] for e in path for u in net.edge_users[e.key]} - {param},
            key=net.params.index,
        )
        title = f"d{net.loss}/d{param}"
        if self.choices > 1:
            title += f"  {net.params.index(param) + 1}/{self.choices}"
        if len(others) == 1:
            title += f"  ({SHARED} shared with d{net.loss}/d{others[0]})"
        elif others:
            title += f"  ({SHARED} shared)"
        self.border_title = title
        if self.is_mounted:
            self.factors.scroll_home(animate=False)

    def show(self, frame: Frame) -> None:
        """The chain of factors and its product; in a walk, · for what is not
        computed yet and the current factor marked."""
        net = self.network
        trace, walk = frame.trace, frame.walk
        cur = walk.current if walk else None

        def known(e) -> bool:
            return walk is None or e.key in walk.factors

        done = walk is None or self.param in walk.adjoints
        paths = net.paths[self.param]
        edges = [e for path in paths for e in path]
        sym_w = max(len(e.symbol) for e in edges)
        formula_w = max(max(len(e.formula) for e in edges), len("product"))
        rows = []
        for i, path in enumerate(paths):
            if len(paths) > 1:
                rows.append((Text(path_title(net, self.param, i), "italic"), Text()))
            for e in path:
                mark = SHARED if len(net.edge_users[e.key]) > 1 else " "
                label = Text(f"{mark} {e.symbol.ljust(sym_w)} = {e.formula.ljust(formula_w)} ")
                value = Text(aligned(trace.factors[e.key]).rstrip(), "bold") if known(e) else pending()
                if cur is not None and cur.kind == "backward" and cur.edge.key == e.key:
                    label, value = mark_current(label, value)
                rows.append((label, value))
        summary = []
        if len(paths) > 1:
            for i, (path, p) in enumerate(zip(paths, trace.path_products(self.param))):
                value = Text(aligned(p).rstrip(), "bold") if all(map(known, path)) else pending()
                summary.append((Text(f"  path {i + 1} product".ljust(sym_w + formula_w + 6)), value))
            label = "sum"
        else:
            label = "product"
        head = Text("= ")
        head.append(f"d{net.loss}/d{self.param}".ljust(sym_w), "bold underline")
        head.append(f" = {label.ljust(formula_w)} ")
        value = Text(aligned(trace.grad(self.param)).rstrip(), "bold underline") if done else pending()
        if cur is not None and cur.kind == "backward" and cur.completes == self.param:
            head, value = mark_current(head, value)
        summary.append((head, value))
        if done and not math.isfinite(trace.grad(self.param)):
            # every factor can be finite while the running product is not:
            # say where on the way down it overflowed
            for e in edges:
                g = trace.adjoints[e.inp]
                if not math.isfinite(g):
                    label = Text(f"! running product d{net.loss}/d{e.inp}".ljust(sym_w + formula_w + 6), "bold")
                    summary.append((label, Text(aligned(g).rstrip(), "bold")))
                    break
        if self.param in frame.checks:
            summary.append(check_row(frame.checks[self.param], done))
        # one label column across both parts, so every value lines up
        width = max(label.cell_len for label, _ in rows + summary)
        for label, _ in rows + summary:
            label.pad_right(width - label.cell_len)
        self.factors.set_rows(rows)
        self.summary.set_rows(summary)
        if self._rows != len(rows) + len(summary):
            # as tall as its rows and no taller; shorter when the column is
            # (the factors scroll, the summary stays)
            self._rows = len(rows) + len(summary)
            self.styles.max_height = self._rows + 2
            self.summary.styles.height = len(summary)


def path_title(net: Network, param: str, i: int) -> str:
    """Path i + 1 of a parameter's paths, named by the nodes it alone passes."""
    paths = net.paths[param]
    through = [{e.inp for e in path} for path in paths]
    own = [e.inp for e in paths[i] if sum(e.inp in t for t in through) == 1]
    return f"path {i + 1} via {', '.join(own)}"


def check_row(c: Check, done: bool) -> tuple[Text, Text]:
    """The finite-difference estimate, and how it compares with backprop."""
    if not done:
        label = "  finite diff, err ·     "
    elif c.lost_in_noise:
        # the estimate cannot tell: show how far it can be off instead
        label = f"  finite diff, ±{fmt(c.noise, keep_zeros=False, digits=1):<8} "
    elif c.within_noise and c.rel_error > 1e-6:
        # a large relative error that is the estimate's own rounding: say so
        label = f"  finite diff, noise ±{fmt(c.noise, keep_zeros=False, digits=1):<5} "
    else:
        # a fixed width, so the value column stays put as the error changes
        label = f"  finite diff, err {fmt(c.rel_error, keep_zeros=False, digits=1):<5} "
    return Text(label, "italic"), Text(aligned(c.estimate).rstrip(), "italic") if done else pending()
