"""Command line: `bptui [scenario options]` opens the stepper;
`bptui trace [scenario options] --steps N --format F` prints the steps."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import NoReturn, Sequence

from bptui import __version__
from bptui.engine import Engine
from bptui.rules import rules_for
from bptui.networks import ACTIVATIONS, LOSSES, MAX_LAYERS
from bptui.scenario import MAX_SEED, PRESETS, Scenario, build_scenario, parse_finite, parse_learning_rate
from bptui.scenario_file import read_settings

DESCRIPTION = """\
Step a small network through backpropagation, one keypress at a time.

The default network (the question's, no biases): z1 = w1·x, h = σ(z1),
z2 = w2·h, o = σ(z2), J = (o − y)², with x = 2, y = 4, learning rate 0.5 and
w1, w2 drawn by np.random.seed(10); np.random.rand() twice.
"""

EPILOG = """\
subcommands: bptui trace --help (print the steps), bptui serve --help (a class over SSH)

keys: space/n step · . , walk one operation · l set rate · + - double/halve rate ·
u/backspace undo · r reset · [ ] choose weight · g gradient check · m mistakes ·
v landscape · p play · < > speed · j jump · e export · s save · ? help · q quit

Scenario settings come from the defaults, then --scenario FILE, then flags.
"""

# options that take a value: a value starting with "-" (a negative number)
# is joined to its flag so argparse does not take it for an option
VALUE_FLAGS = (
    "--lr", "--x", "--y", "--w1", "--w2", "--seed", "--weights", "--biases",
    "--activation", "--loss", "--layers", "--preset", "--scenario", "--steps", "--format", "--replay",
    "--max-history",
)  # fmt: skip


# flags that map one to one onto a Scenario setting, and all scenario flags
SETTING_FLAGS = ("preset", "lr", "x", "y", "layers", "activation", "loss", "weights", "biases", "seed")
SCENARIO_FLAGS = (*SETTING_FLAGS, "w1", "w2", "scenario")

# history: a row of doubles a step (40 bytes for the question's network), so
# 2,000,000 steps is 80 MB there; bptui serve keeps each student to less
DEFAULT_MAX_HISTORY = 2_000_000
MAX_HISTORY = 100_000_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block and never a traceback.
        self.exit(2, f"bptui: error: {message} (see {self.prog} --help)\n")


def _arg(parse, *args):
    """An argparse type from a parser that raises ValueError with a message."""

    def convert(text: str):
        try:
            return parse(text, *args)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return convert


def _number_list(text: str, what: str) -> tuple[float, ...]:
    items = [t for t in text.replace(" ", ",").split(",") if t]
    if not items:
        raise ValueError(f"{what} is empty: give numbers separated by commas, e.g. 0.5,-0.25")
    return tuple(parse_finite(t, f"{what} item {i}") for i, t in enumerate(items, 1))


def _whole(text: str, what: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] from user text, or ValueError saying why not."""
    s = text.strip()
    if not s.isascii() or "_" in s:  # int() also takes 1_000, ٣ and １
        raise ValueError(f"{what} must be a whole number written with 0-9, not {text!r}")
    try:
        value = int(s)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not {text!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{what} must be between {lo} and {hi}, not {value}")
    return value


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    # Every default is None so a flag that was not given leaves the file's
    # (or the built-in) setting alone.
    g = p.add_argument_group("scenario")
    g.add_argument("--preset", choices=PRESETS, help="question (default): the chain below; mazur: Mazur's 2-2-2 example")
    g.add_argument("--lr", type=_arg(parse_learning_rate), metavar="RATE", help="learning rate, > 0 (default 0.5)")
    g.add_argument("--x", type=_arg(parse_finite, "x"), help="the input (default 2)")
    g.add_argument("--y", type=_arg(parse_finite, "y"), help="the target (default 4)")
    g.add_argument("--layers", type=_arg(_whole, "layers", 1, MAX_LAYERS), metavar="N", help=f"neurons in the chain, 1..{MAX_LAYERS} (default 2)")
    g.add_argument("--activation", choices=ACTIVATIONS, help="activation of every neuron (default sigmoid)")
    g.add_argument(
        "--loss", choices=tuple(LOSSES), help="se: (o − y)² (default); half-se: ½(o − y)²; bce: binary cross-entropy"
    )
    g.add_argument(
        "--weights", type=_arg(_number_list, "weights"), metavar="W1,W2,...", help="starting weights, one per layer"
    )
    g.add_argument(
        "--biases",
        type=_arg(_number_list, "biases"),
        metavar="B1,B2,...",
        help="starting biases, one per layer; giving them turns biases on (off by default)",
    )
    g.add_argument("--w1", type=_arg(parse_finite, "w1"), help="the first weight (the rest as usual)")
    g.add_argument("--w2", type=_arg(parse_finite, "w2"), help="the second weight")
    g.add_argument(
        "--seed", type=_arg(_whole, "the seed", 0, MAX_SEED), help="draw the weights as np.random.seed(SEED); np.random.rand() per weight (default 10)"
    )
    g.add_argument("--scenario", metavar="FILE.toml", help="read settings from a TOML file (flags override it)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bptui",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_options(p)
    p.add_argument(
        "--replay", metavar="FILE.json", help="reopen a session exported with e, at the same step, bit for bit"
    )
    p.add_argument(
        "--no-files",
        action="store_true",
        help="turn off e (export) and s (save): bptui serve starts every student's app with it",
    )
    add_history_option(p, DEFAULT_MAX_HISTORY)
    p.add_argument("--version", action="version", version=f"bptui {__version__}")
    return p


def add_history_option(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument(
        "--max-history",
        type=_arg(_whole, "max history", 1, MAX_HISTORY),
        default=default,
        metavar="STEPS",
        help=f"keep at most this many steps (default {default:,}); each costs a row of doubles in memory",
    )


def build_trace_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bptui trace",
        description="Print steps 0..N of a scenario: step 0 is the start, step k the state after k updates.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_options(p)
    p.add_argument("--steps", type=_arg(_whole, "steps", 0, 10_000_000), default=10, metavar="N", help="how many updates (default 10)")
    p.add_argument(
        "--format",
        choices=("table", "csv", "json", "summary"),
        default="table",
        help="table (default), csv, json (JSON Lines, one object a step) or summary (the last step only)",
    )
    return p


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """['--w1', '-0.5'] -> ['--w1=-0.5'], for every option that takes a value."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in VALUE_FLAGS and i + 1 < len(argv) and argv[i + 1].startswith("-") and argv[i + 1][1:2] not in ("-", ""):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """Defaults, then the scenario file, then the flags; ValueError if the
    result does not make sense. Only the combined settings are judged (a
    file's bce may need the flags' --y 0.5)."""
    in_file = read_settings(args.scenario) if args.scenario else {}
    flags = {name: getattr(args, name) for name in SETTING_FLAGS if getattr(args, name) is not None}
    names = {**{k: f"{k} (in {args.scenario})" if flags else k for k in in_file}, **{k: f"--{k}" for k in flags}}
    try:
        scenario = build_scenario({**in_file, **flags}, names)
    except ValueError as e:
        if in_file and not flags:
            raise ValueError(f"{args.scenario}: {e}") from None
        if in_file:
            raise ValueError(f"{e} (settings from {args.scenario} and the flags)") from None
        raise
    if args.w1 is not None or args.w2 is not None:
        if "weights" in flags:
            raise ValueError("give either --weights or --w1/--w2, not both")
        weights = list(scenario.initial_weights())
        if args.w1 is not None:
            weights[0] = args.w1
        if args.w2 is not None:
            if len(weights) < 2:
                raise ValueError("--w2 needs a second weight: use --layers 2 or more")
            weights[1] = args.w2
        scenario = replace(scenario, weights=tuple(weights))
    return scenario


def make_engine(scenario: Scenario) -> Engine:
    network = scenario.network()
    return Engine(network, scenario.initial_params(), scenario.lr, rules_for(network))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["trace"]:
        from bptui.trace import main as trace_main

        return trace_main(argv[1:])
    if argv[:1] == ["serve"]:
        from bptui.serve import main as serve_main

        return serve_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(join_negative_values(argv))
    try:
        if args.replay:
            given = [name for name in SCENARIO_FLAGS if getattr(args, name) is not None]
            if given:
                raise ValueError(f"--replay reopens a session as it was: drop --{', --'.join(given)}")
            from bptui.session import load_session

            # refused unread if larger than a session of --max-history steps can be
            scenario, engine = load_session(args.replay, max_steps=args.max_history)
        else:
            scenario = scenario_from_args(args)
            engine = make_engine(scenario)
    except ValueError as e:  # ScenarioFileError and SessionError too
        parser.error(str(e))
    engine.max_steps = args.max_history
    from bptui.app import BptuiApp  # Textual loads only when the app runs

    BptuiApp(engine, scenario, files=not args.no_files).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
