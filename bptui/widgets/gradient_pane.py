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
from bptui.widgets.line_pane import CURRENT, LabelledPane, mark_current, pending

SHARED = "◆"
SUM = "Σ"  # a running product that sums the paths meeting at its node
RUNNING = "↳"  # the running product under its factor, where the pane is narrow
# the bottom border names the columns: the local factor, then upstream ×
# local, the running product from J down (the dJ/dn that backprop reuses)
SIDE_BY_SIDE = "local · upstream × local"
STACKED = f"{RUNNING} upstream × local"


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
        # nodes whose dJ/dn sums more than one edge out of them (paths meet there)
        self._meeting = {e.inp for e in network.edges if sum(f.inp == e.inp for f in network.edges) > 1}
        self.factors = LabelledPane(classes="factors")
        self.summary = LabelledPane(classes="summary")

    def compose(self) -> ComposeResult:
        yield self.factors
        yield self.summary

    def on_mount(self) -> None:
        self.select(self.param)

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
        """The chain of factors, each with the running product down to it
        (upstream × local: the node below's dJ/dn, as backprop reuses it), and
        the gradient; in a walk, · for what is not computed yet and the
        current factor marked. Side by side where the width allows, else the
        running product on a line of its own under its factor."""
        net = self.network
        trace, walk = frame.trace, frame.walk
        cur = walk.current if walk else None
        loss = net.loss

        def known(e) -> bool:
            return walk is None or e.key in walk.factors

        def adjoint_known(node: str) -> bool:
            return walk is None or node in walk.adjoints

        done = adjoint_known(self.param)
        paths = net.paths[self.param]
        edges = [e for path in paths for e in path]
        sym_w = max(len(e.symbol) for e in edges)
        formula_w = max(max(len(e.formula) for e in edges), len("product"))
        # rows: (label, local factor, running product), None for a title
        # (mark, symbol, formula, factor, running product, node below, current)
        factor_rows: list[tuple] = []
        meets = any(e.inp in self._meeting for e in edges)
        for i, path in enumerate(paths):
            if len(paths) > 1:
                factor_rows.append((path_title(net, self.param, i),))
            for e in path:
                mark = SHARED if len(net.edge_users[e.key]) > 1 else " "
                factor = aligned(trace.factors[e.key]).rstrip()
                value = Text(factor, "bold") if known(e) else pending()
                # where paths meet, dJ/dn is their sum (Σ), not this path's product alone
                total = (SUM if e.inp in self._meeting else " ") if meets else ""
                product = total + running_text(trace.adjoints[e.inp])
                running = Text(product) if adjoint_known(e.inp) else pending()
                current = cur is not None and cur.kind == "backward" and cur.edge.key == e.key
                # the widths the numbers take once computed: a walk never changes the layout
                factor_rows.append((mark, e.symbol, e.formula, value, running, e.inp, current, len(factor), len(product)))
        summary = []
        summary_values = [trace.grad(self.param), *(trace.path_products(self.param) if len(paths) > 1 else ())]
        if self.param in frame.checks:
            summary_values.append(frame.checks[self.param].estimate)
        if len(paths) > 1:
            for i, (path, product) in enumerate(zip(paths, trace.path_products(self.param))):
                value = Text(aligned(product).rstrip(), "bold") if all(map(known, path)) else pending()
                summary.append((Text(f"  path {i + 1} product"), value))
            label = "sum"
        else:
            label = "product"
        head = Text("= ")
        head.append(f"d{loss}/d{self.param}".ljust(sym_w), "bold underline")
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
                    summary.append((Text(f"! running product d{loss}/d{e.inp}", "bold"), Text(aligned(g).rstrip(), "bold")))
                    break
        nudge = frame.nudge
        if nudge is not None and nudge.name == self.param:
            # beside dJ/dw, what the nudge measured: the change in J per unit
            # change of w, which dJ/dw is for a small change
            # (4 digits: a secant over a step of 0.1 tells no more)
            summary.append((Text(f"  Δ{loss}/Δ{self.param}, nudged", "italic"), Text(running_text(nudge.ratio), "bold")))
        if self.param in frame.checks:
            summary.append(check_row(frame.checks[self.param], done))
        rows, summary = self._lay_out(factor_rows, summary, summary_values, loss)
        self.factors.set_rows(rows)
        self.summary.set_rows(summary)
        if self._rows != len(rows) + len(summary):
            # as tall as its rows and no taller; shorter when the column is
            # (the factors scroll, the summary stays)
            self._rows = len(rows) + len(summary)
            self.styles.max_height = self._rows + 2
            self.summary.styles.height = len(summary)

    def _lay_out(self, factor_rows, summary, summary_values: list[float], loss: str) -> tuple[list, list]:
        """Side by side: symbol, formula, factor, running product, with the
        products and the check in the running column (the last running
        product is the gradient). Too narrow for that: symbol = formula,
        factor, and the running product on a line of its own under it."""
        factors = [row for row in factor_rows if len(row) > 1]
        sym_w = max(len(row[1]) for row in factors)
        formula_w = max(len(row[2]) for row in factors)
        label_w = 2 + sym_w + 1 + formula_w + 1
        factor_w = max(row[7] for row in factors)
        # the summary's values (7 digits) sit in the running column too
        running_w = max(max(row[8] for row in factors), *(len(aligned(v).rstrip()) for v in summary_values))
        left_w = max(label_w + factor_w + 1, max(label.cell_len for label, _ in summary))
        # room is kept for a walk's ◀ at the end of a row, so a walk never
        # changes the layout (a scrollbar, when the factors scroll, takes a
        # column of that room: the layout must not change with the height)
        side_by_side = not self.size.width or left_w + running_w + len(CURRENT) <= self.size.width
        rows = []
        for row in factor_rows:
            if len(row) == 1:  # a path's title
                rows.append((Text(row[0], "italic"), Text()))
                continue
            mark, symbol, formula, value, running, node, current = row[:7]
            if side_by_side:
                label = Text(f"{mark} {symbol.ljust(sym_w)} {formula.ljust(formula_w)} ")
                value = value.copy()
                value.pad_right(left_w - label_w - value.cell_len)
                value.append_text(running)
            else:
                label = Text(f"{mark} {symbol.ljust(sym_w)} = {formula.ljust(formula_w)} ")
            rows.append(mark_current(label, value) if current else (label, value))
            if not side_by_side:
                rows.append((Text(f"  {RUNNING} d{loss}/d{node}", "italic"), running))
        if side_by_side:
            for label, _ in summary:
                label.pad_right(left_w - label.cell_len)
        else:
            # one label column across both parts, so every value lines up
            width = max(label.cell_len for label, _ in rows + summary)
            for label, _ in rows + summary:
                label.pad_right(width - label.cell_len)
        self._subtitle(SIDE_BY_SIDE if side_by_side else STACKED)
        return rows, summary

    def _subtitle(self, text: str) -> None:
        """What the columns are, on the bottom border (it costs no row)."""
        if self.border_subtitle != text:
            self.border_subtitle = text


def running_text(v: float) -> str:
    """A running product, in 4 digits (the factor beside it has all 7, and
    the walk's line every digit): a sign's place kept, so columns line up."""
    s = fmt(v, digits=4)
    return s if s.startswith(("−", "+", "n")) else " " + s


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
