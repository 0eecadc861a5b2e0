"""A question to the class (A during a lead): the lesson's next operation,
asked as predict mode asks it (bptui.predict), answered by every follower,
judged here by the same rule (within 0.5 % and to the digits typed), and
tallied live for the teacher: how many answered, how many are right, the
answers' spread as a histogram, and the classic mistakes named and counted.
Never imports Textual."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from bptui.numfmt import fmt
from bptui.predict import Question, Verdict, judge
from bptui.scenario import parse_finite

MAX_ANSWER = 64  # characters of an answer: a number
BARS = " ▁▂▃▄▅▆▇█"
BINS = 24


@dataclass(frozen=True)
class Answer:
    text: str
    value: float
    verdict: Verdict


class ClassQuestion:
    def __init__(self, number: int, question: Question) -> None:
        self.number = number
        self.question = question
        self.answers: dict[str, Answer] = {}  # by student, their latest
        self.revealed = False

    def as_message(self) -> dict:
        q = self.question
        return {"kind": "ask", "id": self.number, "symbol": q.symbol, "prompt": q.prompt}

    def take(self, name: str, m: dict) -> bool:
        """A student's answer (their latest counts); False if it is not one."""
        text = m.get("text")
        if self.revealed or m.get("id") != self.number or not isinstance(text, str) or len(text) > MAX_ANSWER:
            return False
        try:
            verdict = judge(text, self.question)
        except ValueError:
            return False
        self.answers[name] = Answer(text.strip(), parse_finite(text, "The answer"), verdict)
        return True

    @property
    def right(self) -> int:
        return sum(1 for a in self.answers.values() if a.verdict.right)

    def mistakes(self) -> list[tuple[str, int]]:
        """The classic mistakes the answers made, most often first."""
        named = Counter(a.verdict.mistake for a in self.answers.values() if a.verdict.mistake)
        return named.most_common()

    def histogram(self, bins: int = BINS) -> tuple[list[int], float, float]:
        """Counts of the answers in `bins` equal bins from the lowest to the
        highest (the right value included in the range)."""
        values = [a.value for a in self.answers.values() if math.isfinite(a.value)]
        lo = min([*values, self.question.value])
        hi = max([*values, self.question.value])
        counts = [0] * bins
        for v in values:
            k = bins - 1 if hi == lo else min(bins - 1, int((v - lo) / (hi - lo) * bins))
            counts[k] += 1
        return counts, lo, hi

    def summary(self, students: int) -> list[str]:
        """The teacher's lines: the question, the counts, the spread, the mistakes."""
        q = self.question
        lines = [f"Asked {q.symbol} = ?  ({q.what})", f"{len(self.answers)} of {students} answered, {self.right} right"]
        if self.answers:
            counts, lo, hi = self.histogram()
            top = max(counts)
            bars = "".join(BARS[math.ceil(c / top * (len(BARS) - 1))] if c else "·" for c in counts)
            lines.append(f"answers {fmt(lo, digits=4)} {bars} {fmt(hi, digits=4)}")
        for name, n in self.mistakes():
            lines.append(f"{n} used {name}")
        if self.revealed:
            lines.append(f"revealed: {q.symbol} = {fmt(q.value)}")
        return lines

    def reveal_message(self, name: str) -> dict:
        """What the reveal tells one student: the answer, the class's count,
        and how theirs went."""
        self.revealed = True
        q, mine = self.question, self.answers.get(name)
        return {
            "kind": "reveal",
            "id": self.number,
            "symbol": q.symbol,
            "value": q.value,
            "right": self.right,
            "answered": len(self.answers),
            "yours": None if mine is None else mine.text,
            "yours_right": mine is not None and mine.verdict.right,
            "mistake": mine.verdict.mistake if mine is not None else None,
        }
