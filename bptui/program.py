"""The step as a program for people: the asker's own program, completed. The
network's own names (x, y, w1, h, o, J), each factor of the chain rule as a
line (do_dz2 = …), each gradient as upstream × local (dJ_dz2 = dJ_do *
do_dz2), and every weight updated from the same gradients, the line the
question left empty filled in.

The lines come from the generators the engine is compiled from
(bptui.compile), in the engine's own order of operations, so the program's
numbers equal the engine's bit for bit. It needs nothing but the standard
library's math. This module never imports Textual.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Sequence

from bptui import ops
from bptui.compile import Names, adjoint_lines, factor_lines, forward_lines, guards
from bptui.optimizers import IDENTIFIERS, SGD, Optimizer
from bptui.rules import CORRECT, UpdateRule, is_question_network


class ProgramNames(Names):
    """x, w1, h: a node's value under its own name; do_dz2 for the factor
    d(o)/d(z2); dJ_dz2 for the adjoint dJ/dz2."""

    def __init__(self, loss: str) -> None:
        self.loss = loss

    def value(self, name: str) -> str:
        return name

    def factor(self, edge) -> str:
        return f"d{edge.out}_d{edge.inp}"

    def adjoint(self, name: str) -> str:
        return f"d{self.loss}_d{name}"


# activations written as a call of a function of their own, as the asker
# wrote sigmoid(x): the function's body is the engine's own expression, so
# every digit is the same, and the step reads as the chain rule
NAMED_OPS = ("sigmoid", "tanh")
SLOPE_NOTES = {
    "sigmoid": "σ′(z) = o(1 − o); from z itself past |z| = 10, where 1 − o keeps few digits",
    "tanh": "tanh′(z) = 1 − o²; from z itself past |z| = 5, where 1 − o² keeps few digits",
}


def op_forward_lines(net, names: "ProgramNames") -> list[str]:
    out = []
    for node, line in zip([n for n in net.nodes if n.kind == "op"], forward_lines(net, names=names)):
        if node.op in NAMED_OPS:
            line = f"{names.value(node.name)} = {node.op}({names.value(node.args[0])})"
        out.append(line)
    return out


def op_factor_lines(net, names: "ProgramNames") -> list[str]:
    out = []
    for e, line in zip(net.edges, factor_lines(net, names)):
        node = net.by_name[e.out]
        if node.op in NAMED_OPS:
            line = f"{names.factor(e)} = {node.op}_slope({names.value(e.inp)}, {names.value(e.out)})"
        out.append(line)
    return out


def op_functions(net) -> list[str]:
    """The functions of the named activations the network uses."""
    out: list[str] = []
    for op_name in NAMED_OPS:
        if any(n.op == op_name for n in net.nodes):
            op = ops.OPS[op_name]
            out += ["", "", f"def {op_name}(z):", f"    return {op.forward(['z'])}"]
            out += ["", "", f"def {op_name}_slope(z, o):", f'    """{SLOPE_NOTES[op_name]}"""',
                    f"    return {op.local(0, 'o', ['z'])[1]}"]  # fmt: skip
    return out


@dataclass(frozen=True)
class CodeLine:
    """One line of a step: what it computes, for the code view's values and
    the walk's mark."""

    kind: str  # "forward", "factor", "adjoint", "amount", "count" (Adam's t), "moment", "update" or "comment"
    name: str  # the node, the edge's "out→inp", or the parameter
    text: str
    slot: str = ""  # a moment: what it computes (an optimizer's m, v, m̂ or v̂)


def optimizer_names(p: str, optimizer: Optimizer, g: str) -> dict[str, str]:
    """The program's names in an optimizer's lines for parameter `p`: its
    state m_w1, v_w1, and m_hat_w1 for m̂."""
    names = {"g": g, "w": p, "lr": "lr", "t": "t"}
    names.update({s: f"{IDENTIFIERS[s]}_{p}" for s in ("m", "v", "m̂", "v̂")})
    return names


