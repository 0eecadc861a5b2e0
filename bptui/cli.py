"""Command line: `bptui [options]` opens the stepper."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Sequence

from bptui import __version__
from bptui.engine import Engine
from bptui.scenario import MAX_SEED, Scenario, parse_finite, parse_learning_rate

DESCRIPTION = """\
Step a small network through backpropagation, one keypress at a time.

The network (no biases): z1 = w1·x, h = σ(z1), z2 = w2·h, o = σ(z2),
J = (o − y)². The defaults are the question's: x = 2, y = 4, learning rate
0.5, and w1, w2 drawn by np.random.seed(10); np.random.rand() twice.
"""

EPILOG = """\
keys: space/n step · l set rate · + double rate · - halve rate ·
u/backspace undo · r reset · ? help · q quit
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block and never a traceback.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(what: str):
    def parse(text: str) -> float:
        try:
            return parse_finite(text, what)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse


def _rate(text: str) -> float:
    try:
        return parse_learning_rate(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seed(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"the seed must be a whole number, not {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"the seed must be between 0 and {MAX_SEED}, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bptui",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d = Scenario()
    p.add_argument("--lr", type=_rate, default=d.lr, metavar="RATE", help=f"learning rate, > 0 (default {d.lr})")
    p.add_argument("--x", type=_number("x"), default=d.x, help=f"the input (default {d.x:g})")
    p.add_argument("--y", type=_number("y"), default=d.y, help=f"the target (default {d.y:g})")
    p.add_argument("--w1", type=_number("w1"), default=None, help="first-layer weight (default: drawn from --seed)")
    p.add_argument("--w2", type=_number("w2"), default=None, help="second-layer weight (default: drawn from --seed)")
    p.add_argument(
        "--seed",
        type=_seed,
        default=d.seed,
        help=f"draw w1, w2 as np.random.seed(SEED); np.random.rand() twice (default {d.seed})",
    )
    p.add_argument("--version", action="version", version=f"bptui {__version__}")
    return p


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    return Scenario(x=args.x, y=args.y, lr=args.lr, seed=args.seed, w1=args.w1, w2=args.w2)


def make_engine(scenario: Scenario) -> Engine:
    return Engine(scenario.network(), scenario.initial_weights(), scenario.lr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    scenario = scenario_from_args(args)
    try:
        engine = make_engine(scenario)
    except ValueError as e:
        parser.error(str(e))
    from bptui.app import BptuiApp  # Textual loads only when the app runs

    BptuiApp(engine).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
