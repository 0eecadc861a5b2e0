"""One weight's gradient as the chain rule builds it: each factor along the
path from J down to the weight (symbol, formula, value) and their product.

Factors that backprop computes once and uses for several gradients are
marked ◆ (not by color alone), so the sharing that makes backprop cheap shows.
"""

from __future__ import annotations

import math

from rich.text import Text

from bptui.engine import Engine
from bptui.gradcheck import check
from bptui.graph import Network
from bptui.numfmt import aligned, fmt
from bptui.walk import WalkView
from bptui.widgets.line_pane import LabelledPane, mark_current, pending

SHARED = "◆"


class GradientPane(LabelledPane):
    """The chain of one parameter; `choices` > 1 lets the user pick which."""

    def __init__(self, network: Network, param: str, *, choices: int = 1, id: str | None = None) -> None:
        super().__init__(id=id, classes="gradient-pane")
        self.network = network
        self.choices = choices
        self.select(param)

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
        self.scroll_home(animate=False)

    def show(self, engine: Engine, with_check: bool = True, walk: WalkView | None = None) -> None:
        """The chain of factors and its product; in a walk, · for what is not
        computed yet and the current factor marked."""
        net = self.network
        trace = engine.trace
        cur = walk.current if walk else None

        def known(e) -> bool:
            return walk is None or e.key in walk.factors

        done = walk is None or self.param in walk.adjoints
        paths = net.paths[self.param]
        edges = [e for path in paths for e in path]
        sym_w = max(len(e.symbol) for e in edges)
        formula_w = max(max(len(e.formula) for e in edges), len("product"))
        rows = []
        # what tells the paths apart: the nodes each one passes through alone
        through = [{e.inp for e in path} for path in paths]
        for i, path in enumerate(paths):
            if len(paths) > 1:
                own = [e.inp for e in path if sum(e.inp in t for t in through) == 1]
                rows.append((Text(f"path {i + 1} via {', '.join(own)}", "italic"), Text()))
            for e in path:
                mark = SHARED if len(net.edge_users[e.key]) > 1 else " "
                label = Text(f"{mark} {e.symbol.ljust(sym_w)} = {e.formula.ljust(formula_w)} ")
                value = Text(aligned(trace.factors[e.key]).rstrip(), "bold") if known(e) else pending()
                if cur is not None and cur.kind == "backward" and cur.edge.key == e.key:
                    label, value = mark_current(label, value)
                rows.append((label, value))
        if len(paths) > 1:
            for i, (path, p) in enumerate(zip(paths, trace.path_products(self.param))):
                value = Text(aligned(p).rstrip(), "bold") if all(map(known, path)) else pending()
                rows.append((Text(f"  path {i + 1} product".ljust(sym_w + formula_w + 6)), value))
            label = "sum"
        else:
            label = "product"
        head = Text("= ")
        head.append(f"d{net.loss}/d{self.param}".ljust(sym_w), "bold underline")
        head.append(f" = {label.ljust(formula_w)} ")
        value = Text(aligned(trace.grad(self.param)).rstrip(), "bold underline") if done else pending()
        if cur is not None and cur.kind == "backward" and cur.completes == self.param:
            head, value = mark_current(head, value)
        rows.append((head, value))
        if done and not math.isfinite(trace.grad(self.param)):
            # every factor can be finite while the running product is not:
            # say where on the way down it overflowed
            for e in (e for path in paths for e in path):
                g = trace.adjoints[e.inp]
                if not math.isfinite(g):
                    label = Text(f"! running product d{net.loss}/d{e.inp}".ljust(sym_w + formula_w + 6), "bold")
                    rows.append((label, Text(aligned(g).rstrip(), "bold")))
                    break
        if with_check:
            c = check(trace, self.param)
            if done and c.lost_in_noise:
                # the estimate cannot tell: show how far it can be off instead
                label = Text(f"  finite diff, ±{fmt(c.noise, keep_zeros=False, digits=1):<8} ", "italic")
            else:
                err = fmt(c.rel_error, keep_zeros=False, digits=1) if done else "·"
                # a fixed width, so the value column stays put as the error changes
                label = Text(f"  finite diff, err {err:<5} ", "italic")
            rows.append((label, Text(aligned(c.estimate).rstrip(), "italic") if done else pending()))
        self.set_rows(rows)
