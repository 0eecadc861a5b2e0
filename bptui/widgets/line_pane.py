"""Panes of text lines that repaint only the lines whose text changed.

Over SSH every repainted cell costs bytes. A Static repaints its whole area on
every update; these compare each new line with the one on screen and refresh
just the rows that differ, so a step repaints the numbers that moved and
nothing else.
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
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
        self._cells: list[int] = []  # cells each line takes
        self._strips = {}
        self._style_key: tuple[int, ...] = ()
        self._style = None

    def _line_style(self: Widget | "DiffLines"):
        """The pane's text style. Textual's rich_style walks every ancestor's
        colours on each call, and a step repaints about 30 lines: keep it until
        some ancestor's styles change (focus, theme)."""
        key = tuple(node.styles._cache_key for node in self.ancestors_with_self)
        if key != self._style_key or self._style is None:
            self._style_key, self._style = key, self.rich_style
        return self._style

    @property
    def plain_lines(self) -> list[str]:
        return [t.plain for t in self._lines]

    @property
    def widest(self) -> int:
        """Cells the widest line takes."""
        return max(self._cells, default=0)

    def set_lines(self: Widget | "DiffLines", lines: list[Text]) -> bool:
        """Show `lines`, repainting the spans that changed. True when the
        pane's size may have changed (another count of lines, or another
        widest one), which lays it out again if its size follows its lines."""
        old, self._lines = self._lines, lines
        # cells each line takes, measured once (Rich measures on every call)
        old_cells, self._cells = self._cells, [t.cell_len for t in lines]
        widest_before, widest = max(old_cells, default=0), max(self._cells, default=0)
        if len(old) != len(lines) or (widest != widest_before and self._width_follows_lines()):
            self._strips.clear()
            self.refresh(layout=True)
            return True
        if not self.size.width:
            return widest != widest_before
        changed = []
        for y, (before, after) in enumerate(zip(old, lines)):
            if before == after:
                continue
            self._strips.pop(y, None)
            a, b = before.plain, after.plain
            if a == b or old_cells[y] != len(a) or self._cells[y] != len(b):
                # a style change, or wide characters: repaint the whole line
                changed.append(Region(0, y, self.size.width, 1))
                continue
            changed.extend(Region(start, y, end - start, 1) for start, end in changed_runs(a, b))
        if changed:
            self.refresh(*changed)
        return widest != widest_before

    def _width_follows_lines(self: Widget | "DiffLines") -> bool:
        # a label column (width: auto) is as wide as its widest label; a
        # column of values (1fr) is as wide as its pane whatever it holds, and
        # laying the screen out again for it would cost a step twice over
        width = self.styles.width
        return width is None or width.is_auto

    def forget_lines(self) -> None:
        """Drop what is on screen (after a resize or a theme change)."""
        self._strips.clear()
        self._lines = []
        self._cells = []

    def render_line(self: Widget | "DiffLines", y: int) -> Strip:
        width = self.size.width
        style = self._line_style()
        if y >= len(self._lines):
            return Strip.blank(width, style)
        strip = self._strips.get(y)
        if strip is None:
            text = self._lines[y]
            if self._cells[y] > width >= 2:
                text = text.copy()
                # cropped (a label column narrower than its labels): say so
                # with …, and keep a blank before whatever stands right of it
                text.rstrip()
                if text.cell_len > width - 1:
                    text.truncate(width - 1, overflow="ellipsis")
                text.append(" ")
            segments = styled_segments(text, style, self.app.console)
            cells = self._cells[y] if text is self._lines[y] else text.cell_len
            strip = Strip(segments, cells).crop_extend(0, width, style)
            self._strips[y] = strip
        return strip


def styled_segments(text: Text, base: Style, console: Console) -> list[Segment]:
    """text's segments over the pane's base style, every one styled (Textual's
    NO_COLOR filter needs a style on each). What Rich's Text.render gives
    after stylize_before(base), done directly where the spans do not overlap
    (nearly every line: a step renders about 30, and Rich's general span
    stack costs twice as much)."""
    spans = sorted(text.spans, key=lambda span: span.start)
    if any(a.end > b.start for a, b in zip(spans, spans[1:])):
        text = text.copy()
        text.stylize_before(base)
        return [seg if seg.style else Segment(seg.text, base) for seg in text.render(console) if seg.text]
    get_style = console.get_style
    plain = text.plain
    # Rich layers the text's own style, then the base, then each span
    under = (get_style(text.style) + base) if text.style else base
    segments, at = [], 0
    for span in spans:
        if span.start > at:
            segments.append(Segment(plain[at : span.start], under))
        if span.end > span.start:
            segments.append(Segment(plain[span.start : span.end], under + get_style(span.style)))
        at = max(at, span.end)
    if at < len(plain):
        segments.append(Segment(plain[at:], under))
    return segments


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
        return self.widest

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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.labels = LinePane(classes="labels")
        self.values = LinePane(classes="values")

    def compose(self) -> ComposeResult:
        yield self.labels
        yield self.values

    def set_rows(self, rows: list[tuple[Text, Text]], in_view: int | None = None) -> None:
        """The rows; a walk's current row, else row `in_view`, is scrolled into view."""
        resized = self.labels.set_lines([label for label, _ in rows])
        resized |= self.values.set_lines([value for _, value in rows])
        current = next((y for y, (_, value) in enumerate(rows) if value.plain.endswith(CURRENT)), in_view)
        if resized:
            self._fit_labels()
        # once the new rows are laid out: fit again (a scrollbar may have come
        # or gone with them), and bring a walk's current row into view
        if resized or current is not None or self._followed:
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
        labels, values = self.labels, self.values
        room = self.scrollable_content_region.width - values.widest
        wanted = labels.widest
        cap = None if room >= wanted or room <= 0 else room
        if labels.styles.max_width != (None if cap is None else Scalar.from_number(cap)):
            labels.styles.max_width = cap

    @property
    def plain_lines(self) -> list[str]:
        labels, values = self.labels.plain_lines, self.values.plain_lines
        return [a + b for a, b in zip(labels, values)]
