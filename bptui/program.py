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


@dataclass(frozen=True)
class CodeLine:
    """One line of a step: what it computes, for the code view's values and
    the walk's mark."""

    kind: str  # "forward", "factor", "adjoint", "amount", "update" or "comment"
    name: str  # the node, the edge's "out→inp", or the parameter
    text: str


def step_lines(net, rule: UpdateRule = CORRECT) -> list[CodeLine]:
    """One step, as the engine takes it: backward at the current values
    (each factor, then each dJ/dn from the loss down), every parameter
    updated from those same gradients, then forward at the new values."""
    names = ProgramNames(net.loss)
    lines = [CodeLine("comment", "", "# backward: each local factor, then dJ/dn = upstream × local, from J down")]
    lines += [CodeLine("factor", f"{e.out}→{e.inp}", text) for e, text in zip(net.edges, factor_lines(net, names))]
    for node, text in adjoint_lines(net, names):
        left, right = text.split(" = ", 1)
        if left != right:  # the factor next to the loss is its own dJ/dn
            lines.append(CodeLine("adjoint", node, text))
    if not rule.correct:
        lines.append(CodeLine("comment", "", f"# {rule.title}, as written: {rule.wrong}"))
    else:
        lines.append(CodeLine("comment", "", "# update: every parameter from the same gradients"))
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
        text = f"{p} = {p} - lr * {f'step_{p}' if first else exprs[p]}"
        if empty and p == "w1":
            text += "  # the line the question left empty (w1 -= 0)"
        lines.append(CodeLine("update", p, text))
    lines.append(CodeLine("comment", "", "# forward at the new values"))
    ops_in_order = [n for n in net.nodes if n.kind == "op"]
    lines += [CodeLine("forward", n.name, text) for n, text in zip(ops_in_order, forward_lines(net, names=names))]
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
ALIASES = {"_exp": "math.exp", "_tanh": "math.tanh", "_log": "math.log", "_inf": "math.inf", "_nan": "math.nan"}


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
                   title: str = "") -> str:  # fmt: skip
    """A standalone program: the network at `params`, stepped `steps` times
    at rate `lr` by `rule`; it prints the step, J and every parameter."""
    names = ProgramNames(net.loss)
    body = step_lines(net, rule)
    start = forward_lines(net, names=names)
    checked = [*net.params, net.loss]
    kept = [*net.params, *(n.name for n in net.nodes if n.kind == "op")]  # the state a refused step leaves
    finite = " + ".join(f"{c} * 0.0" for c in checked)
    for node, guard in guards(net, names):
        finite += f" + {guard} * 0.0"
    code = "\n".join([*start, *(line.text for line in body), finite])
    src = [
        '"""' + (title or "A network stepped by gradient descent") + ", written out by bptui.",
        "",
        "Every derivative is a line of the chain rule: a local factor dout_din,",
        f"then the gradient d{net.loss}_dn = upstream × local, from {net.loss} down. Every",
        "parameter is updated from the same gradients. Run it with python3: it",
        f'prints {net.loss} and every parameter after {steps} steps, exactly as bptui trace does."""',
        "",
        "import math",
        "",
        *runtime_source(code),
        "",
        "",
        *(f"{name} = {value!r}" for name, value in net.inputs.items()),
        *(f"{p} = {v!r}" for p, v in zip(net.params, params)),
        f"lr = {lr!r}",
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
    ]
    return "\n".join(src) + "\n"
