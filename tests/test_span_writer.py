"""The driver's span writer (bptui.app.span_writer) against Textual's own:
played onto a character grid, both leave the same screen, for random lines
of styled segments (wide characters among them) and random changed spans,
and ours never writes more."""

import random
import re

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from bptui.app.span_writer import TEXTUALS, render_segments

MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
STYLE = re.compile(r"\x1b\[[\d;]*m")
WIDTH, HEIGHT = 40, 6


def play(output: str, grid: list[list[str]]) -> None:
    """Write the terminal output onto the grid (cursor moves and text; a
    wide character fills its cell and the next)."""
    from rich.cells import cell_len

    x = y = 0
    for part in re.split(r"(\x1b\[\d+;\d+H|\n)", STYLE.sub("", output)):
        if not part or part == "\n":
            continue
        m = MOVE.fullmatch(part)
        if m:
            y, x = int(m.group(1)) - 1, int(m.group(2)) - 1
            continue
        for ch in part:
            grid[y][x] = ch
            if cell_len(ch) == 2:
                grid[y][x + 1] = ""
            x += cell_len(ch)


def random_update(rng: random.Random) -> ChopsUpdate:
    chops, ends = [], []
    for _ in range(HEIGHT):
        cuts = sorted(rng.sample(range(1, WIDTH), rng.randint(0, 3)))
        starts, line_ends = [0, *cuts], [*cuts, WIDTH]
        line = {}
        for start, end in zip(starts, line_ends):
            segments, left = [], end - start
            while left:
                if left >= 2 and rng.random() < 0.2:
                    text = "中"
                else:
                    text = "".join(rng.choice("ab ∂─0.7") for _ in range(rng.randint(1, min(left, 6))))
                segments.append(Segment(text, Style(bold=rng.random() < 0.5)))
                left -= sum(2 if c == "中" else 1 for c in text)
            line[start] = Strip(segments)
        chops.append(line)
        ends.append(line_ends)
    spans = []
    for y in sorted(rng.sample(range(HEIGHT), rng.randint(1, HEIGHT))):
        x1 = rng.randrange(WIDTH - 1)
        spans.append((y, x1, rng.randint(x1 + 1, WIDTH)))
    return ChopsUpdate(chops, spans, ends)


def test_the_same_screen_from_fewer_bytes():
    rng = random.Random(5)
    console = Console(width=WIDTH, color_system="truecolor")
    saved = 0
    for _ in range(400):
        update = random_update(rng)
        theirs, ours = TEXTUALS(update, console), render_segments(update, console)
        grid_theirs = [["·"] * (WIDTH + 1) for _ in range(HEIGHT)]
        grid_ours = [row[:] for row in grid_theirs]
        play(theirs, grid_theirs)
        play(ours, grid_ours)
        # every cell of every span is written by both, alike
        for y, x1, x2 in update.spans:
            assert grid_ours[y][x1:x2] == grid_theirs[y][x1:x2]
        # and nothing ours writes differs from what Textual's writes there
        for y in range(HEIGHT):
            for x in range(WIDTH):
                if grid_ours[y][x] != "·":
                    assert grid_ours[y][x] == grid_theirs[y][x], (y, x)
        assert len(ours) <= len(theirs)
        saved += len(theirs) - len(ours)
    assert saved > 0
