"""The app's end of the classroom's control channel (bptui.control), when
it runs under `bptui serve`: it tells the server how the student stands, at
most STATE_SECONDS apart and only when that changed, and shows the teacher's
messages on the bar."""

from __future__ import annotations

import asyncio
import os

from textual.app import App

from bptui.control import TOLD_ENV, ControlLink, message_text, state_of

STATE_SECONDS = 0.5  # the teacher's table is updated within a second


class ClassLink:
    def __init__(self, app: App, link: ControlLink) -> None:
        self.app = app
        self.link = link
        self._sent = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.link.fileno(), self._readable)
        told = {k: os.environ[k] for k in TOLD_ENV if k in os.environ}
        self.link.send({"kind": "hello", "env": told})
        self.send_state()
        self.app.set_interval(STATE_SECONDS, self.send_state)

    def send_state(self) -> None:
        state = state_of(self.app.stepper)
        if state != self._sent and self.link.send(state.as_message()):
            self._sent = state

    def _readable(self) -> None:
        for m in self.link.receive():
            text = message_text(m)
            if text is not None:
                self.app.stepper.say(f"Teacher: {text}")
                self.app.draw()
        if self.link.closed:  # the server has gone; the app goes on alone
            asyncio.get_running_loop().remove_reader(self.link.fileno())
