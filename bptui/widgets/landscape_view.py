"""The loss landscape pane (v toggles it in place of the chart): J over two
weights as a character map, the path so far and the current point."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widget import Widget

from bptui.engine import Engine
from bptui.landscape import BAD, HERE, RAMP, TRAIL, Landscape
from bptui.numfmt import fmt
from bptui.widgets.line_pane import DiffLines

# the map's levels in color too, low (dark) to high (bright); the characters
# carry the meaning, the colors only help
LEVEL_STYLES = ["", "blue", "blue", "cyan", "green", "yellow", "yellow", "red", "bold red"]


class LandscapeView(DiffLines, Widget):
    DEFAULT_CSS = """
    LandscapeView {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._init_lines()
        self.landscape: Landscape | None = None

    def show(self, engine: Engine, x: int | None = None, y: int | None = None) -> None:
        if self.landscape is None or self.landscape.engine is not engine:
            self.landscape = Landscape(engine)
        if x is not None and y is not None:
            self.landscape.set_axes(x, y)
        self._draw()

    def on_resize(self) -> None:
        self.forget_lines()
        if self.landscape is not None:
            self._draw()

    def _draw(self) -> None:
        width, height = self.size
        if not width or self.landscape is None:
            return
        # the legend under the map wraps rather than being cut, and the map
        # gives up the rows it takes; start from last time's count so the
        # grid is not computed twice a step
        for _ in range(2):
            rows = height - self._legend_rows
            if width < 12 or rows < 3:
                self.set_lines([Text("(enlarge the window", "italic"), Text(" for the landscape)", "italic")])
                return
            f = self.landscape.frame(width, rows)
            legend = self._legend(f, width)
            if len(legend) == self._legend_rows:
                break
            self._legend_rows = max(2, len(legend))
        legend = legend[: max(0, height - len(f.cells))]
        loss = self.landscape.engine.network.loss
        self.border_title = f"{loss} over ({f.x_name}, {f.y_name})"
        self.border_subtitle = f"{TRAIL} path {HERE} now"
        lines = []
        for row in f.cells:
            line = Text()
            for ch in row:
                if ch in (TRAIL, HERE):
                    line.append(ch, "bold")
                elif ch == BAD:
                    line.append(ch, "bold reverse")
                else:
                    line.append(ch, LEVEL_STYLES[RAMP.index(ch)])
            lines.append(line)
        self.set_lines(lines + legend)

    _legend_rows = 2

    def _legend(self, f, width: int) -> list[Text]:
        """The axes' ranges and the levels' range, wrapped to the width."""
        x0, x1, y0, y1 = f.box
        lo, hi = distinct(*f.levels)
        loss = self.landscape.engine.network.loss
        axes = Text(
            f"{f.x_name} → {fmt(x0, keep_zeros=False, digits=3)}…{fmt(x1, keep_zeros=False, digits=3)}  "
            f"{f.y_name} ↑ {fmt(y0, keep_zeros=False, digits=3)}…{fmt(y1, keep_zeros=False, digits=3)}",
            "italic",
        )
        levels = Text(f"'{RAMP}' {loss} {lo}→{hi}", "italic")
        return [line for text in (axes, levels) for line in text.wrap(self.app.console, width)]


def distinct(lo: float, hi: float) -> tuple[str, str]:
    """lo and hi with enough digits (3 to 7) that rounding either moves it by
    at most a twentieth of the span between them: 0.26034→0.26053, never
    0.26→0.261."""
    span = abs(hi - lo)
    top = max(abs(lo), abs(hi))
    if span == 0 or not math.isfinite(span) or top == 0:
        digits = 3 if span else 7
    else:
        # rounding to d significant digits moves a value by up to ½·10^(e−d+1)
        e = math.floor(math.log10(top))
        digits = min(7, max(3, math.ceil(e + 1 - math.log10(0.1 * span))))
    return fmt(lo, keep_zeros=False, digits=digits), fmt(hi, keep_zeros=False, digits=digits)
