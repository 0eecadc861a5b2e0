"""One weight's gradient as the chain rule builds it: each factor along the
path from J down to the weight (symbol, formula, value) and their product.

Factors that backprop computes once and uses for several gradients are
marked ◆ (not by color alone), so the sharing that makes backprop cheap shows.
"""

from __future__ import annotations

from rich.text import Text

from bptui.engine import Engine
from bptui.graph import Network
from bptui.numfmt import aligned
from bptui.widgets.line_pane import LinePane

SHARED = "◆"


class GradientPane(LinePane):
    def __init__(self, network: Network, param: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="gradient-pane")
        self.network = network
        self.param = param
        others = sorted(
            {u for path in network.paths[param] for e in path for u in network.edge_users[e.key]} - {param}
        )
        self.shared_with = [f"dJ/d{o}" for o in others]
        title = f"d{network.loss}/d{param}"
        if self.shared_with:
            title += f"  ({SHARED} shared with {', '.join(self.shared_with)})"
        self.border_title = title

    def show(self, engine: Engine) -> None:
        net = self.network
        trace = engine.trace
        paths = net.paths[self.param]
        edges = [e for path in paths for e in path]
        sym_w = max(len(e.symbol) for e in edges)
        formula_w = max(max(len(e.formula) for e in edges), len("product"))
        lines = []
        for i, path in enumerate(paths):
            if len(paths) > 1:
                lines.append(Text(f"path {i + 1}: " + " → ".join([net.loss] + [e.inp for e in path]), "italic"))
            for e in path:
                mark = SHARED if len(net.edge_users[e.key]) > 1 else " "
                line = Text(f"{mark} ")
                line.append(e.symbol.ljust(sym_w), "bold")
                line.append(f" = {e.formula.ljust(formula_w)} ")
                line.append(aligned(trace.factors[e.key]).rstrip())
                lines.append(line)
        if len(paths) > 1:
            for i, p in enumerate(trace.path_products(self.param)):
                lines.append(Text(f"  path {i + 1} product = ") + Text(aligned(p).rstrip()))
            label = "sum"
        else:
            label = "product"
        line = Text("= ")
        line.append(f"d{net.loss}/d{self.param}".ljust(sym_w), "bold")
        line.append(f" = {label.ljust(formula_w)} ")
        line.append(aligned(trace.grad(self.param)).rstrip(), "bold")
        lines.append(line)
        self.set_lines(lines)
