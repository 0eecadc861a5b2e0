"""A network as a graph of scalar operations, compiled to straight-line Python.

Each op states its forward rule beside the local derivative of its output with
respect to each input (as micrograd does), both as a formula for the screen and
as a Python expression for the compiled code. From the graph we derive:

* the forward values of every node,
* the local derivative (factor) of every edge on a path from the loss to a
  parameter,
* the adjoint dJ/dn of every node on those paths, accumulated from the loss
  downwards (reverse mode: upstream × local = new upstream, summed where paths
  meet), and so each parameter's gradient,
* the paths from the loss to each parameter, for showing a gradient as the
  product of its factors (or a sum of such products).

The graph is compiled once into Python source (plain float arithmetic, no
per-node objects at run time), so a step costs about what a hand-written loop
of the same math costs. This module never imports Textual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

# --- operations -------------------------------------------------------------
# Each op: how its formula reads, how its forward value is computed, and for
# each input i the local derivative d(out)/d(input i) as (formula, python).
# The same functions serve the screen (called with node names) and the
# compiled code (called with variable names), so the two cannot disagree.
# Every expression stays finite or turns into inf/nan quietly: no op may raise
# (no exp overflow, no log of 0, no division by 0), whatever its inputs.


@dataclass(frozen=True)
class Op:
    name: str
    arity: int | None  # None: any number of inputs (see each op)
    formula: Callable[[Sequence[str]], str]
    forward: Callable[[Sequence[str]], str]
    local: Callable[[int, str, Sequence[str]], tuple[str, str]]
    rule: str = ""  # the forward rule in words, for walk mode
    # the forward rule over numpy arrays (for the loss landscape), where the
    # scalar expression will not do
    np_forward: Callable[[Sequence[str]], str] | None = None
    # local factor i in words: explain(i, out, args)
    explain: Callable[[int, str, Sequence[str]], str] = lambda i, out, a: ""
    # the interval an activation's output lies in, where it is bounded: open
    # (σ, tanh: the edges are only neared) unless out_closed (relu reaches 0)
    out_range: tuple[float, float] | None = None
    out_closed: bool = False
    note: str = ""  # a convention the screen should state
    # a loss over σ(z) may be computed from z itself ("from the logit"), as
    # frameworks' *WithLogits losses are: exact where σ(z) rounds to 0 or 1.
    # logit_forward(z, y) and logit_slope(z, y) (d loss/d o) as python
    logit_forward: Callable[[str, str], str] | None = None
    logit_slope: Callable[[str, str], str] | None = None


def _stable_sigmoid(z: str) -> str:
    # exp of a non-positive number never overflows, so neither branch can
    # raise or warn whatever z is (±inf and nan included).
    return f"(1.0 / (1.0 + _exp(-{z})) if {z} >= 0.0 else (_e := _exp({z})) / (1.0 + _e))"


def _lin_formula(args: Sequence[str]) -> str:
    """w1·a1 + w2·a2 (+ b): args are weight/input pairs, then an optional bias.
    Three terms or more close up (w1·i1+w2·i2+b1) to fit a narrow pane."""
    terms = [f"{args[i]}·{args[i + 1]}" for i in range(0, len(args) - 1, 2)]
    if len(args) % 2:
        terms.append(args[-1])
    return ("+" if len(terms) > 2 else " + ").join(terms)


def _lin_forward(args: Sequence[str]) -> str:
    terms = [f"{args[i]} * {args[i + 1]}" for i in range(0, len(args) - 1, 2)]
    if len(args) % 2:
        terms.append(args[-1])
    return " + ".join(terms)


def _lin_local(i: int, out: str, args: Sequence[str]) -> tuple[str, str]:
    if len(args) % 2 and i == len(args) - 1:
        return ("1", "1.0")  # the bias
    partner = args[i + 1] if i % 2 == 0 else args[i - 1]
    return (partner, partner)


def _lin_explain(i: int, out: str, args: Sequence[str]) -> str:
    if len(args) % 2 and i == len(args) - 1:
        return f"a bias adds straight into {out}, so its factor is 1"
    partner = args[i + 1] if i % 2 == 0 else args[i - 1]
    return f"{out} = {_lin_formula(args)}: nudging {args[i]} moves {out} by {partner} per unit"


# Slopes from the pre-activation z rather than from the rounded output: near
# saturation 1 − σ(z) (or 1 − tanh(z)²) cancels to a few digits or to 0, while
# the slope itself is still a perfectly good number. Inside |z| < 10 (tanh:
# 5) the usual o(1 − o) / 1 − o² keep every digit that is shown (their
# relative error stays below 1e−11), and are cheaper; z·z < 10² is the
# cheapest test of that (nan and ±inf fail it).


def _sig_slope(z: float) -> float:
    """σ′(z) = e/(1 + e)² with e = e^(−|z|): never overflows."""
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def _tanh_slope(z: float) -> float:
    """tanh′(z) = 4e/(1 + e)² with e = e^(−2|z|)."""
    e = math.exp(-2.0 * abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _softplus(x: float) -> float:
    """ln(1 + e^x), with neither overflow nor cancellation."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def _bce_logit(z: float, y: float) -> float:
    """bce(σ(z), y) = y·ln(1 + e^(−z)) + (1 − y)·ln(1 + e^z); 0·ln 0 is 0."""
    return (y * _softplus(-z) if y != 0.0 else 0.0) + ((1.0 - y) * _softplus(z) if y != 1.0 else 0.0)


