"""What the engine hands out about its steps: one weight's update, a
refused step, what a reset took, a value set by hand, and a watcher of the
history's cuts. This module never imports Textual."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

from bptui.graph import Network
from bptui.numfmt import fmt


@dataclass(frozen=True)
class Update:
    """One weight's change in one step. The amount is its gradient under the
    correct rule (`formula` says what it is); plain descent makes new = old −
    lr × amount, and an optimizer its own `lines` (bptui.optimizers: each
    line, its value and its numbers), the last of which is new."""

    name: str
    old: float
    lr: float
    amount: float
    new: float
    formula: str = ""
    lines: tuple = ()


@dataclass(frozen=True)
class Divergence:
    """A step that was refused because it would leave the finite numbers."""

    step: int  # the step number it would have become
    lr: float
    would_be: dict[str, float]  # the new weights and J it would have produced

    loss: str = "J"
    # values that must stay in a domain for the next gradient to exist (bce's
    # logit), each with why it matters; their would-be values are in would_be
    guard_notes: dict[str, str] = field(default_factory=dict)
    # gradients that are not finite at the weights the step starts from: no
    # rate can help then, only other weights
    stuck: dict[str, float] = field(default_factory=dict)

    def describe(self, keys: bool = True) -> str:
        if self.stuck:
            grads = ", ".join(f"d{self.loss}/d{k} is {_word(v)}" for k, v in self.stuck.items())
            text = f"Step {self.step} not taken: {grads} at these weights, so no learning rate can step from them."
            if keys:
                text += " Undo (u) or reset (r)." if self.step > 1 else " Start from other weights (--weights)."
            return text
        values = {k: v for k, v in self.would_be.items() if k not in self.guard_notes}
        bad = [f"{k} = {_word(v)}" for k, v in values.items() if not math.isfinite(v)]
        if any(k != self.loss for k in values if not math.isfinite(values[k])):
            # J computed from a nan weight says nothing: name the weights only
            bad = [b for b in bad if not b.startswith(f"{self.loss} =")]
        if not bad:  # every value finite: a guard refused the step
            bad = list(self.guard_notes.values())
        text = f"Step {self.step} not taken: at lr {fmt(self.lr, keep_zeros=False)} it gives {', '.join(bad)}."
        if keys:
            text += " Undo (u), reset (r) or change the rate (l, +, -) to go on."
        return text


def _word(v: float) -> str:
    if math.isnan(v):
        return "nan (not a number)"
    return "+inf" if v > 0 else "−inf"


@dataclass(frozen=True)
class ResetMemo:
    """What a reset took away, so that an undo straight after can put it
    back: the whole history, the rate, the rule, the edits made on the way
    (and the network they left) and a refused step."""

    rows: array
    steps: int
    lr: float
    rule_index: int
    divergence: Divergence | None
    edits: tuple[Edit, ...]
    network: Network


class HistoryWatcher:
    """Remembers how far back the history was cut since the watcher last looked,
    so a consumer (the chart) can resynchronise incrementally after undo."""

    def __init__(self, length: int) -> None:
        self.low = length

    def take(self, length: int) -> int:
        low, self.low = self.low, length
        return low


@dataclass(frozen=True)
class Edit:
    """One value set by hand (`=`, or a nudge): a parameter, an input or the
    learning rate. It changes the state of the step it is made at, and keeps
    what it replaced, so that undo restores it bit for bit."""

    step: int
    name: str
    old: float
    new: float
    row: tuple[float, ...]  # that step's history row before the edit
    network: Network  # the network before it (an input's edit makes a new one)
    divergence: "Divergence | None"  # a refused step it lifted

    @property
    def kind(self) -> str:
        if self.name == "lr":
            return "rate"
        return "input" if self.name in self.network.inputs else "parameter"
