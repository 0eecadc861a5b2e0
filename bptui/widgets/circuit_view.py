"""The circuit (bptui.circuit) on screen. A walk's current row is reversed
and pointed at (◀), so it reads without colour; values not computed yet
show ·. It keeps the walk's row, else the chosen parameter's wire, in view."""

from __future__ import annotations

from rich.text import Text

from bptui.circuit import LEGEND, CircuitLayout, Row
from bptui.frame import Frame
from bptui.numfmt import count, fmt
from bptui.widgets.line_pane import CURRENT
from bptui.widgets.rows_view import RowsView

STYLES = {"name": "italic", "value": "bold", "grad": "bold", "mark": "bold", "gate": "bold", "rule": "dim", "pending": "dim"}


def row_text(row: Row) -> Text:
    text = Text()
    for piece in row.pieces:
        text.append(piece.text, STYLES.get(piece.kind, ""))
    if row.current:
        text.stylize("reverse")
        text.append(CURRENT, "bold")
    return text


class CircuitView(RowsView):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._layout: CircuitLayout | None = None
        self.border_subtitle = LEGEND

    def show(self, frame: Frame) -> None:
        self.frame = frame
        width = self.content_width
        if self._layout is None or self._layout.net is not frame.network or self._layout.width != width:
            self._layout = CircuitLayout(frame.network, width)
        rows = self._layout.rows(frame.trace, frame.walk)
        at = next((y for y, r in enumerate(rows) if r.current), None)
        if at is None:
            at = next((y for y, r in enumerate(rows) if frame.shown[0] in r.params), None)
        texts = [row_text(r) for r in rows]
        # the step and rate beside the loss's wire: a title that changed every
        # step would repaint the whole view (every byte of it, over SSH)
        where = f"step {count(frame.step)} · lr {fmt(frame.lr, keep_zeros=False)}"
        last = texts[-1]
        last.append(" " * max(2, width - last.cell_len - len(where) - 1) + where, "italic")
        self.set_rows(texts, at)
        self.set_title("Circuit")
