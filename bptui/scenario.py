"""The question's network and its starting point (x, y, weights, learning rate).

Also the validation every user-typed number goes through (CLI flags and the
learning-rate input share it), so both give the same clear messages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bptui.graph import GraphBuilder, Network
from bptui.numfmt import fmt

QUESTION_SEED = 10
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Scenario:
    x: float = 2.0
    y: float = 4.0
    lr: float = 0.5
    seed: int = QUESTION_SEED
    w1: float | None = None  # None: drawn from the seed, as the question does
    w2: float | None = None

    def initial_weights(self) -> tuple[float, float]:
        # np.random.seed(s); np.random.rand(); np.random.rand() draws from the
        # legacy global RandomState; a private one gives the same numbers
        # without touching numpy's global state.
        rng = np.random.RandomState(self.seed)
        w1 = float(rng.random_sample())
        w2 = float(rng.random_sample())
        return (
            w1 if self.w1 is None else self.w1,
            w2 if self.w2 is None else self.w2,
        )

    def network(self) -> Network:
        return question_network(self.x, self.y)


def question_network(x: float, y: float) -> Network:
    """z1 = w1·x, h = σ(z1), z2 = w2·h, o = σ(z2), J = (o − y)²."""
    g = GraphBuilder()
    g.input("x", x)
    g.param("w1")
    g.op("z1", "mul", "w1", "x")
    g.op("h", "sigmoid", "z1")
    g.param("w2")
    g.op("z2", "mul", "w2", "h")
    g.op("o", "sigmoid", "z2")
    g.input("y", y)
    g.op("J", "se", "o", "y")
    return g.compile(loss="J")


def loss_floor(y: float) -> float | None:
    """The least J = (o − y)² can approach when o = σ(·) lies in (0, 1) and y
    does not: (1 − y)² above the range, y² below it. None when y is reachable."""
    if 0.0 <= y <= 1.0:
        return None
    edge = 1.0 if y > 1 else 0.0
    return (edge - y) * (edge - y)


def target_note(y: float) -> str | None:
    """Why J cannot reach 0 when the target lies outside σ's range; None when
    it can."""
    floor = loss_floor(y)
    if floor is None:
        return None
    edge = "(1 − y)²" if y > 1 else "y²"
    return (
        f"y = {fmt(y, keep_zeros=False)} is outside σ's range (0, 1): "
        f"J can near {edge} = {fmt(floor, keep_zeros=False)}, never 0."
    )


# --- validation of typed numbers ---------------------------------------------


def parse_finite(text: str, what: str) -> float:
    """A finite float from user text, or ValueError saying why not."""
    s = text.strip()
    if not s:
        raise ValueError(f"{what} is empty: type a number such as 0.5")
    try:
        value = float(s.replace("−", "-"))
    except ValueError:
        raise ValueError(f"{what} must be a number, not {s!r}") from None
    if math.isnan(value):
        raise ValueError(f"{what} must be a number, not nan")
    if math.isinf(value):
        if s.lower().lstrip("+-").startswith("inf"):
            raise ValueError(f"{what} must be finite, not {s}")
        raise ValueError(f"{what} must be finite: {s} is too large for a double (max ≈ 1.8e308)")
    return value


def parse_learning_rate(text: str) -> float:
    """A positive finite learning rate, or ValueError saying why not."""
    value = parse_finite(text, "the learning rate")
    if value == 0.0:
        if re.search(r"[1-9]", text.lower().split("e")[0]):
            raise ValueError(f"the learning rate must be positive: {text.strip()} underflows to 0")
        raise ValueError("the learning rate must be positive: 0 would never move the weights")
    if value < 0:
        raise ValueError("the learning rate must be positive: a negative rate climbs the cost instead of descending it")
    return value
