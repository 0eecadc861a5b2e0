"""Walk mode: one step taken apart into single operations.

The order: every forward node; then every edge from the loss down (its local
factor, and upstream × local = the new upstream, summed where paths meet);
then every parameter's update. Each operation carries its explanation (the
rule, the formula with the numbers put in, the result) and what it makes
visible. All numbers come from the engine's trace of the current state, and
the updates are computed exactly as the engine's step computes them, so the
walk ends on the state that one step gives, bit for bit.
This module never imports Textual."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bptui.engine import Engine
from bptui.graph import OPS, Edge, Network
from bptui.numfmt import fmt
from bptui.optimizers import Worked


@dataclass(frozen=True)
class Operation:
    kind: str  # "forward", "backward", "moment" or "update"
    name: str  # forward: the node; backward: the edge's input; moment, update: the parameter
    lines: tuple[str, ...]  # the explanation, one or two lines
    edge: Edge | None = None
    completes: str | None = None  # backward: the node whose dJ/dn is now complete
    new_value: float | None = None  # moment: what it computed; update: the parameter's new value
    slot: str | None = None  # moment: what it computes (an optimizer's m, v, m̂ or v̂)
    worked: Worked | None = None  # moment, and update under an optimizer: its line worked out


@dataclass
class WalkView:
    """What a walk has computed so far: the panes show these, and · for the rest."""

    values: set[str] = field(default_factory=set)
    factors: set[tuple[str, str]] = field(default_factory=set)
    adjoints: set[str] = field(default_factory=set)  # complete ones
    updates: dict[str, float] = field(default_factory=dict)
    moments: dict[tuple[str, str], float] = field(default_factory=dict)  # (parameter, slot) -> value
    current: Operation | None = None


def _n(v: float) -> str:
    s = fmt(v, keep_zeros=False)
    return f"({s})" if s.startswith("−") else s


def substitute(formula: str, values: dict[str, float]) -> str:
    """The formula with each node name replaced by its value: o(1 − o) becomes
    0.504274·(1 − 0.504274); a product w1·x becomes 0.7713206·2."""
    names = sorted(values, key=len, reverse=True)
    # a name ends where a word does, but o² is o squared (² counts as a word
    # character to the regex engine)
    pattern = re.compile(r"(?<![\w/])(" + "|".join(map(re.escape, names)) + r")(?![^\W²]|/)")

    def number(m: re.Match) -> str:
        text = _n(values[m.group(1)])
        if formula[m.end() : m.end() + 1] == "²" and "e" in text and not text.startswith("("):
            text = f"({text})"  # (1e−12)², not 1e−12² (which reads as 10^−144)
        return text + "\0"

    out = pattern.sub(number, formula)
    return out.replace("\0(", "·(").replace("\0", "")


def operations(engine: Engine) -> list[Operation]:
    net: Network = engine.network
    t = engine.trace
    v = t.values
    ops: list[Operation] = []
    forward = [n for n in net.nodes if n.kind == "op"]
    for i, node in enumerate(forward, 1):
        formula = node.formula()
        line = f"{node.name} = {formula} = {substitute(formula, v)} = {fmt(v[node.name], keep_zeros=False)}"
        rule = OPS[node.op].rule
        if node.op == "lin" and len(node.args) % 2 == 0:
            rule = rule.replace(" (plus a bias)", "")  # this sum has no bias
        if node.op == "bce":
            rule = OPS["bce"].explain(0, node.name, node.args).split(";")[0]
        ops.append(Operation("forward", node.name, (line, f"forward {i} of {len(forward)}: {rule}")))

    incoming: dict[str, list[Edge]] = {}
    for e in net.edges:
        incoming.setdefault(e.inp, []).append(e)
    # the paths into a node are numbered by their consumers' forward order,
    # as the gradient panes number a parameter's paths
    order = {n.name: i for i, n in enumerate(net.nodes)}
    branch = {e.key: 1 + sorted(order[x.out] for x in incoming[e.inp]).index(order[e.out]) for e in net.edges}
    loss = net.loss
    done: dict[str, list[tuple[str, float]]] = {}  # node -> (via, term) so far
    for e in net.edges:
        factor = t.factors[e.key]
        value = fmt(factor, keep_zeros=False)
        local = f"{e.symbol} = {e.formula} = "
        shown = substitute(e.formula, v)
        if shown not in (value, _n(factor)):
            local += f"{shown} = "
        local += value
        # upstream × local = new upstream; at the top the upstream is dJ/dJ = 1
        # (the compiled pass skips that × 1, so the term is the factor itself)
        up = 1.0 if e.out == loss else t.adjoints[e.out]
        term = factor if e.out == loss else up * factor  # exactly as the compiled pass forms it
        product = f"d{loss}/d{e.out} × {e.symbol} = {_n(up)} × {_n(factor)}"
        parts = done.setdefault(e.inp, [])
        parts.append((e.out, term))
        complete = len(parts) == len(incoming[e.inp])
        if len(parts) == 1:
            chain = f"d{loss}/d{e.inp} = {product} = {fmt(term, keep_zeros=False)}"
            if not complete:
                chain += f"  (path {branch[e.key]} of {len(incoming[e.inp])} into {e.inp}, via {e.out})"
        else:
            # paths meet here: show the sum being formed
            earlier = " + ".join(f"{_n(p)} (via {via})" for via, p in parts[:-1])
            total = t.adjoints[e.inp] if complete else sum(p for _, p in parts)
            chain = f"d{loss}/d{e.inp} = {earlier} + {_n(up)} × {_n(factor)} (via {e.out}) = {fmt(total, keep_zeros=False)}"
        ops.append(Operation("backward", e.inp, (local, chain), e, e.inp if complete else None))

    rule = engine.rule
    amounts = rule.amounts_at(t)
    optimizer, k = engine.optimizer, engine.step_count
    state = engine.optimizer_state_at(k)
    for p in net.params:
        if p not in amounts:
            continue
        old, a, lr = v[p], amounts[p], engine.lr
        what = rule.formula_of(p, loss)
        second = "every gradient was taken before any weight moves" if rule.correct else f"{rule.title}: {rule.wrong}"
        if optimizer.name == "sgd":
            new = old - lr * a  # as the compiled step computes it
            line = (
                f"{p} ← {p} − lr × {what} = {_n(old)} − {fmt(lr, keep_zeros=False)} × {_n(a)} = "
                f"{fmt(new, keep_zeros=False)}"
            )
            ops.append(Operation("update", p, (line, second), new_value=new))
            continue
        # an optimizer's lines, each computed by the Python the compiled step runs
        t_now = engine.t_at(k + 1)
        *moments, last = optimizer.explain(a, old, state[p], lr, t_now, loss, p)
        for n, worked in enumerate(moments, 1):
            words = worked.line.words + (f"; g = {what} = {fmt(a, keep_zeros=False)}" if n == 1 else "")
            line = f"{worked.line.target}({p}) ← {worked.line.formula} = {worked.numbers} = {fmt(worked.value, keep_zeros=False)}"
            ops.append(Operation("moment", p, (line, f"{optimizer.title}, t {t_now}: {words}"),
                                 new_value=worked.value, slot=worked.line.target, worked=worked))  # fmt: skip
        line = f"{p} ← {last.line.formula} = {last.numbers} = {fmt(last.value, keep_zeros=False)}"
        ops.append(Operation("update", p, (line, f"{last.line.words}; {second}"), new_value=last.value, worked=last))
    return ops


def view(ops: list[Operation], position: int) -> WalkView:
    """What is visible after the first `position` operations."""
    w = WalkView()
    for op in ops[:position]:
        if op.kind == "forward":
            w.values.add(op.name)
        elif op.kind == "backward":
            w.factors.add(op.edge.key)
            if op.completes:
                w.adjoints.add(op.completes)
        elif op.kind == "moment":
            w.moments[op.name, op.slot] = op.new_value
        else:
            w.updates[op.name] = op.new_value
    w.current = ops[position - 1] if position > 0 else None
    return w


def follow(network: Network, op: Operation | None, shown: str) -> str:
    """Which parameter's chain to show while a walk is on `op`, when the screen
    has room for one chain (`shown` is the one on screen): the current factor
    must be in view. A factor that completes a parameter's gradient shows
    that parameter; a factor already in the shown chain keeps it; any other
    goes to the first parameter whose chain holds it. An update shows the
    parameter being updated."""
    if op is None or op.kind == "forward":
        return shown
    if op.kind in ("moment", "update"):
        return op.name
    if op.completes in network.params:
        return op.completes

    def holds(p: str) -> bool:
        return any(e.key == op.edge.key for path in network.paths[p] for e in path)

    if holds(shown):
        return shown
    return next((p for p in network.params if holds(p)), shown)
