"""A scenario: which network, and its starting point (inputs, target,
weights, biases, learning rate). The question's is the default.

Also the validation every user-typed number goes through (CLI flags and the
learning-rate input share it), so both give the same clear messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bptui.engine import Engine
from bptui.graph import OPS, Network
from bptui.networks import MAZUR_WEIGHTS, chain_network, check_chain, mazur_network
from bptui.numfmt import fmt
from bptui.optimizers import DEFAULT_BETAS, DEFAULT_EPS, DEFAULT_MOMENTUM, Optimizer, check_optimizer
from bptui.rules import rules_for

QUESTION_SEED = 10
MAX_SEED = 2**32 - 1
PRESETS = ("question", "mazur")
# what the mazur preset fixes: a setting among these given with it is refused,
# never silently ignored
MAZUR_FIXED = ("x", "y", "seed", "biases", "activation", "loss", "layers")
# what a mazur scenario may set
MAZUR_SETTINGS = ("preset", "weights", "lr", "optimizer", "momentum", "betas", "eps")


@dataclass(frozen=True)
class Scenario:
    """Everything a run starts from. The defaults are the question's."""

    preset: str = "question"
    x: float = 2.0
    y: float = 4.0
    lr: float = 0.5
    seed: int = QUESTION_SEED
    weights: tuple[float, ...] | None = None  # None: drawn from the seed (chain)
    biases: tuple[float, ...] | None = None  # None: no biases (chain)
    activation: str = "sigmoid"
    loss: str = "se"
    layers: int = 2
    # what a step does with the gradient (bptui.optimizers): sgd, momentum, adam
    optimizer: str = "sgd"
    momentum: float = DEFAULT_MOMENTUM
    betas: tuple[float, float] = DEFAULT_BETAS
    eps: float = DEFAULT_EPS

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """ValueError naming the setting and the reason, if anything is off."""
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {self.preset!r}")
        for name in ("x", "y", "lr"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ValueError(f"{name} must be finite, not {v}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, not {self.lr:g}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}, not {short_int(self.seed)}")
        for name in ("weights", "biases"):
            values = getattr(self, name)
            if values is not None and not all(math.isfinite(v) for v in values):
                raise ValueError(f"{name} must all be finite")
        check_optimizer(self.optimizer, self.momentum, tuple(self.betas), self.eps)
        # a setting of another optimizer would do nothing: say so, not ignore it
        owners = {"momentum": "momentum", "betas": "adam", "eps": "adam"}
        for k, owner in owners.items():
            if owner != self.optimizer and getattr(self, k) != getattr(Scenario, k):
                raise ValueError(f"{k} is a setting of the {owner} optimizer, not of {self.optimizer}: "
                                 f"drop {k} or choose optimizer {owner}")  # fmt: skip
        if self.preset == "mazur":
            changed = [name for name in MAZUR_FIXED if getattr(self, name) != getattr(Scenario, name)]
            if changed:
                raise ValueError(mazur_conflict(changed))
            if self.weights is not None and len(self.weights) != 8:
                raise ValueError(f"weights: the mazur preset has 8 weights (w1..w8), got {len(self.weights)}")
            return
        check_chain(self.layers, self.activation, self.loss, self.y)
        for name in ("weights", "biases"):
            values = getattr(self, name)
            if values is not None and len(values) != self.layers:
                raise ValueError(
                    f"{name}: expected {self.layers} value{'s' * (self.layers > 1)} "
                    f"(one per layer), got {len(values)}"
                )

    def network(self) -> Network:
        if self.preset == "mazur":
            return mazur_network()
        return chain_network(self.layers, self.activation, self.loss, self.biases is not None, self.x, self.y)

    def initial_weights(self) -> tuple[float, ...]:
        """Starting weights (not biases): as given, or drawn from the seed."""
        if self.weights is not None:
            return tuple(self.weights)
        if self.preset == "mazur":
            return MAZUR_WEIGHTS
        return seeded_weights(self.seed, self.layers)

    def make_optimizer(self) -> Optimizer:
        return Optimizer(self.optimizer, self.momentum, tuple(self.betas), self.eps)

    def engine(self, max_steps: int | None = None) -> Engine:
        """A fresh engine at this scenario's start, with its network's rules
        and its optimizer."""
        network = self.network()
        return Engine(network, self.initial_params(), self.lr, rules_for(network), max_steps=max_steps,
                      optimizer=self.make_optimizer())  # fmt: skip

    def initial_params(self) -> tuple[float, ...]:
        """Starting values in the network's parameter order (w1, b1, w2, ...)."""
        weights = self.initial_weights()
        if self.preset == "mazur":
            return weights
        params = []
        for k in range(self.layers):
            params.append(weights[k])
            if self.biases is not None:
                params.append(self.biases[k])
        return tuple(float(p) for p in params)


def mazur_conflict(given: list[str]) -> str:
    return (
        f"the mazur preset fixes its inputs, targets, biases, activation, loss and layers: "
        f"drop {', '.join(given)} (weights and lr may change)"
    )


def build_scenario(settings: Mapping[str, object], names: Mapping[str, str] | None = None) -> Scenario:
    """The scenario that the given settings (and defaults for the rest)
    describe; ValueError saying why not. A setting the mazur preset fixes is
    refused when it is given at all, even with the default's value: the user
    asked for something the preset will not do. `names` says how to call a
    key in that message (`--x`, `x (in FILE)`)."""
    if settings.get("preset") == "mazur":
        given = [k for k in MAZUR_FIXED if k in settings]
        if given:
            raise ValueError(mazur_conflict([(names or {}).get(k, k) for k in given]))
    return Scenario(**settings)


def short_int(n: int) -> str:
    """A whole number for a message: a huge one by its first digits and length."""
    text = str(n)
    return text if len(text) <= 24 else f"{text[:6]}… ({len(text)} digits)"


def seeded_weights(seed: int, n: int) -> tuple[float, ...]:
    """np.random.seed(seed) then np.random.rand() n times, as the question draws
    its weights. The legacy global generator is a RandomState; a private one
    gives the same numbers without touching numpy's global state."""
    rng = np.random.RandomState(seed)
    return tuple(float(rng.random_sample()) for _ in range(n))


def question_network(x: float, y: float) -> Network:
    """z1 = w1·x, h = σ(z1), z2 = w2·h, o = σ(z2), J = (o − y)²."""
    return chain_network(2, "sigmoid", "se", False, x, y)


def standing_note(network: Network) -> str | None:
    """What the bottom line says while nothing else needs saying: why the loss
    cannot reach 0, and any convention a factor uses (relu′(0))."""
    notes = [floor_note(network)]
    notes += sorted({OPS[n.op].note for n in network.nodes if n.kind == "op" and OPS[n.op].note})
    notes = [n for n in notes if n]
    return "  ".join(notes) or None


def floor_note(network: Network) -> str | None:
    """Why J cannot reach 0, and the least it can approach, when that is > 0."""
    floor = network.floor
    if floor is None:
        return None
    out = network.by_name["o"]
    activation = out.op
    y = network.inputs["y"]
    loss_op = network.by_name[network.loss].op
    if loss_op == "bce":
        return f"with bce, J ≥ H(y), the entropy of y = {fmt(y, keep_zeros=False)}: at best J = {fmt(floor)}, never 0."
    op = OPS[activation]
    lo, hi = op.out_range
    edge = hi if y > hi else lo
    e = fmt(edge, keep_zeros=False)
    half = "½" if loss_op == "half_se" else ""
    name = "σ" if activation == "sigmoid" else activation
    if op.out_closed:  # relu: o = 0 is reached, and with it the floor
        return (
            f"y = {fmt(y, keep_zeros=False)} is below {name}'s range [{fmt(lo, keep_zeros=False)}, ∞): "
            f"J ≥ {half}({e} − y)² = {fmt(floor, keep_zeros=False)}, reached when o = {e}, never less."
        )
    return (
        f"y = {fmt(y, keep_zeros=False)} is outside {name}'s range "
        f"({fmt(lo, keep_zeros=False)}, {fmt(hi, keep_zeros=False)}): "
        f"J can near {half}({e} − y)² = {fmt(floor, keep_zeros=False)}, never 0."
    )


# --- validation of typed numbers ---------------------------------------------


def parse_finite(text: str, what: str) -> float:
    """A finite float from user text, or ValueError saying why not."""
    s = text.strip()
    if not s:
        raise ValueError(f"{what} is empty: type a number such as 0.5")
    plain = s.replace("−", "-")
    if not plain.isascii() or "_" in plain:  # float() also takes 1_0, ٣ and １
        raise ValueError(f"{what} must be a number written with 0-9, not {quote_answer(s)}")
    try:
        value = float(plain)
    except ValueError:
        raise ValueError(f"{what} must be a number, not {quote_answer(s)}") from None
    if math.isnan(value):
        raise ValueError(f"{what} must be a number, not nan")
    if math.isinf(value):
        if s.lower().lstrip("+-").startswith("inf"):
            raise ValueError(f"{what} must be finite, not {s}")
        raise ValueError(f"{what} must be finite: {s} is too large for a double (max ≈ 1.8e308)")
    return value


def parse_whole(text: str, what: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] from user text, or ValueError saying why not.
    Digits may be grouped by commas in threes, as counts are shown (10,000);
    int() would also take 1_000, ٣ and １, which are refused."""
    s = text.strip()
    if not s:
        raise ValueError(f"{what} is empty: type a whole number such as {lo:,}")
    if not s.isascii() or "_" in s:
        raise ValueError(f"{what} must be a whole number written with 0-9, not {quote_answer(s)}")
    plain = s
    if "," in s:
        if not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", s):
            raise ValueError(f"{what}: commas group digits in threes (10,000), not {quote_answer(s)}")
        plain = s.replace(",", "")
    if not re.fullmatch(r"[+-]?\d+", plain):
        raise ValueError(f"{what} must be a whole number, not {quote_answer(s)}")
    value = int(plain) if len(plain) < 40 else (hi + 1 if not plain.startswith("-") else lo - 1)
    if not lo <= value <= hi:
        shown = f"{value:,}" if len(plain) < 40 else f"{plain[:12]}…"
        raise ValueError(f"{what} must be between {lo:,} and {hi:,}, not {shown}")
    return value


def quote_answer(s: str, most: int = 40) -> str:
    """A user's text in a message: quoted, and cut if long."""
    return repr(s if len(s) <= most else s[:most] + "…")


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
