"""Predict, then see: the questions a walk asks before it shows a number,
how an answer is judged, the classic mistakes a wrong answer is checked
against, and the score. UI-free (the stepper asks them: stepper_predict).

An operation of the walk asks for what it computes: a forward node's value,
a local factor, the upstream product it forms (where paths meet, their sum),
a weight's new value. Each question carries its rule in words, the revealed
numbers it needs, and its formula with the numbers in, but never the answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bptui.graph import OPS, Network, Trace
from bptui.numfmt import fmt
from bptui.scenario import parse_finite
from bptui.walk import Operation, _n, substitute

TOLERANCE = 0.005  # an answer is right within 0.5 % of the value, and to the precision typed
KINDS = ("forward", "factor", "upstream", "update")
KIND_WORDS = {"forward": "forward", "factor": "factors", "upstream": "upstream", "update": "updates"}
# what a walk asks: every operation, only the gradients, or only the updates
ASKS = ("every", "gradients", "updates")
ASK_WORDS = {
    "every": "every operation",
    "gradients": "the gradients only (each weight's dJ/dw)",
    "updates": "the updates only (each weight's new value)",
}
TRIES = 3  # the third wrong answer shows the value, counted as given up


@dataclass(frozen=True)
class Question:
    kind: str  # one of KINDS
    symbol: str  # what is asked: "h", "dh/dz1", "dJ/dz1", "w1 (new)"
    value: float
    what: str  # what it is, briefly (the prompt says it)
    rule: str  # the rule in words (the first hint)
    given: str  # the revealed numbers it needs
    formula: str  # the formula with the numbers in (the second hint), never the answer
    mistakes: tuple[tuple[str, float], ...] = ()  # (the classic mistake, the value it gives)
    param: str | None = None  # a gradient's or an update's parameter

    @property
    def prompt(self) -> str:
        return f"{self.symbol}: {self.what}" + (f" ({self.given})" if self.given else "")


@dataclass(frozen=True)
class Verdict:
    right: bool
    mistake: str | None = None  # the classic mistake a wrong answer matches


def typed_precision(text: str) -> float:
    """Half a unit of the last digit typed: 1.54 → 0.005, 2e-3 → 0.0005."""
    try:
        exponent = Decimal(text.strip().replace("−", "-")).as_tuple().exponent
    except InvalidOperation:
        return math.inf
    return 0.5 * 10.0 ** exponent if isinstance(exponent, int) else math.inf


def agrees(answer: float, value: float, half_unit: float) -> bool:
    """The answer is the value to the precision typed, and within 0.5 %."""
    if not math.isfinite(value):
        return False
    err = abs(answer - value)
    slack = 1e-12 * max(abs(value), 1e-300)  # the value's own last bits
    return err <= half_unit + slack and (value == 0 and answer == 0 or err <= TOLERANCE * abs(value) + slack)


def judge(text: str, q: Question) -> Verdict:
    """ValueError (from the one parser for typed numbers) if not a number."""
    answer = parse_finite(text, "The answer")
    half = typed_precision(text)
    if agrees(answer, q.value, half):
        return Verdict(True)
    for name, value in q.mistakes:
        if agrees(answer, value, half) and not agrees(value, q.value, half):
            return Verdict(False, name)
    return Verdict(False)


def hint(q: Question, tries: int) -> str:
    """What a wrong answer is told after `tries` wrong tries."""
    if tries == 1:
        return f"the rule: {q.rule}"
    return f"with the numbers in: {q.symbol} = {q.formula}"


# --- the questions of an operation ---------------------------------------------------


def names_in(formula: str, values: dict[str, float]) -> list[str]:
    found = []
    for name in sorted(values, key=len, reverse=True):
        if re.search(rf"(?<![\w/]){re.escape(name)}(?![^\W²]|/)", formula) and name not in found:
            found.append(name)
    return sorted(found, key=formula.find)


def given(names: list[str], values: dict[str, float]) -> str:
    return ", ".join(f"{n} = {fmt(values[n], keep_zeros=False)}" for n in names)


def questions(op: Operation, net: Network, t: Trace, lr: float, amounts: dict[str, float]) -> list[Question]:
    """What the walk's operation `op` asks, in order."""
    v = t.values
    if op.kind == "forward":
        node = net.by_name[op.name]
        formula = node.formula()
        rule = OPS[node.op].rule
        return [Question("forward", op.name, v[op.name], f"the value of {formula}", rule, given(names_in(formula, v), v),
                         substitute(formula, v))]  # fmt: skip
    if op.kind == "backward":
        return _backward(op, net, t)
    p = op.name
    old, a = v[p], amounts[p]
    loss = net.loss
    if op.worked is not None:
        return [_optimizer_question(op, loss, lr, old, a)]
    mistakes = [(f"the wrong sign: {p} + lr × d{loss}/d{p} climbs the cost", old + lr * a),
                (f"the learning rate left out: {p} − d{loss}/d{p}", old - a)]  # fmt: skip
    for q in net.params:
        if q != p and q in t.adjoints:
            mistakes.append((f"d{loss}/d{q} in place of d{loss}/d{p} (the answer's typo: W1 -= learning_rate*dW2)",
                             old - lr * t.adjoints[q]))  # fmt: skip
    return [Question(
        "update", f"{p} (new)", op.new_value, f"{p} after the update", f"{p} − lr × d{loss}/d{p}: a step against the gradient",
        f"{p} = {fmt(old, keep_zeros=False)}, lr = {fmt(lr, keep_zeros=False)}, d{loss}/d{p} = {fmt(a, keep_zeros=False)}",
        f"{_n(old)} − {fmt(lr, keep_zeros=False)} × {_n(a)}", tuple(mistakes), p,
    )]  # fmt: skip


