"""A network compiled to straight-line Python: plain float arithmetic, no
per-node objects at run time, so a step costs about what a hand-written loop
of the same math costs.

Three generators read a network's structure (its nodes, the edges on paths to
a parameter, the adjoints from the loss down) and its one decision of which
loss is computed from which logit (Network.logits):

* evaluate: every value, factor and adjoint at given weights;
* the step runners: a loop for jumps and a loop-free step for a keypress;
* the loss over a numpy grid, for the landscape.

In the generated code a node n's value is v_n, the factor of edge out → inp
is d_out__inp and n's adjoint dJ/dn is g_n (update rules write their amounts
in these names). The network is taken as it comes, not imported, so that
graph.py can import this module. This module never imports Textual.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from bptui.ops import NP_RUNTIME, OPS, RUNTIME
from bptui.optimizers import RUNTIME as OPTIMIZER_RUNTIME


class Names:
    """How generated code names a node's value, an edge's factor and a
    node's adjoint. The compiled code's names (v_n, d_out__inp, g_n) cannot
    clash with anything; a program for people reads better in the network's
    own (bptui.program)."""

    def value(self, name: str) -> str:
        return "v_" + name

    def factor(self, edge) -> str:
        return f"d_{edge.out}__{edge.inp}"

    def adjoint(self, name: str) -> str:
        return "g_" + name


COMPILED = Names()
value, factor, adjoint = COMPILED.value, COMPILED.factor, COMPILED.adjoint


def forward_expr(net, node, numpy: bool = False, names: Names = COMPILED) -> str:
    """The expression for an op node's value (over numpy arrays if asked)."""
    op = OPS[node.op]
    logit = net.logits.get(node.name)
    if logit is not None:
        form = op.from_logit.np_forward if numpy else op.from_logit.forward
        return form.format(z=names.value(logit), y=names.value(node.args[1]))
    args = [names.value(a) for a in node.args]
    return op.np_forward(args) if numpy and op.np_forward else op.forward(args)


def local_expr(net, edge, names: Names = COMPILED) -> str:
    """The expression for an edge's factor d(out)/d(inp)."""
    node = net.by_name[edge.out]
    op = OPS[node.op]
    logit = net.logits.get(node.name)
    if logit is not None and edge.index == 0:
        return op.from_logit.slope.format(z=names.value(logit), y=names.value(node.args[1]))
    return op.local(edge.index, names.value(edge.out), [names.value(a) for a in node.args])[1]


def guards(net, names: Names = COMPILED) -> list[tuple[str, str]]:
    """(node, python expression) pairs: the expression must be finite for
    the next gradient to exist. bce over σ(z): its slope from z (so z's
    magnitude must stay below about 710); bce over anything else: o
    strictly inside (0, 1)."""
    node = net.by_name[net.loss]
    op = OPS[node.op]
    logit = net.logits.get(net.loss)
    if logit is not None:
        return [(logit, op.from_logit.slope.format(z=names.value(logit), y=names.value(node.args[1])))]
    if op.guard is not None:
        return [(node.args[0], op.guard([names.value(a) for a in node.args]))]
    return []


def forward_lines(net, numpy: bool = False, names: Names = COMPILED) -> list[str]:
    return [f"{names.value(n.name)} = {forward_expr(net, n, numpy, names)}" for n in net.nodes if n.kind == "op"]


def factor_lines(net, names: Names = COMPILED) -> list[str]:
    return [f"{names.factor(e)} = {local_expr(net, e, names)}" for e in net.edges]


def adjoint_lines(net, names: Names = COMPILED) -> list[tuple[str, str]]:
    """(node, line) for each adjoint accumulated from the loss down: dJ/dn is
    the sum over n's edges of upstream × local."""
    incoming: dict[str, list] = {}
    for e in net.edges:
        incoming.setdefault(e.inp, []).append(e)
    lines = []
    for name in net.adjoint_nodes[1:]:
        terms = []
        for e in incoming[name]:
            # dJ/dJ = 1, so the factor next to the loss is its own adjoint
            # (no multiplication by 1.0, which keeps products bit-exact).
            terms.append(names.factor(e) if e.out == net.loss else f"{names.adjoint(e.out)} * {names.factor(e)}")
        lines.append((name, f"{names.adjoint(name)} = {' + '.join(terms)}"))
    return lines


def backward_lines(net, names: Names = COMPILED) -> list[str]:
    """Local factors, then adjoints accumulated from the loss down."""
    return factor_lines(net, names) + [line for _, line in adjoint_lines(net, names)]


def slot_var(slot: str, param: str) -> str:
    """The compiled code's name for a slot of a parameter's optimizer state."""
    return f"s_{slot}_{param}"


