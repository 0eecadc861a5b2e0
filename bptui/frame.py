"""A frame: everything the panes show at one moment, made once per change
of the stepper. Panes format a frame; they never call the engine, so
nothing is computed twice (the gradient check, the last update). UI-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from bptui.engine import Edit, Engine, Update
from bptui.gradcheck import Check, check
from bptui.graph import Network, Trace
from bptui.networks import vanishing_note
from bptui.prompt import Prompt
from bptui.rules import UpdateRule
from bptui.stepper import Message, Stepper
from bptui.stepper_nudge import Nudge
from bptui.walk import WalkView


@dataclass(frozen=True)
class Frame:
    version: int
    network: Network
    trace: Trace  # every value, factor and adjoint of the current state (read only)
    step: int
    lr: float
    loss: float
    rule: UpdateRule
    walk: WalkView | None
    shown: tuple[str, ...]  # the parameters whose chains are on screen
    checks: dict[str, Check]  # the finite-difference check of each shown chain (empty: hidden)
    updates: tuple[Update, ...]  # the last step's update of every parameter
    last_edit: Edit | None  # the value set by hand since the last step, if the latest change was one
    amounts: dict[str, float]  # what lr multiplies in each update, at this state (a walk shows them)
    vanishing: str | None  # the first gradient against the last (deep chains)
    show_landscape: bool
    view: str  # "panes", or what takes their place: "circuit", "code"
    predict: str | None  # the score while predicting, or once anything was asked
    landscape_axes: tuple[int, int]
    log_steps: bool
    message: Message
    asking: Prompt | None
    selected: str | None  # the forward pane's chosen value (while it has focus)
    nudge_step: float
    nudge: Nudge | None  # the last nudge, while it is the latest change
    # the chart and the landscape read the history incrementally: the engine,
    # for reading only
    history: Engine


class FrameMaker:
    """Makes a stepper's frames, reusing what an unchanged state allows."""

    def __init__(self, stepper: Stepper) -> None:
        self.stepper = stepper
        self._checked: tuple | None = None
        self._checks: dict[str, Check] = {}
        self._updated: tuple | None = None
        self._updates: tuple[Update, ...] = ()

    def frame(self) -> Frame:
        s = self.stepper
        e = s.engine
        net = e.network
        walk = s.walk_view()
        shown = tuple(s.shown)
        trace = e.trace
        key = (e.params, e.network, shown, s.show_check)  # an input set by hand changes the network
        if key != self._checked:
            self._checks = {p: check(trace, p) for p in shown} if s.show_check else {}
            self._checked = key
        if self._updated != (e.step_count, e.params, len(e.edits)):
            self._updates = tuple(e.last_update())
            self._updated = (e.step_count, e.params, len(e.edits))
        known = True
        if walk is not None and net.layer_weights:
            known = {net.layer_weights[0], net.layer_weights[-1]} <= walk.adjoints
        return Frame(
            version=s.version,
            network=net,
            trace=trace,
            step=e.step_count,
            lr=e.lr,
            loss=e.loss,
            rule=e.rule,
            walk=walk,
            shown=shown,
            checks=self._checks,
            updates=self._updates,
            last_edit=e.last_edit,
            amounts=e.rule.amounts_at(trace) if walk is not None else {},
            vanishing=vanishing_note(trace, known),
            show_landscape=s.show_landscape,
            view=s.view,
            predict=s.score.short() if s.predicting or s.score.total[1] else None,
            landscape_axes=s.landscape_axes(),
            log_steps=s.log_steps,
            message=s.message,
            asking=s.asking,
            selected=s.selected,
            nudge_step=s.nudge_step,
            nudge=s.current_nudge(),
            history=e,
        )
