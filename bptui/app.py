"""The stepper: composes the panes and binds the keys. No math here: every
number comes from the engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Footer

from bptui.engine import Engine
from bptui.landscape import HERE, TRAIL
from bptui.numfmt import fmt
from bptui.scenario import Scenario, parse_learning_rate, standing_note
from bptui.scenario_file import save as save_scenario
from bptui.screens.help_screen import HelpScreen
from bptui.series import CorrectRun
from bptui.session import export_session
from bptui.walk import Operation, follow, operations, view
from bptui.widgets.cost_chart import CostChart
from bptui.widgets.forward_pane import ForwardPane
from bptui.widgets.gradient_pane import GradientPane
from bptui.widgets.landscape_view import LandscapeView
from bptui.widgets.message_bar import MessageBar
from bptui.widgets.prompt_input import PromptInput
from bptui.widgets.status_pane import StatusPane

NARROW = 78  # below this many columns the panes stack and scroll
JUMP_LABEL = "jump how many steps:"
MAX_JUMP = 10_000_000
# play speeds, in steps a second; the screen redraws at most FRAME_RATE times a
# second and takes the steps due since the last frame in one go
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 1_000, 10_000, 100_000)
FRAME_RATE = 20
RATE_LABEL = "learning rate:"
EXPORT_LABEL = "export session to:"
SAVE_LABEL = "save scenario to:"


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
        Binding("g", "toggle_check", "Check", show=False),
        Binding("m", "next_rule", "Mistakes", show=False),
        Binding("full_stop", "walk(1)", "Walk", key_display=". ,"),
        Binding("v", "toggle_landscape", "Landscape", show=False),
        Binding("left_curly_bracket", "landscape_y(-1)", "Landscape y", show=False),
        Binding("right_curly_bracket", "landscape_y(1)", "Landscape y", show=False),
        Binding("comma", "walk(-1)", "Walk back", show=False),
        Binding("p", "play", "Play", show=False),
        Binding("greater_than_sign", "speed(1)", "Faster", show=False),
        Binding("less_than_sign", "speed(-1)", "Slower", show=False),
        Binding("j", "jump", "Jump", show=False),
        Binding("e", "export", "Export", show=False),
        Binding("s", "save_scenario", "Save", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, engine: Engine, scenario: Scenario, *, files: bool = True) -> None:
        super().__init__()
        self.engine = engine
        self.scenario = scenario
        # e and s write files; a student's app under bptui serve must not
        # write on the teacher's machine
        self.files = files
        self._pending_path: Path | None = None
        self._sync_pending = False
        self._speed = SPEEDS.index(10)
        self.show_check = True  # finite-difference check beside each gradient
        self._correct_run: CorrectRun | None = None  # the comparison beside a mistaken rule
        # walk mode: the operations of the step being walked, and how many are done
        self._walk: list[Operation] | None = None
        self._walk_pos = 0
        self._chosen = ""  # the chain on screen when the walk began
        self._walked_step = -1  # the step a walk last completed (, goes back into it)
        self.show_landscape = False
        self._landscape_y = 1  # the landscape's second weight (the first is the chosen chain's)
        self._play_timer = None

    def compose(self) -> ComposeResult:
        net = self.engine.network
        with ScrollableContainer(id="columns"):
            with Vertical(id="left"):
                yield ForwardPane(id="forward")
                yield CostChart(loss=net.loss, floor=net.floor, id="chart")
                yield LandscapeView(id="landscape")
            with Vertical(id="right"):
                if self.one_pane_per_param:
                    # the weight nearest the output first: its chain is the shortest
                    for p in reversed(net.params):
                        yield GradientPane(net, p, id=f"grad-{p}")
                else:
                    # one chain at a time, the first parameter's (the longest)
                    yield GradientPane(net, net.params[0], choices=len(net.params), id="grad")
                yield StatusPane(net.loss, id="status")
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
        self.sync()  # panes that wrap their rows lay them out again

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
        walk = view(self._walk, self._walk_pos) if self._walk else None
        if walk is not None and not self.one_pane_per_param:
            # one chain on screen: the one holding the walk's current factor
            pane = self.query_one(GradientPane)
            wanted = follow(e.network, walk.current, pane.param)
            if wanted != pane.param:
                pane.select(wanted)
        self.query_one(ForwardPane).show(e, walk)
        for pane in self.query(GradientPane):
            pane.show(e, self.show_check, walk)
        shown = [pane.param for pane in self.query(GradientPane)]
        self.query_one(StatusPane).show(e, shown, walk)
        if self.show_landscape:
            self.query_one(LandscapeView).show(e, *self._landscape_axes())
        elif e.rule.correct:
            self.query_one(CostChart).show(e)
        else:
            if self._correct_run is None:
                self._correct_run = CorrectRun(e)
            self.query_one(CostChart).show(e, self._correct_run, (e.rule.title, "correct"))

    def say(self, text: str, *, warning: bool = False) -> None:
        self.query_one(MessageBar).message.say(text, warning=warning)

    def show_note(self) -> None:
        """The standing note: what this scenario can and cannot reach."""
        rule = self.engine.rule
        note = standing_note(self.engine.network)
        if not rule.correct:
            # the floor holds whatever the rule: it stays in view
            self.say(f"{rule.title}: {rule.wrong}. m: next" + (f". {note}" if note else ""), warning=True)
            return
        self.say(note or "space steps · l sets the rate · u undoes · ? explains every factor")

    # -- actions --

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the rate is being typed, keys belong to the input: hide the
        # stepper's bindings from the footer so it shows what works now.
        if action != "quit" and isinstance(self.focused, PromptInput):
            return False
        if action == "choose":
            return not self.one_pane_per_param
        return True

    # -- walk mode --

    @property
    def walking(self) -> bool:
        return self._walk is not None

    def action_walk(self, delta: int) -> None:
        """. does the next operation of the step, , takes one back."""
        self._stop_play()
        e = self.engine
        if self._walk is None:
            if delta < 0:
                if not self._reopen_walk():
                    self.say("Not walking: . starts a walk through the next step, one operation at a time.")
                    return
            else:
                if self._cannot_step():
                    return
                self._walk, self._walk_pos = operations(e), 0
                # the chain the user chose, shown again when the walk is over
                self._chosen = self.query(GradientPane).first().param
        self._walk_pos += delta
        if self._walk_pos <= 0:
            self._end_walk()
            self.say("Walk closed: every value of this step shown again. . walks again.")
        elif self._walk_pos >= len(self._walk):
            last = self._walk[-1]
            self._end_walk()
            # the step is complete: take it, exactly as space would
            if e.step() == 0:
                self._cannot_step()
            else:
                self._walked_step = e.step_count
                self.query_one(MessageBar).message.explain(
                    (last.lines[0], f"step {e.step_count} complete: the same numbers space gives. . walks on, , back")
                )
        else:
            self.query_one(MessageBar).message.explain(self._walk[self._walk_pos - 1].lines)
        self.sync()

    def _reopen_walk(self) -> bool:
        """, just after a walk completed its step: take the step back and
        stand on its last operation again. Only while the step is the one the
        walk took (same rate and rule): the walk must recompute it exactly."""
        e = self.engine
        k = e.step_count
        if k == 0 or k != self._walked_step or e.lr_at(k) != e.lr or e.rule_at(k) is not e.rule:
            return False
        self._walked_step = -1
        self._chosen = self.query(GradientPane).first().param
        e.undo()
        self._walk = operations(e)
        # every operation done but the last, which completes the step (the
        # += delta below lands there)
        self._walk_pos = len(self._walk)
        return True

    def _end_walk(self) -> None:
        self._walk, self._walk_pos = None, 0
        if not self.one_pane_per_param:
            pane = self.query_one(GradientPane)
            if pane.param != self._chosen:
                pane.select(self._chosen)

    def _leave_walk(self) -> None:
        """Any other action ends a walk first (its numbers belong to this step)."""
        if self._walk is not None:
            self._end_walk()
            self.sync()

    def action_step(self) -> None:
        # space in mid-walk completes the step
        self._leave_walk()
        e = self.engine
        if self._cannot_step():
            return
        if e.step() == 0:
            self._cannot_step()
        else:
            self.show_note()
        self.sync()

    def _cannot_step(self) -> bool:
        """Say why no step can be taken now, if none can: a refused
        (non-finite) step, or a full history."""
        e = self.engine
        if e.divergence is not None:
            self.say(e.divergence.describe(), warning=True)
            return True
        if e.history_full:
            self.say(
                f"History full: {e.max_steps:,} steps is the limit here (--max-history). u undoes, r resets.",
                warning=True,
            )
            return True
        return False

    def action_next_rule(self) -> None:
        """Cycle the update rule: correct → the question's → the answer's slip."""
        self._leave_walk()
        e = self.engine
        if len(e.rules) == 1:
            self.say("The question's mistakes (m) belong to the question's network: x → σ → σ → (o − y)².")
            return
        e.set_rule((e.rule_index + 1) % len(e.rules))
        if e.rule.correct:
            self.say("Correct rule again: w ← w − lr·dJ/dw for every weight. m: the question's rule")
        else:
            self.show_note()
        self.sync()

    def _landscape_axes(self) -> tuple[int, int]:
        params = self.engine.network.params
        if len(params) < 2:
            return 0, 0
        x = params.index(self.query(GradientPane).first().param) if not self.one_pane_per_param else 0
        y = self._landscape_y % len(params)
        if y == x:
            y = (y + 1) % len(params)
        return x, y

    def action_toggle_landscape(self) -> None:
        if len(self.engine.network.params) < 2:
            self.say("The landscape needs two weights: this network has one.")
            return
        self.show_landscape = not self.show_landscape
        self.query_one(CostChart).display = not self.show_landscape
        self.query_one(LandscapeView).display = self.show_landscape
        if self.show_landscape:
            more = "" if self.one_pane_per_param else " [ ] and { } choose the two weights."
            self.say(f"Loss landscape: {TRAIL} the path so far, {HERE} now; v: back to the chart.{more}")
        else:
            self.say("Back to the chart (v: the landscape).")
        self.sync()

    def action_landscape_y(self, delta: int) -> None:
        n = len(self.engine.network.params)
        if n <= 2:
            self.say("{ } choose the landscape's vertical weight; this network has two, and the landscape shows both.")
            return
        if not self.show_landscape:
            self.say("{ } choose the landscape's vertical weight: v opens the landscape.")
            return
        x, _ = self._landscape_axes()
        y = (self._landscape_y + delta) % n
        if y == x:
            y = (y + delta) % n
        self._landscape_y = y
        self.sync()

    def action_toggle_check(self) -> None:
        self.show_check = not self.show_check
        self.say(
            "Finite-difference check shown: (J(w+h) − J(w−h)) / 2h beside each gradient."
            if self.show_check
            else "Finite-difference check hidden (g shows it)."
        )
        self.sync()

    # -- play, pause, jump --

    @property
    def playing(self) -> bool:
        return self._play_timer is not None

    def action_play(self) -> None:
        self._leave_walk()
        if self.playing:
            self._stop_play()
            self.say(f"Paused at step {self.engine.step_count}.")
            return
        if self._cannot_step():
            return
        sps = SPEEDS[self._speed]
        self._play_timer = self.set_interval(1 / min(sps, FRAME_RATE), self._play_tick)
        self.say(f"Playing at {sps:,} steps a second: p pauses, > and < change the speed.")

    def _stop_play(self) -> None:
        if self._play_timer is not None:
            self._play_timer.stop()
            self._play_timer = None

    def _play_tick(self) -> None:
        # One timer tick takes every step due since the last, so a slow frame
        # never leaves a queue of pending steps behind it.
        sps = SPEEDS[self._speed]
        self.engine.step(max(1, sps // FRAME_RATE))
        if self.engine.divergence is not None or self.engine.history_full:
            self._stop_play()
            self._cannot_step()
        self.sync()

    def action_speed(self, delta: int) -> None:
        self._speed = min(max(self._speed + delta, 0), len(SPEEDS) - 1)
        if self.playing:
            self._stop_play()
            self.action_play()
        else:
            self.say(f"Play speed {SPEEDS[self._speed]:,} steps a second (p plays).")

    def action_jump(self) -> None:
        self._leave_walk()
        self._stop_play()
        if self._cannot_step():
            return
        self.bar.ask(JUMP_LABEL, "1000", "jump")

    def _jump(self, answer: str) -> None:
        try:
            # 10,000 and 10_000 are fine; other scripts' digits are not digits here
            if not answer.isascii():
                raise ValueError
            n = int(answer.strip().replace("_", "").replace(",", ""))
        except ValueError:
            self.bar.refuse(f"{answer.strip()!r} is not a whole number", JUMP_LABEL)
            return
        if not 1 <= n <= MAX_JUMP:
            self.bar.refuse(f"Jump between 1 and {MAX_JUMP:,} steps", JUMP_LABEL)
            return
        self._close_prompt()
        start = self.engine.step_count
        taken = self.engine.step(n)
        if self.engine.divergence is not None:
            self.say(f"Jumped {taken:,} of {n:,} steps. " + self.engine.divergence.describe(), warning=True)
        elif taken < n:
            self.say(
                f"Jumped {taken:,} of {n:,} steps: {start:,} → {self.engine.step_count:,}, the most history kept "
                f"here (--max-history). u undoes, r resets.",
                warning=True,
            )
        else:
            self.say(f"Jumped {taken:,} steps: {start:,} → {self.engine.step_count:,}. u steps back one at a time.")
        self.sync()

    def action_undo(self) -> None:
        self._leave_walk()
        self._stop_play()
        if self.engine.undo() == 0:
            self.say("Nothing to undo: this is step 0.")
        else:
            self.show_note()
        self.sync()

    def action_reset(self) -> None:
        self._leave_walk()
        self._stop_play()
        self.engine.reset()
        self.show_note()
        self.sync()

    def action_scale_rate(self, factor: float) -> None:
        self._leave_walk()
        try:
            new = self.engine.scale_lr(factor)
        except ValueError as e:
            self.say(f"The learning rate stays {fmt(self.engine.lr, keep_zeros=False)}: {e}.", warning=True)
            return
        self.say(f"Learning rate {fmt(new, keep_zeros=False)}.")
        self.sync()

    # -- questions asked in the message bar --

    def action_edit_rate(self) -> None:
        self._leave_walk()
        self.bar.ask(RATE_LABEL, repr(self.engine.lr), "rate")

    def action_export(self) -> None:
        if not self.files:
            self.say("Export is off here: this bptui is served over SSH and writes no files.")
            return
        self.bar.ask(EXPORT_LABEL, f"bptui-session-step{self.engine.step_count}.json", "export")

    def action_save_scenario(self) -> None:
        if not self.files:
            self.say("Saving is off here: this bptui is served over SSH and writes no files.")
            return
        self.bar.ask(SAVE_LABEL, "scenario.toml", "save")

    @property
    def bar(self) -> MessageBar:
        return self.query_one(MessageBar)

    def on_input_submitted(self, event: PromptInput.Submitted) -> None:
        bar = self.bar
        purpose, answer = bar.purpose, event.value
        if purpose == "jump":
            self._jump(answer)
        elif purpose == "rate":
            try:
                rate = parse_learning_rate(answer)
            except ValueError as e:
                # the question stays open so the number can be corrected
                bar.refuse(str(e), RATE_LABEL)
                return
            self.engine.set_lr(rate)
            self._close_prompt()
            self.say(f"Learning rate {fmt(rate, keep_zeros=False)}.")
            self.sync()
        elif purpose in ("export", "save"):
            label = EXPORT_LABEL if purpose == "export" else SAVE_LABEL
            if not answer.strip():
                bar.refuse("Type a file name", label)
                return
            path = Path(answer.strip()).expanduser()
            try:
                is_dir, exists = path.is_dir(), path.exists()
            except (OSError, ValueError) as e:  # a name too long, a folder we may not read
                bar.refuse(f"Not written: {getattr(e, 'strerror', None) or e}", label)
                return
            if is_dir:
                bar.refuse(f"{path} is a folder", label)
            elif exists:
                self._pending_path = path
                bar.ask(f"{path} exists. Overwrite it? (y/n)", "", f"overwrite-{purpose}")
            else:
                self._write(purpose, path, overwrite=False)
        elif purpose in ("overwrite-export", "overwrite-save"):
            if answer.strip().lower() in ("y", "yes"):
                self._write(purpose.removeprefix("overwrite-"), self._pending_path, overwrite=True)
            else:
                self._close_prompt()
                self.say(f"Not written: {self._pending_path.name} is unchanged.")

    def _write(self, what: str, path: Path, *, overwrite: bool) -> None:
        try:
            if what == "export":
                export_session(path, self.engine, self.scenario, overwrite=overwrite)
                done = f"Exported {self.engine.step_count} steps to {path} (reopen: bptui --replay {path})."
            else:
                save_scenario(path, replace(self.scenario, lr=self.engine.lr), overwrite=overwrite)
                done = f"Saved the scenario (starting point, current rate) to {path}."
        except (OSError, ValueError) as e:
            reason = getattr(e, "strerror", None) or e
            self.bar.refuse(f"Not written: {reason}", EXPORT_LABEL if what == "export" else SAVE_LABEL)
            self.bar.purpose = what
            return
        self._close_prompt()
        self.say(done)

    def on_prompt_input_cancelled(self, event: PromptInput.Cancelled) -> None:
        purpose = self.bar.purpose
        self._close_prompt()
        if purpose == "rate":
            self.say(f"Learning rate unchanged: {fmt(self.engine.lr, keep_zeros=False)}.")
        elif purpose == "jump":
            self.say("No jump.")
        else:
            self.say("Nothing written.")

    def _close_prompt(self) -> None:
        self.bar.close()
        self.query_one("#columns").focus()

    def action_choose(self, delta: int) -> None:
        """Show the next (or previous) parameter's chain."""
        if self.one_pane_per_param:
            return
        pane = self.query_one(GradientPane)
        params = self.engine.network.params
        pane.select(params[(params.index(pane.param) + delta) % len(params)])
        self._chosen = pane.param  # kept when a walk ends
        self.sync()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.engine.network))
