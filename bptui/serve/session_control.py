"""A student's session's side of the control channel (bptui.control): what
its app says (its state, its locale, a hand-in, its session kept at the
end, an answer to the class's question) and the teacher's line down. Mixed
into AppSession (bptui.serve.session)."""

from __future__ import annotations

import asyncio
import os
import time

from bptui.control import AppState
from bptui.serve.app_process import client_environment
from bptui.serve.kept import forget
from bptui.session import size_limit
from bptui.session_transfer import SessionReceiver, TransferError

# one student's hand-ins come at least this far apart (each is a file)
HAND_IN_SPACING = 5.0


class ControlSide:
    """Needs from the session: room, link, state, told_env, resumed,
    receiver, last_hand_in, kept_once, pushes_due, name and who."""

    def _control_readable(self) -> None:
        self._take_control()
        if self.link is not None and self.link.closed:
            asyncio.get_running_loop().remove_reader(self.link.fileno())

    def _take_control(self) -> int:
        """Act on what the app has said; how many messages that was."""
        got = self.link.receive()
        for m in got:
            if m["kind"] == "state":
                self.state = AppState.from_message(m) or self.state
            elif m["kind"] == "session":
                self._session_part(m)
            elif m["kind"] == "answer" and self.room.question is not None:
                self.room.question.take(self.name, m)
            elif m["kind"] == "hello" and self.told_env is None and isinstance(m.get("env"), dict):
                told = {k: v for k, v in m["env"].items() if isinstance(k, str) and isinstance(v, str)}
                self.told_env, passed = told, client_environment(told)[0]
                shown = " ".join(f"{k}={v}" for k, v in sorted(passed.items()))
                self.room.log.line(f"the app of {self.who} runs with {shown or 'the defaults'}")
                if self.resumed is not None:  # the app has read it by now
                    forget(self.resumed)
                    self.resumed = None
        return len(got)

    def _session_part(self, m: dict) -> None:
        if self.receiver is None:
            limit = size_limit(self.room.settings.max_history)
            self.receiver = SessionReceiver(self.room.kept.new_path(), limit)
        try:
            purpose = self.receiver.take(m)
        except TransferError as e:
            self.room.log.line(f"dropped a session from the app of {self.who}: {e}")
            self.receiver = None
            return
        if purpose is None:
            return
        path, self.receiver = self.receiver.path, None
        if purpose == "keep" and not self.kept_once:
            # one an app: it sends it as it ends
            self.kept_once = True
            if self.room.settings.limits.user is not None:
                os.chmod(path, 0o644)  # an app run as --user reads it on a resume
            self.room.keep(self.name, path, self.state)
            return
        try:
            # what a push hands in is the teacher's doing: never too soon,
            # but only as many as pushes (and leads ended on the lesson) went out
            why = self._hand_in_refusal() if purpose == "hand-in" else None
            if purpose != "hand-in":
                if self.room.settings.hand_in is None or self.pushes_due <= 0:
                    return
                self.pushes_due -= 1
            if why is None:
                try:
                    where = self.room.hand_in(self.name, path.read_text(encoding="utf-8"))
                    if purpose == "hand-in":
                        self.last_hand_in = time.monotonic()
                        self.link.queue([{"kind": "handed-in", "file": where}])
                    return
                except OSError as e:
                    self.room.log.line(f"could not file the hand-in of {self.who}: {e.strerror or e}")
                    why = "the server could not write it; tell your teacher"
            if purpose == "hand-in":
                self.link.queue([{"kind": "hand-in-refused", "why": why}])
        finally:
            os.unlink(path)

    def _hand_in_refusal(self) -> str | None:
        if self.room.settings.hand_in is None:
            return "this class takes no hand-ins"
        wait = self.last_hand_in + HAND_IN_SPACING - time.monotonic()
        if wait > 0:
            return f"you handed in a moment ago; try again in {wait:.0f} s"
        return None

    def tell(self, text: str) -> bool:
        """Put the teacher's line on this student's screen."""
        return self.link is not None and self.link.queue([{"kind": "message", "text": text}])

    def send_in_order(self, message: dict) -> bool:
        """A message after everything queued before it (a push, a lead's
        end), never dropped while there is room."""
        if self.link is None:
            return False
        if message.get("kind") == "push" or message.get("keep") == "lesson":
            self.pushes_due += 1  # the app hands its session in: expected
        return self.link.queue([message])

    def _close_link(self) -> None:
        if self.link is not None:
            asyncio.get_running_loop().remove_reader(self.link.fileno())
            self.link.close()
            self.link = None

