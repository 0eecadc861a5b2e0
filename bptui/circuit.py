"""The network drawn as a circuit, laid out from its graph: gates in bands by
depth, top to bottom, each band's gates side by side. Every wire carries its
value and, marked ∂, its gradient dJ/d(wire); weights, biases and inputs are
wires into their gate. Each gate says the pattern it applies to the gradient
(an add gate hands it on, a multiply gate swaps its inputs, σ multiplies by
σ(1 − σ)), and where paths meet the gradient is marked Σ: their parts add.

Nothing here is written per network: the same rules lay out the question's
chain, chains of any depth and Mazur's 2-2-2. The result is rows of pieces
tagged with what they are, for a widget to style. UI-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from bptui.graph import Network, Node, Trace
from bptui.numfmt import fmt
from bptui.walk import WalkView

PENDING = "·"  # a value this walk has not computed yet
GRAD = "∂"  # marks a gradient dJ/d(wire), so it never reads as a value
SUM = "Σ"  # a gradient that sums the paths meeting at its wire
PART = "+"  # one path's part of such a sum, where the wire enters a gate
SHARED = "◆"  # a gradient that several parameters' gradients reuse
CURRENT = " ◀"
# a band of gates side by side needs this much width a gate for the full form
# (the rule beside the gate, 7 digits); narrower, a gate takes one line
WIDE_GATE = 56
# and at least this much to stand beside another; narrower, a band's gates
# are drawn one under the other
SIDE_BY_SIDE = 34
LEGEND = f"{GRAD} dJ/d(wire) · + passes {GRAD} · × swaps · σ: {GRAD}·σ(1−σ) · {PART}{GRAD} parts, {SUM}{GRAD} sum"


@dataclass(frozen=True)
class Piece:
    text: str
    # "" (wiring), "name", "value", "grad", "gate", "rule", "pending", "mark"
    kind: str = ""


@dataclass(frozen=True)
class Row:
    pieces: tuple[Piece, ...]
    current: bool = False  # the walk's current operation is on this row
    params: tuple[str, ...] = ()  # the parameters whose wires this row holds
    leaves: tuple[str, ...] = ()  # the inputs and parameters whose wires it holds

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


def levels(net: Network) -> dict[str, int]:
    """Each op node's band: one below the deepest op among its inputs."""
    level: dict[str, int] = {}
    for n in net.nodes:
        if n.kind == "op":
            level[n.name] = 1 + max((level[a] for a in n.args if a in level), default=0)
    return level


def gate_glyph(node: Node) -> str:
    if node.op == "lin":
        single = len(node.args) == 2  # one product, no bias
        return "×" if single else "+"
    return {
        "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "id", "sum": "+",
        "se": "²", "half_se": "½²", "bce": "bce",
    }.get(node.op, node.op)  # fmt: skip


def gate_rule(net: Network, node: Node) -> str:
    """What the gate does to the gradient, in its own symbols: for each input
    on a path, ∂input = ∂output · local factor."""
    parts = []
    for e in net.edges:
        if e.out == node.name:
            factor = "" if e.formula == "1" else f"·{e.formula}"
            parts.append(f"{GRAD}{e.inp} = {GRAD}{e.out}{factor}")
    if not parts:
        return ""
    pattern = {"lin": "× swaps" if len(node.args) == 2 else "+ hands on, × swaps", "sum": "+ hands on"}
    head = pattern.get(node.op, f"{gate_glyph(node)}′" if node.op in ("sigmoid", "tanh", "relu", "linear") else "slope")
    return f"{head}: " + ", ".join(parts)


def wrap(rule: str, first: int, rest: int) -> list[str]:
    """A rule cut at its commas: as much as fits in `first` cells, then
    lines of `rest`."""
    parts = rule.split(", ")
    lines = [parts[0]]
    for part in parts[1:]:
        room = first if len(lines) == 1 else rest
        if len(lines[-1]) + 2 + len(part) <= room:
            lines[-1] += ", " + part
        else:
            lines[-1] += ","
            lines.append(part)
    return lines


