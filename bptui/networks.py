"""The networks bptui can build: a chain of scalar neurons (the question's
network is the 2-layer sigmoid chain) and Mazur's 2-2-2 example. Each is just
a graph for bptui.graph; nothing below knows how gradients are found.
This module never imports Textual."""

from __future__ import annotations

import math
from typing import Callable

from bptui.graph import OPS, GraphBuilder, Network, Trace
from bptui.numfmt import fmt, times

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
LOSSES = {"se": "se", "half-se": "half_se", "bce": "bce"}  # CLI name -> op
MAX_LAYERS = 8


def chain_names(layers: int) -> tuple[list[str], list[str]]:
    """(pre-activations, activations) of an N-layer chain: z1.., and the
    activations, o for the last. Two layers keep the question's h."""
    zs = [f"z{k}" for k in range(1, layers + 1)]
    if layers == 2:
        acts = ["h", "o"]
    else:
        acts = [f"a{k}" for k in range(1, layers)] + ["o"]
    return zs, acts


def chain_network(
    layers: int = 2,
    activation: str = "sigmoid",
    loss: str = "se",
    biases: bool = False,
    x: float = 2.0,
    y: float = 4.0,
) -> Network:
    """a_k = act(w_k·a_(k−1) + b_k), a_0 = x, o = a_N, J = loss(o, y)."""
    check_chain(layers, activation, loss, y)
    g = GraphBuilder()
    g.input("x", x)
    zs, acts = chain_names(layers)
    prev = "x"
    for k in range(1, layers + 1):
        g.param(f"w{k}")
        args = [f"w{k}", prev]
        if biases:
            args.append(g.param(f"b{k}", role="bias"))
        g.op(zs[k - 1], "lin", *args)
        prev = g.op(acts[k - 1], activation, zs[k - 1])
    g.input("y", y, role="target")
    g.op("J", LOSSES[loss], "o", "y")
    net = g.compile(loss="J")
    net.floor = chain_floor(activation, loss, y)
    net.floor_of = lambda inputs: chain_floor(activation, loss, inputs["y"])
    net.inputs_problem = lambda inputs: chain_inputs_problem(loss, inputs["y"])
    net.layer_weights = tuple(f"w{k}" for k in range(1, layers + 1))
    return net


def check_chain(layers: int, activation: str, loss: str, y: float) -> None:
    """ValueError, saying why, for a chain that cannot be built or run."""
    if not 1 <= layers <= MAX_LAYERS:
        raise ValueError(f"layers must be between 1 and {MAX_LAYERS}, not {layers if abs(layers) < 10**9 else 'a number that large'}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, not {activation!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {loss!r}")
    if loss == "bce" and activation != "sigmoid":
        raise ValueError(
            f"loss bce needs an output in (0, 1): activation must be sigmoid, not {activation} "
            "(its output can leave that range)"
        )
    problem = chain_inputs_problem(loss, y)
    if problem:
        raise ValueError(problem)


def chain_inputs_problem(loss: str, y: float) -> str | None:
    """Why a chain cannot run with this target (None: it can)."""
    if loss == "bce" and not 0.0 <= y <= 1.0:
        return f"loss bce needs a target y in [0, 1], not {y:g}"
    return None


def chain_floor(activation: str, loss: str, y: float) -> float | None:
    """The least J the chain can approach when it is above 0, else None.

    For (o − y)² with a bounded output range (lo, hi) and y outside it, the
    nearest edge: J → (edge − y)² (halved for half-se). For bce, J ≥ H(y), the
    entropy of the target, which is 0 only for y = 0 or 1."""
    if loss == "bce":
        if y in (0.0, 1.0):
            return None
        return -(y * math.log(y) + (1.0 - y) * math.log(1.0 - y))
    out_range = OPS[activation].out_range
    if out_range is None:
        return None
    lo, hi = out_range
    if lo <= y <= hi:
        return None
    edge = hi if y > hi else lo
    d = edge - y
    return d * d * (0.5 if loss == "half-se" else 1.0)


