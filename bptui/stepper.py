"""A session being stepped, with no screen: the engine and its history, the
rule in force, the walk, play (as steps due, no timers), the chosen chain,
the landscape's axes, the question being asked and the message to show.

Every key is one method here; the app maps keys to them and draws the frame
the stepper makes (bptui.frame). Tests drive it directly, with no terminal
and no sleeps. This module never imports Textual.
"""

from __future__ import annotations

from typing import Callable
from enum import Enum

from bptui.engine import Engine, ResetMemo
from bptui.landscape import HERE, TRAIL
from bptui.networks import stuck_note
from bptui.numfmt import count, fmt
from bptui.prompt import Prompt
from bptui.scenario import Scenario, standing_note
from bptui.stepper_nudge import Nudging
from bptui.stepper_questions import EXPORT_LABEL, JUMP_LABEL, MAX_JUMP, RATE_LABEL, SAVE_LABEL, SET_LABEL, Questions
from bptui.predict import Score
from bptui.stepper_predict import Predicting
from bptui.stepper_walk import Walking
from bptui.stepper_follow import Following
from bptui.message import Message

__all__ = ["Stepper", "KeyTaken", "Message", "SPEEDS", "FRAME_RATE", "HINT", "JUMP_LABEL", "MAX_JUMP", "RATE_LABEL", "SET_LABEL",
           "EXPORT_LABEL", "SAVE_LABEL"]  # fmt: skip

# play speeds, in steps a second; the screen takes the steps due since its
# last frame in one go, at most FRAME_RATE frames a second
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 1_000, 10_000, 100_000)
FRAME_RATE = 20
VIEW_WORDS = {
    "circuit": "The circuit: values on the wires, ∂ their gradients; c: back to the panes.",
    "code": "The next step as code, each line's value beside it; k: back to the panes.",
    "panes": "Back to the panes (c: the circuit, k: the code).",
}
HINT = "space steps · l sets the rate · u undoes · ? explains every factor"


class KeyTaken(Enum):
    TAKEN = "taken"  # by the open question
    QUIT = "quit"  # the q that confirms quitting
    FREE = "free"  # the key does what it does


