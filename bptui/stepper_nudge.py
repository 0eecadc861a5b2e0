"""Nudging: choose a value of the forward pane (↑ ↓) and move it down or up
by a step (← →), then see how much J moved. ΔJ/Δw beside dJ/dw is what a
gradient means: the change in J per unit change of w, for a small change.

Each nudge is an edit (Engine.set_value): u takes it back and an export
replays it. The Stepper mixes this in. UI-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bptui.numfmt import MINUS, fmt

# the steps a nudge can take, largest first; 0.1 reads best on the question's
# weights (0.5 → 0.6) and moves J enough to see in 7 digits
STEPS = (1.0, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001)
DEFAULT_STEP = STEPS.index(0.1)


@dataclass(frozen=True)
class Nudge:
    """One nudge and what it did to J (and, for a parameter, to dJ/dname)."""

    name: str
    old: float
    new: float
    loss_before: float
    loss_after: float
    grad_before: float | None  # dJ/dname before the nudge (a parameter's; None for an input)
    grad_after: float | None
    edits: int  # how many edits the engine held after it: the nudge is current while that holds
    step: int

    @property
    def delta(self) -> float:
        return self.new - self.old

    @property
    def loss_change(self) -> float:
        return self.loss_after - self.loss_before

    @property
    def ratio(self) -> float:
        """ΔJ/Δname: the slope of the secant, which dJ/dname approximates."""
        return self.loss_change / self.delta


def nudged(value: float, step: float, direction: int) -> float:
    """value ± step in decimal, so 0.7 + 0.1 is 0.8 (not 0.7999999999999999):
    the sum of the two numbers as they read, rounded once to a float."""
    return float(Decimal(repr(value)) + direction * Decimal(repr(step)))


def signed(v: float, digits: int = 4) -> str:
    """A change, always with its sign: +0.1, −0.001059."""
    s = fmt(v, keep_zeros=False, digits=digits)
    return s if s.startswith((MINUS, "n")) else "+" + s


class Nudging:
    """Mixed into Stepper: it provides engine, say, changed, stop_play,
    _leave_walk, one_pane_per_param and chosen."""

    selected: str | None = None  # the forward pane's chosen value, while that pane has focus
    nudge_step_index: int = DEFAULT_STEP
    last_nudge: Nudge | None = None
    _chosen_last: str | None = None  # chosen when the pane last lost focus

    @property
    def nudge_step(self) -> float:
        return STEPS[self.nudge_step_index]

    # the order the screen lists the values in (its layout decides: a dense
    # one puts the given numbers first); empty: the network's order
    value_order: tuple[str, ...] = ()

    def selectable(self) -> list[str]:
        """What a nudge can move, in the forward pane's order: the inputs,
        targets and parameters (not the computed nodes)."""
        values = self.engine.settable()
        names = [n.name for n in self.engine.network.nodes if n.name in values]
        if set(self.value_order) == set(names):
            return list(self.value_order)
        return names

    def select_values(self) -> None:
        """The forward pane took focus: choose a value to nudge (the one
        chosen last, or the chain's parameter)."""
        names = self.selectable()
        if self.selected in names:
            return  # chosen already (a key typed ahead of the focus event chose it)
        last = self._chosen_last
        self.selected = last if last in names else self.chosen if self.chosen in names else names[0]
        self._follow_selection()
        self.say(f"↑ ↓ choose a value, ← → nudge it by {fmt(self.nudge_step, keep_zeros=False)}, "
                 "* / change the step. Tab leaves.")  # fmt: skip
        self.changed()

    def unselect(self) -> None:
        """The forward pane lost focus: no value is chosen."""
        if self.selected is not None:
            self._chosen_last, self.selected = self.selected, None
            self.changed()

    def select(self, delta: int) -> None:
        names = self.selectable()
        at = names.index(self.selected) if self.selected in names else -delta
        self.selected = names[(at + delta) % len(names)]
        self._follow_selection()
        self.changed()

    def _follow_selection(self) -> None:
        # a chosen parameter brings its chain on screen (one chain at a time)
        if not self.one_pane_per_param and self.selected in self.engine.network.params:
            self.chosen = self._following = self.selected

    def change_nudge_step(self, bigger: int) -> None:
        """* takes ten times the step (bigger 1), / a tenth of it (−1)."""
        i = self.nudge_step_index - bigger
        if not 0 <= i < len(STEPS):
            end = "largest" if bigger > 0 else "smallest"
            self.say(f"The nudge's step stays {fmt(self.nudge_step, keep_zeros=False)}: the {end} it takes.")
            return
        self.nudge_step_index = i
        self.say(f"Nudge step {fmt(self.nudge_step, keep_zeros=False)}"
                 + (": ← → move the chosen value by it." if self.selected else ": Tab to the forward pane, ↑ ↓ choose a value, ← → nudge it."))  # fmt: skip

    def nudge(self, direction: int) -> None:
        """Move the chosen value down (−1) or up (+1) by the step."""
        name = self.selected
        if name is None:
            self.say("Tab to the forward pane, choose a value with ↑ ↓, then ← → nudge it.")
            return
        self._leave_walk()
        self.stop_play()
        e = self.engine
        old = e.settable()[name]
        new = nudged(old, self.nudge_step, direction)
        is_param = name in e.network.params
        loss_before = e.loss
        grad_before = e.trace.grad(name) if is_param else None
        try:
            e.set_value(name, new)
        except ValueError as err:
            self.say(f"{name} stays {fmt(old, keep_zeros=False)}: {err}.", warning=True)
            return
        n = Nudge(name, old, new, loss_before, e.loss, grad_before, e.trace.grad(name) if is_param else None,
                  len(e.edits), e.step_count)  # fmt: skip
        self.last_nudge = n
        loss = e.network.loss
        text = f"{name} {signed(n.delta)}: Δ{loss} {signed(n.loss_change)}, Δ{loss}/Δ{name} {fmt(n.ratio, digits=4)}"
        if grad_before is not None:  # the secant's slope lies between the two
            text += f"; d{loss}/d{name} {fmt(grad_before, digits=4)} → {fmt(n.grad_after, digits=4)}"
        self.say(text)
        self.changed()

    def current_nudge(self) -> Nudge | None:
        """The last nudge, while it is still the latest change."""
        n, e = self.last_nudge, self.engine
        if n is not None and n.edits == len(e.edits) and n.step == e.step_count and e.last_edit is not None:
            return n
        return None