def vanishing_note(trace: Trace, known: bool = True) -> str | None:
    """For a chain of 3 or more layers: how many times smaller the first
    weight's gradient is than the last's (the vanishing gradient), in two
    short lines; · for the ratio while a walk has not computed both."""
    net = trace.network
    weights = net.layer_weights
    if len(weights) < 3:
        return None
    if not known:
        return f"d{net.loss}/d{weights[0]} against d{net.loss}/d{weights[-1]}:\n· until the walk has both"
    first, last = trace.grad(weights[0]), trace.grad(weights[-1])
    if first == 0.0 or not (math.isfinite(first) and math.isfinite(last)):
        return None
    ratio = abs(last) / abs(first)
    loss = net.loss
    if fmt(ratio, keep_zeros=False) == "1":  # equal to the digits shown
        return f"d{loss}/d{weights[0]} is about as large\nas d{loss}/d{weights[-1]}"
    if ratio >= 1:
        return f"d{loss}/d{weights[0]} is {times(ratio)}\nsmaller than d{loss}/d{weights[-1]}"
    return f"d{loss}/d{weights[0]} is {times(1 / ratio)}\nlarger than d{loss}/d{weights[-1]}"


# --- Mazur's step-by-step example ---------------------------------------------
# 2 inputs, 2 hidden and 2 output sigmoid neurons; biases fixed (not learned).
# Names: Mazur's net_h1/out_h1 are zh1/h1 here, net_o1/out_o1 are zo1/o1.

MAZUR_INPUTS = (0.05, 0.10)
MAZUR_TARGETS = (0.01, 0.99)
MAZUR_WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
MAZUR_BIASES = (0.35, 0.60)
MAZUR_LR = 0.5


def mazur_network() -> Network:
    g = GraphBuilder()
    g.input("i1", MAZUR_INPUTS[0])
    g.input("i2", MAZUR_INPUTS[1])
    g.input("b1", MAZUR_BIASES[0], role="fixed bias")
    g.input("b2", MAZUR_BIASES[1], role="fixed bias")
    for k in range(1, 9):
        g.param(f"w{k}")
    g.op("zh1", "lin", "w1", "i1", "w2", "i2", "b1")
    g.op("h1", "sigmoid", "zh1")
    g.op("zh2", "lin", "w3", "i1", "w4", "i2", "b1")
    g.op("h2", "sigmoid", "zh2")
    g.op("zo1", "lin", "w5", "h1", "w6", "h2", "b2")
    g.op("o1", "sigmoid", "zo1")
    g.op("zo2", "lin", "w7", "h1", "w8", "h2", "b2")
    g.op("o2", "sigmoid", "zo2")
    g.input("t1", MAZUR_TARGETS[0], role="target")
    g.input("t2", MAZUR_TARGETS[1], role="target")
    g.op("E1", "half_se", "o1", "t1")
    g.op("E2", "half_se", "o2", "t2")
    g.op("E", "sum", "E1", "E2")
    net = g.compile(loss="E")
    net.floor = None
    return net


def stuck_note(trace: Trace, lr: float, moved: Callable[[str, float, float], float] | None = None) -> str | None:
    """Why no weight can move any more, when none can: every gradient is 0
    (or too small for lr × gradient to change a weight), because relu units
    are dead or σ / tanh units are saturated. In words, with what would help.
    `moved(p, g, w)` is p's next value under an optimizer that keeps state
    (momentum goes on moving a weight whose gradient is 0)."""
    net = trace.network
    values = trace.values
    for p in net.params:
        g = trace.grad(p)
        if not math.isfinite(g):
            return None  # a refused step says why
        w = values[p]
        if (w - lr * g if moved is None else moved(p, g, w)) != w:
            return None  # this weight still moves
    dead = [n.name for n in net.nodes if n.kind == "op" and n.op == "relu" and not values[n.args[0]] > 0]
    flat = [
        (n.name, trace.factors[(n.name, n.args[0])])
        for n in net.nodes
        if n.kind == "op" and n.op in ("sigmoid", "tanh") and (n.name, n.args[0]) in trace.factors
        and abs(trace.factors[(n.name, n.args[0])]) < 1e-12
    ]
    zero = all(trace.grad(p) == 0.0 for p in net.params)
    causes = []
    if dead:
        names = ", ".join(dead)
        causes.append(f"relu {'unit' if len(dead) == 1 else 'units'} {names} "
                      f"{'is' if len(dead) == 1 else 'are'} dead (z ≤ 0: relu′ = 0)")
    if flat:
        names = ", ".join(name for name, _ in flat)
        causes.append(f"{'unit' if len(flat) == 1 else 'units'} {names} saturated (slope ≈ 0)")
    what = "every gradient is 0" if zero else "every update is below a weight's last digit"
    if moved is None and not zero:
        what = "every update lr × gradient is below a weight's last digit"
    why = f": {'; '.join(causes)}" if causes else ""
    return f"Stuck: {what}{why}. Steps change nothing: undo (u), another rate (l) or other weights (--weights)."