class Stepper(Questions, Nudging, Predicting, Walking, Following):
    def __init__(self, engine: Engine, scenario: Scenario, *, files: bool = True, score: Score | None = None) -> None:
        self.engine = engine
        self.scenario = scenario
        # e and s write files; a student's app under bptui serve must not
        # write on the teacher's machine
        self.files = files
        # under a class that takes hand-ins, what `e` does instead of a file
        self.hand_in: Callable[[], None] | None = None
        net = engine.network
        # two single-path gradients fit side by side (the question's network);
        # anything bigger shows one chosen chain at a time
        self.one_pane_per_param = len(net.params) <= 2 and all(len(net.paths[p]) == 1 for p in net.params)
        self.chosen = net.params[0]  # the chain shown (one at a time), the longest first
        self.show_check = True
        self.show_landscape = False
        self.view = "panes"  # or what takes their place: "circuit" (c), "code" (k)
        self.log_steps = False
        self._landscape_y = 1
        self.speed = SPEEDS.index(10)
        self.playing = False
        self._init_walk()
        self._init_predict(score)
        self.asking: Prompt | None = None
        self.message = Message()
        self._quit_armed = False
        self._reset_memo: ResetMemo | None = None
        self.version = 0  # counts changes: a frame is made once per change
        self.note()

    # -- what the screen shows --

    @property
    def shown(self) -> list[str]:
        """The parameters whose chains are on screen: in a walk, the chain
        that holds the current factor."""
        net = self.engine.network
        if self.one_pane_per_param:
            return list(reversed(net.params))  # the weight nearest the output first
        return [self._following if self._walk is not None else self.chosen]

    def landscape_axes(self) -> tuple[int, int]:
        params = self.engine.network.params
        if len(params) < 2:
            return 0, 0
        x = 0 if self.one_pane_per_param else params.index(self.chosen)
        y = self._landscape_y % len(params)
        if y == x:
            y = (y + 1) % len(params)
        return x, y

    def say(self, text: str, *, warning: bool = False) -> None:
        message = Message(text, warning)
        if message != self.message:  # the same words again need no new frame
            self.message = message
            self.version += 1

    def explain(self, lines: tuple[str, ...]) -> None:
        self.message = Message(lines=lines)
        self.version += 1

    def note(self) -> None:
        """The standing note: why the run is stuck, if it is; the rule in
        force, if it is a mistaken one; what the scenario cannot reach."""
        e = self.engine
        stuck = stuck_note(e.trace, e.lr, e.next_value if e.optimizer.slots else None)
        if stuck:
            self.say(stuck, warning=True)
            return
        note = standing_note(e.network)
        if not e.rule.correct:
            # the floor holds whatever the rule: it stays in view
            self.say(f"{e.rule.title}: {e.rule.wrong}. m: next" + (f". {note}" if note else ""), warning=True)
            return
        self.say(note or HINT)

    def changed(self) -> None:
        self.version += 1

    # -- keys: one method each --

    def key(self, name: str, character: str | None = None) -> KeyTaken:
        """A key while a question is open, or after q asked once: whether it
        was taken here (the app then has nothing more to do with it), is the
        second q (the app quits), or is free to do what it does."""
        if self.asking is not None:
            self._prompt_outcome(self.asking, self.asking.key(name, character))
            return KeyTaken.TAKEN
        if self._quit_armed:
            self._quit_armed = False
            if name == "q":
                return KeyTaken.QUIT
            self.say("Not quitting.")  # and the key does what it does
        return KeyTaken.FREE

    def before_action(self, action: str) -> None:
        if action != "undo":
            self._reset_memo = None  # only an undo straight after r undoes it
        if not action.startswith("change_nudge_step"):
            self.last_nudge = None  # what a nudge did shows until the next key

    def paste(self, text: str) -> None:
        if self.asking is not None:
            self._prompt_outcome(self.asking, self.asking.paste(text))
        else:
            self.say("A paste goes into a question (l, j, =, e, s); here it does nothing.")

    def step(self) -> None:
        # space in mid-walk completes the step
        self._leave_walk()
        if self.predicting and not self._cannot_step():
            self.predict_step(self._take_step)  # the gradients and new weights first
            return
        self._take_step()

    def _take_step(self) -> None:
        if not self._cannot_step():
            if self.engine.step() == 0:
                self._cannot_step()
            else:
                self.note()
        self.changed()

    def _cannot_step(self) -> bool:
        """Say why no step can be taken now, if none can: a refused
        (non-finite) step, or a full history."""
        e = self.engine
        if e.divergence is not None:
            self.say(e.divergence.describe(), warning=True)
            return True
        if e.history_full:
            self.say(
                f"History full: {count(e.max_steps)} steps is the limit here (--max-history). u undoes, r resets.",
                warning=True,
            )
            return True
        return False

    def next_rule(self) -> None:
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
            self.note()

    def choose(self, delta: int) -> None:
        """Show the next (or previous) parameter's chain."""
        if self.one_pane_per_param:
            self.say("[ ] choose a weight's chain on bigger networks; both of this one's are on screen.")
            return
        params = self.engine.network.params
        self.chosen = self._following = params[(params.index(self.shown[0]) + delta) % len(params)]
        self.changed()

    def toggle_check(self) -> None:
        self.show_check = not self.show_check
        self.say(
            "Finite-difference check shown: (J(w+h) − J(w−h)) / 2h beside each gradient."
            if self.show_check
            else "Finite-difference check hidden (g shows it)."
        )

    def toggle_view(self, view: str) -> None:
        """c and k: the circuit or the code in the place of the panes; the
        same key again, the panes."""
        self.view = "panes" if self.view == view else view
        self.say(VIEW_WORDS[self.view])

    def toggle_landscape(self) -> None:
        if len(self.engine.network.params) < 2:
            self.say("The landscape needs two weights: this network has one.")
            return
        self.show_landscape = not self.show_landscape
        if self.show_landscape:
            more = "" if self.one_pane_per_param else " [ ] and { } choose the two weights."
            self.say(f"Loss landscape: {TRAIL} the path so far, {HERE} now; v: back to the chart.{more}")
        else:
            self.say("Back to the chart (v: the landscape).")

    def landscape_y(self, delta: int) -> None:
        n = len(self.engine.network.params)
        if n <= 2:
            self.say("{ } choose the landscape's vertical weight; this network has two, and the landscape shows both.")
            return
        if not self.show_landscape:
            self.say("{ } choose the landscape's vertical weight: v opens the landscape.")
            return
        x, shown = self.landscape_axes()
        y = (shown + delta) % n  # from the weight on screen (it may have stepped past x)
        if y == x:
            y = (y + delta) % n
        self._landscape_y = y
        self.changed()

    def toggle_log_steps(self) -> None:
        self.log_steps = not self.log_steps
        self.say(
            "Step axis logarithmic: 1, 10, 100, 1k… evenly spaced, so a long run's first steps and its tail "
            "both show. t: linear again."
            if self.log_steps
            else "Step axis linear again (t: logarithmic)."
        )

    # -- play: the app's timer asks for the steps due --

    def play(self) -> None:
        self._leave_walk()
        if self.playing:
            self.stop_play()
            self.say(f"Paused at step {count(self.engine.step_count)}.")
            return
        if self._cannot_step():
            return
        self.playing = True
        self.say(f"Playing at {count(SPEEDS[self.speed])} steps a second: p pauses, > and < change the speed.")

    def stop_play(self) -> None:
        self.playing = False

    def play_tick(self) -> None:
        """One frame's worth of play: every step due since the last, so a slow
        frame never leaves a queue of pending steps behind it."""
        if not self.playing:
            return
        self.engine.step(max(1, SPEEDS[self.speed] // FRAME_RATE))
        if self.engine.divergence is not None or self.engine.history_full:
            self.stop_play()
            self._cannot_step()
        self.changed()

    @property
    def tick_seconds(self) -> float:
        return 1 / min(SPEEDS[self.speed], FRAME_RATE)

    def change_speed(self, delta: int) -> None:
        self.speed = min(max(self.speed + delta, 0), len(SPEEDS) - 1)
        if self.playing:
            self.say(f"Playing at {count(SPEEDS[self.speed])} steps a second: p pauses, > and < change the speed.")
        else:
            self.say(f"Play speed {count(SPEEDS[self.speed])} steps a second (p plays).")

    # -- undo, reset, rate --

    def undo(self) -> None:
        walked = self.walking
        self._leave_walk()
        self.stop_play()
        memo, self._reset_memo = self._reset_memo, None
        e = self.engine
        edit = e.last_edit
        if memo is not None:
            e.bring_back(memo)
            self.say(f"Reset undone: back at step {count(e.step_count)}, every step as it was.")
        elif edit is not None:
            e.undo()
            self.say(f"Undone: {edit.name} is {fmt(edit.old, keep_zeros=False)} again "
                     f"(it was set to {fmt(edit.new, keep_zeros=False)}).")  # fmt: skip
        elif e.undo() == 0:
            self.say("Walk closed; nothing to undo: this is step 0." if walked else "Nothing to undo: this is step 0.")
        elif walked:
            self.say(f"Walk closed, and step {count(e.step_count + 1)} undone: now at step {count(e.step_count)}.")
        else:
            self.note()
        self.changed()

    def reset(self) -> None:
        self._leave_walk()
        self.stop_play()
        steps, edits = self.engine.step_count, len(self.engine.edits)
        memo = self.engine.reset()
        if memo is None:
            self.say("At step 0 already.")
            return
        taken = [f"{count(steps)} step{'s' * (steps != 1)}"] if steps else []
        if edits:
            taken.append(f"{count(edits)} value{'s' * (edits != 1)} set by hand")
        self.say(f"Reset to step 0. u brings back all {' and '.join(taken)}.")
        self._reset_memo = memo

    def scale_rate(self, factor: float) -> None:
        self._leave_walk()
        try:
            new = self.engine.scale_lr(factor)
        except ValueError as e:
            self.say(f"The learning rate stays {fmt(self.engine.lr, keep_zeros=False)}: {e}.", warning=True)
            return
        self.say(f"Learning rate {fmt(new, keep_zeros=False)}.")

    def quit(self) -> bool:
        """With steps taken, q asks once; True: quit now."""
        if self.engine.step_count == 0:
            return True
        keep = " (e exports them first)" if self.files else ""
        self.say(f"Quit, leaving {count(self.engine.step_count)} steps{keep}? q again quits; any other key stays.",
                 warning=True)  # fmt: skip
        self._quit_armed = True
        return False
