"""The circuit (bptui.circuit) on screen: one line a row, repainting only the
numbers that moved. A walk's current row is reversed and pointed at (◀), so
it reads without colour; values not computed yet show ·. It scrolls when the
network is taller than the screen, keeping the walk's row, else the chosen
parameter's wire, in view."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.geometry import Region

from bptui.circuit import LEGEND, CircuitLayout, Row
from bptui.frame import Frame
from bptui.numfmt import count, fmt
from bptui.widgets.line_pane import CURRENT, LinePane

STYLES = {"name": "italic", "value": "bold", "grad": "bold", "mark": "bold", "gate": "bold", "rule": "dim", "pending": "dim"}


def row_text(row: Row) -> Text:
    text = Text()
    for piece in row.pieces:
        text.append(piece.text, STYLES.get(piece.kind, ""))
    if row.current:
        text.stylize("reverse")
        text.append(CURRENT, "bold")
    return text


class CircuitView(ScrollableContainer):
    DEFAULT_CSS = """
    CircuitView {
        display: none;
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    CircuitView > LinePane {
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines = LinePane()
        self._layout: CircuitLayout | None = None
        self.border_subtitle = LEGEND

    def compose(self) -> ComposeResult:
        yield self.lines

    @property
    def plain_lines(self) -> list[str]:
        return self.lines.plain_lines

    def show(self, frame: Frame) -> None:
        width = self.scrollable_content_region.width or 76
        if self._layout is None or self._layout.net is not frame.network or self._layout.width != width:
            self._layout = CircuitLayout(frame.network, width)
        rows = self._layout.rows(frame.trace, frame.walk)
        self.lines.set_lines([row_text(r) for r in rows])
        title = f"Circuit  step {count(frame.step)} · lr {fmt(frame.lr, keep_zeros=False)}"
        if self.border_title != title:
            self.border_title = title
        # the walk's row, else the chosen parameter's wire, stays in view
        at = next((y for y, r in enumerate(rows) if r.current), None)
        if at is None:
            at = next((y for y, r in enumerate(rows) if frame.shown[0] in r.params), None)
        if at is not None:
            self.call_after_refresh(self.scroll_to_region, Region(0, at, 1, 1), animate=False, immediate=True)
