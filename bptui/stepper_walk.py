"""The walk: one operation of a step at a time (. on, , back), each with
the rule behind it, until the step completes exactly as space would take it.
The Stepper mixes this in. UI-free.
"""

from __future__ import annotations

from bptui.numfmt import count
from bptui.walk import Operation, WalkView, follow, operations, view


class Walking:
    """Needs from the Stepper: engine, chosen, say, explain, changed,
    stop_play and _cannot_step."""

    def _init_walk(self) -> None:
        self._walk: list[Operation] | None = None
        self._walk_pos = 0
        self._walked_step = -1  # the step a walk last completed (, goes back into it)
        self._following = ""  # in a walk, the chain on screen (it follows the walk)

    @property
    def walking(self) -> bool:
        return self._walk is not None

    def walk_view(self) -> WalkView | None:
        return view(self._walk, self._walk_pos) if self._walk else None

    def walk(self, delta: int) -> None:
        """. does the next operation of the step, , takes one back."""
        self.stop_play()
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
            self._following = self.chosen
        self._walk_pos += delta
        if self._walk_pos <= 0:
            self._walk, self._walk_pos = None, 0
            self.say("Walk closed: every value of this step shown again. . walks again.")
        elif self._walk_pos >= len(self._walk):
            last = self._walk[-1]
            self._walk, self._walk_pos = None, 0
            # the step is complete: take it, exactly as space would
            if e.step() == 0:
                self._cannot_step()
            else:
                self._walked_step = e.step_count
                done = f"step {count(e.step_count)} complete: the same numbers space gives. . walks on, , back"
                self.explain((last.lines[0], done))
        else:
            self.explain(self._walk[self._walk_pos - 1].lines)
            # one chain on screen: the one holding the current factor
            self._following = follow(e.network, self._walk[self._walk_pos - 1], self._following or self.chosen)
        self.changed()

    def _reopen_walk(self) -> bool:
        """, just after a walk completed its step: take the step back and
        stand on its last operation again. Only while the step is the one the
        walk took (same rate and rule): the walk must recompute it exactly."""
        e = self.engine
        k = e.step_count
        if k == 0 or k != self._walked_step or e.lr_at(k) != e.lr or e.rule_at(k) is not e.rule or e.last_edit:
            return False
        self._walked_step = -1
        e.undo()
        self._walk = operations(e)
        # every operation done but the last, which completes the step
        self._walk_pos = len(self._walk)
        return True

    def _leave_walk(self) -> None:
        """Any other action ends a walk first (its numbers belong to this step)."""
        if self._walk is not None:
            self._walk, self._walk_pos = None, 0
            self.changed()
