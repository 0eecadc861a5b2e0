"""Series for the chart: an engine's J history kept min/max-decimated and in
step with the engine (after steps, jumps, undo and reset), and the correct
run beside a mistaken one. This module never imports Textual."""

from __future__ import annotations

from bptui.decimate import BlockExtremes, MinMaxDecimator
from bptui.engine import Engine


class LossSeries:
    def __init__(self, engine: Engine, max_buckets: int, scale: str = "linear") -> None:
        self.engine = engine
        self.watcher = engine.watch()
        self.blocks = BlockExtremes()  # whatever the buckets: for cutting them cheaply
        self.decimator = MinMaxDecimator(max_buckets, scale)
        self.sync()

    def rebuild(self, max_buckets: int, scale: str) -> None:
        """Decimate the whole history again: for another number of buckets, or
        the other step axis (linear or log buckets)."""
        self.sync()
        self.decimator = MinMaxDecimator(max_buckets, scale)
        self.decimator.extend(self.engine.loss_slice(0, self.blocks.n))

    def sync(self) -> bool:
        """Catch up with the engine: only the steps that changed are read.
        True if some of what was summarised is gone (undo, reset, or a jump
        that replaced undone steps)."""
        e, d = self.engine, self.decimator
        length = e.step_count + 1
        low = self.watcher.take(length)
        cut = low < self.blocks.n
        if cut:
            self.blocks.truncate(low, e.loss_slice)
            d.truncate(low, e.loss_slice, lambda a, b: self.blocks.extremes(a, b, e.loss_slice))
        if self.blocks.n < length:
            values = e.loss_slice(self.blocks.n, length)
            self.blocks.extend(values)
            d.extend(values)
        return cut


class CorrectRun:
    """What the run would have been under the correct rule: same start, same
    rate at every step, and every value set by hand set at the same step.
    Kept in step with the engine it shadows."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        edits = engine.edits
        first = edits[0] if edits else None
        # the state before any edit: the network before the first one, and
        # step 0's row as it was before an edit made there
        network = first.network if first is not None else engine.network
        start = first.row[: engine.n_params] if first is not None and first.step == 0 else engine.params_at(0)
        self.shadow = Engine(network, start, engine.lr, optimizer=engine.optimizer)
        self.watcher = engine.watch()
        self.blocked = False  # the correct run itself hit a refused step, or could not take an edit

    def sync(self) -> None:
        e, s = self.engine, self.shadow
        low = self.watcher.take(e.step_count + 1)
        keep = min(low - 1, s.step_count)
        # the shadow's edits are the engine's, in order: back to where they agree
        agree = 0
        for mine, theirs in zip(s.edits, e.edits):
            if (mine.step, mine.name, mine.new) != (theirs.step, theirs.name, theirs.new):
                break
            agree += 1
        if agree < len(s.edits):
            keep = min(keep, s.edits[agree].step - 1)
        while s.step_count > keep or (s.edits and s.edits[-1].step > keep) or len(s.edits) > agree:
            if s.undo() == 0:
                break
            self.blocked = False
        pending = list(e.edits[len(s.edits):])
        while not self.blocked:
            while pending and pending[0].step == s.step_count:
                edit = pending.pop(0)
                try:
                    s.set_value(edit.name, edit.new)
                except ValueError:
                    self.blocked = True  # this run's state cannot take the value
                    break
            stop = min(pending[0].step, e.step_count) if pending else e.step_count
            if self.blocked or s.step_count >= stop:
                break
            k = s.step_count + 1
            lr = e.lr_at(k)
            end = k
            while end <= stop and e.lr_at(end) == lr:
                end += 1
            s.set_lr(lr)
            taken = s.step(end - k)
            if taken < end - k:
                self.blocked = True
