"""Forward pane: every node of the network, its formula and its value."""

from __future__ import annotations

from rich.text import Text

from bptui.engine import Engine
from bptui.numfmt import aligned
from bptui.walk import WalkView
from bptui.widgets.line_pane import LabelledPane, mark_current, pending


class ForwardPane(LabelledPane):
    BORDER_TITLE = "Forward pass"

    def show(self, engine: Engine, walk: WalkView | None = None) -> None:
        """Every node's value; in a walk, · for nodes not computed yet and the
        current one marked."""
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
            if walk is not None and node.kind == "op" and node.name not in walk.values:
                rows.append((label, pending()))
                continue
            value = Text(aligned(values[node.name]).rstrip(), "bold")
            cur = walk.current if walk else None
            if cur is not None and cur.kind == "forward" and cur.name == node.name:
                label, value = mark_current(label, value)
            rows.append((label, value))
        self.set_rows(rows)
