"""The teacher's lead: every student's app follows the lesson (the
teacher's own stepper) live. What goes down is the lesson's session, for
exact replay (so every follower's numbers are the lesson's, bit for bit),
whenever its history changes, and its view (panes, circuit, code, the walk's
place, the bar) whenever that changes. A follower that is not keeping up is
skipped until it is, and then gets the latest. Never imports Textual."""

from __future__ import annotations

from bptui.control import encode
from bptui.session import session_text
from bptui.session_transfer import session_packets

# packets a follower may have waiting before it gets no more for now
BEHIND = 256
# the consoles sync this often besides after each change: students who arrive
# during a lead follow within it
LEAD_SECONDS = 0.5


class Lead:
    def __init__(self, room, lesson) -> None:
        self.room = room  # a bptui.serve.classroom.Classroom
        self.lesson = lesson  # a bptui.stepper.Stepper: the teacher's
        self.on = False
        self._packets: list[bytes] = []  # the lesson's session, encoded once for every follower
        self._history_key = None
        self._view: dict = {}
        # the lesson's version last looked at: a sync with no change since
        # costs a look at each follower, not a copy of the lesson's history
        self._version: int | None = None

    def _history(self):
        e = self.lesson.engine
        return (e.step_count, len(e.edits), e.lr, e.rule.name, e.history_array()[-1].tobytes())

    def followers(self) -> list:
        return [s for s in self.room.sessions if not s.closed and s.link is not None and not s.link.closed]

    def start(self) -> int:
        self.on = True
        self._history_key = self._version = None
        for s in self.followers():
            s.lead_sent = (None, None)
        reached = self.sync()
        self.room.log.line(f"the teacher leads: {reached} student(s) follow the lesson")
        return reached

    def sync(self) -> int:
        """Send each follower what changed since it last heard; how many
        followers are up to date. Called after every change of the lesson."""
        if not self.on:
            return 0
        if self.lesson.version != self._version:
            self._version = self.lesson.version
            key = self._history()
            if key != self._history_key:
                s = self.lesson
                self._packets = [encode(m) for m in session_packets("lesson", session_text(s.engine, s.scenario, s.score))]
                self._history_key = key
            self._view = self.lesson.lesson_view()
        key, view = self._history_key, self._view
        current = 0
        for follower in self.followers():
            sent_history, sent_view = follower.lead_sent
            if len(follower.link.outbox) > BEHIND:
                continue  # behind: it gets the latest once it has caught up
            out: list[bytes] = []
            if sent_history is None:
                out.append(encode({"kind": "lead", "on": True}))
            if sent_history != key:
                out += self._packets
            if sent_view != view or sent_history != key:
                out.append(encode(view))
            if out:
                follower.link.queue_encoded(out)
            follower.lead_sent = (key, view)
            current += 1
        return current

    def send_all(self, message: dict) -> int:
        """One message to every follower, after what they were sent before."""
        self.sync()
        followers = self.followers()
        for s in followers:
            s.link.queue([message])
        return len(followers)

    def end(self, keep_lesson: bool) -> int:
        """Every follower goes back to their own session, or goes on from
        the lesson's state."""
        self.on = False
        message = {"kind": "lead", "on": False, "keep": "lesson" if keep_lesson else "own"}
        followers = self.followers()
        for s in followers:
            s.send_in_order(message)
            s.lead_sent = (None, None)
        how = "go on from the lesson" if keep_lesson else "are back in their own sessions"
        self.room.log.line(f"the lead has ended: {len(followers)} student(s) {how}")
        return len(followers)
