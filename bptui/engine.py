"""Gradient descent on a compiled network, with exact history for undo.

History is kept compactly: one flat array of doubles, a row a step holding
the weights, J, the learning rate and the update rule that step used (8 bytes
a number, so 10^6 steps of the question's network take 40 MB). Undo and reset restore
the stored weights and recompute the rest, so every number comes back bit for
bit. This module never imports Textual.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from bptui.graph import Network, Trace
from bptui.rules import CORRECT, UpdateRule
from bptui.numfmt import fmt


@dataclass(frozen=True)
class Update:
    """One weight's change in one step: new = old − lr × amount, where the
    amount is its gradient under the correct rule (`formula` says what it is)."""

    name: str
    old: float
    lr: float
    amount: float
    new: float
    formula: str = ""


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
    back: the history rows after step 0, the rate, the rule and a refused step."""

    rows: array
    steps: int
    lr: float
    rule_index: int
    divergence: Divergence | None


class HistoryWatcher:
    """Remembers how far back the history was cut since the watcher last looked,
    so a consumer (the chart) can resynchronise incrementally after undo."""

    def __init__(self, length: int) -> None:
        self.low = length

    def take(self, length: int) -> int:
        low, self.low = self.low, length
        return low


def start_problem(trace: Trace) -> str | None:
    """Why a run cannot start here, or None: J must be finite, and with bce
    the first gradient must exist. (A gradient that overflows at a finite J
    may start: the screen shows where its product overflowed.)"""
    net = trace.network
    for name, _ in net.domain_guards():
        slope = trace.factors[net.loss, net.by_name[net.loss].args[0]]
        if not math.isfinite(slope):
            return f"at the starting point {net.guard_note(name, trace.values[name])}: choose other weights"
    if not math.isfinite(trace.loss):
        return f"{net.loss} is not finite at the starting point ({trace.loss})"
    return None


