"""`bptui trace`: steps 0..N of a scenario as a table, CSV, JSON Lines or a
summary of the last step. Step 0 is the start; step k the state after k
updates; each row's gradients are the ones the next update would use.
CSV and JSON carry full double precision (repr round-trips exactly); JSON
writes a value that overflowed (nan, ±inf) as null, CSV as nan / inf.
This module never imports Textual."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from dataclasses import replace
from typing import Iterator, Sequence, TextIO

from bptui.engine import Divergence, Engine
from bptui.graph import Network, Trace
from bptui.dot import dot_source
from bptui.numfmt import fmt
from bptui.program import program_source
from bptui.rules import is_question_network
from bptui.options import OptionParser, add_scenario_options, arg_type, join_negative_values, scenario_from_args
from bptui.scenario import parse_whole

# Steps are taken this many at a time, each chunk by a fresh engine that
# starts from the last one's weights (so its state is recomputed from them,
# bit for bit what stepping on would give): memory holds one chunk's history,
# however many steps are asked for.
CHUNK_STEPS = 4096


def step_record(step: int, trace: Trace, lr: float | None, optimizer_state: dict | None = None) -> dict:
    """One step as the JSON object `bptui trace --format json` prints;
    `optimizer_state` (by parameter, then slot) once a step has any."""
    net = trace.network
    record: dict = {"step": step, "J": trace.loss, "weights": {p: trace.values[p] for p in net.weights}}
    if net.biases:
        record["biases"] = {p: trace.values[p] for p in net.biases}
    record["gradients"] = {p: trace.grad(p) for p in net.params}
    record["forward"] = {n.name: trace.values[n.name] for n in net.nodes if n.kind == "op" and n.name != net.loss}
    record["factors"] = {e.symbol: trace.factors[e.key] for e in net.edges}
    # the running product from J down to each node, dJ/dn: upstream × local,
    # summed where paths meet (the parameters' are the gradients)
    record["adjoints"] = {n: trace.adjoints[n] for n in net.adjoint_nodes[1:] if n not in net.params}
    record["lr"] = lr  # the rate of the update that led here (None at step 0)
    if optimizer_state is not None:
        record["optimizer"] = optimizer_state  # its state after the update that led here
    return record


class Run:
    """Steps 0..n of the run an engine starts (from its current weights, rate
    and rule), taken afresh each time it is iterated: (k, weights of step k),
    stopping early at a refused step, which `divergence` then holds.
    With an optimizer that keeps state, `states` gives it for each step."""

    def __init__(self, engine: Engine, n: int) -> None:
        self.network = engine.network
        self.rules = engine.rules
        self.rule_index = engine.rule_index
        self.start = engine.params
        self.optimizer = engine.optimizer
        self.start_slots = engine.slots_at(engine.step_count)
        self.start_state = engine.optimizer_state_at(engine.step_count)  # the same, by parameter
        self.start_t = engine.t_at(engine.step_count)
        self.lr = engine.lr
        self.n = n
        self.divergence: Divergence | None = None

    def _engine(self, params: Sequence[float], slots: Sequence[float], steps_before: int) -> Engine:
        engine = Engine(self.network, params, self.lr, self.rules, optimizer=self.optimizer,
                        optimizer_state=slots, steps_before=steps_before)  # fmt: skip
        engine.set_rule(self.rule_index)
        return engine

    def __iter__(self) -> Iterator[tuple[int, tuple[float, ...]]]:
        for k, params, _ in self.states():
            yield k, params

    def states(self) -> Iterator[tuple[int, tuple[float, ...], dict | None]]:
        """(k, weights of step k, the optimizer's state there or None)."""
        keeps = bool(self.optimizer.slots)
        for done, engine in self._chunks():
            for k in range(0 if done == 0 else 1, engine.step_count + 1):
                yield done + k, engine.params_at(k), engine.optimizer_state_at(k) if keeps else None

    def last(self) -> tuple[int, tuple[float, ...]]:
        """The last step and its weights, without visiting the others."""
        k, params, _ = self.last_state()
        return k, params

    def last_state(self) -> tuple[int, tuple[float, ...], dict | None]:
        for done, engine in self._chunks():
            pass
        k = engine.step_count
        return done + k, engine.params, engine.optimizer_state_at(k) if self.optimizer.slots else None

    def _chunks(self) -> Iterator[tuple[int, Engine]]:
        """(steps before it, engine) for each chunk, once it has stepped."""
        self.divergence = None
        engine = self._engine(self.start, self.start_slots, 0)
        done = 0
        while True:
            engine.step(min(CHUNK_STEPS, self.n - done))
            yield done, engine
            if engine.divergence is not None:
                # its step counts from this chunk's start
                self.divergence = replace(engine.divergence, step=done + engine.divergence.step)
                return
            done += engine.step_count
            if done >= self.n:
                return
            engine = self._engine(engine.params, engine.slots_at(engine.step_count), done)


def records(run: Run) -> Iterator[dict]:
    for k, params, state in run.states():
        trace = run.network.evaluate(params)
        yield step_record(k, trace, None if k == 0 else run.lr, state)


def columns(network: Network, slots: Sequence[str] = ()) -> list[str]:
    """Flat column names, in the order the table and CSV print them (as flat()
    fills them); `slots`: the optimizer's, each parameter's in turn."""
    forward = [n.name for n in network.nodes if n.kind == "op" and n.name != network.loss]
    return (
        ["step", "J", "lr", *network.weights, *network.biases, *forward]
        + [e.symbol for e in network.edges]
        + [f"d{network.loss}/d{p}" for p in network.params]
        + [slot_column(s, p) for p in network.params for s in slots]
    )


def slot_column(slot: str, param: str) -> str:
    return f"{slot}({param})"


def flat(record: dict, loss: str) -> dict:
    row = {"step": record["step"], "J": record["J"], "lr": record["lr"]}
    for group in ("weights", "biases", "forward", "factors"):
        row.update(record.get(group, {}))
    row.update({f"d{loss}/d{k}": v for k, v in record["gradients"].items()})
    for p, state in record.get("optimizer", {}).items():
        row.update({slot_column(s, p): v for s, v in state.items()})
    return row


def write(run: Run, form: str, out: TextIO) -> None:
    """Print the run's steps, one at a time: nothing kept grows with them."""
    cols = columns(run.network, run.optimizer.slots)
    loss = run.network.loss
    if form == "json":
        for rec in records(run):
            # JSON has no nan or inf: a value that overflowed is null (strict
            # parsers reject a bare NaN)
            out.write(json.dumps(_finite_or_null(rec), allow_nan=False) + "\n")
    elif form == "csv":
        w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for rec in records(run):
            w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in flat(rec, loss).items()})
    elif form == "table":
        # Each column is as wide as its widest cell, so the widths are known
        # only after the last step: a first pass measures them, keeping the
        # cells of a short run, and a long run is recomputed to print it.
        widths = [len(c) for c in cols]
        kept: list[list[str]] | None = []
        for rec in records(run):
            row = flat(rec, loss)
            cells = [_cell(row[c]) for c in cols]
            widths = [max(w, len(v)) for w, v in zip(widths, cells)]
            if kept is not None:
                kept.append(cells)
                if len(kept) > CHUNK_STEPS:
                    kept = None
        out.write("  ".join(c.rjust(w) for c, w in zip(cols, widths)).rstrip() + "\n")
        rows = kept if kept is not None else ([_cell(row[c]) for c in cols] for row in (flat(r, loss) for r in records(run)))
        for cells in rows:
            out.write("  ".join(v.rjust(w) for v, w in zip(cells, widths)).rstrip() + "\n")
    elif form == "python":
        title = "The question's network" if is_question_network(run.network) else "A network"
        out.write(program_source(run.network, run.start, run.lr, run.n, run.rules[run.rule_index], title,
                                 run.optimizer, run.start_state, run.start_t))  # fmt: skip
    elif form == "dot":
        k, params = run.last()
        out.write(dot_source(run.network.evaluate(params), k))
    elif form == "summary":
        k, params, state = run.last_state()  # only the last step is printed, so only it is evaluated
        row = flat(step_record(k, run.network.evaluate(params), None if k == 0 else run.lr, state), loss)
        width = max(len(c) for c in cols)
        for c in cols:
            out.write(f"{c.ljust(width)}  {_cell(row[c])}\n")
    else:
        raise ValueError(f"unknown format {form!r}")


