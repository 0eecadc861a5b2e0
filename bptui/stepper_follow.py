"""Following the teacher's lesson: while the teacher leads, a student's app
steps the lesson, not their own session, and every view follows it (the
panes, circuit or code, the landscape, the chain shown, the walk's place,
the bar). The numbers come by exact replay of the lesson's session
(bptui.session), never as a screen copy; this carries the rest. The Stepper
mixes this in. UI-free."""

from __future__ import annotations

from bptui.message import Message
from bptui.walk import operations

# what a follower's own keys may still do: the help and quitting
FOLLOWER_ACTIONS = ("help", "quit", "quit_now")
LOCKED = "The teacher is leading: watch (your own session is kept aside until the lead ends)."
BANNER = "▶ Teacher leading · "  # before the lesson's bar, on every follower's screen
VIEWS = ("panes", "circuit", "code")


class Following:
    """Needs from the Stepper: engine, view, show_check, show_landscape,
    log_steps, chosen, _landscape_y, _walk, _walk_pos, _following, message,
    say and changed."""

    locked = False  # keys other than help and quit are refused

    def lesson_view(self) -> dict:
        """How the lesson's screen stands, for its followers."""
        m = self.message
        return {
            "kind": "lesson-view",
            "view": self.view,
            "check": self.show_check,
            "landscape": self.show_landscape,
            "log_steps": self.log_steps,
            "chosen": self.chosen,
            "landscape_y": self._landscape_y,
            "walk": self._walk_pos if self._walk is not None else 0,
            "walk_chain": self._following,
            "text": m.text,
            "warning": m.warning,
            "lines": list(m.lines),
        }

    def take_lesson_view(self, v: dict) -> bool:
        """Show what the lesson shows; False (nothing changed) if the view
        is not one this session can show."""
        params = self.engine.network.params
        ok = (
            v.get("view") in VIEWS
            and all(isinstance(v.get(k), bool) for k in ("check", "landscape", "log_steps", "warning"))
            and v.get("chosen") in params
            and type(v.get("landscape_y")) is int
            and type(v.get("walk")) is int
            and isinstance(v.get("walk_chain"), str)
            and isinstance(v.get("text"), str)
            and isinstance(v.get("lines"), list)
            and all(isinstance(line, str) for line in v["lines"])
        )
        if not ok:
            return False
        walk = operations(self.engine) if v["walk"] > 0 else None
        if walk is not None and v["walk"] >= len(walk):
            return False
        self.view, self.show_check, self.show_landscape = v["view"], v["check"], v["landscape"]
        self.log_steps, self.chosen, self._landscape_y = v["log_steps"], v["chosen"], v["landscape_y"]
        self._walk, self._walk_pos = walk, v["walk"] if walk is not None else 0
        self._following = v["walk_chain"] if v["walk_chain"] in params else ""
        lines = [line[:400] for line in v["lines"][:8]]
        if lines:
            lines[0] = BANNER + lines[0]
        self.message = Message(BANNER + v["text"][:400], v["warning"], tuple(lines))
        self.changed()
        return True

    def refuse_while_led(self) -> None:
        self.say(LOCKED, warning=True)
