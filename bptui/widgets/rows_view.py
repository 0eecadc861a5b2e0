"""A view that takes the place of the panes (the circuit, the code): one
bordered column of lines, repainting only what changed, scrolling when the
lines outgrow it and keeping one line (a walk's, or the chosen weight's) in
view."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.geometry import Region

from bptui.widgets.line_pane import LinePane


class RowsView(ScrollableContainer):
    DEFAULT_CSS = """
    RowsView {
        display: none;
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    RowsView > LinePane {
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines = LinePane()
        self.frame = None  # the last frame shown: drawn again at a new size

    def show(self, frame) -> None:
        raise NotImplementedError

    def on_resize(self) -> None:
        # shown before it had a size (it was hidden), or the window changed:
        # lay the lines out for the width it has now
        if self.frame is not None and self.display:
            self.show(self.frame)

    def compose(self) -> ComposeResult:
        yield self.lines

    @property
    def plain_lines(self) -> list[str]:
        return self.lines.plain_lines

    @property
    def content_width(self) -> int:
        return self.scrollable_content_region.width or 76

    def set_rows(self, rows: list[Text], in_view: int | None) -> None:
        self.lines.set_lines(rows)
        top, height = round(self.scroll_y), self.scrollable_content_region.height
        # scrolling, even to where it stands, repaints the whole view
        if in_view is not None and not top <= in_view < top + height:
            self.call_after_refresh(self.scroll_to_region, Region(0, in_view, 1, 1), animate=False, immediate=True)

    def set_title(self, title: str) -> None:
        if self.border_title != title:
            self.border_title = title
