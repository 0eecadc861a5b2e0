"""Status: step number, learning rate, J, and the last update with its numbers,
e.g. `w2: 0.02075195 → 0.7406864` over `(− 0.5 × −1.439869)`."""

from __future__ import annotations

from rich.text import Text

from bptui.engine import Engine
from bptui.numfmt import MINUS, fmt
from bptui.widgets.line_pane import LinePane


class StatusPane(LinePane):
    BORDER_TITLE = "Status"

    def show(self, engine: Engine) -> None:
        net = engine.network
        k = engine.step_count
        head = Text()
        head.append("step ", "italic")
        head.append(str(k), "bold")
        head.append("   lr ", "italic")
        head.append(fmt(engine.lr, keep_zeros=False), "bold")
        head.append(f"   {net.loss} ", "italic")
        head.append(fmt(engine.loss), "bold")
        lines = [head]
        updates = engine.last_update()
        name_w = max(len(p) for p in net.params)
        if not updates:
            lines.append(Text("no update yet: space takes a step", "italic"))
            for p in net.params:
                lines.append(Text(f"{p.ljust(name_w)}: {fmt(engine.trace.values[p])}"))
                lines.append(Text(""))
        else:
            lines.append(Text(f"last update: w ← w − lr × d{net.loss}/dw", "italic"))
            for u in updates:
                line = Text()
                line.append(u.name.ljust(name_w), "bold")
                line.append(f": {fmt(u.old)} → ")
                line.append(fmt(u.new), "bold")
                lines.append(line)
                lr = fmt(u.lr, keep_zeros=False)
                lines.append(Text(f"{' ' * name_w}  ({MINUS} {lr} × {fmt(u.grad)})"))
        self.set_lines(lines)
