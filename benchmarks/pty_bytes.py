"""Bytes bptui writes to a real pseudo-terminal: at start-up and per step.

Over SSH every byte crosses the link, so this is the figure that decides
whether a class on a slow network can follow along. Runs the installed app
(`python -m bptui`) in an 80×24 pty, waits for the screen to settle, then
presses space STEPS times, one at a time, counting what comes back.

    python benchmarks/pty_bytes.py [--steps 20] [--cols 80] [--rows 24] [--before c] [-- --preset mazur]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def drain(fd: int, quiet: float, limit: float = 20.0) -> bytes:
    """Read until nothing arrives for `quiet` seconds."""
    out = bytearray()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return bytes(out)


def spawn(cols: int, rows: int, args: list[str]) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("NO_COLOR", None)
        os.execvp(sys.executable, [sys.executable, "-m", "bptui", *args])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def measure(cols: int, rows: int, steps: int, key: bytes = b" ", args: list[str] | None = None, before: bytes = b"") -> dict:
    pid, fd = spawn(cols, rows, args or [])
    try:
        startup = drain(fd, quiet=1.5)
        if before:  # keys that set the view up (c: the circuit), not counted
            os.write(fd, before)
            drain(fd, quiet=1.0)
        per_step = []
        for _ in range(steps):
            os.write(fd, key)
            per_step.append(len(drain(fd, quiet=0.4)))
        os.write(fd, b"q")
        drain(fd, quiet=0.5, limit=5)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return {"startup": len(startup), "per_step": per_step}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--before", default="", help="keys pressed first, not counted (c: the circuit, k: the code)")
    ap.add_argument("args", nargs="*", help="bptui's own options (after --)")
    a = ap.parse_args()
    r = measure(a.cols, a.rows, a.steps, args=a.args, before=a.before.encode())
    steps = r["per_step"]
    steps_sorted = sorted(steps)
    print(f"terminal {a.cols}×{a.rows}" + (f", after {a.before!r}" if a.before else "") + (f", bptui {' '.join(a.args)}" if a.args else ""))
    print(f"start-up: {r['startup']:,} bytes")
    print(
        f"per step (space, {len(steps)} steps): median {steps_sorted[len(steps) // 2]:,} B, "
        f"max {max(steps):,} B, mean {sum(steps) / len(steps):,.0f} B"
    )


if __name__ == "__main__":
    main()
