"""The command-line options that bptui, bptui trace and bptui serve share:
the scenario's flags, the history limit, and how flags and a scenario file
combine. One place, so the commands import it and not each other."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import NoReturn, Sequence

from bptui.networks import ACTIVATIONS, LOSSES, MAX_LAYERS
from bptui.optimizers import DEFAULT_BETAS, DEFAULT_EPS, DEFAULT_MOMENTUM
from bptui.optimizers import NAMES as OPTIMIZERS
from bptui.scenario import (
    MAX_SEED,
    PRESETS,
    Scenario,
    build_scenario,
    parse_finite,
    parse_learning_rate,
    parse_whole,
)
from bptui.scenario_file import read_settings

# options that take a value: a value starting with "-" (a negative number)
# is joined to its flag so argparse does not take it for an option
VALUE_FLAGS = (
    "--lr", "--x", "--y", "--w1", "--w2", "--seed", "--weights", "--biases",
    "--activation", "--loss", "--layers", "--preset", "--scenario", "--steps", "--format", "--replay",
    "--max-history", "--optimizer", "--momentum", "--betas", "--eps",
)  # fmt: skip


# flags that map one to one onto a Scenario setting, and all scenario flags
SETTING_FLAGS = (
    "preset", "lr", "x", "y", "layers", "activation", "loss", "weights", "biases", "seed",
    "optimizer", "momentum", "betas", "eps",
)  # fmt: skip
SCENARIO_FLAGS = (*SETTING_FLAGS, "w1", "w2", "scenario")

# history: a row of doubles a step (40 bytes for the question's network), so
# 2,000,000 steps is 80 MB there; bptui serve keeps each student to less
DEFAULT_MAX_HISTORY = 2_000_000
MAX_HISTORY = 100_000_000


class OptionParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block and never a traceback.
        self.exit(2, f"bptui: error: {message} (see {self.prog} --help)\n")


def arg_type(parse, *args):
    """An argparse type from a parser that raises ValueError with a message."""

    def convert(text: str):
        try:
            return parse(text, *args)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return convert


def number_list(text: str, what: str) -> tuple[float, ...]:
    items = [t for t in text.replace(" ", ",").split(",") if t]
    if not items:
        raise ValueError(f"{what} is empty: give numbers separated by commas, e.g. 0.5,-0.25")
    return tuple(parse_finite(t, f"{what} item {i}") for i, t in enumerate(items, 1))


def pair_list(text: str, what: str) -> tuple[float, float]:
    values = number_list(text, what)
    if len(values) != 2:
        raise ValueError(f"{what} takes two numbers separated by a comma, e.g. 0.9,0.999; got {len(values)}")
    return values


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    # Every default is None so a flag that was not given leaves the file's
    # (or the built-in) setting alone.
    g = p.add_argument_group("scenario")
    g.add_argument("--preset", choices=PRESETS, help="question (default): the chain below; mazur: Mazur's 2-2-2 example")
    g.add_argument("--lr", type=arg_type(parse_learning_rate), metavar="RATE", help="learning rate, > 0 (default 0.5)")
    g.add_argument("--x", type=arg_type(parse_finite, "x"), help="the input (default 2)")
    g.add_argument("--y", type=arg_type(parse_finite, "y"), help="the target (default 4)")
    g.add_argument("--layers", type=arg_type(parse_whole, "layers", 1, MAX_LAYERS), metavar="N", help=f"neurons in the chain, 1..{MAX_LAYERS} (default 2)")
    g.add_argument("--activation", choices=ACTIVATIONS, help="activation of every neuron (default sigmoid)")
    g.add_argument(
        "--loss", choices=tuple(LOSSES), help="se: (o − y)² (default); half-se: ½(o − y)²; bce: binary cross-entropy"
    )
    g.add_argument(
        "--weights", type=arg_type(number_list, "weights"), metavar="W1,W2,...", help="starting weights, one per layer"
    )
    g.add_argument(
        "--biases",
        type=arg_type(number_list, "biases"),
        metavar="B1,B2,...",
        help="starting biases, one per layer; giving them turns biases on (off by default)",
    )
    g.add_argument("--w1", type=arg_type(parse_finite, "w1"), help="the first weight (the rest as usual)")
    g.add_argument("--w2", type=arg_type(parse_finite, "w2"), help="the second weight")
    g.add_argument(
        "--seed", type=arg_type(parse_whole, "the seed", 0, MAX_SEED), help="draw the weights as np.random.seed(SEED); np.random.rand() per weight (default 10)"
    )
    g.add_argument("--scenario", metavar="FILE.toml", help="read settings from a TOML file (flags override it)")
    o = p.add_argument_group("optimizer")
    o.add_argument("--optimizer", choices=OPTIMIZERS,
                   help="sgd: w − lr·g (default); momentum: v ← μv + g, w − lr·v; adam: as PyTorch's Adam")  # fmt: skip
    o.add_argument("--momentum", type=arg_type(parse_finite, "momentum"), metavar="MU",
                   help=f"momentum's μ, in [0, 1) (default {DEFAULT_MOMENTUM:g})")  # fmt: skip
    o.add_argument("--betas", type=arg_type(pair_list, "betas"), metavar="B1,B2",
                   help=f"Adam's β1,β2, each in [0, 1) (default {DEFAULT_BETAS[0]:g},{DEFAULT_BETAS[1]:g})")  # fmt: skip
    o.add_argument("--eps", type=arg_type(parse_finite, "eps"), metavar="EPS",
                   help=f"Adam's ε, added to √v̂, > 0 (default {DEFAULT_EPS:g})")  # fmt: skip


def add_history_option(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument(
        "--max-history",
        type=arg_type(parse_whole, "max history", 1, MAX_HISTORY),
        default=default,
        metavar="STEPS",
        help=f"keep at most this many steps (default {default:,}); each costs a row of doubles in memory",
    )


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
