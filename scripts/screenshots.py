"""Write the README's screenshots: the app itself saves SVGs (Textual's
save_screenshot through run_test); PNG copies are rendered with rsvg-convert
when it is installed (apt install librsvg2-bin fonts-firacode).

    python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bptui.app import BptuiApp
from bptui.cli import make_engine
from bptui.scenario import Scenario
from bptui.walk import operations

OUT = Path(__file__).resolve().parent.parent / "screenshots"

def _typed(value: float) -> list[str]:
    """A number as keys, as a learner would type it (7 digits)."""
    return [{".": "full_stop", "-": "minus"}.get(ch, ch) for ch in f"{value:.7g}"]


_START = make_engine(Scenario()).trace.values
# predict mode: the forward pass answered right, then J typed for dJ/do (the
# question's own rule): the mistake named, the hint, and the score
PREDICT_KEYS = ["x"] + [k for name in ("z1", "h", "z2", "o", "J") for k in ["full_stop", *_typed(_START[name]), "enter"]]
PREDICT_KEYS += ["full_stop", *_typed(_START["J"]), "enter"]

SUM_AT = next(i for i, op in enumerate(operations(make_engine(Scenario(preset="mazur")))) if "(via" in op.lines[1])

# name: (terminal size, keys to press, scenario)
SCENES = {
    "start": ((80, 24), [], Scenario()),
    "three-steps": ((80, 24), ["space"] * 3, Scenario()),
    "help": ((80, 24), ["question_mark"], Scenario()),
    "rate-error": ((80, 24), ["l", "backspace", "a", "b", "c", "enter"], Scenario()),
    "large-40-steps": ((120, 36), ["space"] * 40, Scenario()),
    "six-layers": ((80, 24), ["space"] * 3, Scenario(layers=6)),
    "mazur": ((80, 24), ["space"], Scenario(preset="mazur")),
    "mazur-large": ((120, 40), ["space"] * 20, Scenario(preset="mazur")),
    "walk": ((80, 24), ["full_stop"] * 9, Scenario()),
    "mistakes": ((80, 24), ["m"] + ["space"] * 6, Scenario()),
    "landscape": ((80, 24), ["v"] + ["space"] * 8, Scenario()),
    # walk mode where two paths meet: dE/dh1 formed as a sum
    "mazur-walk": ((80, 24), ["full_stop"] * (SUM_AT + 1), Scenario(preset="mazur")),
    # every kind of chain at 80×24: bce, tanh with biases, and a relu run that
    # has died (the bottom line says why nothing moves)
    "bce": ((80, 24), ["space"] * 3, Scenario(loss="bce", y=0.5)),
    "tanh-biases": ((80, 24), ["space"] * 3, Scenario(layers=3, activation="tanh", biases=(0.1, -0.2, 0.3), y=0.5)),
    "relu-stuck": ((80, 24), ["space"] * 5, Scenario(activation="relu")),
    "narrow-40x12": ((40, 12), ["space"], Scenario()),
    # nudging: Tab to the forward pane, w1 up by 0.1 twice (ΔJ/Δw1 beside dJ/dw1)
    "nudge": ((80, 24), ["tab", "right", "right"], Scenario()),
    "mazur-nudge": ((80, 24), ["tab", "down", "down", "down", "down", "right"], Scenario(preset="mazur")),
    # c: the circuit (the question's, Mazur's, a walk in progress); k: the code
    "circuit": ((80, 24), ["c"], Scenario()),
    "circuit-mazur": ((80, 24), ["c"], Scenario(preset="mazur")),
    "circuit-walk": ((80, 24), ["c"] + ["full_stop"] * 8, Scenario()),
    "code": ((80, 24), ["k"] + ["full_stop"] * 7, Scenario()),
    "predict": ((80, 24), PREDICT_KEYS, Scenario()),
    # Adam's factors: m, v, m̂, v̂ and the step, for each weight
    "adam": ((80, 24), ["space"] * 2, Scenario(optimizer="adam")),
}


async def shoot(name: str, size: tuple[int, int], keys: list[str], scenario: Scenario) -> Path:
    app = BptuiApp(make_engine(scenario), scenario)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    return path


class _Student:
    """What the console reads of a student's session (a stand-in for one)."""

    def __init__(self, name: str, state, connected_at: float, last_input: float) -> None:
        self.name, self.state, self.closed = name, state, False
        self.connected_at, self.last_input = connected_at, last_input
        self.link, self.lead_sent = self, (None, None)  # its own link: it takes what is queued
        self.outbox = []

    def queue(self, messages: list[dict]) -> None:
        pass

    def queue_encoded(self, packets: list[bytes]) -> None:
        pass

    def tell(self, text: str) -> bool:
        return True


