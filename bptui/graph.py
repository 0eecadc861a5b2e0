"""A network as a graph of scalar operations (see bptui.ops): its nodes, the
edges on paths from the loss to a parameter, those paths, and the adjoints.

From the graph we derive:

* the local derivative (factor) of every edge on a path from the loss to a
  parameter,
* the adjoint dJ/dn of every node on those paths, accumulated from the loss
  downwards (reverse mode: upstream × local = new upstream, summed where paths
  meet), and so each parameter's gradient,
* the paths from the loss to each parameter, for showing a gradient as the
  product of its factors (or a sum of such products).

The numbers come from the network compiled once to straight-line Python
(bptui.compile). This module never imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from bptui.compile import CompiledNetwork
from bptui.ops import OPS

# OPS is re-exported: the modules that read ops' words import it from here
__all__ = ["OPS", "Node", "Edge", "GraphBuilder", "Trace", "Network"]


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
    words: str = ""  # what the factor means
    index: int = 0  # which of out's inputs inp is

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
    """A compiled graph: `evaluate` gives a Trace; `make_runner` the
    functions that take gradient steps."""

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
        # set by the builder that knows what the inputs mean: why a set of
        # inputs cannot be run (None: it can), and the floor they give
        self.inputs_problem: Callable[[dict[str, float]], str | None] = lambda inputs: None
        self.floor_of: Callable[[dict[str, float]], float | None] = lambda inputs: None
        self.params = tuple(n.name for n in self.nodes if n.kind == "param")
        self.weights = tuple(n.name for n in self.nodes if n.role == "weight")
        self.biases = tuple(n.name for n in self.nodes if n.role == "bias")
        # in forward order; a run-loop state is the params, then these values
        self.op_nodes = [n.name for n in self.nodes if n.kind == "op"]
        if not self.params:
            raise ValueError("the network has no parameters")
        # Decided here, once: a loss over σ(z) that has a from-logit form is
        # computed from z (exact where σ(z) rounds to 0 or 1). Loss node ->
        # its logit; the compiled forward, factor and guard, and the guard's
        # words, all read this.
        self.logits = self._logits()
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
        self._compiled = CompiledNetwork(self)
        self._evaluate = self._compiled.evaluate
        self.source = self._compiled.source

    # -- structure --

    def _logits(self) -> dict[str, str]:
        logits = {}
        for n in self.nodes:
            form = OPS[n.op].from_logit if n.kind == "op" else None
            if form is None:
                continue
            arg = self.by_name[n.args[0]]
            if arg.kind == "op" and arg.op == form.over:
                logits[n.name] = arg.args[0]
        return logits

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
            for i, a in enumerate(n.args):
                if a not in reaches_param:
                    continue
                formula, _ = op.local(i, n.name, n.args)
                edges.append(Edge(n.name, a, formula, op.explain(i, n.name, n.args), i))
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

    def with_inputs(self, **values: float) -> "Network":
        """The same network with other inputs or targets (x = 3, y = 0.5):
        compiled anew, as the inputs are constants of its code. ValueError,
        saying why, for values it cannot run with."""
        for name in values:
            if name not in self.inputs:
                raise ValueError(f"{name} is not an input of this network")
        inputs = {**self.inputs, **{k: float(v) for k, v in values.items()}}
        problem = self.inputs_problem(inputs)
        if problem:
            raise ValueError(problem)
        net = Network(self.nodes, inputs, self.loss)
        net.layer_weights = self.layer_weights
        net.inputs_problem, net.floor_of = self.inputs_problem, self.floor_of
        net.floor = self.floor_of(inputs)
        return net

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
        optimizer=None,
    ) -> Callable:
        """Stepping functions that pass each step's (params..., J, lr, tag)
        to `record`: run(state, lr, n, t) -> (taken, new state, None), or, when a
        step would leave the finite numbers, (taken, None, bad values); and
        run1(state, lr, t) -> the new state, or None for a refused step (run
        then says why): one step with no loop to set up. t: the steps taken
        before (Adam's bias correction counts them).
        `amounts` maps each parameter to what its update starts from (a
        python expression in the compiled code's names, None: not updated);
        by default its gradient. `optimizer` (bptui.optimizers) turns that
        into the step; by default w − lr × amount."""
        return self._compiled.make_runner(self, record, amounts, tag, optimizer)

    def loss_grid(self, params: Sequence[float], i: int, j: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The loss over a grid: parameter i takes the values of array a,
        parameter j those of b (same shape), the others stay at `params`.
        One numpy pass over the whole grid; no warnings, whatever the values
        (a cell that overflows is inf or nan)."""
        return self._compiled.loss_grid(self, params, i, j, a, b)

    def domain_guards(self) -> list[tuple[str, str]]:
        """(node, python expression) pairs: the expression must be finite for
        the next gradient to exist (see bptui.compile.guards)."""
        return self._compiled.guards

    @property
    def domain_guarded(self) -> list[str]:
        return [name for name, _ in self._compiled.guards]

    def guard_note(self, name: str, value: float) -> str:
        """Why a guarded value leaves the next gradient nothing to compute."""
        op = OPS[self.by_name[self.loss].op]
        if name == self.logits.get(self.loss):
            return op.from_logit.guard_note(name, value)
        return op.guard_note(name, value)

    @property
    def loss_slot(self) -> int:
        """Where J sits among the op values of a run-loop state."""
        return self.op_nodes.index(self.loss)

    def state_of(self, trace: Trace) -> tuple[float, ...]:
        """The run-loop state (params, then op values) of a trace."""
        return tuple(trace.values[p] for p in self.params) + tuple(trace.values[n] for n in self.op_nodes)
