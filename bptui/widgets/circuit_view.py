"""The circuit (bptui.circuit) on screen. A walk's current row is reversed
and pointed at (◀), so it reads without colour; values not computed yet
show ·. It keeps the walk's row, else the chosen parameter's wire, in view."""

from __future__ import annotations

from rich.text import Text

from bptui.circuit import LEGEND, CircuitLayout, Row
from bptui.frame import Frame
from bptui.numfmt import count, fmt
from bptui.widgets.forward_pane import CHOSEN
from bptui.widgets.line_pane import CURRENT
from bptui.widgets.rows_view import RowsView

STYLES = {"name": "italic", "value": "bold", "grad": "bold", "mark": "bold", "gate": "bold", "rule": "dim", "pending": "dim"}


def row_text(row: Row, chosen: str | None = None) -> Text:
    text = Text()
    for piece in row.pieces:
        style = STYLES.get(piece.kind, "")
        if piece.kind == "name" and chosen is not None and piece.text.strip() == chosen and chosen in row.leaves:
            style = CHOSEN  # the value ← → nudge, as in the forward pane
        text.append(piece.text, style)
    if row.current:
        text.stylize("reverse")
        text.append(CURRENT, "bold")
    return text


class CircuitView(RowsView):
    # the forward pane's keys: ↑ ↓ choose a wire's value, ← → nudge it

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._layout: CircuitLayout | None = None
        self.border_subtitle = LEGEND

    @property
    def value_order(self) -> tuple[str, ...]:
        return self._layout.value_order if self._layout is not None else ()

    def show(self, frame: Frame) -> None:
        self.frame = frame
        width = self.content_width
        if self._layout is None or self._layout.net is not frame.network or self._layout.width != width:
            self._layout = CircuitLayout(frame.network, width)
        rows = self._layout.rows(frame.trace, frame.walk)
        chosen = frame.selected
        at = next((y for y, r in enumerate(rows) if r.current), None)
        if at is None and chosen is not None:
            at = next((y for y, r in enumerate(rows) if chosen in r.leaves), None)
        if at is None:
            at = next((y for y, r in enumerate(rows) if frame.shown[0] in r.params), None)
        texts = [row_text(r, chosen) for r in rows]
        # the step and rate beside the loss's wire: a title that changed every
        # step would repaint the whole view (every byte of it, over SSH)
        where = f"step {count(frame.step)} · lr {fmt(frame.lr, keep_zeros=False)}"
        if frame.predict is not None:
            where += f" · {frame.predict}"
        last = texts[-1]
        last.append(" " * max(2, width - last.cell_len - len(where) - 1) + where, "italic")
        self.set_rows(texts, at)
        self.set_title("Circuit")
        # while a value is chosen, how to nudge it; else what the marks mean
        subtitle = f"←→ {chosen} ±{fmt(frame.nudge_step, keep_zeros=False)} · * / step" if chosen else LEGEND
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
