"""`bptui trace`: steps 0..N of a scenario as a table, CSV, JSON Lines or a
summary of the last step. Step 0 is the start; step k the state after k
updates; each row's gradients are the ones the next update would use.
CSV and JSON carry full double precision (repr round-trips exactly); JSON
writes a value that overflowed (nan, ±inf) as null, CSV as nan / inf.
This module never imports Textual."""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import Iterator, Sequence, TextIO

from bptui.engine import Engine
from bptui.graph import Network, Trace
from bptui.numfmt import fmt


def step_record(step: int, trace: Trace, lr: float | None) -> dict:
    """One step as the JSON object `bptui trace --format json` prints."""
    net = trace.network
    record: dict = {"step": step, "J": trace.loss, "weights": {p: trace.values[p] for p in net.weights}}
    if net.biases:
        record["biases"] = {p: trace.values[p] for p in net.biases}
    record["gradients"] = {p: trace.grad(p) for p in net.params}
    record["forward"] = {n.name: trace.values[n.name] for n in net.nodes if n.kind == "op" and n.name != net.loss}
    record["factors"] = {e.symbol: trace.factors[e.key] for e in net.edges}
    record["lr"] = lr  # the rate of the update that led here (None at step 0)
    return record


def records(engine: Engine, steps: Sequence[int]) -> Iterator[dict]:
    for k in steps:
        trace = engine.network.evaluate(engine.params_at(k))
        yield step_record(k, trace, None if k == 0 else engine.lr_at(k))


def columns(network: Network) -> list[str]:
    """Flat column names, in the order the table and CSV print them (as flat()
    fills them)."""
    forward = [n.name for n in network.nodes if n.kind == "op" and n.name != network.loss]
    return (
        ["step", "J", "lr", *network.weights, *network.biases, *forward]
        + [e.symbol for e in network.edges]
        + [f"d{network.loss}/d{p}" for p in network.params]
    )


def flat(record: dict, loss: str) -> dict:
    row = {"step": record["step"], "J": record["J"], "lr": record["lr"]}
    for group in ("weights", "biases", "forward", "factors"):
        row.update(record.get(group, {}))
    row.update({f"d{loss}/d{k}": v for k, v in record["gradients"].items()})
    return row


def write(engine: Engine, steps: Sequence[int], form: str, out: TextIO) -> None:
    cols = columns(engine.network)
    loss = engine.network.loss
    if form == "json":
        for rec in records(engine, steps):
            # JSON has no nan or inf: a value that overflowed is null (strict
            # parsers reject a bare NaN)
            out.write(json.dumps(_finite_or_null(rec), allow_nan=False) + "\n")
    elif form == "csv":
        w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for rec in records(engine, steps):
            w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in flat(rec, loss).items()})
    elif form == "table":
        rows = [flat(r, loss) for r in records(engine, steps)]
        cells = [[_cell(row[c]) for c in cols] for row in rows]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
        out.write("  ".join(c.rjust(w) for c, w in zip(cols, widths)).rstrip() + "\n")
        for r in cells:
            out.write("  ".join(v.rjust(w) for v, w in zip(r, widths)).rstrip() + "\n")
    elif form == "summary":
        (rec,) = records(engine, steps[-1:])
        row = flat(rec, loss)
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


def main(argv: Sequence[str]) -> int:
    from bptui.cli import build_trace_parser, join_negative_values, make_engine, scenario_from_args

    parser = build_trace_parser()
    args = parser.parse_args(join_negative_values(argv))
    try:
        engine = make_engine(scenario_from_args(args))
    except ValueError as e:
        parser.error(str(e))
    taken = engine.step(args.steps)
    steps = range(taken + 1)
    try:
        write(engine, steps, args.format, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # `bptui trace ... | head` is fine
        sys.stderr.close()
        return 0
    if engine.divergence is not None:
        print(f"bptui trace: {engine.divergence.describe(keys=False)}", file=sys.stderr)
        return 1
    return 0
