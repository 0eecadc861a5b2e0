"""Forward pane: every node of the network, its formula and its value."""

from __future__ import annotations

from rich.text import Text

from bptui.engine import Engine
from bptui.numfmt import aligned
from bptui.widgets.line_pane import LabelledPane


class ForwardPane(LabelledPane):
    BORDER_TITLE = "Forward pass"

    def show(self, engine: Engine) -> None:
        net = engine.network
        values = engine.trace.values
        labels = {n.name: n.role if n.kind != "op" else n.formula() for n in net.nodes}
        name_w = max(len(n.name) for n in net.nodes)
        label_w = max(len(v) for v in labels.values())
        rows = []
        for node in net.nodes:
            label = Text(f"{node.name.ljust(name_w)} = ")
            label.append(labels[node.name].ljust(label_w), "italic" if node.kind != "op" else "")
            label.append(" ")
            rows.append((label, Text(aligned(values[node.name]).rstrip(), "bold")))
        self.set_rows(rows)
