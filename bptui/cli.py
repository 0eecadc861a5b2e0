"""Command line: `bptui [scenario options]` opens the stepper;
`bptui trace [scenario options] --steps N --format F` prints the steps."""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import replace
from typing import NoReturn, Sequence

from bptui import __version__
from bptui.engine import Engine
from bptui.keys import key_summary
from bptui.options import (
    DEFAULT_MAX_HISTORY,
    SCENARIO_FLAGS,
    OptionParser,
    add_history_option,
    add_scenario_options,
    arg_type,
    join_negative_values,
    scenario_from_args,
)
from bptui.scenario import Scenario, parse_whole

DESCRIPTION = """\
Step a small network through backpropagation, one keypress at a time.

The default network (the question's, no biases): z1 = w1·x, h = σ(z1),
z2 = w2·h, o = σ(z2), J = (o − y)², with x = 2, y = 4, learning rate 0.5 and
w1, w2 drawn by np.random.seed(10); np.random.rand() twice.
"""

EPILOG = """\
subcommands: bptui trace --help (print the steps), bptui serve --help (a class over SSH)

keys (? in the app explains each):
  {keys}

Scenario settings come from the defaults, then --scenario FILE, then flags.
""".format(keys=textwrap.fill(key_summary(), 78, subsequent_indent="  "))

def build_parser() -> argparse.ArgumentParser:
    p = OptionParser(
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


def _console(room, run_server) -> None:
    """The teacher's console, for `bptui serve` in a terminal: Textual
    loads only then."""
    from bptui.app.console_app import run_console

    run_console(room, run_server)


def make_engine(scenario: Scenario) -> Engine:
    return scenario.engine()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["trace"]:
        from bptui.trace import main as trace_main

        return trace_main(argv[1:])
    if argv[:1] == ["serve"]:
        from bptui.serve import main as serve_main

        return serve_main(argv[1:], console=_console)
    parser = build_parser()
    args = parser.parse_args(join_negative_values(argv))
    try:
        if args.replay:
            given = [name for name in SCENARIO_FLAGS if getattr(args, name) is not None]
            if given:
                raise ValueError(f"--replay reopens a session as it was: drop --{', --'.join(given)}")
            from bptui.session import load_session_with_score

            # refused unread if larger than a session of --max-history steps can be
            scenario, engine, score = load_session_with_score(args.replay, max_steps=args.max_history)
        else:
            scenario = scenario_from_args(args)
            engine = make_engine(scenario)
            score = None
    except ValueError as e:  # ScenarioFileError and SessionError too
        parser.error(str(e))
    engine.max_steps = args.max_history
    from bptui.app import BptuiApp  # Textual loads only when the app runs
    from bptui.control import ControlLink

    app = BptuiApp(engine, scenario, files=not args.no_files, score=score, control=ControlLink.from_environment())
    app.run()
    if app.class_link is not None:  # under bptui serve: the session stays with the server
        app.class_link.leave()
    return 0


if __name__ == "__main__":
    sys.exit(main())