def step_lines(net, rule: UpdateRule = CORRECT, optimizer: Optimizer = SGD) -> list[CodeLine]:
    """One step, as the engine takes it: backward at the current values
    (each factor, then each dJ/dn from the loss down), every parameter
    updated from those same gradients (by the optimizer's lines), then
    forward at the new values."""
    names = ProgramNames(net.loss)
    lines = [CodeLine("comment", "", "# backward: each local factor, then dJ/dn = upstream × local, from J down")]
    lines += [CodeLine("factor", f"{e.out}→{e.inp}", text) for e, text in zip(net.edges, op_factor_lines(net, names))]
    for node, text in adjoint_lines(net, names):
        left, right = text.split(" = ", 1)
        if left != right:  # the factor next to the loss is its own dJ/dn
            lines.append(CodeLine("adjoint", node, text))
    if not rule.correct:
        lines.append(CodeLine("comment", "", f"# {rule.title}, as written: {rule.wrong}"))
    else:
        lines.append(CodeLine("comment", "", "# update: every parameter from the same gradients"))
    if optimizer.name != "sgd":
        lines.append(CodeLine("comment", "", f"# by {optimizer.title}" + (", t the step being taken" if optimizer.uses_t else "")))
        if optimizer.uses_t:
            lines.append(CodeLine("count", "t", "t = t + 1.0"))
    amounts = {p: rule.amount_of(p, net) for p in net.params}
    exprs = {p: program_expr(a, names) for p, a in amounts.items() if a is not None}
    # an amount that reads a parameter is taken before any parameter moves
    first = any(re.search(rf"\b{q}\b", e) for e in exprs.values() for q in net.params)
    if first:
        lines += [CodeLine("amount", p, f"step_{p} = {e}") for p, e in exprs.items()]
    empty = is_question_network(net) and rule.correct
    for p in net.params:
        if p not in exprs:
            lines.append(CodeLine("comment", p, f"# {p} is not updated"))
            continue
        if empty and p == "w1":
            lines.append(CodeLine("comment", p, "# the line the question left empty (w1 -= 0):"))
        if optimizer.name == "sgd":
            lines.append(CodeLine("update", p, f"{p} = {p} - lr * {f'step_{p}' if first else exprs[p]}"))
            continue
        g = f"step_{p}" if first else exprs[p] if exprs[p].isidentifier() else f"({exprs[p]})"
        its_names = optimizer_names(p, optimizer, g)
        for line, text in zip(optimizer.lines(), optimizer.code(its_names)):
            kind = "update" if line.target == "w" else "moment"
            lines.append(CodeLine(kind, p, text, "" if kind == "update" else line.target))
    lines.append(CodeLine("comment", "", "# forward at the new values"))
    ops_in_order = [n for n in net.nodes if n.kind == "op"]
    lines += [CodeLine("forward", n.name, text) for n, text in zip(ops_in_order, op_forward_lines(net, names))]
    return lines


def program_expr(expr: str, names: ProgramNames) -> str:
    """An expression in the compiled code's names (v_n, g_n), in the
    program's."""
    expr = re.sub(r"\bg_(\w+)", lambda m: names.adjoint(m.group(1)), expr)
    return re.sub(r"\bv_(\w+)", lambda m: names.value(m.group(1)), expr)


# the helpers the expressions call, and what each needs beside math
HELPERS = {
    "_sig_slope": (), "_tanh_slope": (), "_softplus": (), "_bce_logit": ("_softplus",), "_bce_slope": (),
}  # fmt: skip
ALIASES = {"_sqrt": "math.sqrt", "_exp": "math.exp", "_tanh": "math.tanh", "_log": "math.log", "_inf": "math.inf", "_nan": "math.nan"}


def runtime_source(code: str) -> list[str]:
    """The helpers `code` calls: aliases of math, and the engine's own
    functions (their source, so that every digit agrees)."""
    used = [name for name in (*ALIASES, *HELPERS) if re.search(rf"\b{name}\b", code)]
    for name in list(used):
        used += [d for d in HELPERS.get(name, ()) if d not in used]
    out = [f"{name} = {ALIASES[name]}" for name in ALIASES if name in used]
    for name in HELPERS:
        if name in used:
            out += ["", ""] + inspect.getsource(getattr(ops, name)).rstrip().splitlines()
    return out


def program_source(net, params: Sequence[float], lr: float, steps: int, rule: UpdateRule = CORRECT,
                   title: str = "", optimizer: Optimizer = SGD, state: dict[str, dict[str, float]] | None = None,
                   t: int = 0) -> str:  # fmt: skip
    """A standalone program: the network at `params`, stepped `steps` times
    at rate `lr` by `rule` and `optimizer` (from its `state`, by parameter,
    `t` steps having been taken); it prints the step, J, every parameter
    and the optimizer's state."""
    names = ProgramNames(net.loss)
    body = step_lines(net, rule, optimizer)
    start = op_forward_lines(net, names)
    checked = [*net.params, net.loss]
    slots = {f"{IDENTIFIERS[s]}_{p}": (f"{s}({p})", (state or {}).get(p, {}).get(s, 0.0))
             for p in net.params for s in optimizer.slots}  # fmt: skip
    counted = ["t"] if optimizer.uses_t else []
    # the state a refused step leaves
    kept = [*net.params, *(n.name for n in net.nodes if n.kind == "op"), *slots, *counted]
    finite = " + ".join(f"{c} * 0.0" for c in checked)
    for node, guard in guards(net, names):
        finite += f" + {guard} * 0.0"
    functions = op_functions(net)
    code = "\n".join([*start, *(line.text for line in body), finite, *functions])
    src = [
        '"""' + (title or "A network stepped by gradient descent") + ", written out by bptui.",
        "",
        "Every derivative is a line of the chain rule: a local factor dout_din,",
        f"then the gradient d{net.loss}_dn = upstream × local, from {net.loss} down. Every",
        "parameter is updated from the same gradients"
        + ("." if optimizer.name == "sgd" else f", by {optimizer.title}.") + " Run it with python3: it",
        f'prints {net.loss} and every parameter after {steps} steps, exactly as bptui trace does."""',
        "",
        "import math",
        "",
        *runtime_source(code),
        *functions,
        "",
        "",
        *(f"{name} = {value!r}" for name, value in net.inputs.items()),
        *(f"{p} = {v!r}" for p, v in zip(net.params, params)),
        f"lr = {lr!r}",
        *(f"{name} = {value!r}" for name, (_, value) in slots.items()),
        *(f"t = {float(t)!r}" for _ in counted),
        "",
        "# forward",
        *start,
        "",
        "step = 0",
        f"while step < {steps}:",
        f"    kept = ({', '.join(kept)},)",
        *("    " + line.text for line in body),
        "    # a step that leaves a value no longer finite is not taken",
        f"    if {finite} != 0.0:",
        f"        {', '.join(kept)}, = kept",
        '        print(f"not taken: step {step + 1}, where a value is no longer finite")',
        "        break",
        "    step += 1",
        "",
        'print("step", step)',
        f'print("{net.loss}", repr({net.loss}))',
        *(f'print("{p}", repr({p}))' for p in net.params),
        *(f'print("{shown}", repr({name}))' for name, (shown, _) in slots.items()),
    ]
    return "\n".join(src) + "\n"


