"""The scalar operations a network is built from.

Each op states its forward rule beside the local derivative of its output with
respect to each input (as micrograd's engine.py does), both as a formula for
the screen and as a Python expression for the compiled code, with the words
that explain them. The same templates serve the screen (filled with node
names) and the compiled code (filled with variable names), so the two cannot
disagree. Every expression stays finite or turns into inf/nan quietly: no op
may raise (no exp overflow, no log of 0, no division by 0), whatever its
inputs. This module never imports Textual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from bptui.numfmt import fmt


@dataclass(frozen=True)
class FromLogit:
    """A loss over σ(z) computed from z itself, as frameworks' *WithLogits
    losses are: exact where σ(z) rounds to 0 or 1. Templates in {z} (the
    logit) and {y} (the target)."""

    over: str  # the op whose input is the logit: "sigmoid"
    forward: str
    np_forward: str
    # d loss/d o at o = σ(z), from z: the local factor, and what must stay
    # finite for the next gradient to exist
    slope: str
    guard_note: Callable[[str, float], str]  # (logit's name, its value) -> why the step is refused


@dataclass(frozen=True)
class Op:
    """One operation. Each callable takes its inputs' names (node names for
    the screen, variable names for the compiled code) and gives text."""

    name: str
    arity: int | None  # None: any number of inputs (see each op)
    formula: Callable[[Sequence[str]], str]
    forward: Callable[[Sequence[str]], str]
    # local(i, out, args) -> d(out)/d(input i) as (formula, python)
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
    # for a loss: a python expression in its inputs that must be finite for
    # the next gradient to exist, and why a value that breaks it does
    guard: Callable[[Sequence[str]], str] | None = None
    guard_note: Callable[[str, float], str] | None = None
    from_logit: FromLogit | None = None


def unary(
    name: str, *, formula: str, forward: str, local: tuple[str, str], explain: str, np_forward: str = "", **kw
) -> Op:
    """An activation: templates in {z} (its input) and {o} (its output)."""
    return Op(
        name,
        1,
        formula=lambda a: formula.format(z=a[0]),
        forward=lambda a: forward.format(z=a[0]),
        np_forward=(lambda a: np_forward.format(z=a[0])) if np_forward else None,
        local=lambda i, out, a: (local[0].format(z=a[0], o=out), local[1].format(z=a[0], o=out)),
        explain=lambda i, out, a: explain.format(z=a[0], o=out),
        **kw,
    )


def loss(
    name: str,
    *,
    formula: str,
    forward: str,
    local: Sequence[tuple[str, str]],
    explain: str,
    np_forward: str = "",
    guard: str = "",
    **kw,
) -> Op:
    """A loss J = loss(o, y): templates in {o} (the output), {y} (the target)
    and {J}; local[i] is the factor for input i."""

    def fill(t: str, out: str, a: Sequence[str]) -> str:
        return t.format(o=a[0], y=a[1], J=out)

    return Op(
        name,
        2,
        formula=lambda a: fill(formula, "", a),
        forward=lambda a: fill(forward, "", a),
        np_forward=(lambda a: fill(np_forward, "", a)) if np_forward else None,
        local=lambda i, out, a: (fill(local[i][0], out, a), fill(local[i][1], out, a)),
        explain=lambda i, out, a: fill(explain, out, a),
        guard=(lambda a: fill(guard, "", a)) if guard else None,
        **kw,
    )


# --- σ ------------------------------------------------------------------------
# With e = e^(−|z|), which never overflows, σ(z) = 1/(1 + e) for z ≥ 0 and
# e/(1 + e) below, and 1 − σ(z) is the other of the two, to full precision.
# That is every σ here: the compiled forward inlines it (e^(−z) is e^(−|z|) on
# the branch that takes it), numpy does it over arrays, and bce's slope from
# the logit forms the pair in its own body (calling a helper for it cost that
# step 7%).

SIGMOID = "(1.0 / (1.0 + _exp(-{z})) if {z} >= 0.0 else (_e := _exp({z})) / (1.0 + _e))"


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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


# --- bce ------------------------------------------------------------------------


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
        o, q = 1.0 / (1.0 + e), e / (1.0 + e)  # σ(z) and 1 − σ(z)
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


def _np_bce(o: np.ndarray, y: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        first = y * np.log(o) if y != 0.0 else 0.0
        second = (1.0 - y) * np.log(1.0 - o) if y != 1.0 else 0.0
    return 0.0 - (first + second)


def _safe_log(v: str) -> str:
    return f"(_log({v}) if {v} > 0.0 else -_inf)"


def _bce_logit_note(name: str, value: float) -> str:
    # (o − y)/(o(1 − o)) grows like e^|z|: past |z| ≈ 710 it leaves the
    # doubles (y = 0 or 1 on the side it fits cancel, and never do)
    return (
        f"{name} = {fmt(value, keep_zeros=False)}, where bce's factor (o − y)/(o(1 − o)) ≈ e^|{name}| "
        f"is past the largest double (|{name}| must stay below about 710)"
    )


def _bce_note(name: str, value: float) -> str:
    return f"{name} = {value:g} exactly, where bce's slope ({name} − y)/({name}(1 − {name})) breaks down"


# --- weighted sums --------------------------------------------------------------


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


# --- the ops --------------------------------------------------------------------

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
    "sigmoid": unary(
        "sigmoid",
        formula="σ({z})",
        forward=SIGMOID,
        np_forward="_np_sigmoid({z})",
        local=("{o}(1 − {o})", "({o} * (1.0 - {o}) if {z} * {z} < 100.0 else _sig_slope({z}))"),
        explain="σ's slope σ(z)(1 − σ(z)), at most ¼; near 0 when {o} is close to 0 or 1",
        rule="σ(z) = 1/(1 + e^(−z)) squashes any z into (0, 1)",
        out_range=(0.0, 1.0),
    ),
    "tanh": unary(
        "tanh",
        formula="tanh({z})",
        forward="_tanh({z})",
        np_forward="_np.tanh({z})",
        local=("1 − {o}²", "(1.0 - {o} * {o} if {z} * {z} < 25.0 else _tanh_slope({z}))"),
        explain="tanh's slope 1 − tanh(z)², at most 1; near 0 when {o} is close to ±1",
        rule="tanh squashes any z into (−1, 1)",
        out_range=(-1.0, 1.0),
    ),
    "relu": unary(
        "relu",
        formula="relu({z})",
        forward="({z} if {z} > 0.0 else 0.0)",
        np_forward="_np.maximum({z}, 0.0)",
        # written so that nan stays nan instead of becoming 0
        local=("[{z} > 0]", "(1.0 if {z} > 0.0 else {z} * 0.0)"),
        explain="relu's slope: 1 where {z} > 0, else 0 (relu′(0) is taken as 0)",
        rule="relu(z) = max(z, 0)",
        note="relu′(0) is taken as 0 here.",
        out_range=(0.0, math.inf),
        out_closed=True,
    ),
    "linear": unary(
        "linear",
        formula="{z}",
        forward="{z}",
        local=("1", "1.0"),
        explain="a linear unit passes the gradient through unchanged",
        rule="a linear unit passes z through unchanged",
    ),
    "se": loss(
        "se",
        formula="({o} − {y})²",
        forward="({o} - {y}) * ({o} - {y})",
        local=[("2({o} − {y})", "2.0 * ({o} - {y})"), ("−2({o} − {y})", "-2.0 * ({o} - {y})")],
        explain="how fast the squared error grows as the output rises: twice the error",
        rule="the squared error: the cost to make small",
    ),
    "half_se": loss(
        "half_se",
        formula="½({o} − {y})²",
        forward="0.5 * ({o} - {y}) * ({o} - {y})",
        local=[("{o} − {y}", "{o} - {y}"), ("−({o} − {y})", "{y} - {o}")],
        explain="the error itself: the ½ cancels the 2 of the square",
        rule="half the squared error: the ½ makes its slope the error itself",
    ),
    "bce": loss(
        "bce",
        # short on screen; the help spells it out
        formula="bce({o}, {y})",
        # 0·ln 0 is taken as 0 (the limit), so a target of exactly 0 or 1 works;
        # 0.0 − (…) rather than −(…), so a perfect fit shows J = 0, not −0
        forward=(
            f"0.0 - (({{y}} * {_safe_log('{o}')} if {{y}} != 0.0 else 0.0)"
            f" + ((1.0 - {{y}}) * {_safe_log('(1.0 - {o})')} if {{y}} != 1.0 else 0.0))"
        ),
        np_forward="_np_bce({o}, {y})",
        local=[
            ("({o}−{y})/({o}(1−{o}))", "(({o} - {y}) / ({o} * (1.0 - {o})) if 0.0 < {o} < 1.0 else _nan)"),
            ("ln(1 − {o}) − ln {o}", f"({_safe_log('(1.0 - {o})')} - {_safe_log('{o}')})"),
        ],
        explain=(
            "{J} = bce({o}, {y}) = −[{y}·ln {o} + (1 − {y})·ln(1 − {o})]; its slope grows "
            "without bound as {o} nears the wrong edge, and times σ's slope leaves just {o} − {y}"
        ),
        # the slope (o − y)/(o(1 − o)) cannot be formed once o or 1 − o is
        # exactly 0, though J may still be finite there
        guard="(0.0 if 0.0 < {o} < 1.0 else _nan)",
        guard_note=_bce_note,
        from_logit=FromLogit(
            over="sigmoid",
            forward="_bce_logit({z}, {y})",
            np_forward="_np_bce_logit({z}, {y})",
            slope="_bce_slope({z}, {y})",
            guard_note=_bce_logit_note,
        ),
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

# The names the compiled expressions above call, in the order the step
# runners take them as keyword defaults (locals, not global look-ups).
RUNTIME: dict[str, object] = {
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
NP_RUNTIME: dict[str, object] = {
    "_np": np,
    "_np_sigmoid": _np_sigmoid,
    "_np_bce": _np_bce,
    "_np_bce_logit": _np_bce_logit,
}
