"""Status: step number, learning rate, J, and the last update with its numbers,
e.g. `w2: 0.02075195 → 0.7406864` over `(− 0.5 × −1.439869)`."""

from __future__ import annotations

from rich.text import Text

from bptui.frame import Frame
from bptui.numfmt import MINUS, count, fmt
from bptui.stepper_nudge import signed
from bptui.widgets.line_pane import PENDING, LabelledPane, mark_current


def optimizer_rows(u, pad: Text) -> list[tuple[Text, Text]]:
    """An optimizer's update of one weight: the values it computed on the
    way, two to a row (momentum's v; Adam's m and v, then m̂ and v̂), then the
    step itself with the numbers in, as `(− lr × …)` under plain descent."""
    *state, last = u.lines
    rows = []
    for i in range(0, len(state), 2):
        values = Text()
        for worked in state[i : i + 2]:
            if values:
                values.append("  ")
            values.append(f"{worked.line.target} ")
            values.append(fmt(worked.value))
        rows.append((pad, values))
    step = last.numbers.split(" ", 1)[1]  # the numbers after the old value: − lr × …
    return [*rows, (pad, Text(f"({step})"))]


class StatusPane(LabelledPane):
    """Rows too long for the pane wrap (a number is never cut). No border
    of its own: at 80×24 every row counts, and the step row heads it."""

    def __init__(self, loss: str = "J", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loss = loss

    def show(self, frame: Frame) -> None:
        """Step, rate, J, and the last update of the parameters on screen;
        in a walk, the update being built, · for weights not updated yet."""
        net, walk, params = frame.network, frame.walk, frame.shown
        name_w = max(len(p) for p in net.params)
        label_w = max(name_w + 2, len("step "))
        pad = Text(" " * label_w)
        head = Text()
        head.append(count(frame.step), "bold")
        head.append("   lr ", "italic")
        head.append(fmt(frame.lr, keep_zeros=False), "bold")
        head.append(f"   {net.loss} ", "italic")
        if walk is not None and net.loss not in walk.values:
            head.append(PENDING, "dim")  # this walk has not computed J yet
        else:
            head.append(fmt(frame.loss), "bold")
        if frame.predict is not None:
            head.append(f"   {frame.predict}", "bold")
        rows = [(Text("step".ljust(label_w), "italic"), head)]
        if len(params) < len(net.params):
            note = frame.vanishing or f"all {len(net.params)} parameters\nupdate together"
            rows += [(pad, Text(line, "italic")) for line in note.split("\n")]
        if walk is not None:
            rows[0][1].append("  (walking)", "italic")
            self._walk_rows(frame, rows, label_w, pad)
            self.set_rows(rows)
            return
        edit = frame.last_edit
        if edit is not None:  # set by hand since the step: one row, above the step's own updates
            value = Text(f"{edit.name} {fmt(edit.old, keep_zeros=edit.kind != 'rate')} → ")
            value.append(fmt(edit.new, keep_zeros=edit.kind != "rate"), "bold")
            nudge = frame.nudge
            value.append(" (nudged)" if nudge is not None else " (by hand)", "italic")
            rows.append((Text("set:".ljust(label_w), "bold"), value))
            if nudge is not None:  # what it did to J, until the next key
                loss = net.loss
                moved = Text(f"Δ{loss} ")
                moved.append(signed(nudge.loss_change, 7), "bold")
                moved.append(f"  Δ{loss}/Δ{nudge.name} {fmt(nudge.ratio, digits=4)}")
                rows.append((pad, moved))
        updates = {u.name: u for u in frame.updates}
        for p in net.params:
            if p not in params:
                continue
            u = updates.get(p)
            if u is None:
                rows.append((Text(f"{p}:".ljust(label_w)), Text(fmt(frame.trace.values[p]))))
                why = "no update yet" if frame.step == 0 else "not moved by this rule"
                rows.append((pad, Text(f"({why})", "italic")))
                continue
            value = Text(f"{fmt(u.old)} → ")
            value.append(fmt(u.new), "bold")
            rows.append((Text(f"{p}:".ljust(label_w), "bold"), value))
            lr = fmt(u.lr, keep_zeros=False)
            if len(u.lines) > 1:  # an optimizer's: its state and the step, with the numbers in
                rows += optimizer_rows(u, pad)
            elif u.formula == f"d{net.loss}/d{p}":
                rows.append((pad, Text(f"({MINUS} {lr} × {fmt(u.amount)})")))
            else:  # a mistaken rule: say what stood in for the gradient
                rows.append((pad, Text(f"({MINUS} {lr} × {u.formula}={fmt(u.amount)})", "bold")))
        self.set_rows(rows)

    def set_rows(self, rows: list[tuple[Text, Text]]) -> None:
        width = self.scrollable_content_region.width
        if width and not self.show_vertical_scrollbar:
            # leave the scrollbar's column: wrapped rows that filled it would
            # crop the labels once a scrollbar appears
            width -= self.styles.scrollbar_size_vertical
        if width:
            wrapped = []
            for label, value in rows:
                room = max(8, width - label.cell_len)
                parts = value.wrap(self.app.console, room) if value.cell_len > room else [value]
                pad = Text(" " * label.cell_len)
                wrapped += [(label if i == 0 else pad, part) for i, part in enumerate(parts)]
            rows = wrapped
        super().set_rows(rows)

    def _walk_rows(self, frame: Frame, rows, label_w: int, pad: Text) -> None:
        net, rule, walk, params = frame.network, frame.rule, frame.walk, frame.shown
        moving = frame.amounts
        optimizer = frame.history.optimizer
        cur = walk.current
        for p in net.params:
            if p not in params:
                continue
            label = Text(f"{p}:".ljust(label_w), "bold")
            value = Text(f"{fmt(frame.trace.values[p])} → ")
            if p not in moving:
                value.append("(not moved)", "italic")
            elif p in walk.updates:
                value.append(fmt(walk.updates[p]), "bold")
            else:
                value.append(PENDING, "dim")
            if cur is not None and cur.kind in ("moment", "update") and cur.name == p:
                label, value = mark_current(label, value)
            rows.append((label, value))
            what = rule.formula_of(p, net.loss) or ""
            lines = optimizer.lines(net.loss, p)
            if len(lines) == 1 or p not in moving:
                rows.append((pad, Text(f"({MINUS} lr × {what})" if what else "", "italic")))
                continue
            # an optimizer's: the values it computes on the way, · until the walk has
            targets = [line.target for line in lines[:-1]]
            for i in range(0, len(targets), 2):
                values = Text()
                for target in targets[i : i + 2]:
                    if values:
                        values.append("  ")
                    values.append(f"{target} ")
                    known = walk.moments.get((p, target))
                    values.append(PENDING if known is None else fmt(known), "dim" if known is None else "")
                rows.append((pad, values))
            rows.append((pad, Text(f"({lines[-1].formula}, g = {what})", "italic")))
