"""The line panes' own rendering, checked against Rich's: a step renders each
changed line through styled_segments, which must give exactly the segments
Rich's Text.render gives over the pane's style."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from bptui.widgets.line_pane import changed_runs, mark_current, pending, styled_segments

BASE = Style(color="white", bgcolor="black")


def rich_segments(text: Text, base: Style, console: Console) -> list[Segment]:
    text = text.copy()
    text.stylize_before(base)
    return [seg if seg.style else Segment(seg.text, base) for seg in text.render(console) if seg.text]


def texts() -> list[Text]:
    plain = Text(" 0.2499817")
    bold = Text("−6.991452", "bold")
    mixed = Text(" 0.2499817 ", "italic")
    mixed.append("−1.748", "dim")
    mixed.append(" × ")
    mixed.append("x", "bold red")
    coloured = Text("w1", "red on blue")  # the text's own colour under the pane's
    coloured.append(" = 0.5", "green")
    gap = Text("ab cd ef")
    gap.stylize("bold", 0, 2)
    gap.stylize("underline", 6, 8)
    empty_span = Text("abc")
    empty_span.stylize("bold", 1, 1)
    overlapping = Text("dJ/dw1 = −0.005263")
    overlapping.stylize("bold", 0, 10)
    overlapping.stylize("underline", 5, 18)
    label, value = mark_current(Text("h = σ(z1)  "), Text(" 0.8238", "bold"))
    return [plain, bold, mixed, coloured, gap, empty_span, overlapping, label, value, pending(), Text("")]


@pytest.mark.parametrize("text", texts(), ids=lambda t: t.plain or "empty")
# a pane's style always has its colours (a null base would take Rich down a
# path that drops a span-less text's own style)
@pytest.mark.parametrize("base", [BASE, Style(color="default", bgcolor="default"), Style(bold=True, color="yellow")], ids=["white-on-black", "default", "bold-yellow"])
def test_segments_match_rich(text: Text, base: Style) -> None:
    console = Console(width=80, color_system="truecolor")
    assert styled_segments(text, base, console) == rich_segments(text, base, console)


def test_every_segment_is_styled() -> None:
    # Textual's NO_COLOR filter skips a segment with no style
    console = Console(width=80)
    for text in texts():
        assert all(seg.style is not None for seg in styled_segments(text, Style(), console))


def test_changed_runs_join_near_changes() -> None:
    assert changed_runs("0.2499817", "0.2499817") == []
    assert changed_runs("0.2499817", "0.2499917") == [(6, 7)]
    assert changed_runs("−1.748 x", "−1.749 y") == [(5, 8)]  # 2 equal between: joined
    assert changed_runs("1000000000", "2000000002") == [(0, 1), (9, 10)]
    assert changed_runs("ab", "abcd") == [(2, 4)]
