"""App CPU per step at 80×24, at 10 and at 100,000 steps of history (goal:
within 20%), and a 10,000-step jump against one step with its redraw.

Runs the real app headless (Textual's run_test at 80×24: layout, compositor
and rendering all run; only the terminal write is skipped). Each step is one
space posted to the app as the terminal driver posts it; then the benchmark
waits until the app is idle and paints, as Textual's Pilot does, but without
Pilot's walk over every widget (that walk is the test harness's cost, about
4 ms a key here, and no user pays it). Process CPU time is read around the
steps; best of ROUNDS.

    python benchmarks/app_step.py [--steps 40] [--rounds 3]
    python benchmarks/app_step.py --against 4de745b

--against REV measures the code at git revision REV (checked out into a
temporary worktree) and this tree side by side, alternating rounds in one
run, each in a fresh process, with this same harness.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


async def press(app, key: str = "space", character: str | None = " ") -> None:
    from textual import events
    from textual._wait import wait_for_idle

    app.post_message(events.Key(key, character))
    await wait_for_idle(0)
    app.screen._on_timer_update()  # paint now, as Pilot.pause does


async def cpu_per_step(history: int, steps: int) -> float:
    from bptui.app import BptuiApp
    from bptui.cli import make_engine
    from bptui.scenario import Scenario

    engine = make_engine(Scenario())
    engine.step(history)
    app = BptuiApp(engine, Scenario())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(5):  # warm up: first draws, caches
            await press(app)
        t = time.process_time()
        for _ in range(steps):
            await press(app)
        spent = time.process_time() - t
        assert engine.step_count == history + 5 + steps, "a step was not taken"
    return spent / steps


async def jump_cpu(steps: int = 10_000, rounds: int = 3) -> tuple[float, float]:
    """CPU to show the result of a `steps`-step jump (the engine's steps, the
    chart catching up, the redraw), and of one ordinary step, in the same app.
    (Typing the number into j's prompt costs a relayout of its own, the same
    for any jump; it is left out.)"""
    from textual._wait import wait_for_idle

    from bptui.app import BptuiApp
    from bptui.cli import make_engine
    from bptui.scenario import Scenario

    engine = make_engine(Scenario())
    app = BptuiApp(engine, Scenario())
    best_jump = best_step = float("inf")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(rounds):
            for n in (1, steps):
                await wait_for_idle(0)
                t = time.process_time()
                engine.step(n)
                app.sync()
                await wait_for_idle(0)
                app.screen._on_timer_update()
                spent = time.process_time() - t
                if n == 1:
                    best_step = min(best_step, spent)
                else:
                    best_jump = min(best_jump, spent)
    return best_jump, best_step


def measure(steps: int) -> dict[str, float]:
    """One round, in this process: ms per step and per jump."""
    out = {f"history {h}": asyncio.run(cpu_per_step(h, steps)) * 1e3 for h in (10, 100_000)}
    jump, step = asyncio.run(jump_cpu(rounds=1))
    out["one step shown"], out["10,000-step jump shown"] = step * 1e3, jump * 1e3
    return out


def measure_in(tree: Path, steps: int) -> dict[str, float]:
    """One round in a fresh process that imports bptui from `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    run = subprocess.run(
        [sys.executable, __file__, "--child", "--steps", str(steps)],
        env=env, cwd=tree, capture_output=True, text=True, check=True,
    )
    return json.loads(run.stdout.splitlines()[-1])


def best_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {k: min(r[k] for r in rounds) for k in rounds[0]}


def report(name: str, best: dict[str, float]) -> None:
    small, large = best["history 10"], best["history 100000"]
    step, jump = best["one step shown"], best["10,000-step jump shown"]
    print(name)
    print(f"  history of 10 steps       {small:6.2f} ms/step")
    print(f"  history of 100,000 steps  {large:6.2f} ms/step  ({large / small:.2f}×)")
    print(f"  one step shown            {step:6.2f} ms")
    print(f"  a 10,000-step jump shown  {jump:6.2f} ms     ({jump / step:.2f}× one step)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--against", metavar="REV", help="also measure git revision REV, alternating rounds")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(measure(a.steps)))
        return
    print(f"app CPU at 80×24, best of {a.rounds} rounds of {a.steps} steps")
    if not a.against:
        report("this tree", best_of([measure(a.steps) for _ in range(a.rounds)]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(old_tree), a.against],
                       check=True, capture_output=True)
        try:
            old, new = [], []
            for _ in range(a.rounds):
                old.append(measure_in(old_tree, a.steps))
                new.append(measure_in(HERE, a.steps))
        finally:
            subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(old_tree)], check=True)
    old_best, new_best = best_of(old), best_of(new)
    report(f"at {a.against}", old_best)
    report("this tree", new_best)
    for k in old_best:
        print(f"  {k}: this tree / {a.against} = {new_best[k] / old_best[k]:.2f}")


if __name__ == "__main__":
    main()
