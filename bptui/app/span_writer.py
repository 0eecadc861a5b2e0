"""Write a changed span from where it starts, not from its widget's edge.

Textual's ChopsUpdate.render_segments (the terminal driver's path) writes a
changed span from the left edge of the widget strip it falls in, up to the
span's end: a digit that moves at column 40 of a wide pane rewrites the 40
columns before it, every step, over every student's SSH link. Its other
renderer (__rich_console__) already starts at the segment holding the span.
This does the same on the driver's path: from the first segment that reaches
into the span (a segment boundary is always a character boundary, so a wide
character is never cut), to the span's end. Everything else is Textual's.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate


def render_segments(self: ChopsUpdate, console: Console) -> str:
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        for end, (x, strip) in zip(ends, line.items()):
            if strip is None or x > x2 or end <= x1:
                continue
            if x2 > x >= x1 and end <= x2:
                append(move_to(x, y).segment.text)
                append(strip.render(console))
                continue
            start = x
            if x < x1:  # skip the segments wholly before the span
                for segment in strip:
                    width = cell_len(segment.text)
                    if start + width > x1:
                        break
                    start += width
            strip = strip.crop(start - x, min(end, x2) - x)
            append(move_to(start, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


TEXTUALS = ChopsUpdate.render_segments


def install() -> None:
    ChopsUpdate.render_segments = render_segments
