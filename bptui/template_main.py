"""The warm template's process (bptui.serve.template): import everything an
app needs before its first screen, freeze it, then fork an app per student.
Its own module, imported by nothing, so that the server's modules never
import the app (and no import circle runs through bptui.cli).

    python -c "from bptui.template_main import main; main()" FD
"""

from __future__ import annotations

import gc
import socket
import sys


def warm() -> None:
    """Load what an app loads, then freeze: the collector never touches
    these objects again, so forked children do not write (and so copy) the
    pages they live in."""
    import numpy.random  # noqa: F401  (numpy loads it on first use)
    from bptui.app.preload import preload

    preload()

    import bptui.app  # noqa: F401  (Textual, the widgets, the app)
    import bptui.cli
    import bptui.session  # noqa: F401
    from bptui.frame import FrameMaker
    from bptui.scenario import Scenario
    from bptui.stepper import Stepper

    # one stepper's first frame, so that what the model loads on first use
    # is loaded here, once
    bptui.cli.build_parser()
    scenario = Scenario()
    FrameMaker(Stepper(scenario.engine(), scenario, files=False)).frame()
    gc.collect()
    gc.freeze()


def main() -> None:
    from bptui.serve.template import die_with_parent, serve

    die_with_parent()
    sock = socket.socket(fileno=int(sys.argv[1]))
    warm()
    sock.send(b'{"ready": true}')
    from bptui.cli import main as bptui_main

    serve(sock, bptui_main)


if __name__ == "__main__":
    main()
