"""The questions a stepper asks in the bottom line: the learning rate, a
jump, a value to set (`=`), a file to export to or save in. Each is a
Prompt with callbacks; the Stepper mixes these in. UI-free.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bptui.assignment import complete_name, parse_assignment
from bptui.engine import Edit
from bptui.file_question import ask_for_file
from bptui.numfmt import count, fmt
from bptui.prompt import Outcome, Prompt
from bptui.scenario import Scenario, parse_learning_rate, parse_whole
from bptui.scenario_file import save as save_scenario
from bptui.scenario_file import write_atomically
from bptui.program import session_program
from bptui.session import export_session

JUMP_LABEL = "jump how many steps:"
MAX_JUMP = 10_000_000
RATE_LABEL = "learning rate:"
SET_LABEL = "set (name = value):"
EXPORT_LABEL = "export session to:"
SAVE_LABEL = "save scenario to:"


class Questions:
    """Mixed into Stepper: it provides engine, scenario, files, hand_in, say, changed,
    stop_play, _leave_walk and _cannot_step."""

    asking: Prompt | None = None

    def ask(self, prompt: Prompt) -> None:
        self.stop_play()
        self.asking = prompt
        self.changed()

    def _prompt_outcome(self, prompt: Prompt, outcome: Outcome) -> None:
        if prompt.closed and self.asking is prompt:
            # its callback may have asked the next question (overwrite?)
            self.asking = None
        if outcome is not Outcome.IGNORED:
            self.changed()

    def edit_rate(self) -> None:
        self._leave_walk()
        self.ask(Prompt(RATE_LABEL, repr(self.engine.lr), self._set_rate, self._rate_unchanged))

    def _set_rate(self, answer: str) -> str | None:
        try:
            rate = parse_learning_rate(answer)
        except ValueError as e:
            return str(e)  # the question stays open so the number can be corrected
        self.engine.set_lr(rate)
        self.say(f"Learning rate {fmt(rate, keep_zeros=False)}.")
        return None

    def _rate_unchanged(self) -> None:
        self.say(f"Learning rate unchanged: {fmt(self.engine.lr, keep_zeros=False)}.")

    def edit_value(self) -> None:
        """= : set an input, a target, a parameter or the rate by hand. The
        question opens on the chain's parameter, its value in full."""
        self._leave_walk()
        e = self.engine
        name = e.network.params[0] if self.one_pane_per_param else self.chosen
        prompt = Prompt(SET_LABEL, f"{name} = {e.settable()[name]!r}", self._set_value,
                        lambda: self.say("Nothing set."))  # fmt: skip
        prompt.complete = lambda text: self._complete_name(prompt, text)
        self.ask(prompt)

    def _complete_name(self, prompt: Prompt, text: str) -> str | None:
        names = list(self.engine.settable())
        done, could_be = complete_name("" if prompt.fresh else text, names)
        if len(could_be) > 1:
            prompt.reason = f"Tab: {', '.join(could_be)}"
        elif not could_be and "=" not in text:
            prompt.reason = f"Tab: no name starts {text.strip()!r}; {', '.join(names)} can be set"
        else:
            prompt.reason = ""
        return done

    def _set_value(self, answer: str) -> str | None:
        e = self.engine
        before = e.loss
        try:
            name, value = parse_assignment(answer, list(e.settable()))
            edit = e.set_value(name, value)
        except ValueError as err:
            return str(err)
        self.say(describe_edit(edit, e.network.loss, before, e.loss))
        return None

    def jump(self) -> None:
        self._leave_walk()
        self.stop_play()
        if self._cannot_step():
            return
        self.ask(Prompt(JUMP_LABEL, "1000", self._jump, lambda: self.say("No jump.")))

    def _jump(self, answer: str) -> str | None:
        try:
            n = parse_whole(answer, "Jump", 1, MAX_JUMP)
        except ValueError as e:
            return str(e)
        e = self.engine
        start = e.step_count
        taken = e.step(n)
        moved = f"{count(start)} → {count(e.step_count)}"
        if e.divergence is not None:
            self.say(f"Jumped {count(taken)} of {count(n)} steps. " + e.divergence.describe(), warning=True)
        elif taken < n:
            self.say(f"Jumped {count(taken)} of {count(n)} steps: {moved}, the most history kept here "
                     "(--max-history). u undoes, r resets.", warning=True)  # fmt: skip
        else:
            self.say(f"Jumped {count(taken)} steps: {moved}. u steps back one at a time.")
        return None

    def export(self) -> None:
        if not self.files and self.hand_in is not None:
            self.hand_in()
            return
        if not self.files:
            self.say("Export is off here: this class takes no hand-ins, and writes no files.")
            return
        ask_for_file(self.ask, self.say, EXPORT_LABEL, f"bptui-session-step{self.engine.step_count}.json", self._export)

    def save_scenario(self) -> None:
        if not self.files:
            self.say("Saving is off here: this bptui is served over SSH and writes no files.")
            return
        ask_for_file(self.ask, self.say, SAVE_LABEL, "scenario.toml", self._save)

    def _export(self, path: Path, overwrite: bool) -> str:
        export_session(path, self.engine, self.scenario, overwrite=overwrite, score=self.score)
        done = f"Exported {count(self.engine.step_count)} steps to {path} (reopen: bptui --replay {path})"
        # and the session as a program beside it (the k view's code, runnable)
        program = path.with_suffix(".py")
        source, takes = session_program(self.engine)
        try:
            write_atomically(program, source, overwrite=overwrite)
        except (OSError, ValueError) as e:
            return f"{done}; {program} not written: {getattr(e, 'strerror', None) or e}."
        return f"{done}; {program} runs {takes} (python3 {program.name})."

    def _save(self, path: Path, overwrite: bool) -> str:
        scenario, left_out = self._starting_point()
        save_scenario(path, scenario, overwrite=overwrite)
        e = self.engine
        if not e.edits:
            return f"Saved the scenario (starting point, current rate) to {path}."
        text = f"Saved the scenario (step 0 with the values set there by hand, the current rate) to {path}."
        if left_out:
            text += f" Not in it: {', '.join(left_out)} ({'e exports them' if self.files else 'an export keeps them'})."
        return text

    def _starting_point(self) -> tuple[Scenario, list[str]]:
        """The scenario of step 0 as it stands, values set there by hand
        included, at the current rate; and what a scenario cannot hold: the
        values set after step 0, and a preset's fixed inputs."""
        e, s = self.engine, self.scenario
        start = dict(zip(e.network.params, e.params_at(0)))
        later = [x for x in e.edits if x.step > 0 and x.name != "lr"]
        # the inputs as step 0 left them: the network before the first later edit
        inputs = next((x.network for x in e.edits if x.step > 0), e.network).inputs
        left_out = [f"{x.name} set at step {count(x.step)}" for x in later]
        changes: dict = {"lr": e.lr}
        if any(x.step == 0 and x.name in start for x in e.edits):
            weights = [p for p in e.network.params if p.startswith("w")]
            changes["weights"] = tuple(start[p] for p in weights)
            if s.biases is not None:
                changes["biases"] = tuple(start[p] for p in e.network.params if p.startswith("b"))
        for x in e.edits:
            if x.step == 0 and x.name in inputs:
                if s.preset == "question" and x.name in ("x", "y"):
                    changes[x.name] = inputs[x.name]
                elif f"{x.name} set at step 0" not in left_out:
                    left_out.append(f"{x.name} set at step 0")
        return replace(s, **changes), left_out


def describe_edit(edit: Edit, loss: str, before: float, after: float) -> str:
    """What an edit did, in the bottom line: the value, and J's move."""
    text = f"{edit.name} = {fmt(edit.new, keep_zeros=False)} (was {fmt(edit.old, keep_zeros=False)})"
    if edit.name != "lr":
        text += f": {loss} {fmt(before)} → {fmt(after)}"
    return text + ". u takes it back."