@dataclass(frozen=True)
class ShownLine:
    """A line of the code view: its code, its value now (None for a
    comment; PENDING in a walk before it is computed), and whether the walk
    is on it."""

    code: str
    value: float | None
    known: bool = True
    current: bool = False


def annotated_step(net, trace, rule: UpdateRule, lr: float, walk=None, optimizer: Optimizer = SGD,
                   state: dict[str, dict[str, float]] | None = None, t: int = 1) -> list[ShownLine]:  # fmt: skip
    """The step the engine takes next, as code with each line's value: the
    forward pass at the current values, the backward pass, the updates (by
    `optimizer`, from its `state` by parameter, `t` the step being taken).
    In a walk, what it has not computed yet is not known, and the line of
    its current operation is marked."""
    names = ProgramNames(net.loss)
    op = walk.current if walk is not None else None
    amounts = rule.amounts_at(trace)
    out = [ShownLine("# forward", None)]
    for n, text in zip([n for n in net.nodes if n.kind == "op"], op_forward_lines(net, names)):
        current = op is not None and op.kind == "forward" and op.name == n.name
        out.append(ShownLine(text, trace.values[n.name], walk is None or n.name in walk.values, current))
    by_edge = {f"{e.out}→{e.inp}": e for e in net.edges}
    updating = walk is None or bool(walk.updates or walk.moments) or op is not None and op.kind in ("moment", "update")
    worked = {}  # (parameter, target) -> its value, as the step computes it
    for p, a in amounts.items():
        for w in optimizer.explain(a, trace.values[p], (state or {}).get(p, {}), lr, t, net.loss, p):
            worked[p, w.line.target] = w.value
    for line in step_lines(net, rule, optimizer):
        if line.kind == "forward":
            break  # the next state's forward pass is the next step's
        if line.kind == "comment":
            out.append(ShownLine(line.text, None))
        elif line.kind == "factor":
            e = by_edge[line.name]
            current = op is not None and op.kind == "backward" and op.edge is not None and op.edge.key == e.key
            out.append(ShownLine(line.text, trace.factors[e.key], walk is None or e.key in walk.factors, current))
        elif line.kind == "adjoint":
            current = op is not None and op.kind == "backward" and op.completes == line.name
            out.append(ShownLine(line.text, trace.adjoints[line.name], walk is None or line.name in walk.adjoints, current))
        elif line.kind == "amount":
            out.append(ShownLine(line.text, amounts[line.name], updating))
        elif line.kind == "count":
            out.append(ShownLine(line.text, float(t), updating))
        elif line.kind == "moment":
            p, slot = line.name, line.slot
            current = op is not None and op.kind == "moment" and op.name == p and op.slot == slot
            out.append(ShownLine(line.text, worked[p, slot], walk is None or (p, slot) in walk.moments, current))
        else:  # an update
            p = line.name
            current = op is not None and op.kind == "update" and op.name == p
            out.append(ShownLine(line.text, worked[p, "w"], walk is None or p in walk.updates, current))
    return out


def session_program(engine) -> tuple[str, str]:
    """The program of a session, and what it takes: from step 0 through
    every step, when one rate and one rule took them all and nothing was set
    by hand; else the next step from where the session stands."""
    net, n = engine.network, engine.step_count
    title = "The question's network" if is_question_network(net) else "A network"
    one_run = not engine.edits and all(engine.lr_at(k) == engine.lr and engine.rule_at(k) is engine.rule for k in range(1, n + 1))
    start = 0 if one_run else n
    source = program_source(net, engine.params_at(start), engine.lr, n if one_run else 1, engine.rule,
                            f"{title}, steps 0 to {n}" if one_run else f"{title}, the step after step {n}",
                            engine.optimizer, engine.optimizer_state_at(start), engine.t_at(start))  # fmt: skip
    return source, f"its {n} steps" if one_run else "the next step"
