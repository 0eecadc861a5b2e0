"""The stepper: composes the panes and binds the keys. No math here: every
number comes from the engine."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Footer

from bptui.engine import Engine
from bptui.numfmt import fmt
from bptui.scenario import Scenario, floor_note
from bptui.screens.help_screen import HelpScreen
from bptui.widgets.cost_chart import CostChart
from bptui.widgets.forward_pane import ForwardPane
from bptui.widgets.gradient_pane import GradientPane
from bptui.widgets.learning_rate_input import LearningRateInput
from bptui.widgets.message_bar import MessageBar
from bptui.widgets.status_pane import StatusPane

NARROW = 78  # below this many columns the panes stack and scroll


class BptuiApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "bptui"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS = [
        Binding("space", "step", "Step"),
        Binding("n", "step", "Step", show=False),
        Binding("l", "edit_rate", "Rate"),
        Binding("plus", "scale_rate(2)", "×2"),
        Binding("minus", "scale_rate(0.5)", "÷2"),
        Binding("u", "undo", "Undo"),
        Binding("backspace", "undo", "Undo", show=False),
        Binding("r", "reset", "Reset"),
        Binding("left_square_bracket", "choose(-1)", "Previous weight", show=False),
        Binding("right_square_bracket", "choose(1)", "Weight", key_display="[ ]"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, engine: Engine, scenario: Scenario | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.scenario = scenario
        self._sync_pending = False

    def compose(self) -> ComposeResult:
        net = self.engine.network
        with ScrollableContainer(id="columns"):
            with Vertical(id="left"):
                yield ForwardPane(id="forward")
                yield CostChart(loss=net.loss, floor=net.floor, id="chart")
            with Vertical(id="right"):
                if self.one_pane_per_param:
                    # the weight nearest the output first: its chain is the shortest
                    for p in reversed(net.params):
                        yield GradientPane(net, p, id=f"grad-{p}")
                else:
                    # one chain at a time, the first parameter's (the longest)
                    yield GradientPane(net, net.params[0], choices=len(net.params), id="grad")
                yield StatusPane(id="status")
        yield MessageBar(id="bar")
        yield Footer()

    @property
    def one_pane_per_param(self) -> bool:
        """Two single-path gradients fit side by side (the question's network);
        anything bigger shows one chosen chain at a time."""
        net = self.engine.network
        return len(net.params) <= 2 and all(len(net.paths[p]) == 1 for p in net.params)

    def on_mount(self) -> None:
        self._apply_width(self.size.width)
        self.query_one("#columns").focus()
        self.sync()
        self.show_note()

    def on_resize(self, event) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.screen.set_class(width < NARROW, "-narrow")

    # -- showing the engine's state --

    def sync(self) -> None:
        """Bring every pane up to date with the engine, once per batch of keys:
        a held key's repeats are all applied before the screen is redrawn."""
        if self._sync_pending:
            return
        self._sync_pending = True
        self.call_later(self._sync_now)

    def _sync_now(self) -> None:
        self._sync_pending = False
        e = self.engine
        self.query_one(ForwardPane).show(e)
        for pane in self.query(GradientPane):
            pane.show(e)
        shown = [pane.param for pane in self.query(GradientPane)]
        self.query_one(StatusPane).show(e, shown)
        self.query_one(CostChart).show(e)

    def say(self, text: str, *, warning: bool = False) -> None:
        self.query_one(MessageBar).message.say(text, warning=warning)

    def show_note(self) -> None:
        """The standing note: what this scenario can and cannot reach."""
        note = floor_note(self.engine.network)
        self.say(note or "space steps · l sets the rate · u undoes · ? explains every factor")

    # -- actions --

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the rate is being typed, keys belong to the input: hide the
        # stepper's bindings from the footer so it shows what works now.
        if action != "quit" and self.focused is not None and isinstance(self.focused, LearningRateInput):
            return False
        if action == "choose":
            return not self.one_pane_per_param
        return True

    def action_step(self) -> None:
        e = self.engine
        if e.divergence is not None:
            self.say(e.divergence.describe(), warning=True)
            return
        if e.step() == 0:
            self.say(e.divergence.describe(), warning=True)
        else:
            self.show_note()
        self.sync()

    def action_undo(self) -> None:
        if self.engine.undo() == 0:
            self.say("Nothing to undo: this is step 0.")
        else:
            self.show_note()
        self.sync()

    def action_reset(self) -> None:
        self.engine.reset()
        self.show_note()
        self.sync()

    def action_scale_rate(self, factor: float) -> None:
        try:
            new = self.engine.scale_lr(factor)
        except ValueError as e:
            self.say(f"The learning rate stays {fmt(self.engine.lr, keep_zeros=False)}: {e}.", warning=True)
            return
        self.say(f"Learning rate {fmt(new, keep_zeros=False)}.")
        self.sync()

    def action_edit_rate(self) -> None:
        self.query_one(MessageBar).open_rate_input(repr(self.engine.lr))

    def on_learning_rate_input_accepted(self, event: LearningRateInput.Accepted) -> None:
        self.engine.set_lr(event.rate)
        self._close_rate_input()
        self.say(f"Learning rate {fmt(event.rate, keep_zeros=False)}.")
        self.sync()

    def on_learning_rate_input_rejected(self, event: LearningRateInput.Rejected) -> None:
        # The input stays open so the number can be corrected; the rate is unchanged.
        self.query_one("#lr-label").update(f"{event.reason}. Rate:")
        self.query_one(MessageBar).add_class("-error")

    def on_learning_rate_input_cancelled(self, event: LearningRateInput.Cancelled) -> None:
        self._close_rate_input()
        self.say(f"Learning rate unchanged: {fmt(self.engine.lr, keep_zeros=False)}.")

    def _close_rate_input(self) -> None:
        bar = self.query_one(MessageBar)
        bar.close_rate_input()
        bar.remove_class("-error")
        self.query_one("#lr-label").update("learning rate:")
        self.query_one("#columns").focus()

    def action_choose(self, delta: int) -> None:
        """Show the next (or previous) parameter's chain."""
        if self.one_pane_per_param:
            return
        pane = self.query_one(GradientPane)
        params = self.engine.network.params
        pane.select(params[(params.index(pane.param) + delta) % len(params)])
        self.sync()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.engine.network))