async def shoot_console() -> Path:
    """The teacher's console at 80×24: a class of 30 (one absent, one away),
    a question out with its answers coming in."""
    import random
    import tempfile
    import time

    from bptui.app.console_app import ConsoleApp
    from bptui.control import state_of
    from bptui.predict import walk_questions
    from bptui.scenario_file import dumps
    from bptui.serve.class_question import ClassQuestion
    from bptui.serve.classroom import Classroom, Settings
    from bptui.serve.log import FoldingLog
    from bptui.serve.teacher import TeacherDesk
    from bptui.stepper import Stepper

    rng = random.Random(3)
    names = ["ada", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena", "mo", "nia",
             "oscar", "priya", "quinn", "ravi", "sam", "tariq", "uma", "vik", "wen", "xia", "yusuf", "zoe", "amir",
             "bea", "cleo", "dev"]  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bptui-shot-"))
    (tmp / "scenario.toml").write_text(dumps(Scenario()))
    room = Classroom(Settings(tmp / "scenario.toml", roster=frozenset(names), hand_in=tmp), FoldingLog(quiet=True))
    room.connect_line = "ssh -p 2222 any-name@127.0.0.1"
    now = time.monotonic()
    for k, name in enumerate(names[:-1]):
        sc = Scenario()
        st = Stepper(make_engine(sc), sc, files=False)
        for _ in range(rng.randrange(0, 40)):
            st.step()
        if k % 4 == 1:
            st.toggle_predict()
        if k % 7 == 3:
            st.walk(1)
        if k % 9 == 5:
            st.next_rule()
        room.sessions.add(_Student(name, state_of(st), now - 60 * rng.randrange(1, 50), now - rng.randrange(0, 200)))
        if k % 6 == 0:
            room.hand_ins[name] += 1
    desk = TeacherDesk(room)
    desk.lead.on = True
    e = desk.lesson.engine
    ops = operations(e)
    at = next(k for k, op in enumerate(ops) if op.kind == "backward" and "dh/dz1" in op.lines[0])
    for _ in range(at):
        desk.lesson.walk(1)
    q = walk_questions(ops[at], e.network, e.trace, e.lr, e.rule.amounts_at(e.trace), "every")[0]
    room.question = ClassQuestion(1, q)
    h, o = e.trace.values["h"], e.trace.values["o"]
    for k, name in enumerate(names[:22]):
        value = h * (1 - h) if k % 3 else o * (1 - o)
        room.question.take(name, {"kind": "answer", "id": 1, "text": f"{value:.{rng.choice((3, 4, 5))}g}"})
    for line in ("students connect with: ssh -p 2222 any-name@127.0.0.1", "the teacher leads: 29 student(s) follow the lesson",
                 "asked the class dh/dz1 (29 student(s))"):  # fmt: skip
        room.log.line(line)
    stop = asyncio.Event()
    server = asyncio.get_running_loop().create_task(stop.wait())
    app = ConsoleApp(desk, server, stop)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.draw()
        await pilot.pause()
        path = OUT / "console.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    stop.set()
    shutil.rmtree(tmp, ignore_errors=True)
    return path


def _grid_positions(match: re.Match) -> str:
    """Put every character of a <text> run in its own cell: librsvg ignores
    textLength, so glyphs from fallback fonts (braille, arrows) and runs of
    non-breaking spaces would drift off the terminal grid."""
    attrs, content = match.group(1), match.group(2)
    x = re.search(r'\bx="([\d.]+)"', attrs)
    length = re.search(r'textLength="([\d.]+)"', attrs)
    chars = html.unescape(content)
    if not (x and length and chars):
        return match.group(0)
    cell = float(length.group(1)) / len(chars)
    x0 = float(x.group(1))
    spans = "".join(
        f'<tspan x="{x0 + i * cell:.1f}">{html.escape(ch)}</tspan>' for i, ch in enumerate(chars) if ch not in " \u00a0"
    )
    return f"<text{attrs}>{spans}</text>"


def to_png(svg: Path) -> Path | None:
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        return None
    text = re.sub(r"<text([^>]*)>([^<]*)</text>", _grid_positions, svg.read_text(encoding="utf-8"))
    png = svg.with_suffix(".png")
    subprocess.run([rsvg, "-w", "1200", "-o", str(png), "/dev/stdin"], input=text.encode(), check=True)
    return png


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, (size, keys, scenario) in SCENES.items():
        svg = asyncio.run(shoot(name, size, keys, scenario))
        png = to_png(svg)
        print(svg.relative_to(OUT.parent), "and", png.relative_to(OUT.parent) if png else "(no rsvg-convert: no PNG)")
    svg = asyncio.run(shoot_console())
    png = to_png(svg)
    print(svg.relative_to(OUT.parent), "and", png.relative_to(OUT.parent) if png else "(no rsvg-convert: no PNG)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