class Engine:
    # Steps are recorded into a small Python list (appending to a list is
    # several times cheaper than to an array of doubles) and moved into the
    # compact array in bulk: before any read of the history, and whenever the
    # list holds FLUSH_ROWS rows. Long jumps run in chunks for the same reason.
    FLUSH_ROWS = 2048

    def __init__(
        self,
        network: Network,
        params: Sequence[float],
        lr: float,
        rules: Sequence[UpdateRule] = (CORRECT,),
        *,
        max_steps: int | None = None,
    ) -> None:
        if len(params) != len(network.params):
            raise ValueError(f"expected {len(network.params)} weights, got {len(params)}")
        params = tuple(float(p) for p in params)
        for name, p in zip(network.params, params):
            if not math.isfinite(p):
                raise ValueError(f"{name} must be finite, not {p}")
        check_learning_rate(lr)
        trace = network.evaluate(params)
        problem = start_problem(trace)
        if problem:
            raise ValueError(problem)
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, not {max_steps}")
        # the fast path of step() asks one question: _count < _open_until
        # (max_steps, or inf, while no step is refused; -1 while one is)
        self._max_steps = max_steps
        self._divergence: Divergence | None = None
        self._open_until: float = math.inf
        # the longest history kept: each step is a row of doubles, and a
        # served session must not fill the server's memory
        self.max_steps = max_steps
        self.network = network
        self.n_params = len(params)
        self._width = self.n_params + 3  # a history row: params..., J, lr, rule
        self._room = self.FLUSH_ROWS  # rows the pending list takes before a flush
        self.lr = float(lr)
        # row k: the weights of step k, J at them, and the rate and the rule
        # (its index in `rules`) that produced them (nan for step 0)
        self._history = array("d", (*params, trace.loss, math.nan, math.nan))
        self._pending: list[float] = []
        self.rules = tuple(rules)
        if not self.rules or not self.rules[0].correct:
            raise ValueError("the first rule must be the correct one")
        self._runners = [
            network.make_runner(
                self._pending.extend, {p: r.amount_of(p, network) for p in network.params}, float(i)
            )
            for i, r in enumerate(self.rules)
        ]
        self.rule_index = 0
        self._run, self._run1 = self._runners[0]
        self._count = 0
        self._state = network.state_of(trace)
        self._trace: Trace | None = trace
        self._watchers: list[HistoryWatcher] = []

    # -- state --

    @property
    def max_steps(self) -> int | None:
        return self._max_steps

    @max_steps.setter
    def max_steps(self, value: int | None) -> None:
        self._max_steps = value
        self._reopen()

    @property
    def divergence(self) -> Divergence | None:
        """The step that was refused, while stepping stays refused."""
        return self._divergence

    @divergence.setter
    def divergence(self, value: Divergence | None) -> None:
        self._divergence = value
        self._reopen()

    def _reopen(self) -> None:
        if self._divergence is not None:
            self._open_until = -1
        else:
            self._open_until = math.inf if self._max_steps is None else self._max_steps

    @property
    def step_count(self) -> int:
        return self._count

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
        return self._state[self.n_params + self.network.loss_slot]

    def _flush(self) -> None:
        if self._pending:
            self._history.fromlist(self._pending)
            self._pending.clear()
        self._room = self.FLUSH_ROWS

    def _row(self, step: int) -> array:
        if not 0 <= step <= self._count:
            raise IndexError(f"step {step} is not in the history (0..{self._count})")
        self._flush()
        w = self._width
        return self._history[step * w : (step + 1) * w]

    def params_at(self, step: int) -> tuple[float, ...]:
        return tuple(self._row(step)[: self.n_params])

    def loss_at(self, step: int) -> float:
        return self._row(step)[self.n_params]

    def lr_at(self, step: int) -> float:
        return self._row(step)[self.n_params + 1]

    def rule_at(self, step: int) -> UpdateRule | None:
        """The rule that produced a step (None for step 0)."""
        tag = self._row(step)[self.n_params + 2]
        return None if math.isnan(tag) else self.rules[int(tag)]

    @property
    def rule(self) -> UpdateRule:
        return self.rules[self.rule_index]

    def set_rule(self, index: int) -> None:
        """Choose the update rule for the steps to come (like a new rate, it
        lifts a refused step)."""
        if not 0 <= index < len(self.rules):
            raise ValueError(f"no rule {index}: there are {len(self.rules)}")
        self.rule_index = index
        self._run, self._run1 = self._runners[index]
        self.divergence = None

    def loss_slice(self, start: int, stop: int) -> np.ndarray:
        """J for steps start..stop-1, as a numpy array (a copy)."""
        self._flush()
        w = self._width
        rows = np.frombuffer(self._history[start * w : stop * w], dtype=np.float64)
        return rows[self.n_params :: w].copy()

    def params_slice(self, start: int, stop: int) -> np.ndarray:
        """The parameters of steps start..stop-1 as rows (a numpy copy)."""
        self._flush()
        w = self._width
        rows = np.frombuffer(self._history[start * w : stop * w], dtype=np.float64).reshape(-1, w)
        return rows[:, : self.n_params].copy()

    def history_array(self) -> np.ndarray:
        """Every recorded step as rows (params..., J, lr, rule): a numpy copy
        (`columns` names them; step 0's lr and rule are nan)."""
        self._flush()
        return np.frombuffer(self._history[:], dtype=np.float64).reshape(-1, self._width).copy()

    @property
    def columns(self) -> list[str]:
        """What each column of history_array() holds."""
        return [*self.network.params, self.network.loss, "lr", "rule"]

    def watch(self) -> HistoryWatcher:
        w = HistoryWatcher(self._count + 1)
        self._watchers.append(w)
        return w

    @property
    def history_full(self) -> bool:
        return self.max_steps is not None and self._count >= self.max_steps

    @property
    def history_bytes(self) -> int:
        self._flush()
        return self._history.itemsize * len(self._history)

    def last_update(self) -> list[Update]:
        """How each weight changed in the last step (empty at step 0)."""
        k = self._count
        if k == 0:
            return []
        old = self.params_at(k - 1)
        rule = self.rule_at(k)
        amounts = rule.amounts_at(self.network.evaluate(old))
        lr = self.lr_at(k)
        return [
            Update(name, o, lr, amounts[name], new, rule.formula_of(name, self.network.loss))
            for name, o, new in zip(self.network.params, old, self.params_at(k))
            if name in amounts
        ]

    # -- actions --

    def step(self, n: int = 1) -> int:
        """Take up to n gradient steps; returns how many were taken. A step that
        would make a weight or J non-finite is refused (and recorded in
        `divergence`); so is every step after it until undo, reset or a new rate.
        No step is taken past max_steps (see history_full)."""
        if n == 1 and self._count < self._open_until:
            # the hot path of a keypress: one call into the compiled step
            state = self._run1(self._state, self.lr)
            if state is not None:
                self._count += 1
                self._room -= 1
                if not self._room:
                    self._flush()
                self._state = state
                self._trace = None
                return 1
            # refused: the loop below takes the same step again and says why
        if n < 0:
            raise ValueError("n must be non-negative")
        if self.max_steps is not None:
            n = min(n, self.max_steps - self._count)
        if self.divergence is not None or n <= 0:
            return 0
        if n > self.FLUSH_ROWS:
            done = 0
            while done < n and self.divergence is None:
                done += self.step(min(n - done, self.FLUSH_ROWS))
            return done
        taken, state, bad = self._run(self._state, self.lr, n)
        self._count += taken
        self._room -= taken
        if self._room <= 0:
            self._flush()
        if bad is None:
            self._state = state
            self._trace = None
            return taken
        self._restore(self._count)
        net = self.network
        guarded = net.domain_guarded
        would_be = dict(zip([*net.params, net.loss, *guarded], bad))
        notes = {g: net.guard_note(g, would_be[g]) for g in guarded}
        grads = {p: self.trace.grad(p) for p in net.params}
        stuck = {p: g for p, g in grads.items() if not math.isfinite(g)}
        self.divergence = Divergence(self._count + 1, self.lr, would_be, net.loss, notes, stuck)
        return taken

    def _restore(self, step: int) -> None:
        """Make the state that of a recorded step (recomputed from its weights,
        so bit for bit what it was)."""
        trace = self.network.evaluate(self.params_at(step))
        self._state = self.network.state_of(trace)
        self._trace = trace

    def undo(self, n: int = 1) -> int:
        """Go back up to n steps; returns how many."""
        k = min(max(n, 0), self._count)
        self.divergence = None
        if k == 0:
            return 0
        self._flush()
        self._count -= k
        del self._history[(self._count + 1) * self._width :]
        for w in self._watchers:
            w.low = min(w.low, self._count + 1)
        self._restore(self._count)
        return k

    def reset(self) -> ResetMemo | None:
        """Back to step 0; returns what was taken (None at step 0), for
        bring_back."""
        if self._count == 0:
            self.divergence = None
            return None
        self._flush()
        memo = ResetMemo(self._history[self._width :], self._count, self.lr, self.rule_index, self._divergence)
        self.undo(self._count)
        return memo

    def bring_back(self, memo: ResetMemo) -> None:
        """Undo a reset: every step, the rate and the rule as they were."""
        if self._count != 0:
            raise ValueError("only a reset can be brought back, at step 0")
        self._flush()
        self._history.extend(memo.rows)
        self._count = memo.steps
        self.lr = memo.lr
        self.set_rule(memo.rule_index)
        self._restore(self._count)
        self.divergence = memo.divergence

    def set_lr(self, lr: float) -> None:
        check_learning_rate(lr)
        self.lr = float(lr)
        self.divergence = None

    def scale_lr(self, factor: float) -> float:
        """Multiply the rate by factor (the + and - keys); ValueError, with the
        rate unchanged, when the result would overflow or underflow."""
        new = self.lr * factor
        old = fmt(self.lr, keep_zeros=False)
        if math.isinf(new):
            raise ValueError(f"{old} × {factor:g} overflows")
        if new == 0.0:
            raise ValueError(f"{old} × {factor:g} underflows to 0")
        if new / factor != self.lr:
            # below 2.2e-308 doubles hold fewer digits: halving would round,
            # and doubling would no longer give the old rate back
            raise ValueError(f"{old} × {factor:g} would round (doubles this small hold fewer digits)")
        self.set_lr(new)
        return new


def check_learning_rate(lr: float) -> None:
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive finite number, not {lr!r}")
