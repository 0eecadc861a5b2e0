"""The network as Graphviz DOT: every node labelled with its value and its
gradient dJ/dn at one state, every edge with its local factor, so `dot
-Tsvg` draws a slide of the circuit. This module never imports Textual."""

from __future__ import annotations

from bptui.graph import Trace
from bptui.numfmt import fmt

SHAPES = {"input": "box", "param": "box"}


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source(trace: Trace, step: int) -> str:
    net = trace.network
    lines = [
        f"digraph {quoted(f'bptui step {step}')} {{",
        "  rankdir=LR;",
        '  node [fontname="monospace"];',
        f"  label={quoted(f'step {step}: value, and ∂ = d{net.loss}/dn under it; edges carry d(out)/d(in)')};",
    ]
    for n in net.nodes:
        label = [n.name if n.kind != "op" else f"{n.name} = {n.formula()}", fmt(trace.values[n.name])]
        if n.name in trace.adjoints:
            label.append(f"∂ {fmt(trace.adjoints[n.name])}")
        shape = SHAPES.get(n.kind, "ellipse")
        style = ', style="rounded"' if n.kind == "param" else ""
        # \n is Graphviz's line break inside a label
        text = "\\n".join(quoted(t)[1:-1] for t in label)
        lines.append(f'  {n.name} [shape={shape}{style}, label="{text}"];')
    on_paths = {e.key: e for e in net.edges}
    for n in net.nodes:
        for a in n.args:
            e = on_paths.get((n.name, a))
            attrs = f" [label={quoted(f'{e.symbol} = {fmt(trace.factors[e.key])}')}]" if e else ""
            lines.append(f"  {a} -> {n.name}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
