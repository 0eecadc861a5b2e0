"""The stepper on screen: composes the panes, maps each key to one method of
the stepper (bptui.stepper) and draws the frame it makes (bptui.frame). No
behaviour and no math here."""

from __future__ import annotations

from textual import events
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical

from bptui.app.class_link import ClassLink
from bptui.app.span_writer import install as write_spans_from_where_they_start
from bptui.control import ControlLink, first_screen_drawn
from bptui.engine import Engine
from bptui.frame import Frame, FrameMaker
from bptui.predict import Score
from bptui.keys import ANSWER_KEYS, BY_KEY, KEYS, NAVIGATION, PANE_KEYS, footer_row
from bptui.scenario import Scenario
from bptui.screens.help_screen import HelpScreen
from bptui.series import CorrectRun
from bptui.stepper import KeyTaken, Stepper
from bptui.stepper_follow import FOLLOWER_ACTIONS
from bptui.widgets.circuit_view import CircuitView
from bptui.widgets.code_view import CodeView
from bptui.widgets.cost_chart import CostChart
from bptui.widgets.forward_pane import CHART_ROWS, LANDSCAPE_ROWS, ForwardPane
from bptui.widgets.gradient_pane import GradientPane
from bptui.widgets.keys_footer import FooterItem, KeysFooter, item_width
from bptui.widgets.landscape_view import LandscapeView
from bptui.widgets.message_bar import MessageBar
from bptui.widgets.status_pane import StatusPane

NARROW = 78  # below this many columns the panes stack and scroll
WIDE = 100  # from this many, the gradients' column widens (Mazur's chains side by side)
# where ↑ ↓ choose a value and ← → nudge it (the forward pane's keys); in
# the circuit the choosing starts at the first arrow, so c keeps its legend
NUDGE_PANES = (ForwardPane, CircuitView)
# keys whose action belongs to the screen, not to the stepper
APP_ACTIONS = ("help", "quit", "quit_now")


