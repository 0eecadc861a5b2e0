"""Predict mode (x): the walk asks for each number before it shows it, and
space asks for the gradients and the new weights before it steps. A wrong
answer gets a hint that grows (the rule, then the formula with the numbers
in, then the answer, counted as given up) and is named when it matches a
classic mistake. The score survives undo and reset. The Stepper mixes this
in. UI-free.
"""

from __future__ import annotations

from typing import Callable

from bptui.numfmt import fmt
from bptui.predict import ASK_WORDS, ASKS, TOLERANCE, TRIES, Question, Score, hint, judge, questions, walk_questions
from bptui.prompt import Prompt
from bptui.walk import Operation, operations

RIGHT, WRONG = "✓", "✗"


class Predicting:
    """Needs from the Stepper: engine, say, changed, ask, stop_play,
    _cannot_step and the walk (Walking, after this in the order of bases)."""

    predicting = False
    _asks = 0  # index into ASKS

    def _init_predict(self, score: Score | None = None) -> None:
        self.score = score or Score()  # a replayed session's, or a fresh one

    @property
    def asks(self) -> str:
        return ASKS[self._asks]

    def toggle_predict(self) -> None:
        self.predicting = not self.predicting
        if self.predicting:
            self.say(f"Predict: . asks for each number before it shows it ({ASK_WORDS[self.asks]}; X changes what), "
                     f"space for the gradients and new weights. Right within {TOLERANCE:.1%} and to the digits typed. "
                     "x: off.")  # fmt: skip
        else:
            self.say(f"Predict off ({self.score.short()}). x: on again.")
        self.changed()

    def change_asks(self) -> None:
        self._asks = (self._asks + 1) % len(ASKS)
        self.say(f"Predict asks for {ASK_WORDS[self.asks]}." + ("" if self.predicting else " x turns predict on."))

    # -- the walk asks first --

    def walk(self, delta: int) -> None:
        if not (self.predicting and delta > 0):
            super().walk(delta)
            return
        self.stop_play()
        op = self._next_operation()
        if op is None:
            return
        e = self.engine
        qs = walk_questions(op, e.network, e.trace, e.lr, e.rule.amounts_at(e.trace), self.asks)
        self._ask_all(qs, lambda: super(Predicting, self).walk(1))

    def _next_operation(self) -> Operation | None:
        """The operation the next . does (None if no step can be taken)."""
        if self._walk is not None:
            return self._walk[self._walk_pos] if self._walk_pos < len(self._walk) else None
        if self._cannot_step():
            return None
        return operations(self.engine)[0]

    # -- space asks for the gradients and the new weights --

    def predict_step(self, then: Callable[[], None]) -> None:
        """Each parameter's gradient, then its new value; then `then` (the step)."""
        e = self.engine
        net, t = e.network, e.trace
        ops = operations(e)
        qs = []
        for op in ops:
            if op.kind == "backward":
                qs += [q for q in questions(op, net, t, e.lr, e.rule.amounts_at(t)) if q.kind == "upstream" and q.param]
        qs += [q for op in ops if op.kind in ("moment", "update") for q in questions(op, net, t, e.lr, e.rule.amounts_at(t))]
        self._ask_all(qs, then)

    # -- asking --

    def _ask_all(self, qs: list[Question], then: Callable[[], None], before: str = "") -> None:
        """Ask each question in turn; once all are settled, `then`. `before`
        is the verdict on the last one, shown above the next."""
        if not qs:
            then()
            return
        q, rest = qs[0], qs[1:]
        tries = [0]

        def settled(line: str) -> None:
            if rest:
                self._ask_all(rest, then, line)
            else:
                then()
                # the verdict, above what the walk shows of the step
                self.explain((line, *self.message.lines[:1])) if self.message.lines else self.say(line)

        def answered(text: str) -> str | None:
            if not text.strip():
                self.score.add(q.kind, False)
                settled(f"Given up: {q.symbol} = {fmt(q.value)}.   {self.score.short()}")
                return None
            try:
                verdict = judge(text, q)
            except ValueError as err:
                return str(err)  # not a try: the question stays open
            tries[0] += 1
            if verdict.right:
                self.score.add(q.kind, tries[0] == 1)
                settled(f"{RIGHT} {q.symbol} = {fmt(q.value)}.   {self.score.short()} ({self.score.by_kind()})")
                return None
            named = f" That is {verdict.mistake}." if verdict.mistake else ""
            if tries[0] >= TRIES:
                self.score.add(q.kind, False)
                settled(f"{WRONG} {text.strip()}.{named} The answer: {q.symbol} = {fmt(q.value)}, "
                        f"counted as given up.   {self.score.short()}")  # fmt: skip
                return None
            prompt.text, prompt.cursor = "", 0  # a fresh line for the next try
            return f"{WRONG} {text.strip()}.{named} Hint, {hint(q, tries[0])}"

        context = (before, q.prompt) if before else (q.prompt,)
        prompt = Prompt(f"{q.symbol} =", "", answered, lambda: self.say("Not answered: . asks again."),
                        fresh=False, context=context)  # fmt: skip
        self.ask(prompt)