def _finite_or_null(v):
    if isinstance(v, dict):
        return {k: _finite_or_null(x) for k, x in v.items()}
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return fmt(v)
    return str(v)


def build_trace_parser() -> argparse.ArgumentParser:
    p = OptionParser(
        prog="bptui trace",
        description="Print steps 0..N of a scenario: step 0 is the start, step k the state after k updates.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_options(p)
    p.add_argument("--steps", type=arg_type(parse_whole, "steps", 0, 10_000_000), default=10, metavar="N", help="how many updates (default 10)")
    p.add_argument(
        "--format",
        choices=("table", "csv", "json", "summary", "python", "dot"),
        default="table",
        help="table (default), csv, json (JSON Lines, one object a step), summary (the last step only), "
        "python (a standalone program that takes the N steps and prints what summary prints of J and "
        "the weights) or dot (the graph at the last step, for Graphviz)",
    )
    return p


def main(argv: Sequence[str]) -> int:
    parser = build_trace_parser()
    args = parser.parse_args(join_negative_values(argv))
    try:
        engine = scenario_from_args(args).engine()
    except ValueError as e:
        parser.error(str(e))
    run = Run(engine, args.steps)
    try:
        write(run, args.format, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # `bptui trace ... | head` is fine
        sys.stderr.close()
        return 0
    if run.divergence is not None:
        print(f"bptui trace: {run.divergence.describe(keys=False)}", file=sys.stderr)
        return 1
    return 0