def _optimizer_question(op: Operation, loss: str, lr: float, old: float, g: float) -> Question:
    """A line of an optimizer's update: a moment, a corrected moment, or the
    step. The classic slips: the plain step, and the moments uncorrected."""
    p, worked = op.name, op.worked
    target = worked.line.target
    inputs = dict(worked.inputs)
    names = {"g": f"d{loss}/d{p}", "w": p, "lr": "lr", "t": "t"}
    given = ", ".join(
        f"{names.get(k, k)} = {fmt(x, keep_zeros=False) if k != 't' else int(x)}"
        + (" (the last step's)" if k == target else "")
        for k, x in worked.inputs
    )  # fmt: skip
    mistakes: list[tuple[str, float]] = []
    if target == "w":
        mistakes.append((f"the plain step {p} − lr × d{loss}/d{p}: the optimizer left out", old - lr * g))
    elif target in ("m̂", "v̂"):
        mistakes.append((f"{target[0]} uncorrected: {target} divides by (1 − β{'1' if target == 'm̂' else '2'}ᵗ)",
                         inputs[target[0]]))  # fmt: skip
    symbol = f"{p} (new)" if target == "w" else f"{target}({p})"
    what = f"{p} after the update" if target == "w" else worked.line.words
    return Question("update", symbol, worked.value, what, f"{target} ← {worked.line.formula}", given,
                    worked.numbers, tuple(mistakes), p)  # fmt: skip


def _backward(op: Operation, net: Network, t: Trace) -> list[Question]:
    e = op.edge
    v, loss = t.values, net.loss
    out = net.by_name[e.out]
    factor = t.factors[e.key]
    words = OPS[out.op].explain(e.index, e.out, out.args)
    if len(out.args) == 1:  # an activation
        unit = OPS[out.op].formula(["·"]).replace("(·)", "")
        what = f"the slope of {unit if unit != '·' else 'the identity'} at {e.inp}"
    else:
        what = f"how {e.out} moves with {e.inp}"
    local = Question("factor", e.symbol, factor, what, words, given(names_in(e.formula, v), v),
                     substitute(e.formula, v), tuple(_factor_mistakes(net, t, e)))  # fmt: skip
    if e.out == loss:
        return [local]  # dJ/do is the factor itself: nothing to multiply
    up = t.adjoints[e.out]
    term = up * factor  # exactly as the compiled pass forms it
    incoming = [x for x in net.edges if x.inp == e.inp]
    symbol = f"d{loss}/d{e.inp}"
    mistakes = [(f"a missing factor: the local {e.symbol}", up), (f"a missing factor: the upstream d{loss}/d{e.out}", factor)]
    if e.inp in net.params and len(net.paths[e.inp]) == 1:
        path = net.paths[e.inp][0]
        for skip in path:
            rest = math.prod(t.factors[x.key] for x in path if x is not skip)
            mistakes.append((f"a missing factor of the path: {skip.symbol}", rest))
    if len(incoming) > 1 and op.completes == e.inp:
        # paths meet here: the gradient is the sum of their parts
        parts = [t.adjoints[x.out] * t.factors[x.key] if x.out != loss else t.factors[x.key] for x in incoming]
        mistakes += [(f"only one path: the {len(parts)} paths into {e.inp} add", p) for p in parts]
        shown = " + ".join(_n(p) for p in parts[:-1])
        return [local, Question(
            "upstream", symbol, t.adjoints[e.inp], f"the paths into {e.inp} meet",
            "where paths meet, the gradient is the sum of their parts, each upstream × local",
            f"the other {'part' if len(parts) == 2 else 'parts'} {shown}, d{loss}/d{e.out} = {fmt(up, keep_zeros=False)}, "
            f"{e.symbol} = {fmt(factor, keep_zeros=False)}",
            f"{shown} + {_n(up)} × {_n(factor)}", tuple(mistakes), e.inp if e.inp in net.params else None,
        )]  # fmt: skip
    what = "upstream × local" if len(incoming) == 1 else f"this path's part, via {e.out}"
    rule = f"the chain rule: {symbol} = d{loss}/d{e.out} × {e.symbol}"
    return [local, Question(
        "upstream", symbol if len(incoming) == 1 else f"{symbol} via {e.out}", term, what, rule,
        f"d{loss}/d{e.out} = {fmt(up, keep_zeros=False)}, {e.symbol} = {fmt(factor, keep_zeros=False)}",
        f"{_n(up)} × {_n(factor)}", tuple(mistakes), e.inp if e.inp in net.params and len(incoming) == 1 else None,
    )]  # fmt: skip


