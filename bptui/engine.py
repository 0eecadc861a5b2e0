"""Gradient descent on a compiled network, with exact history for undo.

History is kept compactly: one flat array of doubles for the weights of every
step, one for J, one for the learning rate each step used (8 bytes a number,
so 10^6 steps of the question's network take 32 MB). Undo and reset restore
the stored weights and recompute the rest, so every number comes back bit for
bit. This module never imports Textual.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bptui.graph import Network, Trace


@dataclass(frozen=True)
class Update:
    """One weight's change in one step: new = old − lr × grad."""

    name: str
    old: float
    lr: float
    grad: float
    new: float


@dataclass(frozen=True)
class Divergence:
    """A step that was refused because it would leave the finite numbers."""

    step: int  # the step number it would have become
    lr: float
    would_be: dict[str, float]  # the new weights and J it would have produced

    def describe(self) -> str:
        bad = [f"{k} = {_word(v)}" for k, v in self.would_be.items() if not math.isfinite(v)]
        return (
            f"Step {self.step} not taken: at lr {self.lr:.7g} it gives {', '.join(bad)}. "
            "Undo (u), reset (r) or change the rate (l, +, -) to go on."
        )


def _word(v: float) -> str:
    if math.isnan(v):
        return "nan (not a number)"
    return "+inf" if v > 0 else "−inf"


class HistoryWatcher:
    """Remembers how far back the history was cut since the watcher last looked,
    so a consumer (the chart) can resynchronise incrementally after undo."""

    def __init__(self, length: int) -> None:
        self.low = length

    def take(self, length: int) -> int:
        low, self.low = self.low, length
        return low


class Engine:
    def __init__(self, network: Network, params: Sequence[float], lr: float) -> None:
        if len(params) != len(network.params):
            raise ValueError(f"expected {len(network.params)} weights, got {len(params)}")
        params = tuple(float(p) for p in params)
        for name, p in zip(network.params, params):
            if not math.isfinite(p):
                raise ValueError(f"{name} must be finite, not {p}")
        check_learning_rate(lr)
        trace = network.evaluate(params)
        if not math.isfinite(trace.loss):
            raise ValueError(f"{network.loss} is not finite at the starting point ({trace.loss})")
        self.network = network
        self.n_params = len(params)
        self.lr = float(lr)
        self.divergence: Divergence | None = None
        self._weights = array("d", params)  # step k's weights at [k*P : (k+1)*P]
        self._loss = array("d", [trace.loss])
        self._lrs = array("d", [math.nan])  # the rate that produced step k
        self._state = network.state_of(trace)
        self._trace: Trace | None = trace
        self._watchers: list[HistoryWatcher] = []

    # -- state --

    @property
    def step_count(self) -> int:
        return len(self._loss) - 1

    @property
    def trace(self) -> Trace:
        """Every value, factor and gradient of the current state."""
        if self._trace is None:
            self._trace = self.network.evaluate(self.params)
        return self._trace

    @property
    def params(self) -> tuple[float, ...]:
        return self._state[: self.n_params]

    @property
    def loss(self) -> float:
        return self._loss[-1]

    def params_at(self, step: int) -> tuple[float, ...]:
        p = self.n_params
        return tuple(self._weights[step * p : (step + 1) * p])

    def loss_at(self, step: int) -> float:
        return self._loss[step]

    def lr_at(self, step: int) -> float:
        return self._lrs[step]

    def loss_slice(self, start: int, stop: int) -> np.ndarray:
        """J for steps start..stop-1, as a numpy array (a copy)."""
        return np.frombuffer(self._loss[start:stop], dtype=np.float64)

    def watch(self) -> HistoryWatcher:
        w = HistoryWatcher(len(self._loss))
        self._watchers.append(w)
        return w

    @property
    def history_bytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self._weights, self._loss, self._lrs))

    def last_update(self) -> list[Update]:
        """How each weight changed in the last step (empty at step 0)."""
        k = self.step_count
        if k == 0:
            return []
        before = self.network.evaluate(self.params_at(k - 1))
        lr = self._lrs[k]
        return [
            Update(name, old, lr, before.grad(name), new)
            for name, old, new in zip(self.network.params, self.params_at(k - 1), self.params_at(k))
        ]

    # -- actions --

    def step(self, n: int = 1) -> int:
        """Take up to n gradient steps; returns how many were taken. A step that
        would make a weight or J non-finite is refused (and recorded in
        `divergence`); so is every step after it until undo, reset or a new rate."""
        if n < 0:
            raise ValueError("n must be non-negative")
        if self.divergence is not None or n == 0:
            return 0
        taken, state, bad = self.network._run(
            self._state, self.lr, n, self._weights.extend, self._loss.append, self._lrs.append
        )
        if taken:
            self._state = state
            self._trace = None
        if bad is not None:
            names = [*self.network.params, self.network.loss]
            self.divergence = Divergence(self.step_count + 1, self.lr, dict(zip(names, bad)))
        return taken

    def undo(self, n: int = 1) -> int:
        """Go back up to n steps; returns how many."""
        k = min(max(n, 0), self.step_count)
        self.divergence = None
        if k == 0:
            return 0
        keep = self.step_count + 1 - k
        del self._weights[keep * self.n_params :]
        del self._loss[keep:]
        del self._lrs[keep:]
        for w in self._watchers:
            w.low = min(w.low, keep)
        trace = self.network.evaluate(self.params_at(keep - 1))
        self._state = self.network.state_of(trace)
        self._trace = trace
        return k

    def reset(self) -> None:
        self.undo(self.step_count)

    def set_lr(self, lr: float) -> None:
        check_learning_rate(lr)
        self.lr = float(lr)
        self.divergence = None

    def scale_lr(self, factor: float) -> float:
        """Multiply the rate by factor (the + and - keys); ValueError, with the
        rate unchanged, when the result would overflow or underflow."""
        new = self.lr * factor
        if math.isinf(new):
            raise ValueError(f"{self.lr:.7g} × {factor:g} overflows")
        if new == 0.0:
            raise ValueError(f"{self.lr:.7g} × {factor:g} underflows to 0")
        self.set_lr(new)
        return new


def check_learning_rate(lr: float) -> None:
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive finite number, not {lr!r}")
