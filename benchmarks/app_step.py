"""App CPU per step at 10 and at 100,000 steps of history (goal: within 20%).

Runs the real app headless (Textual's run_test at 80×24: layout, compositor
and rendering all run; only the terminal write is skipped), presses space
STEPS times and reads process CPU time. Both histories are measured in the
same process, alternating, best of ROUNDS.

    python benchmarks/app_step.py [--steps 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bptui.app import BptuiApp
from bptui.cli import make_engine
from bptui.scenario import Scenario


async def cpu_per_step(history: int, steps: int) -> float:
    engine = make_engine(Scenario())
    engine.step(history)
    app = BptuiApp(engine, Scenario())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(5):  # warm up: first draws, caches
            await pilot.press("space")
            await pilot.pause()
        t = time.process_time()
        for _ in range(steps):
            await pilot.press("space")
            await pilot.pause()
        spent = time.process_time() - t
        assert engine.step_count == history + 5 + steps
    return spent / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    best = {10: float("inf"), 100_000: float("inf")}
    for _ in range(a.rounds):
        for history in best:
            best[history] = min(best[history], asyncio.run(cpu_per_step(history, a.steps)))
    small, large = best[10], best[100_000]
    print(f"app CPU per step at 80×24, best of {a.rounds} rounds of {a.steps} steps")
    print(f"history of 10 steps       {small * 1e3:6.2f} ms/step")
    print(f"history of 100,000 steps  {large * 1e3:6.2f} ms/step  ({large / small:.2f}× )")


if __name__ == "__main__":
    main()
