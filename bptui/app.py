"""The stepper: composes the panes and binds the keys. No math here: every
number comes from the engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import events
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Footer

from bptui.engine import Engine
from bptui.keys import BY_KEY, KEYS, NAVIGATION, footer_keys
from bptui.landscape import HERE, TRAIL
from bptui.networks import stuck_note
from bptui.numfmt import count, fmt
from bptui.prompt import Outcome, Prompt
from bptui.scenario import Scenario, parse_learning_rate, parse_whole, standing_note
from bptui.scenario_file import save as save_scenario
from bptui.screens.help_screen import HelpScreen
from bptui.series import CorrectRun
from bptui.session import export_session
from bptui.walk import Operation, follow, operations, view
from bptui.widgets.cost_chart import CostChart
from bptui.widgets.forward_pane import CHART_ROWS, LANDSCAPE_ROWS, ForwardPane
from bptui.widgets.gradient_pane import GradientPane
from bptui.widgets.landscape_view import LandscapeView
from bptui.widgets.message_bar import MessageBar
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

    # the Footer's bindings, made from the one table of keys (bptui.keys);
    # keys themselves are routed by on_event, in the order they arrive
    BINDINGS = [
        *(
            Binding(name, k.action, k.label or k.help, show=bool(k.label) and i == 0, key_display=k.footer_key or None)
            for k in KEYS
            for i, name in enumerate(k.keys)
        ),
        Binding("ctrl+q", "quit_now", "Quit", show=False, priority=True),
        Binding("enter", "answer", "Answer"),
        Binding("escape", "answer", "Cancel", key_display="esc"),
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
        self.asking: Prompt | None = None  # the question the bar asks, if any
        self._quit_armed = False  # q was pressed once with steps taken
        self._reset_memo = None  # what r took away, while u can bring it back
        # each action of the key table, parsed once: (method, arguments)
        self._actions = {}
        for k in KEYS:
            name, args = parse_action(k.action)[1:]
            self._actions[k.action] = (getattr(self, f"action_{name}"), args)

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
        # once laid out, again: the forward pane chooses its layout by the
        # rows it has
        self.call_after_refresh(self.sync)

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
        stuck = stuck_note(self.engine.trace, self.engine.lr)
        if stuck:
            self.say(stuck, warning=True)
            return
        note = standing_note(self.engine.network)
        if not rule.correct:
            # the floor holds whatever the rule: it stays in view
            self.say(f"{rule.title}: {rule.wrong}. m: next" + (f". {note}" if note else ""), warning=True)
            return
        self.say(note or "space steps · l sets the rate · u undoes · ? explains every factor")

    # -- actions --

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """What the Footer shows (keys are routed by on_event, not here): while
        a question is asked, how to answer it; else the stepper's keys that fit
        the width, help and quit first."""
        if action == "answer":
            return self.asking is not None
        full = f"{action}({', '.join(map(repr, parameters))})" if parameters else action
        if full not in self._actions:
            return True  # Textual's own (focus, screens) and the help screen's
        if self.asking is not None:
            return False
        return full in self._footer_actions()

    def _footer_actions(self) -> set[str]:
        available = {k.action for k in KEYS}
        if self.one_pane_per_param:
            available.discard("choose(1)")
        return footer_keys(self.size.width or 80, available)

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
                self.route_paste(event.text)
                return
        await super().on_event(event)

    def route_key(self, event: events.Key) -> bool:
        """Do what the key means now; False leaves it to Textual (Tab, arrows
        and page keys move focus and scroll)."""
        key = event.key
        if self.asking is not None:
            self._prompt_outcome(self.asking, self.asking.key(key, event.character))
            return True
        if self._quit_armed:
            self._quit_armed = False
            if key == "q":
                self.exit()
                return True
            self.say("Not quitting.")  # and the key does what it does
        k = BY_KEY.get(key)
        if k is not None:
            if k.action != "undo":
                self._reset_memo = None  # only an undo straight after r undoes it
            method, args = self._actions[k.action]
            method(*args)
            return True
        if key in NAVIGATION or not (event.character and event.character.isprintable()):
            return False
        self.say(f"{event.character} does nothing here: ? lists every key.")
        return True

    def route_paste(self, text: str) -> None:
        if self.asking is not None:
            self._prompt_outcome(self.asking, self.asking.paste(text))
        else:
            self.say("A paste goes into a question (l, j, e, s); here it does nothing.")

    def action_answer(self) -> None:
        """Enter and Escape are the prompt's own keys (this only labels them)."""

    # -- questions asked in the message bar --

    def ask(self, prompt: Prompt) -> None:
        self._stop_play()
        self.asking = prompt
        self.bar.ask(prompt)
        self.refresh_bindings()

    def _prompt_outcome(self, prompt: Prompt, outcome: Outcome) -> None:
        if prompt.closed:
            # its callback may have asked the next question (overwrite?)
            if self.asking is prompt:
                self.asking = None
                self.bar.close()
                self.refresh_bindings()
        elif outcome is not Outcome.IGNORED:
            self.bar.show_prompt()

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
                    (last.lines[0], f"step {count(e.step_count)} complete: the same numbers space gives. . walks on, , back")
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
        self.query_one(ForwardPane).keep_below = LANDSCAPE_ROWS if self.show_landscape else CHART_ROWS
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
            self.say(f"Paused at step {count(self.engine.step_count)}.")
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
        self.ask(Prompt(JUMP_LABEL, "1000", self._jump, lambda: self.say("No jump.")))

    def _jump(self, answer: str) -> str | None:
        try:
            n = parse_whole(answer, "Jump", 1, MAX_JUMP)
        except ValueError as e:
            return str(e)
        start = self.engine.step_count
        taken = self.engine.step(n)
        if self.engine.divergence is not None:
            self.say(f"Jumped {count(taken)} of {count(n)} steps. " + self.engine.divergence.describe(), warning=True)
        elif taken < n:
            self.say(
                f"Jumped {count(taken)} of {count(n)} steps: {count(start)} → {count(self.engine.step_count)}, the "
                "most history kept here (--max-history). u undoes, r resets.",
                warning=True,
            )
        else:
            self.say(
                f"Jumped {count(taken)} steps: {count(start)} → {count(self.engine.step_count)}. "
                "u steps back one at a time."
            )
        self.sync()
        return None

    def action_undo(self) -> None:
        walked = self.walking
        self._leave_walk()
        self._stop_play()
        memo, self._reset_memo = self._reset_memo, None
        if memo is not None:
            self.engine.bring_back(memo)
            self.say(f"Reset undone: back at step {count(self.engine.step_count)}, every step as it was.")
        elif self.engine.undo() == 0:
            self.say("Walk closed; nothing to undo: this is step 0." if walked else "Nothing to undo: this is step 0.")
        elif walked:
            self.say(f"Walk closed, and step {count(self.engine.step_count + 1)} undone: now at step "
                     f"{count(self.engine.step_count)}.")  # fmt: skip
        else:
            self.show_note()
        self.sync()

    def action_reset(self) -> None:
        self._leave_walk()
        self._stop_play()
        steps = self.engine.step_count
        memo = self.engine.reset()
        self.sync()
        if memo is None:
            self.say("At step 0 already.")
            return
        self.say(f"Reset to step 0. u brings back all {count(steps)} steps.")
        self._reset_memo = memo  # after say(): only an undo straight after may use it

    def action_toggle_log_steps(self) -> None:
        chart = self.query_one(CostChart)
        chart.set_log_steps(not chart.log_steps)
        self.say(
            "Step axis logarithmic: 1, 10, 100, 1k… evenly spaced, so a long run's first steps and its tail "
            "both show. t: linear again."
            if chart.log_steps
            else "Step axis linear again (t: logarithmic)."
        )
        self.sync()

    def action_quit(self) -> None:
        """With steps taken, q asks once: q again quits, any other key stays."""
        if self.engine.step_count == 0:
            self.exit()
            return
        keep = " (e exports them first)" if self.files else ""
        self.say(f"Quit, leaving {count(self.engine.step_count)} steps{keep}? q again quits; any other key stays.",
                 warning=True)  # fmt: skip
        self._quit_armed = True

    def action_quit_now(self) -> None:
        self.exit()

    def action_scale_rate(self, factor: float) -> None:
        self._leave_walk()
        try:
            new = self.engine.scale_lr(factor)
        except ValueError as e:
            self.say(f"The learning rate stays {fmt(self.engine.lr, keep_zeros=False)}: {e}.", warning=True)
            return
        self.say(f"Learning rate {fmt(new, keep_zeros=False)}.")
        self.sync()

    def action_edit_rate(self) -> None:
        self._leave_walk()
        self.ask(Prompt(RATE_LABEL, repr(self.engine.lr), self._set_rate, self._rate_unchanged))

    def _set_rate(self, answer: str) -> str | None:
        try:
            rate = parse_learning_rate(answer)
        except ValueError as e:
            return str(e)  # the question stays open so the number can be corrected
        self.engine.set_lr(rate)
        self.say(f"Learning rate {fmt(rate, keep_zeros=False)}.")
        self.sync()
        return None

    def _rate_unchanged(self) -> None:
        self.say(f"Learning rate unchanged: {fmt(self.engine.lr, keep_zeros=False)}.")

    def action_export(self) -> None:
        if not self.files:
            self.say("Export is off here: this bptui is served over SSH and writes no files.")
            return
        self._ask_file(EXPORT_LABEL, f"bptui-session-step{self.engine.step_count}.json", self._export)

    def action_save_scenario(self) -> None:
        if not self.files:
            self.say("Saving is off here: this bptui is served over SSH and writes no files.")
            return
        self._ask_file(SAVE_LABEL, "scenario.toml", self._save)

    def _ask_file(self, label: str, default: str, write, reason: str = "") -> None:
        """Ask for a file name, then (if it exists) whether to overwrite it;
        `write(path, overwrite)` returns what it did, or raises OSError. A
        failed write asks for the name again, saying why."""

        def written(path: Path, overwrite: bool) -> str | None:
            try:
                self.say(write(path, overwrite))
            except (OSError, ValueError) as e:
                return f"Not written: {getattr(e, 'strerror', None) or e}"
            return None

        def named(answer: str) -> str | None:
            if not answer.strip():
                return "Type a file name"
            path = Path(answer.strip()).expanduser()
            try:
                is_dir, exists = path.is_dir(), path.exists()
            except (OSError, ValueError) as e:  # a name too long, a folder we may not read
                return f"Not written: {getattr(e, 'strerror', None) or e}"
            if is_dir:
                return f"{path} is a folder"
            if not exists:
                return written(path, False)

            def confirmed(yes: str) -> str | None:
                if yes.strip().lower() not in ("y", "yes"):
                    self.say(f"Not written: {path.name} is unchanged.")
                    return None
                failed = written(path, True)
                if failed:
                    self._ask_file(label, str(path), write, failed)
                return None

            self.ask(Prompt(f"{path} exists. Overwrite it? (y/n)", "", confirmed, nothing))
            return None

        def nothing() -> None:
            self.say("Nothing written.")

        self.ask(Prompt(label, default, named, nothing, reason=reason))

    def _export(self, path: Path, overwrite: bool) -> str:
        export_session(path, self.engine, self.scenario, overwrite=overwrite)
        return f"Exported {count(self.engine.step_count)} steps to {path} (reopen: bptui --replay {path})."

    def _save(self, path: Path, overwrite: bool) -> str:
        save_scenario(path, replace(self.scenario, lr=self.engine.lr), overwrite=overwrite)
        return f"Saved the scenario (starting point, current rate) to {path}."

    @property
    def bar(self) -> MessageBar:
        return self.query_one(MessageBar)

    def action_choose(self, delta: int) -> None:
        """Show the next (or previous) parameter's chain."""
        if self.one_pane_per_param:
            self.say("[ ] choose a weight's chain on bigger networks; both of this one's are on screen.")
            return
        pane = self.query_one(GradientPane)
        params = self.engine.network.params
        pane.select(params[(params.index(pane.param) + delta) % len(params)])
        self._chosen = pane.param  # kept when a walk ends
        self.sync()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.engine.network))