class BptuiApp(App[None]):
    CSS_PATH = "app.tcss"
    # the screen's class by its width, which app.tcss lays out
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-normal"), (WIDE, "-wide")]
    TITLE = "bptui"
    ENABLE_COMMAND_PALETTE = False

    # keys are routed by on_event, in the order they arrive, from the one
    # table of keys (bptui.keys); the Footer is drawn from it too
    BINDINGS = [Binding("ctrl+q", "quit_now", "Quit", show=False, priority=True)]
    EXTRA_KEYS: tuple[FooterItem, ...] = ()  # a subclass's own keys, first in the Footer

    def __init__(
        self,
        engine: Engine,
        scenario: Scenario,
        *,
        files: bool = True,
        score: Score | None = None,
        control: ControlLink | None = None,
        stepper: Stepper | None = None,
    ) -> None:
        super().__init__()
        # the classroom's channel, under bptui serve
        self.class_link = ClassLink(self, control) if control is not None else None
        write_spans_from_where_they_start()
        # (a stepper given goes on where it stands: the teacher's lesson)
        self.stepper = stepper or Stepper(engine, scenario, files=files, score=score)
        self.frames = FrameMaker(self.stepper)
        self._drawn = -1  # the stepper version last drawn
        self._draw_pending = False
        self._play_timer = None
        self._play_interval: float | None = None
        self._correct_run: CorrectRun | None = None  # the comparison beside a mistaken rule
        self._footer_for: tuple | None = None  # what the Footer's keys were chosen for
        self._footer_items: tuple[FooterItem, ...] = ()
        self._bind_actions()

    def _bind_actions(self) -> None:
        # each key's method, parsed once: the stepper's, or the screen's own
        self._actions = {}
        for k in KEYS:
            name, args = parse_action(k.action)[1:]
            owner = self if k.action in APP_ACTIONS else self.stepper
            self._actions[k.action] = (getattr(owner, name if owner is self.stepper else f"action_{name}"), args)

    async def start_over(self, engine: Engine, scenario: Scenario, score: Score | None = None) -> None:
        """Step another session from here on (the teacher's push): a new
        stepper, and the panes composed again for its network."""
        engine.max_steps = self.stepper.engine.max_steps
        await self.use_stepper(Stepper(engine, scenario, files=self.stepper.files, score=score))

    async def use_stepper(self, stepper: Stepper) -> None:
        """Show another stepper (a lesson to follow, or the student's own
        again after it), its panes composed for its network."""
        old = self.stepper
        old.stop_play()
        stepper.hand_in = old.hand_in
        self.stepper = stepper
        self.frames = FrameMaker(self.stepper)
        self._correct_run = None
        self._bind_actions()
        if stepper.scenario != old.scenario:
            # another network, maybe: the panes again (a lesson's next state
            # keeps them, so that only what changed is repainted)
            await self.recompose()
            self.query_one("#columns").focus()
            self.call_after_refresh(self.draw, force=True)
        self.draw(force=True)

    # what tests and the served class read
    @property
    def engine(self) -> Engine:
        return self.stepper.engine

    @property
    def scenario(self) -> Scenario:
        return self.stepper.scenario

    @property
    def walking(self) -> bool:
        return self.stepper.walking

    @property
    def playing(self) -> bool:
        return self.stepper.playing

    @property
    def asking(self):
        return self.stepper.asking

    def compose(self) -> ComposeResult:
        net = self.engine.network
        # the panes, kept at hand: a frame is drawn into each of them every step
        self.forward = ForwardPane(id="forward")
        self.chart = CostChart(loss=net.loss, floor=net.floor, id="chart")
        self.landscape = LandscapeView(id="landscape")
        if self.stepper.one_pane_per_param:
            self.gradients = [GradientPane(net, p, id=f"grad-{p}") for p in self.stepper.shown]
        else:
            self.gradients = [GradientPane(net, net.params[0], choices=len(net.params), id="grad")]
        self.status = StatusPane(net.loss, id="status")
        self.bar = MessageBar(id="bar")
        self.circuit = CircuitView(id="circuit")
        self.code = CodeView(id="code")
        self.keys_footer = KeysFooter()
        with ScrollableContainer(id="columns"):
            with Vertical(id="left"):
                yield self.forward
                yield self.chart
                yield self.landscape
            with Vertical(id="right", classes="-two-chains" if self.stepper.one_pane_per_param else ""):
                yield from self.gradients
                yield self.status
        yield self.circuit
        yield self.code
        yield self.bar
        yield self.keys_footer

    def on_mount(self) -> None:
        self.query_one("#columns").focus()
        self.draw()
        # once laid out, again: the forward pane chooses its layout by the
        # rows it has
        self.call_after_refresh(self.draw, force=True)
        # under serve: once that is drawn too, the next student's app may start
        self.call_after_refresh(self.call_after_refresh, first_screen_drawn)
        if self.class_link is not None:
            self.class_link.start()

    def on_resize(self, event: events.Resize) -> None:
        self.draw(force=True)  # panes that wrap their rows lay them out again

    # -- keys: every key in the order it came, each to one method --

    async def on_event(self, event: events.Event) -> None:
        # Textual hands a key to the focused widget's own queue; a key typed
        # right after l would then reach the stepper before the prompt exists.
        # Routing here, in the app's one queue, keeps typed-ahead keys in order.
        if len(self.screen_stack) == 1 and not event.is_forwarded:
            if isinstance(event, events.Key):
                if not await self._check_bindings(event.key, priority=True) and not self.route_key(event):
                    await super().on_event(event)
                return
            if isinstance(event, events.Paste):
                self.stepper.paste(event.text)
                self.draw()
                return
        await super().on_event(event)

    def route_key(self, event: events.Key) -> bool:
        """Do what the key means now; False leaves it to Textual (Tab, arrows
        and page keys move focus and scroll)."""
        key, s = event.key, self.stepper
        taken = s.key(key, event.character)
        if taken is KeyTaken.QUIT:
            self.exit()
            return True
        if taken is KeyTaken.TAKEN:
            self.draw()
            return True
        if key in ("tab", "shift+tab"):
            # focus moves now, not when the focused widget's queue gets to
            # it: the keys typed after Tab go to the pane it reaches
            self.screen.focus_next() if key == "tab" else self.screen.focus_previous()
            return True
        pane_keys = PANE_KEYS["forward"]
        in_pane = isinstance(self.focused, NUDGE_PANES)
        if in_pane and key in pane_keys and s.selected is None:
            # in the forward pane: typed ahead of the focus event, which would
            # choose the value; in the circuit the first arrow chooses it
            s.select_values()
            if isinstance(self.focused, CircuitView) and key in ("up", "down"):
                self.draw()
                return True
        k = (pane_keys.get(key) if in_pane else None) or BY_KEY.get(key)
        if k is not None and s.locked and k.action not in FOLLOWER_ACTIONS:
            s.refuse_while_led()
        elif k is not None:
            s.before_action(k.action)
            method, args = self._actions[k.action]
            method(*args)
            self._place_views()
        elif key in NAVIGATION or not (event.character and event.character.isprintable()):
            return False
        elif key in pane_keys:
            s.say(f"{event.character} changes the nudge's step: Tab to the forward pane first.")
        else:
            s.say(f"{event.character} does nothing here: ? lists every key.")
        self.draw()
        return True

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # the forward pane's rows are chosen while it has focus
        if isinstance(event.widget, ForwardPane):
            self.stepper.select_values()
        self.draw()  # the Footer shows the focused pane's keys

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, NUDGE_PANES):
            self.stepper.unselect()
        self.draw()

    def action_answer(self) -> None:
        """Enter and Escape are the prompt's own keys (this only labels them)."""

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.engine.network, self.engine.optimizer))

    def action_quit(self) -> None:
        if self.stepper.quit():
            self.exit()

    def action_quit_now(self) -> None:
        self.exit()

    def footer_items(self) -> tuple[FooterItem, ...]:
        """What the Footer shows: while a question is asked, how to answer
        it; else the stepper's keys that fit the width (help and quit first,
        then the focused pane's own)."""
        if self.asking is not None:
            return ANSWER_KEYS
        width = self.size.width or 80
        pane = "forward" if isinstance(self.focused, NUDGE_PANES) else ""
        one_pane_per_param = self.stepper.one_pane_per_param
        chosen = (width, pane, one_pane_per_param)
        if chosen != self._footer_for:  # (drawn every frame: chosen again only on a change)
            available = {k.action for k in KEYS}
            if one_pane_per_param:
                available.discard("choose(1)")
            room = width - sum(map(item_width, self.EXTRA_KEYS))
            keys = footer_row(room, available, pane)
            self._footer_for = chosen
            self._footer_items = self.EXTRA_KEYS + tuple((k.keys[0], k.footer_key or k.display, k.label) for k in keys)
        return self._footer_items

    # -- drawing the stepper's frame --

    def sync(self) -> None:
        """Draw again after the engine was changed directly, not through a
        key (tests and benchmarks step it so)."""
        self.stepper.changed()
        self.draw()

    def draw(self, force: bool = False) -> None:
        """Draw the current frame, once per batch of keys: a held key's
        repeats are all applied before the screen is redrawn."""
        if force:
            self._drawn = -1
        if not self._draw_pending:
            self._draw_pending = True
            self.call_later(self._draw_now)

    def _draw_now(self) -> None:
        self._draw_pending = False
        self._keep_play_timer()
        self.keys_footer.show(self.footer_items())  # (focus and width change it too)
        if self.stepper.version == self._drawn:
            return
        self._drawn = self.stepper.version
        f = self.frames.frame()
        bar = self.bar
        bar.show(f.message, f.asking)
        if self._show_view(f):
            return
        forward = self.forward
        forward.keep_below = LANDSCAPE_ROWS if f.show_landscape else CHART_ROWS
        forward.show(f)
        self.stepper.value_order = forward.value_order  # ↑ ↓ go down the rows as shown
        for pane in self.gradients:
            if not self.stepper.one_pane_per_param and pane.param != f.shown[0]:
                pane.select(f.shown[0])
            pane.show(f)
        self.status.show(f)
        self._draw_chart(f)

    def _place_views(self) -> CircuitView | CodeView | None:
        """The circuit or the code in the place of every pane, while one is
        on, with the focus. Done as the key is taken, not when the screen is
        drawn: keys typed after c go where c has put the focus."""
        s = self.stepper
        columns = self.query_one("#columns")
        views = ((self.circuit, s.view == "circuit"), (self.code, s.view == "code"))
        shown = next((view for view, on in views if on), None)
        if (shown is None) != columns.display or any(view.display != on for view, on in views):
            for view, on in views:
                view.display = on
            columns.display = shown is None
            self.screen.set_focus(shown or columns)
        return shown

    def _show_view(self, f: Frame) -> bool:
        """Draw the circuit or the code, if one is shown (the panes are drawn
        again when they come back). True while one is shown."""
        shown = self._place_views()
        if shown is not None:
            shown.show(f)
            if shown is self.circuit:
                self.stepper.value_order = self.circuit.value_order  # ↑ ↓ go down its wires
        return shown is not None

    def _draw_chart(self, f: Frame) -> None:
        chart, land = self.chart, self.landscape
        if chart.floor != f.network.floor:
            chart.set_floor(f.network.floor)
        if land.display != f.show_landscape:  # a change of display lays the screen out again
            chart.display, land.display = not f.show_landscape, f.show_landscape
        if chart.log_steps != f.log_steps:
            chart.set_log_steps(f.log_steps)
        if f.show_landscape:
            land.show(f.history, *f.landscape_axes)
        elif f.rule.correct:
            chart.show(f.history)
        else:
            if self._correct_run is None:
                self._correct_run = CorrectRun(f.history)
            chart.show(f.history, self._correct_run, (f.rule.title, "correct"))

    def _keep_play_timer(self) -> None:
        """The play timer runs while the stepper plays, at its speed."""
        s = self.stepper
        want = s.tick_seconds if s.playing else None
        if self._play_timer is not None and want != self._play_interval:
            self._play_timer.stop()
            self._play_timer = None
        if want is not None and self._play_timer is None:
            self._play_timer = self.set_interval(want, self._play_tick)
        self._play_interval = want if self._play_timer is not None else None

    def _play_tick(self) -> None:
        self.stepper.play_tick()
        self.draw()