def runner_source(net, inputs: str, amounts: dict[str, str | None], optimizer=None) -> str:
    """make_runner(record, tag) -> run(state, lr, n, t): up to n steps from
    `state` (params, then op values, then each parameter's optimizer slots),
    t steps having been taken before. Each step is backward at the current
    weights, every weight updated from the same gradients (by the optimizer,
    from its amount: by default its gradient; plain descent is w − lr ×
    amount), forward at the new weights, then record((params..., slots...,
    J, lr, tag)). A step whose new weights or J are not
    finite is not recorded: run returns at once with (steps taken, None,
    the offending values), and the caller recomputes the last good state
    from its recorded weights."""
    slots = [] if optimizer is None else list(optimizer.slots)
    state_slots = [slot_var(s, p) for p in net.params for s in slots]
    state = [value(p) for p in net.params] + [value(n) for n in net.op_nodes] + state_slots
    # every amount is computed before any weight moves, so the update can
    # overwrite the weights in place
    moved = [p for p in net.params if amounts[p] is not None]
    updates = [f"a_{p} = {amounts[p]}" for p in moved]
    if optimizer is None:
        updates += [f"{value(p)} = {value(p)} - lr * a_{p}" for p in moved]
    else:
        if optimizer.uses_t:
            updates.append("t += 1.0")
        for p in moved:
            names = {"g": f"a_{p}", "w": value(p), "lr": "lr", "t": "t", "m̂": f"x_m_{p}", "v̂": f"x_v_{p}"}
            names.update({s: slot_var(s, p) for s in slots})
            updates += optimizer.code(names)
    # x * 0.0 is 0.0 for every finite x and nan for ±inf and nan, so one
    # comparison checks them all without any overflow of its own.
    checked = [value(p) for p in net.params] + [value(net.loss)]
    finite = " + ".join(f"{c} * 0.0" for c in checked)
    # a step that would leave the next one no gradient to compute (bce's
    # slope at o or 1 − o exactly 0, say) is refused too, though J is finite
    for name, guard in guards(net):
        checked.append(value(name))
        finite += f" + {guard} * 0.0"
    row = [value(p) for p in net.params] + state_slots + [value(net.loss), "lr", "tag"]
    body = backward_lines(net) + updates + forward_lines(net)
    # math functions as keyword defaults: locals, not global look-ups
    local = ", ".join([inputs, *(f"{h}={h}" for h in RUNTIME)])
    src = [
        "def make_runner(record, tag):",
        f"    def run(state, lr, n, t, *, {local}):",
        f"        {', '.join(state)}, = state",
        "        for i in range(n):",
    ]
    src += ["            " + line for line in body]
    src += [
        f"            if {finite} != 0.0:",
        f"                return i, None, ({', '.join(checked)},)",
        f"            record(({', '.join(row)},))",
        f"        return n, ({', '.join(state)},), None",
        # one step, as a keypress takes it: the same lines without the loop
        f"    def run1(state, lr, t, *, {local}):",
        f"        {', '.join(state)}, = state",
    ]
    src += ["        " + line for line in body]
    src += [
        f"        if {finite} != 0.0:",
        "            return None",
        f"        record(({', '.join(row)},))",
        f"        return ({', '.join(state)},)",
        "    return run, run1",
    ]
    return "\n".join(src)


class CompiledNetwork:
    """The compiled functions of one network, built once (the runners and
    the grid on first use). It keeps no reference to the network, which
    passes itself to each call."""

    def __init__(self, net) -> None:
        self.inputs = ", ".join(f"{value(k)}={v!r}" for k, v in net.inputs.items())
        params = ", ".join(value(p) for p in net.params)
        # evaluate(params) -> every value, factor and adjoint, in slot order
        slots = (
            [value(n.name) for n in net.nodes]
            + [factor(e) for e in net.edges]
            + [adjoint(n) for n in net.adjoint_nodes[1:]]
        )
        src = [f"def evaluate({params}, *, {self.inputs}):"]
        src += ["    " + line for line in forward_lines(net)]
        src += ["    " + line for line in backward_lines(net)]
        src += [f"    return ({', '.join(slots)},)"]
        self.source = "\n".join(src)
        self.namespace: dict[str, object] = dict(RUNTIME)
        exec(compile(self.source, f"<bptui network {net.loss}>", "exec"), self.namespace)
        self.evaluate: Callable = self.namespace["evaluate"]
        self.guards = guards(net)
        self._runner_factories: dict[tuple, Callable] = {}
        self._loss_grid: Callable | None = None

    def make_runner(self, net, record: Callable, amounts: dict[str, str | None] | None, tag: float,
                    optimizer=None) -> Callable:  # fmt: skip
        if amounts is None:
            amounts = {p: adjoint(p) for p in net.params}
        if optimizer is not None and optimizer.name == "sgd":
            optimizer = None  # w − lr × amount: the plain step's own lines
        key = (tuple(amounts[p] for p in net.params), optimizer)
        factory = self._runner_factories.get(key)
        if factory is None:
            ns = dict(self.namespace, **OPTIMIZER_RUNTIME)
            source = runner_source(net, self.inputs, amounts, optimizer)
            exec(compile(source, f"<bptui runner {net.loss}>", "exec"), ns)
            factory = self._runner_factories[key] = ns["make_runner"]
        return factory(record, tag)

    def loss_grid(self, net, params: Sequence[float], i: int, j: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self._loss_grid is None:
            src = [f"def loss_grid({', '.join(value(p) for p in net.params)}, *, {self.inputs}):"]
            src += ["    " + line for line in forward_lines(net, numpy=True)]
            src.append(f"    return {value(net.loss)}")
            ns = dict(self.namespace, **NP_RUNTIME)
            exec(compile("\n".join(src), f"<bptui grid {net.loss}>", "exec"), ns)
            self._loss_grid = ns["loss_grid"]
        args: list[object] = list(params)
        args[i], args[j] = a, b
        with np.errstate(all="ignore"):
            return np.asarray(self._loss_grid(*args), dtype=np.float64) * np.ones_like(a)
