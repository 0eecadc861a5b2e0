"""The app's end of the classroom's control channel (bptui.control), when
it runs under `bptui serve`: it tells the server how the student stands, at
most STATE_SECONDS apart and only when that changed, shows the teacher's
messages on the bar, hands the session in on `e` when the class takes
hand-ins, starts over on the teacher's push, and leaves its session with
the server when the app ends, for a resume."""

from __future__ import annotations

import asyncio
import os

from textual.app import App

from bptui.control import TOLD_ENV, ControlLink, message_text, state_of
from bptui.numfmt import count, fmt
from bptui.prompt import Prompt
from bptui.scenario import parse_finite
from bptui.stepper_predict import RIGHT, WRONG
from bptui.scenario_file import check_settings, scenario_from_settings
from bptui.session import DEFAULT_MAX_STEPS, session_from_text, session_text, size_limit
from bptui.session_transfer import LESSON, SessionReceiver, session_packets
from bptui.stepper import Stepper

STATE_SECONDS = 0.5  # the teacher's table is updated within a second
# an app ending waits at most this long for the server to take its session
LEAVE_SECONDS = 3.0


class ClassLink:
    def __init__(self, app: App, link: ControlLink) -> None:
        self.app = app
        self.link = link
        self._sent = None
        # while the teacher leads: the student's own stepper, kept aside, the
        # lesson's session on its way, and how the lesson's screen stands
        self.own = None
        self._lesson = SessionReceiver(None, size_limit(DEFAULT_MAX_STEPS), LESSON)
        self._lesson_view: dict | None = None
        self._lesson_stepper = None  # the latest lesson, on screen or on its way
        self._asked = None  # (the question's number, the stepper asking it)
        self._reveal_line = ""  # the last reveal, shown again once the lesson walks on

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

    def _session_text(self) -> str:
        s = self.own or self.app.stepper  # theirs, not the lesson they follow
        return session_text(s.engine, s.scenario, s.score)

    def hand_in(self) -> None:
        """`e` under a class that takes hand-ins: the session goes to the
        teacher; the server says when it has arrived."""
        steps = self.app.stepper.engine.step_count
        self.link.queue(session_packets("hand-in", self._session_text()))
        self.app.stepper.say(f"Handing in your session ({count(steps)} steps)…")

    def leave(self) -> None:
        """The app is ending: its session stays with the server, so that
        reconnecting brings it back. Called once the screen has closed."""
        if not self.link.closed:
            self.link.send_now(session_packets("keep", self._session_text()), LEAVE_SECONDS)

    def _push(self, settings: dict) -> None:
        """The teacher's new starting point: the session so far is handed
        in first (when the class takes hand-ins), then stepping starts over."""
        try:
            scenario = scenario_from_settings(check_settings(settings, "the teacher's scenario"), "the teacher's scenario")
            engine = scenario.engine()
        except ValueError as e:
            self.app.stepper.say(f"The teacher's scenario could not start here: {e}", warning=True)
            return
        handed = " (your session so far was handed in)" if self._hand_in_before_starting_over(self.app.stepper) else ""

        async def start() -> None:
            await self.app.start_over(engine, scenario)
            self.app.stepper.say(f"Your teacher started the class on a new scenario{handed}.")
            self.app.draw()

        self.app.call_later(start)

    def _hand_in_before_starting_over(self, own) -> bool:
        """The teacher moved the class on (a push, a lead ended on the
        lesson): the student's session so far goes in first, when the class
        takes hand-ins and there is anything to hand in."""
        if own.hand_in is None or not own.engine.step_count:
            return False
        self.link.queue(session_packets("pushed", session_text(own.engine, own.scenario, own.score)))
        return True

    def _lead(self, on: bool, keep_lesson: bool) -> None:
        if on and self.own is None:
            self.own = self.app.stepper
            self.own.stop_play()
            self.own.asking = None  # a question half typed goes with the lead
            self.own.say("The teacher is leading: the lesson is on its way…")
        elif not on and self.own is not None:
            own, self.own, lesson = self.own, None, self._lesson_stepper or self.app.stepper
            self._lesson.drop()
            self._lesson_stepper = self._lesson_view = None
            if keep_lesson and lesson is not own:
                lesson.locked = False
                lesson.say("The lead has ended: you go on from the lesson's step (your own session was handed in, if the class takes hand-ins).")
                self._hand_in_before_starting_over(own)

                async def onto_the_lesson() -> None:
                    # the latest lesson may not be on screen yet (it came in
                    # the same read as the lead's end)
                    if self.app.stepper is not lesson:
                        await self.app.use_stepper(lesson)
                    self.app.draw()

                self.app.call_later(onto_the_lesson)
                return

            async def back() -> None:
                if self.app.stepper is not own:
                    await self.app.use_stepper(own)
                own.say("The lead has ended: your own session is back, as you left it.")
                self.app.draw()

            self.app.call_later(back)

    def _ask(self, m: dict) -> None:
        """The teacher asks the class for the lesson's next number."""
        number, symbol, prompt = m.get("id"), m.get("symbol"), m.get("prompt")
        if type(number) is not int or not isinstance(symbol, str) or not isinstance(prompt, str):
            return
        symbol, prompt = symbol[:40], prompt[:160]
        stepper = self._lesson_stepper or self.app.stepper

        def answered(text: str) -> str | None:
            if not text.strip():
                return "type your answer, a number (Esc: not now)"
            try:
                parse_finite(text, "The answer")
            except ValueError as e:
                return str(e)
            self.link.queue([{"kind": "answer", "id": number, "text": text.strip()[:64]}])
            stepper.say(f"Your answer {symbol} = {text.strip()} is in: the teacher reveals it to everyone.")
            return None

        stepper.ask(Prompt(f"{symbol} =", "", answered, lambda: stepper.say("Not answered (the teacher's question stays until the reveal)."),
                           fresh=False, context=(f"Your teacher asks: {prompt}",)))  # fmt: skip
        self._asked = (number, stepper)

    def _reveal(self, m: dict) -> None:
        number, value = m.get("id"), m.get("value")
        if type(number) is not int or not isinstance(value, (int, float)) or isinstance(value, bool):
            return
        symbol = str(m.get("symbol", "?"))[:40]
        right, answered = m.get("right"), m.get("answered")
        count_line = f"{right} of {answered} right" if type(right) is int and type(answered) is int else ""
        asked = self._asked
        stepper = asked[1] if asked and asked[0] == number else self.app.stepper
        stepper.asking = None
        yours = m.get("yours")
        if not isinstance(yours, str):
            mine = "you did not answer"
        elif m.get("yours_right") is True:
            mine = f"{RIGHT} yours, {yours[:20]}, is right"
        else:
            why = m.get("mistake")
            mine = f"{WRONG} yours was {yours[:20]}" + (f": that is {why[:120]}" if isinstance(why, str) else "")
        self._reveal_line = f"The answer: {symbol} = {fmt(float(value))} · {count_line} · {mine}"
        stepper.say(self._reveal_line)

    def _lesson_part(self, m: dict) -> None:
        try:
            if self._lesson.take(m) is None:
                return
            scenario, engine, score = session_from_text(self._lesson.text, "the lesson")
        except ValueError:  # TransferError or SessionError: the next lesson says it all again
            return
        engine.max_steps = self.own.engine.max_steps
        lesson = Stepper(engine, scenario, files=self.own.files, score=score)
        lesson.locked = True
        if self._lesson_view is not None:
            lesson.take_lesson_view(self._lesson_view)
        self._lesson_stepper = lesson

        async def follow() -> None:
            if self.own is None:  # the lead ended meanwhile
                return
            await self.app.use_stepper(lesson)
            self.app.draw()

        self.app.call_later(follow)

    def _readable(self) -> None:
        stepper = self.app.stepper
        for m in self.link.receive():
            kind = m["kind"]
            text = message_text(m)
            if text is not None:
                stepper.say(f"Teacher: {text}")
            elif kind == "welcome":
                stepper.hand_in = self.hand_in if m.get("hand_in") is True else None
            elif kind == "handed-in" and isinstance(m.get("file"), str):
                stepper.say(f"Handed in: your teacher has it ({m['file'][:60]}).")
            elif kind == "hand-in-refused" and isinstance(m.get("why"), str):
                stepper.say(f"Not handed in: {m['why'][:80]}", warning=True)
            elif kind == "leave":
                self.app.exit()
            elif kind == "push" and isinstance(m.get("settings"), dict):
                self._push(m["settings"])
            elif kind == "ask" and self.own is not None:
                self._ask(m)
            elif kind == "reveal" and self.own is not None:
                self._reveal(m)
            elif kind == "lead" and isinstance(m.get("on"), bool):
                self._lead(m["on"], m.get("keep") == "lesson")
            elif kind == "session" and self.own is not None:
                self._lesson_part(m)
            elif kind == "lesson-view" and self.own is not None:
                self._lesson_view = m
                lesson = self._lesson_stepper
                if lesson is not None and lesson.take_lesson_view(m) and self._reveal_line:
                    # the answer stays in view above where the lesson walks on
                    lesson.explain((self._reveal_line, *(lesson.message.lines[:1] or (lesson.message.text,))))
                    self._reveal_line = ""
                    lesson.asking = None
        self.app.draw()
        if self.link.closed:  # the server has gone; the app goes on alone
            asyncio.get_running_loop().remove_reader(self.link.fileno())