def _bce_slope(z: float, y: float) -> float:
    """d bce/d o = (o − y)/(o(1 − o)) at o = σ(z), with o and 1 − o each
    computed to full precision; nan where one of them underflows to 0 (|z|
    past about 745) and does not cancel, or the quotient overflows (past about
    710): nan or ±inf, where the factor cannot be formed."""
    e = math.exp(-abs(z))
    if z >= 0.0:
        o, q = 1.0 / (1.0 + e), e / (1.0 + e)  # q = 1 − o
        if y == 1.0:  # (o − 1)/(o(1 − o)) = −1/o, whatever q
            return -1.0 / o
        err = (1.0 - y) - q  # o − y without cancelling o against 1
    else:
        o, q = e / (1.0 + e), 1.0 / (1.0 + e)
        if y == 0.0:  # o/(o(1 − o)) = 1/(1 − o), whatever o
            return 1.0 / q
        err = o - y
    d = o * q
    return err / d if d > 0.0 else math.nan


def _np_bce_logit(z: np.ndarray, y: float) -> np.ndarray:
    def softplus(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    with np.errstate(invalid="ignore", over="ignore"):
        first = y * softplus(-z) if y != 0.0 else 0.0
        second = (1.0 - y) * softplus(z) if y != 1.0 else 0.0
    return first + second


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_bce(o: np.ndarray, y: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        first = y * np.log(o) if y != 0.0 else 0.0
        second = (1.0 - y) * np.log(1.0 - o) if y != 1.0 else 0.0
    return 0.0 - (first + second)


def _safe_log(v: str) -> str:
    return f"(_log({v}) if {v} > 0.0 else -_inf)"


OPS: dict[str, Op] = {
    "lin": Op(
        "lin",
        None,
        formula=_lin_formula,
        forward=_lin_forward,
        local=_lin_local,
        explain=_lin_explain,
        rule="a weighted sum: each input times its weight (plus a bias)",
    ),
    "sigmoid": Op(
        "sigmoid",
        1,
        formula=lambda a: f"σ({a[0]})",
        forward=lambda a: _stable_sigmoid(a[0]),
        np_forward=lambda a: f"_np_sigmoid({a[0]})",
        local=lambda i, out, a: (
            f"{out}(1 − {out})",
            f"({out} * (1.0 - {out}) if {a[0]} * {a[0]} < 100.0 else _sig_slope({a[0]}))",
        ),
        explain=lambda i, out, a: f"σ's slope σ(z)(1 − σ(z)), at most ¼; near 0 when {out} is close to 0 or 1",
        rule="σ(z) = 1/(1 + e^(−z)) squashes any z into (0, 1)",
        out_range=(0.0, 1.0),
    ),
    "tanh": Op(
        "tanh",
        1,
        formula=lambda a: f"tanh({a[0]})",
        forward=lambda a: f"_tanh({a[0]})",
        np_forward=lambda a: f"_np.tanh({a[0]})",
        local=lambda i, out, a: (
            f"1 − {out}²",
            f"(1.0 - {out} * {out} if {a[0]} * {a[0]} < 25.0 else _tanh_slope({a[0]}))",
        ),
        explain=lambda i, out, a: f"tanh's slope 1 − tanh(z)², at most 1; near 0 when {out} is close to ±1",
        rule="tanh squashes any z into (−1, 1)",
        out_range=(-1.0, 1.0),
    ),
    "relu": Op(
        "relu",
        1,
        formula=lambda a: f"relu({a[0]})",
        forward=lambda a: f"({a[0]} if {a[0]} > 0.0 else 0.0)",
        np_forward=lambda a: f"_np.maximum({a[0]}, 0.0)",
        # written so that nan stays nan instead of becoming 0
        local=lambda i, out, a: (f"[{a[0]} > 0]", f"(1.0 if {a[0]} > 0.0 else {a[0]} * 0.0)"),
        explain=lambda i, out, a: f"relu's slope: 1 where {a[0]} > 0, else 0 (relu′(0) is taken as 0)",
        rule="relu(z) = max(z, 0)",
        note="relu′(0) is taken as 0 here.",
        out_range=(0.0, math.inf),
        out_closed=True,
    ),
    "linear": Op(
        "linear",
        1,
        formula=lambda a: a[0],
        forward=lambda a: a[0],
        local=lambda i, out, a: ("1", "1.0"),
        explain=lambda i, out, a: "a linear unit passes the gradient through unchanged",
        rule="a linear unit passes z through unchanged",
    ),
    "se": Op(
        "se",
        2,
        formula=lambda a: f"({a[0]} − {a[1]})²",
        forward=lambda a: f"({a[0]} - {a[1]}) * ({a[0]} - {a[1]})",
        local=lambda i, out, a: (
            (f"2({a[0]} − {a[1]})", f"2.0 * ({a[0]} - {a[1]})")
            if i == 0
            else (f"−2({a[0]} − {a[1]})", f"-2.0 * ({a[0]} - {a[1]})")
        ),
        explain=lambda i, out, a: "how fast the squared error grows as the output rises: twice the error",
        rule="the squared error: the cost to make small",
    ),
    "half_se": Op(
        "half_se",
        2,
        formula=lambda a: f"½({a[0]} − {a[1]})²",
        forward=lambda a: f"0.5 * ({a[0]} - {a[1]}) * ({a[0]} - {a[1]})",
        local=lambda i, out, a: (
            (f"{a[0]} − {a[1]}", f"{a[0]} - {a[1]}") if i == 0 else (f"−({a[0]} − {a[1]})", f"{a[1]} - {a[0]}")
        ),
        explain=lambda i, out, a: "the error itself: the ½ cancels the 2 of the square",
        rule="half the squared error: the ½ makes its slope the error itself",
    ),
    "bce": Op(
        "bce",
        2,
        np_forward=lambda a: f"_np_bce({a[0]}, {a[1]})",
        # short on screen; the help spells it out
        formula=lambda a: f"bce({a[0]}, {a[1]})",
        # 0·ln 0 is taken as 0 (the limit), so a target of exactly 0 or 1 works;
        # 0.0 − (…) rather than −(…), so a perfect fit shows J = 0, not −0
        forward=lambda a: (
            f"0.0 - (({a[1]} * {_safe_log(a[0])} if {a[1]} != 0.0 else 0.0)"
            f" + ((1.0 - {a[1]}) * {_safe_log('(1.0 - ' + a[0] + ')')} if {a[1]} != 1.0 else 0.0))"
        ),
        local=lambda i, out, a: (
            (
                f"({a[0]}−{a[1]})/({a[0]}(1−{a[0]}))",
                f"(({a[0]} - {a[1]}) / ({a[0]} * (1.0 - {a[0]})) if 0.0 < {a[0]} < 1.0 else _nan)",
            )
            if i == 0
            else (
                f"ln(1 − {a[0]}) − ln {a[0]}",
                f"({_safe_log('(1.0 - ' + a[0] + ')')} - {_safe_log(a[0])})",
            )
        ),
        explain=lambda i, out, a: (
            f"{out} = bce({a[0]}, {a[1]}) = −[{a[1]}·ln {a[0]} + (1 − {a[1]})·ln(1 − {a[0]})]; its slope grows "
            f"without bound as {a[0]} nears the wrong edge, and times σ's slope leaves just {a[0]} − {a[1]}"
        ),
        logit_forward=lambda z, y: f"_bce_logit({z}, {y})",
        logit_slope=lambda z, y: f"_bce_slope({z}, {y})",
    ),
    "sum": Op(
        "sum",
        None,
        formula=lambda a: " + ".join(a),
        forward=lambda a: " + ".join(a),
        local=lambda i, out, a: ("1", "1.0"),
        explain=lambda i, out, a: f"{out} is a total: each part counts with factor 1",
        rule="the total error: the sum of its parts",
    ),
}


# --- graph ------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    kind: str  # "input" (a constant such as x or y), "param" (learned) or "op"
    op: str | None = None
    args: tuple[str, ...] = ()
    # what a leaf is, in words: "input", "target", "weight", "bias", "fixed bias"
    role: str = ""

    def formula(self) -> str:
        if self.op is None:
            return self.name
        return OPS[self.op].formula(self.args)


@dataclass(frozen=True)
class Edge:
    """The dependence of `out` on one of its inputs: one chain-rule factor."""

    out: str
    inp: str
    formula: str  # e.g. "o(1 − o)"
    python: str
    words: str = ""  # what the factor means

    @property
    def symbol(self) -> str:
        return f"d{self.out}/d{self.inp}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.out, self.inp)


class GraphBuilder:
    """Builds a network node by node, in forward order."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.inputs: dict[str, float] = {}

    def _add(self, node: Node) -> str:
        if not node.name.isidentifier():
            raise ValueError(f"node name {node.name!r} is not an identifier")
        if any(n.name == node.name for n in self.nodes):
            raise ValueError(f"node name {node.name!r} is used twice")
        for a in node.args:
            if not any(n.name == a for n in self.nodes):
                raise ValueError(f"{node.name} uses {a!r} before it is defined")
        self.nodes.append(node)
        return node.name

    def input(self, name: str, value: float, role: str = "input") -> str:
        self.inputs[name] = float(value)
        return self._add(Node(name, "input", role=role))

    def param(self, name: str, role: str = "weight") -> str:
        return self._add(Node(name, "param", role=role))

    def op(self, name: str, op: str, *args: str) -> str:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
        arity = OPS[op].arity
        if (arity is not None and len(args) != arity) or not args:
            raise ValueError(f"{op} takes {arity} inputs, got {len(args)}")
        return self._add(Node(name, "op", op, tuple(args)))

    def compile(self, loss: str) -> "Network":
        return Network(self.nodes, self.inputs, loss)


# --- compiled network ---------------------------------------------------------


@dataclass
class Trace:
    """Every number of one state: forward values, factors, adjoints, gradients."""

    values: dict[str, float]
    factors: dict[tuple[str, str], float]
    adjoints: dict[str, float]  # dJ/dn for every node on a path to a parameter
    network: "Network" = field(repr=False)

    @property
    def loss(self) -> float:
        return self.values[self.network.loss]

    def grad(self, param: str) -> float:
        return self.adjoints[param]

    @property
    def params(self) -> tuple[float, ...]:
        return tuple(self.values[p] for p in self.network.params)

    def path_products(self, param: str) -> list[float]:
        """The product of the factors along each path from the loss to `param`,
        multiplied from the loss downwards (the order backprop uses, so a
        single path's product equals the gradient bit for bit)."""
        products = []
        for path in self.network.paths[param]:
            p = self.factors[path[0].key]
            for edge in path[1:]:
                p = p * self.factors[edge.key]
            products.append(p)
        return products


class Network:
    """A compiled graph: `evaluate` gives a Trace; `run` takes gradient steps."""

    def __init__(self, nodes: Sequence[Node], inputs: dict[str, float], loss: str):
        self.nodes = list(nodes)
        self.inputs = dict(inputs)
        self.by_name = {n.name: n for n in self.nodes}
        if loss not in self.by_name or self.by_name[loss].kind != "op":
            raise ValueError(f"loss {loss!r} is not an op node")
        self.loss = loss
        # the least the loss can approach, when that is above 0 (set by the
        # builder that knows the output's range)
        self.floor: float | None = None
        # a chain's weights from input to output (empty for other shapes), for
        # comparing the first layer's gradient with the last's
        self.layer_weights: tuple[str, ...] = ()
        self.params = tuple(n.name for n in self.nodes if n.kind == "param")
        self.weights = tuple(n.name for n in self.nodes if n.role == "weight")
        self.biases = tuple(n.name for n in self.nodes if n.role == "bias")
        if not self.params:
            raise ValueError("the network has no parameters")
        self.edges = self._edges_on_paths()
        self.paths = {p: self._paths_to(p) for p in self.params}
        for p, ps in self.paths.items():
            if not ps:
                raise ValueError(f"the loss does not depend on {p}")
        # How many parameters' paths use each edge: > 1 means backprop computes
        # that factor (and the upstream product through it) once for several
        # gradients.
        self.edge_users: dict[tuple[str, str], set[str]] = {}
        for p, ps in self.paths.items():
            for path in ps:
                for e in path:
                    self.edge_users.setdefault(e.key, set()).add(p)
        self._compile()

    # -- structure --

    def _edges_on_paths(self) -> list[Edge]:
        """Edges that lie on some path from the loss down to a parameter, in
        backward order (from the loss down)."""
        reaches_param: set[str] = set(self.params)
        for n in self.nodes:  # forward order: args come before their users
            if n.kind == "op" and any(a in reaches_param for a in n.args):
                reaches_param.add(n.name)
        needed: set[str] = {self.loss}
        edges: list[Edge] = []
        for n in reversed(self.nodes):
            if n.name not in needed or n.kind != "op":
                continue
            op = OPS[n.op]
            vargs = [_v(x) for x in n.args]
            logit = self.logit_of(n.name)
            for i, a in enumerate(n.args):
                if a not in reaches_param:
                    continue
                formula, _ = op.local(i, n.name, n.args)
                _, python = op.local(i, _v(n.name), vargs)
                if logit is not None and i == 0:
                    python = op.logit_slope(_v(logit), vargs[1])
                edges.append(Edge(n.name, a, formula, python, op.explain(i, n.name, n.args)))
                needed.add(a)
        return edges

    def _paths_to(self, param: str) -> list[list[Edge]]:
        out_edges: dict[str, list[Edge]] = {}
        for e in self.edges:
            out_edges.setdefault(e.out, []).append(e)
        paths: list[list[Edge]] = []

        def walk(node: str, prefix: list[Edge]) -> None:
            if node == param:
                paths.append(prefix)
                return
            for e in out_edges.get(node, []):
                walk(e.inp, prefix + [e])

        walk(self.loss, [])
        return paths

    @property
    def adjoint_nodes(self) -> list[str]:
        """Nodes whose adjoint dJ/dn is computed, from the loss downwards in
        reverse forward order, so every consumer's adjoint comes first."""
        needed = {self.loss} | {e.inp for e in self.edges}
        return [n.name for n in reversed(self.nodes) if n.name in needed]

    # -- code generation --

    def logit_of(self, name: str) -> str | None:
        """For a loss over σ(z) that can be computed from z: z's name."""
        n = self.by_name[name]
        if n.kind != "op" or OPS[n.op].logit_forward is None:
            return None
        arg = self.by_name[n.args[0]]
        return arg.args[0] if arg.kind == "op" and arg.op == "sigmoid" else None

    def _forward_lines(self, rename: Callable[[str], str]) -> list[str]:
        lines = []
        for n in self.nodes:
            if n.kind != "op":
                continue
            logit = self.logit_of(n.name)
            if logit is not None:
                expr = OPS[n.op].logit_forward(rename(logit), rename(n.args[1]))
            else:
                expr = OPS[n.op].forward([rename(a) for a in n.args])
            lines.append(f"{rename(n.name)} = {expr}")
        return lines

    def _backward_lines(self) -> list[str]:
        """Local factors, then adjoints accumulated from the loss down."""
        lines = [f"{_d(e)} = {e.python}" for e in self.edges]
        incoming: dict[str, list[Edge]] = {}
        for e in self.edges:
            incoming.setdefault(e.inp, []).append(e)
        for name in self.adjoint_nodes[1:]:
            terms = []
            for e in incoming[name]:
                # dJ/dJ = 1, so the factor next to the loss is its own adjoint
                # (no multiplication by 1.0, which keeps products bit-exact).
                terms.append(_d(e) if e.out == self.loss else f"{_g(e.out)} * {_d(e)}")
            lines.append(f"{_g(name)} = {' + '.join(terms)}")
        return lines

    def _compile(self) -> None:
        ns: dict[str, object] = {
            "_exp": math.exp,
            "_tanh": math.tanh,
            "_log": math.log,
            "_inf": math.inf,
            "_nan": math.nan,
            "_sig_slope": _sig_slope,
            "_tanh_slope": _tanh_slope,
            "_bce_logit": _bce_logit,
            "_bce_slope": _bce_slope,
        }
        inputs = ", ".join(f"{_v(k)}={v!r}" for k, v in self.inputs.items())
        params = ", ".join(_v(p) for p in self.params)
        op_nodes = [n.name for n in self.nodes if n.kind == "op"]
        ident = _v

        # evaluate(params) -> every value, factor and adjoint, in slot order
        slots = (
            [_v(n.name) for n in self.nodes]
            + [_d(e) for e in self.edges]
            + [_g(n) for n in self.adjoint_nodes[1:]]
        )
        src = [f"def evaluate({params}, *, {inputs}):"]
        src += ["    " + line for line in self._forward_lines(ident)]
        src += ["    " + line for line in self._backward_lines()]
        src += [f"    return ({', '.join(slots)},)"]

        self.source = "\n".join(src)
        self._namespace = ns
        self._inputs_signature = inputs
        exec(compile(self.source, f"<bptui network {self.loss}>", "exec"), ns)
        self._evaluate = ns["evaluate"]
        self._op_nodes = op_nodes
        self._runner_factories: dict[tuple, Callable] = {}
        self._loss_grid: Callable | None = None

    def loss_grid(self, params: Sequence[float], i: int, j: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The loss over a grid: parameter i takes the values of array a,
        parameter j those of b (same shape), the others stay at `params`.
        One numpy pass over the whole grid; no warnings, whatever the values
        (a cell that overflows is inf or nan)."""
        if self._loss_grid is None:
            src = [f"def loss_grid({', '.join(_v(p) for p in self.params)}, *, {self._inputs_signature}):"]
            for n in self.nodes:
                if n.kind != "op":
                    continue
                op = OPS[n.op]
                args = [_v(x) for x in n.args]
                logit = self.logit_of(n.name)
                if logit is not None:
                    expr = f"_np_bce_logit({_v(logit)}, {args[1]})"
                else:
                    expr = op.np_forward(args) if op.np_forward else op.forward(args)
                src.append(f"    {_v(n.name)} = {expr}")
            src.append(f"    return {_v(self.loss)}")
            ns = dict(self._namespace, _np=np, _np_sigmoid=_np_sigmoid, _np_bce=_np_bce, _np_bce_logit=_np_bce_logit)
            exec(compile("\n".join(src), f"<bptui grid {self.loss}>", "exec"), ns)
            self._loss_grid = ns["loss_grid"]
        args: list[object] = list(params)
        args[i], args[j] = a, b
        with np.errstate(all="ignore"):
            return np.asarray(self._loss_grid(*args), dtype=np.float64) * np.ones_like(a)

    def _runner_source(self, amounts: dict[str, str | None]) -> str:
        """make_runner(record, tag) -> run(state, lr, n): up to n steps from
        `state` (params, then op values). Each step is backward at the current
        weights, every weight updated from the same gradients (w − lr × its
        amount, by default its gradient), forward at the new weights, then
        record((params..., J, lr, tag)). A step whose new weights or J are not
        finite is not recorded: run returns at once with (steps taken, None,
        the offending values), and the caller recomputes the last good state
        from its recorded weights."""
        state = [_v(p) for p in self.params] + [_v(n) for n in self._op_nodes]
        # every amount is computed before any weight moves, so the update can
        # overwrite the weights in place
        updates = [f"a_{p} = {amounts[p]}" for p in self.params if amounts[p] is not None]
        updates += [f"{_v(p)} = {_v(p)} - lr * a_{p}" for p in self.params if amounts[p] is not None]
        # x * 0.0 is 0.0 for every finite x and nan for ±inf and nan, so one
        # comparison checks them all without any overflow of its own.
        checked = [_v(p) for p in self.params] + [_v(self.loss)]
        finite = " + ".join(f"{c} * 0.0" for c in checked)
        # bce's slope (o − y)/(o(1 − o)) cannot be formed once o or 1 − o is
        # exactly 0, though J may still be finite there: such a step would
        # leave the next one nothing to compute, so it is refused too
        for name, guard in self.domain_guards():
            checked.append(_v(name))
            finite += f" + {guard} * 0.0"
        row = [_v(p) for p in self.params] + [_v(self.loss), "lr", "tag"]
        body = self._backward_lines() + updates + self._forward_lines(_v)
        # math functions as keyword defaults: locals, not global look-ups
        helpers = ("_exp", "_tanh", "_log", "_inf", "_nan", "_sig_slope", "_tanh_slope", "_bce_logit", "_bce_slope")
        local = ", ".join([self._inputs_signature, *(f"{h}={h}" for h in helpers)])
        src = [
            "def make_runner(record, tag):",
            f"    def run(state, lr, n, *, {local}):",
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
            f"    def run1(state, lr, *, {local}):",
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

    # -- running --

    def evaluate(self, params: Sequence[float]) -> Trace:
        out = self._evaluate(*params)
        nn = len(self.nodes)
        ne = len(self.edges)
        values = {n.name: out[i] for i, n in enumerate(self.nodes)}
        factors = {e.key: out[nn + i] for i, e in enumerate(self.edges)}
        adjoints = {self.loss: 1.0}
        for i, name in enumerate(self.adjoint_nodes[1:]):
            adjoints[name] = out[nn + ne + i]
        return Trace(values, factors, adjoints, self)

    def make_runner(
        self,
        record: Callable[[tuple[float, ...]], None],
        amounts: dict[str, str | None] | None = None,
        tag: float = 0.0,
    ) -> Callable:
        """Stepping functions that pass each step's (params..., J, lr, tag)
        to `record`: run(state, lr, n) -> (taken, new state, None), or, when a
        step would leave the finite numbers, (taken, None, bad values); and
        run1(state, lr) -> the new state, or None for a refused step (run
        then says why): one step with no loop to set up.
        `amounts` maps each parameter to what lr multiplies in its update (a
        python expression in the compiled code's names, None: not updated);
        by default its gradient."""
        if amounts is None:
            amounts = {p: _g(p) for p in self.params}
        key = tuple(amounts[p] for p in self.params)
        factory = self._runner_factories.get(key)
        if factory is None:
            ns = dict(self._namespace)
            source = self._runner_source(amounts)
            exec(compile(source, f"<bptui runner {self.loss}>", "exec"), ns)
            factory = self._runner_factories[key] = ns["make_runner"]
        return factory(record, tag)

    def domain_guards(self) -> list[tuple[str, str]]:
        """(node, python expression) pairs: the expression must be finite for
        the next gradient to exist. bce over σ(z): its slope from z (so z's
        magnitude must stay below about 710); bce over anything else: o
        strictly inside (0, 1)."""
        node = self.by_name[self.loss]
        if node.op != "bce":
            return []
        logit = self.logit_of(self.loss)
        if logit is not None:
            return [(logit, OPS["bce"].logit_slope(_v(logit), _v(node.args[1])))]
        o = _v(node.args[0])
        return [(node.args[0], f"(0.0 if 0.0 < {o} < 1.0 else _nan)")]

    @property
    def domain_guarded(self) -> list[str]:
        return [name for name, _ in self.domain_guards()]

    def guard_note(self, name: str, value: float) -> str:
        """Why a guarded value leaves the next gradient nothing to compute."""
        from bptui.numfmt import fmt

        if name == self.logit_of(self.loss):
            # (o − y)/(o(1 − o)) grows like e^|z|: past |z| ≈ 710 it leaves the
            # doubles (y = 0 or 1 on the side it fits cancel, and never do)
            return (
                f"{name} = {fmt(value, keep_zeros=False)}, where bce's factor (o − y)/(o(1 − o)) ≈ e^|{name}| "
                f"is past the largest double (|{name}| must stay below about 710)"
            )
        return f"{name} = {value:g} exactly, where bce's slope ({name} − y)/({name}(1 − {name})) breaks down"

    @property
    def loss_slot(self) -> int:
        """Where J sits among the op values of a run-loop state."""
        return self._op_nodes.index(self.loss)

    def state_of(self, trace: Trace) -> tuple[float, ...]:
        """The run-loop state (params, then op values) of a trace."""
        return tuple(trace.values[p] for p in self.params) + tuple(
            trace.values[n] for n in self._op_nodes
        )


def _v(name: str) -> str:
    return "v_" + name


def _d(e: Edge) -> str:
    return f"d_{e.out}__{e.inp}"


def _g(name: str) -> str:
    return "g_" + name

