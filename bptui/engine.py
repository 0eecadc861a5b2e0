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
from typing import Sequence

import numpy as np

from bptui.engine_records import Divergence, Edit, HistoryWatcher, ResetMemo, Update
from bptui.graph import Network, Trace
from bptui.numfmt import fmt
from bptui.optimizers import SGD, Optimizer
from bptui.rules import CORRECT, UpdateRule

__all__ = ["Engine", "Divergence", "Edit", "HistoryWatcher", "ResetMemo", "Update", "start_problem"]


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
        optimizer: Optimizer = SGD,
        optimizer_state: Sequence[float] | None = None,
        steps_before: int = 0,
    ) -> None:
        """`optimizer_state` (each parameter's slots, in order; 0 by default)
        and `steps_before` (the steps Adam's t counts before this engine's
        first) let a run go on in a fresh engine (the trace's chunks)."""
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
        self.optimizer = optimizer
        self.n_slots = len(optimizer.slots) * self.n_params
        slots = tuple(float(v) for v in optimizer_state) if optimizer_state is not None else (0.0,) * self.n_slots
        if len(slots) != self.n_slots or not all(math.isfinite(v) for v in slots):
            raise ValueError(f"expected {self.n_slots} finite values of the optimizer's state, got {slots!r}")
        self._steps_before = int(steps_before)
        # a history row: params..., each parameter's optimizer slots..., J, lr, rule
        self._j = self.n_params + self.n_slots
        self._width = self._j + 3
        self._room = self.FLUSH_ROWS  # rows the pending list takes before a flush
        self.lr = float(lr)
        # row k: the weights of step k, J at them, and the rate and the rule
        # (its index in `rules`) that produced them (nan for step 0)
        self._history = array("d", (*params, *slots, trace.loss, math.nan, math.nan))
        self._pending: list[float] = []
        self.rules = tuple(rules)
        if not self.rules or not self.rules[0].correct:
            raise ValueError("the first rule must be the correct one")
        self.rule_index = 0
        self._use_network(network)
        self._count = 0
        self._state = network.state_of(trace) + slots
        self._trace: Trace | None = trace
        self._watchers: list[HistoryWatcher] = []
        # values set by hand, in the order made (each at the step it was made at)
        self._edits: list[Edit] = []

    def _use_network(self, network: Network) -> None:
        """Step this network from now on (an input's edit makes a new one, of
        the same shape, so the rules and the history still fit it)."""
        self.network = network
        self._runners = [
            network.make_runner(
                self._pending.extend, {p: r.amount_of(p, network) for p in network.params}, float(i), self.optimizer
            )
            for i, r in enumerate(self.rules)
        ]
        self._run, self._run1 = self._runners[self.rule_index]

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
        return self._row(step)[self._j]

    def lr_at(self, step: int) -> float:
        return self._row(step)[self._j + 1]

    def slots_at(self, step: int) -> tuple[float, ...]:
        """The optimizer's state after a step: each parameter's slots in turn."""
        return tuple(self._row(step)[self.n_params : self._j])

    def optimizer_state_at(self, step: int) -> dict[str, dict[str, float]]:
        """The optimizer's state after a step, by parameter and slot."""
        slots, names = self.slots_at(step), self.optimizer.slots
        return {p: dict(zip(names, slots[i * len(names) : (i + 1) * len(names)]))
                for i, p in enumerate(self.network.params)}  # fmt: skip

    def t_at(self, step: int) -> int:
        """Adam's t for the step that led to `step`."""
        return self._steps_before + step

    def next_value(self, name: str, g: float, w: float) -> float:
        """What the optimizer makes of parameter `name` at `w` with amount
        `g` in the next step, from the state now."""
        k = self._count
        state = self.optimizer_state_at(k)[name]
        return self.optimizer.explain(g, w, state, self.lr, self.t_at(k + 1))[-1].value

    def rule_at(self, step: int) -> UpdateRule | None:
        """The rule that produced a step (None for step 0)."""
        tag = self._row(step)[self._j + 2]
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
        return rows[self._j :: w].copy()

    def params_slice(self, start: int, stop: int) -> np.ndarray:
        """The parameters of steps start..stop-1 as rows (a numpy copy)."""
        self._flush()
        w = self._width
        rows = np.frombuffer(self._history[start * w : stop * w], dtype=np.float64).reshape(-1, w)
        return rows[:, : self.n_params].copy()

    def history_array(self) -> np.ndarray:
        """Every recorded step as rows (params..., slots..., J, lr, rule): a numpy copy
        (`columns` names them; step 0's lr and rule are nan)."""
        self._flush()
        return np.frombuffer(self._history[:], dtype=np.float64).reshape(-1, self._width).copy()

    @property
    def columns(self) -> list[str]:
        """What each column of history_array() holds."""
        slots = [f"{s}({p})" for p in self.network.params for s in self.optimizer.slots]
        return [*self.network.params, *slots, self.network.loss, "lr", "rule"]

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
        """How each weight changed in the last step (empty at step 0): as the
        step made it, before any edit made after it, and with the network
        (inputs) it was taken with."""
        k = self._count
        if k == 0:
            return []
        old = self.params_at(k - 1)
        after = [e for e in self._edits if e.step == k]
        new = after[0].row[: self.n_params] if after else self.params_at(k)
        network = after[0].network if after else self.network
        rule = self.rule_at(k)
        amounts = rule.amounts_at(network.evaluate(old))
        lr = self.lr_at(k)
        before = self.optimizer_state_at(k - 1)
        return [
            Update(name, o, lr, amounts[name], n, rule.formula_of(name, network.loss),
                   tuple(self.optimizer.explain(amounts[name], o, before[name], lr, self.t_at(k), network.loss, name)))
            for name, o, n in zip(network.params, old, new)
            if name in amounts
        ]  # fmt: skip

    # -- values set by hand --

    @property
    def edits(self) -> tuple[Edit, ...]:
        return tuple(self._edits)

    @property
    def last_edit(self) -> Edit | None:
        """The edit made since the last step, if the latest change was one."""
        if self._edits and self._edits[-1].step == self._count:
            return self._edits[-1]
        return None

    def settable(self) -> dict[str, float]:
        """Every value `set_value` takes, by name, with its value now: the
        inputs and targets, the parameters, and the learning rate."""
        values = dict(self.network.inputs)
        values.update(zip(self.network.params, self.params))
        values["lr"] = self.lr
        return values

    def set_value(self, name: str, value: float) -> Edit:
        """Set an input, a target, a parameter or lr by hand, at this step.
        ValueError, saying why, leaves everything as it was."""
        values = self.settable()
        if name not in values:
            raise ValueError(f"no value {name!r} here: {', '.join(values)} can be set")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, not {value}")
        self._flush()
        k, w, n = self._count, self._width, self.n_params
        row = tuple(self._history[k * w : (k + 1) * w])
        old = values[name]
        network, params = self.network, self.params
        if name == "lr":
            check_learning_rate(value)
        elif name in network.inputs:
            network = network.with_inputs(**{name: value})  # ValueError if it cannot run
        else:
            params = tuple(value if p == name else v for p, v in zip(network.params, params))
        trace = network.evaluate(params) if name != "lr" else self.trace
        problem = start_problem(trace)
        if problem:
            raise ValueError(problem.replace("at the starting point", f"with {name} = {fmt(value, keep_zeros=False)}"))
        edit = Edit(k, name, old, float(value), row, self.network, self._divergence)
        if name == "lr":
            self.lr = float(value)
        else:
            if network is not self.network:
                self._use_network(network)
            self._history[k * w : k * w + n] = array("d", params)
            self._history[k * w + self._j] = trace.loss
            self._state = network.state_of(trace) + self._state[len(self._state) - self.n_slots :]
            self._trace = trace
            for watcher in self._watchers:  # step k's J changed: read it again
                watcher.low = min(watcher.low, k)
        self._edits.append(edit)
        self.divergence = None
        return edit

    def _undo_edit(self) -> Edit:
        edit = self._edits.pop()
        if edit.name == "lr":
            self.lr = edit.old
        else:
            k, w = edit.step, self._width
            self._flush()
            self._history[k * w : (k + 1) * w] = array("d", edit.row)
            if edit.network is not self.network:
                self._use_network(edit.network)
            for watcher in self._watchers:
                watcher.low = min(watcher.low, k)
            self._restore(k)
        self._divergence = edit.divergence
        self._reopen()
        return edit

    # -- actions --

    def step(self, n: int = 1) -> int:
        """Take up to n gradient steps; returns how many were taken. A step that
        would make a weight or J non-finite is refused (and recorded in
        `divergence`); so is every step after it until undo, reset or a new rate.
        No step is taken past max_steps (see history_full)."""
        if n == 1 and self._count < self._open_until:
            # the hot path of a keypress: one call into the compiled step
            state = self._run1(self._state, self.lr, float(self._steps_before + self._count))
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
        taken, state, bad = self._run(self._state, self.lr, n, float(self._steps_before + self._count))
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
        self._state = self.network.state_of(trace) + self.slots_at(step)
        self._trace = trace

    def undo(self, n: int = 1) -> int:
        """Take back up to n changes, the latest first: steps, and values
        set by hand (each edit is one); returns how many."""
        done = 0
        n = max(n, 0)
        while done < n:
            if self._edits and self._edits[-1].step == self._count:
                self._undo_edit()
                done += 1
                continue
            floor = self._edits[-1].step if self._edits else 0
            k = min(n - done, self._count - floor)
            if k == 0:
                break
            self._undo_steps(k)
            done += k
        if done == 0:
            self.divergence = None
        return done

    def _undo_steps(self, k: int) -> None:
        self.divergence = None
        self._flush()
        self._count -= k
        del self._history[(self._count + 1) * self._width :]
        for w in self._watchers:
            w.low = min(w.low, self._count + 1)
        self._restore(self._count)

    def reset(self) -> ResetMemo | None:
        """Back to the start: step 0, every edit taken back; returns what was
        taken (None when there was nothing), for bring_back."""
        if self._count == 0 and not self._edits:
            self.divergence = None
            return None
        self._flush()
        memo = ResetMemo(
            self._history[:], self._count, self.lr, self.rule_index, self._divergence, tuple(self._edits), self.network
        )
        self.undo(self._count + len(self._edits))
        self.lr = memo.lr  # the rate stays (an edit of it was taken back)
        return memo

    def bring_back(self, memo: ResetMemo) -> None:
        """Undo a reset: every step and edit, the rate and the rule as they were."""
        if self._count != 0 or self._edits:
            raise ValueError("only a reset can be brought back, at step 0")
        self._flush()
        self._history[:] = memo.rows
        self._count = memo.steps
        self._edits = list(memo.edits)
        self.lr = memo.lr
        if memo.network is not self.network:
            self._use_network(memo.network)
        self.set_rule(memo.rule_index)
        if any(e.step == 0 and e.name != "lr" for e in memo.edits):
            for w in self._watchers:  # step 0's row is the edited one again
                w.low = 0
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
