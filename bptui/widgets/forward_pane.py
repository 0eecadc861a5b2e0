"""Forward pane: every node of the network, its formula and its value.

Where the rows would not fit (Mazur's network, deep chains at 80×24), a denser
layout keeps every value in view: the given numbers (inputs, targets, fixed
biases) on a line or two, the parameters two to a row, and each unit's
pre-activation beside its activation (z1 1.542641 → a1 0.8238484). The help
lists the formulas."""

from __future__ import annotations

from rich.text import Text

from bptui.frame import Frame
from bptui.graph import Network
from bptui.numfmt import aligned, fmt
from bptui.walk import WalkView
from bptui.widgets.line_pane import CURRENT, PENDING, LabelledPane, mark_current, pending

# what the pane below keeps at the least, borders included: the chart, or
# the landscape (its map and the legend under it)
CHART_ROWS = 8
LANDSCAPE_ROWS = 12
CHOSEN = "reverse underline"  # the value ← → nudge (a walk's current node is plain reverse)


class ForwardPane(LabelledPane):
    BORDER_TITLE = "Forward pass"
    keep_below = CHART_ROWS  # rows left to the pane under this one
    _max_room = -1
    value_order: tuple[str, ...] = ()  # the values ↑ ↓ visit, in the order shown

    def show(self, frame: Frame) -> None:
        """Every node's value; in a walk, · for nodes not computed yet and the
        current one marked."""
        net, walk, values = frame.network, frame.walk, frame.trace.values
        room = self._room()
        if room < 10**6 and room != self._max_room:
            self._max_room = room  # a new max-height lays the column out again: only on a change
            self.styles.max_height = room + 2
        chosen = frame.selected
        step = fmt(frame.nudge_step, keep_zeros=False)
        subtitle = f"←→ {chosen} ±{step} · * / step" if chosen else ""
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        if room < len(net.nodes):
            # room kept on every row for a walk's ◀, so rows never reflow
            width = self._width() - len(CURRENT)
            self.value_order = tuple(n.name for n in net.nodes if n.kind == "input") + net.params
            rows = dense_rows(net, values, walk, width, chosen)
            at = next((y for y, row in enumerate(rows) if any(span.style == CHOSEN for span in row.spans)), None)
            self.set_rows([(Text(), row) for row in rows], at)
            return
        self.value_order = tuple(n.name for n in net.nodes if n.kind != "op")
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
            if node.name == chosen:  # the value ← → nudge (the border names it too)
                label = label.copy()
                label.stylize(CHOSEN, 0, len(node.name))
            rows.append((label, value))
        self.set_rows(rows, next((y for y, n in enumerate(net.nodes) if n.name == chosen), None))

    def _room(self) -> int:
        """Rows the pane can show whole: the column less what the pane below
        keeps and the borders. A narrow screen stacks the panes in one
        scrolling column: there this pane takes at most 60% of the height."""
        if self.screen.has_class("-narrow"):
            return max(1, int(self.screen.size.height * 0.6) - 2)
        if self.parent is None or not self.parent.size.height:
            return 10**6
        return max(1, self.parent.size.height - self.keep_below - 2)

    def _width(self) -> int:
        return self.scrollable_content_region.width or 32


def dense_rows(
    net: Network, values: dict[str, float], walk: WalkView | None, width: int, chosen: str | None = None
) -> list[Text]:
    """The dense layout's rows, laid out from the graph alone; the chosen
    value's name reversed (the border names it too)."""
    cur = walk.current.name if walk is not None and walk.current is not None and walk.current.kind == "forward" else None

    def item(name: str, short: bool = False) -> Text:
        node = net.by_name[name]
        text = Text(f"{name} ", "italic")
        if name == chosen:
            text.stylize(CHOSEN, 0, len(name))
        if walk is not None and node.kind == "op" and name not in walk.values:
            text.append(PENDING, "dim")
        else:
            text.append(fmt(values[name], keep_zeros=not short), "bold" if not short else "")
        if name == cur:
            text.stylize("reverse")
        return text

    consumers: dict[str, list[str]] = {}
    for n in net.nodes:
        for a in n.args:
            consumers.setdefault(a, []).append(n.name)
    given = [n.name for n in net.nodes if n.kind == "input"]
    params = [n.name for n in net.nodes if n.kind == "param"]
    # a unit: an activation whose argument is a weighted sum feeding it alone
    units: list[tuple[str, str]] = []
    paired: set[str] = set()
    for n in net.nodes:
        if n.kind == "op" and n.op not in ("lin", "se", "half_se", "bce", "sum") and len(n.args) == 1:
            z = net.by_name[n.args[0]]
            if z.kind == "op" and z.op == "lin" and consumers.get(z.name) == [n.name]:
                units.append((z.name, n.name))
                paired |= {z.name, n.name}
    rest = [n.name for n in net.nodes if n.kind == "op" and n.name not in paired]

    rows = pack([item(g, short=True) for g in given], width)
    rows += pack([item(p) for p in params], width, per_row=2)
    for z, a in units:
        row = item(z)
        row.append(" → ")
        row.append_text(item(a))
        rows.append(row)
    rows += pack([item(r) for r in rest], width)
    for row in rows:
        if cur is not None and any(span.style == "reverse" for span in row.spans):
            row.append(CURRENT, "bold")
    return rows


def pack(items: list[Text], width: int, per_row: int = 0) -> list[Text]:
    """Items two blanks apart, as many to a row as fit (at most per_row)."""
    rows: list[Text] = []
    line = Text()
    n = 0
    for it in items:
        if n and (line.cell_len + 2 + it.cell_len > width or n == per_row):
            rows.append(line)
            line, n = Text(), 0
        if n:
            line.append("  ")
        line.append_text(it)
        n += 1
    if n:
        rows.append(line)
    return rows
