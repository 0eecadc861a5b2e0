"""App CPU per step at 10 and at 100,000 steps of history (goal: within 20%),
and a 10,000-step jump against one step with its redraw.

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


async def jump_cpu(steps: int = 10_000, rounds: int = 3) -> tuple[float, float]:
    """CPU to show the result of a `steps`-step jump (the engine's steps, the
    chart catching up, the redraw), and of one ordinary step, in the same app.
    (Typing the number into j's prompt costs a relayout of its own, the same
    for any jump; it is left out.)"""
    engine = make_engine(Scenario())
    app = BptuiApp(engine, Scenario())
    best_jump = best_step = float("inf")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(rounds):
            for n in (1, steps):
                await pilot.pause()
                t = time.process_time()
                engine.step(n)
                app.sync()
                await pilot.pause()
                spent = time.process_time() - t
                if n == 1:
                    best_step = min(best_step, spent)
                else:
                    best_jump = min(best_jump, spent)
    return best_jump, best_step


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
    jump, step = asyncio.run(jump_cpu())
    print(f"one step shown            {step * 1e3:6.2f} ms")
    print(f"a 10,000-step jump shown  {jump * 1e3:6.2f} ms     ({jump / step:.2f}× one step)")


if __name__ == "__main__":
    main()
