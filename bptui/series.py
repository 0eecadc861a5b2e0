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
    rate at every step. Kept in step with the engine it shadows."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shadow = Engine(engine.network, engine.params_at(0), engine.lr)
        self.watcher = engine.watch()
        self.blocked = False  # the correct run itself hit a refused step

    def sync(self) -> None:
        e, s = self.engine, self.shadow
        low = self.watcher.take(e.step_count + 1)
        keep = min(low - 1, s.step_count)
        if keep < s.step_count:
            s.undo(s.step_count - keep)
            self.blocked = False
        k = s.step_count + 1
        while k <= e.step_count and not self.blocked:
            lr = e.lr_at(k)
            end = k
            while end <= e.step_count and e.lr_at(end) == lr:
                end += 1
            s.set_lr(lr)
            taken = s.step(end - k)
            if taken < end - k:
                self.blocked = True
            k += taken
