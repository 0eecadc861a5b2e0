"""Panes of text lines that repaint only the lines whose text changed.

Over SSH every repainted cell costs bytes. A Static repaints its whole area on
every update; these compare each new line with the one on screen and refresh
just the rows that differ, so a step repaints the numbers that moved and
nothing else.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.css.scalar import Scalar
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


class DiffLines:
    """Mixin for a Widget: holds rich Text lines, renders them through the
    line API and refreshes only changed rows."""

    _lines: list[Text]
    _strips: dict[int, Strip]

    def _init_lines(self) -> None:
        self._lines = []
        self._strips = {}

    @property
    def plain_lines(self) -> list[str]:
        return [t.plain for t in self._lines]

    def set_lines(self: Widget | "DiffLines", lines: list[Text]) -> None:
        old, self._lines = self._lines, lines
        # a new count of lines, or a new widest one, lays the pane out again
        # (a label column is as wide as its widest label)
        if len(old) != len(lines) or max((t.cell_len for t in old), default=0) != max((t.cell_len for t in lines), default=0):
            self._strips.clear()
            self.refresh(layout=True)
            return
        if not self.size.width:
            return
        for y, (before, after) in enumerate(zip(old, lines)):
            if before == after:
                continue
            self._strips.pop(y, None)
            if before.plain == after.plain or before.cell_len != len(before.plain) or after.cell_len != len(after.plain):
                # a style change, or wide characters: repaint the whole line
                self.refresh(Region(0, y, self.size.width, 1))
                continue
            for start, end in changed_runs(before.plain, after.plain):
                self.refresh(Region(start, y, end - start, 1))

    def forget_lines(self) -> None:
        """Drop what is on screen (after a resize or a theme change)."""
        self._strips.clear()
        self._lines = []

    def render_line(self: Widget | "DiffLines", y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, style)
        strip = self._strips.get(y)
        if strip is None:
            text = self._lines[y].copy()
            if text.cell_len > width >= 2:
                # cropped (a label column narrower than its labels): say so
                # with …, and keep a blank before whatever stands right of it
                text.rstrip()
                if text.cell_len > width - 1:
                    text.truncate(width - 1, overflow="ellipsis")
                text.append(" ")
            text.stylize_before(style)
            # every segment gets a style: Textual's NO_COLOR filter needs one
            segments = [
                seg if seg.style else Segment(seg.text, style)
                for seg in text.render(self.app.console)
                if seg.text
            ]
            strip = Strip(segments, text.cell_len).crop_extend(0, width, style)
            self._strips[y] = strip
        return strip


PENDING = "·"  # a value this walk has not computed yet
CURRENT = " ◀"  # marks the operation a walk is on (with reverse video)


def pending() -> Text:
    """The placeholder for a value not computed yet, where its digits would start."""
    return Text(" " + PENDING, "dim")


def mark_current(label: Text, value: Text) -> tuple[Text, Text]:
    """The row of the current walk operation: reversed, and pointed at, so it
    reads without color."""
    label, value = label.copy(), value.copy()
    label.stylize("reverse")
    value.stylize("reverse")
    value.append(CURRENT, "bold")
    return label, value


def changed_runs(a: str, b: str, gap: int = 3) -> list[tuple[int, int]]:
    """Column ranges [start, end) where a and b differ; runs closer than `gap`
    equal characters are joined (each repainted range costs a cursor move)."""
    runs: list[tuple[int, int]] = []
    start = last = -1
    for i in range(max(len(a), len(b))):
        if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None):
            if start < 0:
                start = i
            elif i - last > gap:
                runs.append((start, last + 1))
                start = i
            last = i
    if start >= 0:
        runs.append((start, last + 1))
    return runs


class LinePane(DiffLines, Widget):
    DEFAULT_CSS = """
    LinePane {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._init_lines()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((t.cell_len for t in self._lines), default=0)

    def on_resize(self) -> None:
        self._strips.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()


class LabelledPane(ScrollableContainer):
    """A bordered pane of rows: a label column that seldom changes beside a
    value column that changes every step. When the rows outgrow the pane it
    scrolls (focus it with Tab, then arrows / page keys), both columns together.

    They are separate widgets because Textual writes a changed span starting
    from its widget's left edge: with the values in a widget of their own, a
    step sends the digits that moved, not the labels in front of them.
    """

    DEFAULT_CSS = """
    LabelledPane {
        layout: horizontal;
        height: auto;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    LabelledPane > .labels {
        width: auto;
    }
    LabelledPane > .values {
        width: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        yield LinePane(classes="labels")
        yield LinePane(classes="values")

    def set_rows(self, rows: list[tuple[Text, Text]], in_view: int | None = None) -> None:
        """The rows; a walk's current row, else row `in_view`, is scrolled into view."""
        self.query_one(".labels", LinePane).set_lines([label for label, _ in rows])
        self.query_one(".values", LinePane).set_lines([value for _, value in rows])
        self._fit_labels()
        # once the new rows are laid out: fit again (a scrollbar may have come
        # or gone with them), and bring a walk's current row into view
        current = next((y for y, (_, value) in enumerate(rows) if value.plain.endswith(CURRENT)), in_view)
        self.call_after_refresh(self._settle, current)

    _followed = False  # scrolled to follow a walk's current row

    def _settle(self, current: int | None) -> None:
        self._fit_labels()
        if current is not None:
            self.scroll_to_region(Region(0, current, 1, 1), animate=False, immediate=True)
        elif self._followed:
            # the walk has moved on from this pane: back to its top
            self.scroll_home(animate=False, immediate=True)
        self._followed = current is not None

    def on_resize(self) -> None:
        self._fit_labels()

    def _fit_labels(self) -> None:
        """When a pane is too narrow for both, crop the labels, never the
        numbers: cap the label column at what the values leave."""
        labels = self.query_one(".labels", LinePane)
        values = self.query_one(".values", LinePane)
        room = self.scrollable_content_region.width - max((t.cell_len for t in values._lines), default=0)
        wanted = max((t.cell_len for t in labels._lines), default=0)
        cap = None if room >= wanted or room <= 0 else room
        if labels.styles.max_width != (None if cap is None else Scalar.from_number(cap)):
            labels.styles.max_width = cap

    @property
    def plain_lines(self) -> list[str]:
        labels = self.query_one(".labels", LinePane).plain_lines
        values = self.query_one(".values", LinePane).plain_lines
        return [a + b for a, b in zip(labels, values)]