class CircuitLayout:
    """The rows of one network's circuit at one width. The layout depends on
    the network and the width alone, so a step changes only the numbers."""

    def __init__(self, net: Network, width: int) -> None:
        self.net = net
        self.width = max(width, 20)
        # one name width for every gate, so the trunks of a column line up
        self.name_w = max(len(n.name) for n in net.nodes)
        level = levels(net)
        self.bands: list[list[Node]] = []
        for k in range(1, max(level.values()) + 1):
            self.bands.append([n for n in net.nodes if level.get(n.name) == k])
        self.side_by_side = all(self.width // len(band) >= SIDE_BY_SIDE for band in self.bands)
        # the band and column each op node sits in (its trunk)
        self.place = {n.name: (b, c) for b, band in enumerate(self.bands) for c, n in enumerate(band)}
        self.consumers: dict[str, list[str]] = {}
        for n in net.nodes:
            for a in n.args:
                self.consumers.setdefault(a, []).append(n.name)
        on_paths = {}
        for p, paths in net.paths.items():
            for path in paths:
                for e in path:
                    on_paths.setdefault(e.out, set()).add(p)
                    on_paths.setdefault(e.inp, set()).add(p)
        # wires whose gradient several parameters' gradients reuse
        self.shared = {n for n, ps in on_paths.items() if len(ps) > 1}
        self.meeting = {n for n, outs in self.consumers.items() if len(outs) > 1 and n in net.by_name and any(
            (o, n) in {e.key for e in net.edges} for o in outs)}

    @property
    def value_order(self) -> tuple[str, ...]:
        """The inputs, targets, weights and biases in the order their wires
        are drawn (↑ ↓ choose among them to nudge)."""
        order: list[str] = []
        for band in self.bands:
            for node in band:
                for a in node.args:
                    if self.net.by_name[a].kind != "op" and a not in order:
                        order.append(a)
        return tuple(order)

    def rows(self, trace: Trace, walk: WalkView | None = None) -> list[Row]:
        out: list[Row] = []
        for b, band in enumerate(self.bands):
            if not self.side_by_side and len(band) > 1:
                # too narrow for them side by side: one gate under the other
                for c, node in enumerate(band):
                    out += self._gate_rows(node, b, c, self.width, self.width >= WIDE_GATE, trace, walk)
                continue
            cw = self.width // len(band)
            wide = cw >= WIDE_GATE
            columns = [self._gate_rows(node, b, c, cw, wide, trace, walk) for c, node in enumerate(band)]
            for i in range(max(len(col) for col in columns)):
                pieces: list[Piece] = []
                current = False
                params: tuple[str, ...] = ()
                leaves: tuple[str, ...] = ()
                for col in columns:
                    # the gates of a band line up at the bottom: pad the top
                    offset = max(len(c) for c in columns) - len(col)
                    row = col[i - offset] if i >= offset else Row((Piece(" " * cw),))
                    text_len = len(row.text)
                    pieces.extend(row.pieces)
                    if col is not columns[-1] and text_len < cw:
                        pieces.append(Piece(" " * (cw - text_len)))
                    current |= row.current
                    params += row.params
                    leaves += row.leaves
                out.append(Row(tuple(pieces), current, params, leaves))
        return out

    # -- one gate --

    def _gate_rows(self, node: Node, band: int, col: int, cw: int, wide: bool, trace: Trace, walk) -> list[Row]:
        """A gate: its inputs' wires joining its trunk (names left of it,
        values and gradients right of it, in one column with the gate's own),
        the gate on the trunk, and its output wire."""
        net = self.net
        digits = 7 if wide else 4
        vw = 12 if wide else 8  # a value's field
        nw = self.name_w
        trunk = 1 + nw + 2  # the trunk's column
        at = trunk + 3 + nw + 1  # where every value of this gate's rows starts

        def values(name: str, used: int, known: bool) -> list[Piece]:
            text = fmt(trace.values[name], digits=digits) if known else PENDING
            # the padding apart from the digits: a terminal write starts at
            # the piece that changed
            return [Piece(" " * (max(1, at - used) + max(0, vw - len(text)))), Piece(text, "value" if known else "pending")]

        rows: list[Row] = []
        above = self._trunk_input(node, band, col)
        leaves = [a for a in node.args if a != above]
        for i, a in enumerate(leaves):
            leaf = net.by_name[a]
            known = leaf.kind != "op" or walk is None or a in walk.values
            joint = "┐" if i == 0 and above is None else "┤"
            pieces = [Piece(" "), Piece(a, "name"), Piece(" " + "─" * (trunk - 2 - len(a)) + joint)]
            pieces += values(a, trunk + 1, known)
            pieces += self._grad_pieces(a, node.name, trace, walk, digits, via=leaf.kind == "op")
            rows.append(Row(tuple(pieces), self._is_current(walk, a), (a,) if leaf.kind == "param" else (),
                            (a,) if leaf.kind != "op" else ()))  # fmt: skip
        glyph = f"({gate_glyph(node)})"
        known = walk is None or node.name in walk.values
        forward_now = walk is not None and walk.current is not None and walk.current.kind == "forward" and walk.current.name == node.name
        gate = [Piece(" " * (trunk - 1)), Piece(glyph, "gate"), Piece(" ")]
        used = trunk - 1 + len(glyph) + 1
        if wide:
            head = [*gate, Piece(f"{node.name} = {node.formula()}", "name")]
            indent = used + len(head[-1].text) + 3
            lines = wrap(gate_rule(net, node), cw - indent, cw - trunk - 4)
            rows.append(Row((*head, Piece("   " + lines[0], "rule")), forward_now))
            # a long rule goes on under the gate, beside its trunk
            rows += [Row((Piece(" " * trunk + "│   "), Piece(more, "rule"))) for more in lines[1:]]
            wire = [Piece(" " * trunk + "│  "), Piece(node.name, "name"), *values(node.name, trunk + 3 + len(node.name), known)]
            wire += self._grad_pieces(node.name, None, trace, walk, digits)
            rows.append(Row(tuple(wire), self._is_current(walk, node.name)))
        else:
            line = [*gate, Piece(node.name, "name"), *values(node.name, used + len(node.name), known)]
            line += self._grad_pieces(node.name, None, trace, walk, digits)
            rows.append(Row(tuple(line), forward_now or self._is_current(walk, node.name)))
        return rows

    def _trunk_input(self, node: Node, band: int, col: int) -> str | None:
        """The input that comes down the trunk: the op node just above, in
        the same column (its wire continues into this gate)."""
        if not self.side_by_side and (len(self.bands[band]) > 1 or band and len(self.bands[band - 1]) > 1):
            return None  # stacked gates: the gate drawn above may be another's
        for a in node.args:
            if self.place.get(a) == (band - 1, col):
                return a
        return None

    def _grad_pieces(self, name: str, into: str | None, trace: Trace, walk, digits: int, via: bool = False) -> list[Piece]:
        """∂ and the gradient of wire `name`. For a wire drawn again where it
        enters gate `into` (an op node from another column), the part of its
        gradient that comes back through that gate."""
        adjoints = trace.adjoints
        if name not in adjoints:
            return []
        if via and into is not None and name in self.meeting:
            key = (into, name)
            if key not in trace.factors:
                return []
            known = walk is None or (key in walk.factors and (into in walk.adjoints or into == self.net.loss))
            part = adjoints[into] * trace.factors[key]
            text = fmt(part, digits=digits) if known else PENDING
            return [Piece(f"  {PART}{GRAD} ", "mark"), Piece(text, "grad" if known else "pending")]
        known = walk is None or name in walk.adjoints or name == self.net.loss  # dJ/dJ = 1
        mark = SUM if name in self.meeting else (SHARED if name in self.shared else " ")
        text = fmt(adjoints[name], digits=digits) if known else PENDING
        return [Piece(f"  {mark}{GRAD} ", "mark"), Piece(text, "grad" if known else "pending")]

    def _is_current(self, walk, name: str) -> bool:
        """The walk is computing this wire's gradient (a factor into it), or
        updating it (a parameter)."""
        if walk is None or walk.current is None:
            return False
        op = walk.current
        if op.kind in ("moment", "update"):
            return op.name == name
        return op.kind == "backward" and op.edge is not None and op.edge.inp == name