def _factor_mistakes(net: Network, t: Trace, e) -> list[tuple[str, float]]:
    v = t.values
    out = net.by_name[e.out]
    found: list[tuple[str, float]] = []
    if out.op == "sigmoid":
        z = e.inp
        # the asker's sigmoid_derivative(x) = x·(1 − x), handed z instead of σ(z)
        found.append((f"σ′ from {z} itself: {z}(1 − {z}) (the question's x·(1 − x) applied to {z}) where "
                      f"{e.out}(1 − {e.out}) belongs", v[z] * (1 - v[z])))  # fmt: skip
        for other in net.nodes:
            if other.op == "sigmoid" and other.name != e.out:
                o = other.name
                found.append((f"{o}(1 − {o}) where {e.out}(1 − {e.out}) belongs", v[o] * (1 - v[o])))
    if e.out == net.loss and out.op in ("se", "half_se"):
        found.append((f"{net.loss} in place of {e.formula} (the question's rule)", v[net.loss]))
    return found


def walk_questions(op: Operation, net: Network, t: Trace, lr: float, amounts: dict[str, float], asks: str) -> list[Question]:
    """The questions `op` asks under `asks` (every / gradients / updates)."""
    qs = questions(op, net, t, lr, amounts)
    if asks == "gradients":
        return [q for q in qs if q.kind == "upstream" and q.param is not None]
    if asks == "updates":
        return [q for q in qs if q.kind == "update"]
    return qs


# --- the score -----------------------------------------------------------------------


@dataclass
class Score:
    """Right on the first try, and asked, for each kind of quantity."""

    asked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def add(self, kind: str, first_try: bool) -> None:
        self.asked[kind] += 1
        self.right[kind] += first_try

    @property
    def total(self) -> tuple[int, int]:
        return sum(self.right.values()), sum(self.asked.values())

    def short(self) -> str:
        right, asked = self.total
        return f"predict {right}/{asked}"

    def by_kind(self) -> str:
        return " · ".join(f"{KIND_WORDS[k]} {self.right[k]}/{self.asked[k]}" for k in KINDS if self.asked[k])

    def as_json(self) -> dict:
        return {k: [self.right[k], self.asked[k]] for k in KINDS}

    @classmethod
    def from_json(cls, data: object) -> "Score":
        """ValueError unless every kind is [right, asked] with 0 ≤ right ≤ asked."""
        score = cls()
        if not isinstance(data, dict) or set(data) - set(KINDS):
            raise ValueError(f"predict must map {', '.join(KINDS)} to [right, asked]")
        for k, pair in data.items():
            if not (isinstance(pair, list) and len(pair) == 2 and all(type(n) is int for n in pair) and 0 <= pair[0] <= pair[1] < 10**9):
                raise ValueError(f"predict's {k} must be [right, asked], whole numbers with right ≤ asked")
            score.right[k], score.asked[k] = pair
        return score
