"""Engine µs per step vs hand-written Python float loops of the same math.

All run 10,000 steps of the question's network (forward, backward, update of
both weights) in one process, interleaved over several rounds; the best round
of each is reported, with ratios (goal ≤ 1.5×).

* hand loop, bare: the least a loop can do (no J kept, nothing recorded);
* hand loop, same work: what the engine does each step: J and every local
  factor computed, and (w1, w2, J, lr) recorded so the run can be undone;
* engine step(10000): the engine's compiled loop (a jump);
* engine step() × 10000: one call per step, as a keypress does, against a
  hand-written one-step function called the same way.

    python benchmarks/engine_step.py [--steps 10000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import math
import time

from bptui.cli import make_engine
from bptui.scenario import Scenario


def hand_loop(steps: int, x: float, y: float, w1: float, w2: float, lr: float) -> float:
    exp = math.exp
    for _ in range(steps):
        h = 1.0 / (1.0 + exp(-(w1 * x)))
        o = 1.0 / (1.0 + exp(-(w2 * h)))
        dJ_dz2 = 2.0 * (o - y) * o * (1.0 - o)
        dJ_dw2 = dJ_dz2 * h
        dJ_dw1 = dJ_dz2 * w2 * h * (1.0 - h) * x
        w1 -= lr * dJ_dw1
        w2 -= lr * dJ_dw2
    return w1 + w2


def hand_loop_same_work(steps: int, x: float, y: float, w1: float, w2: float, lr: float) -> list:
    exp = math.exp
    history: list[float] = []
    record = history.extend
    h = 1.0 / (1.0 + exp(-(w1 * x)))
    o = 1.0 / (1.0 + exp(-(w2 * h)))
    for _ in range(steps):
        dJ_do = 2.0 * (o - y)
        do_dz2 = o * (1.0 - o)
        dz2_dw2 = h
        dz2_dh = w2
        dh_dz1 = h * (1.0 - h)
        dz1_dw1 = x
        dJ_dz2 = dJ_do * do_dz2
        dJ_dw2 = dJ_dz2 * dz2_dw2
        dJ_dw1 = dJ_dz2 * dz2_dh * dh_dz1 * dz1_dw1
        w1 -= lr * dJ_dw1
        w2 -= lr * dJ_dw2
        h = 1.0 / (1.0 + exp(-(w1 * x)))
        o = 1.0 / (1.0 + exp(-(w2 * h)))
        J = (o - y) * (o - y)
        record((w1, w2, J, lr))
    return history


def hand_single_steps(steps: int, x: float, y: float, w1: float, w2: float, lr: float) -> float:
    exp = math.exp

    def one_step(w1: float, w2: float) -> tuple[float, float, float]:
        h = 1.0 / (1.0 + exp(-(w1 * x)))
        o = 1.0 / (1.0 + exp(-(w2 * h)))
        dJ_dz2 = 2.0 * (o - y) * o * (1.0 - o)
        w1, w2 = w1 - lr * dJ_dz2 * w2 * h * (1.0 - h) * x, w2 - lr * dJ_dz2 * h
        h = 1.0 / (1.0 + exp(-(w1 * x)))
        o = 1.0 / (1.0 + exp(-(w2 * h)))
        return w1, w2, (o - y) * (o - y)

    history = []
    t = time.perf_counter()
    for _ in range(steps):
        w1, w2, J = one_step(w1, w2)
        history.append((w1, w2, J))
    return time.perf_counter() - t


def engine_single_steps(steps: int) -> float:
    e = make_engine(Scenario())
    step = e.step
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return time.perf_counter() - t


def engine_jump(steps: int) -> float:
    e = make_engine(Scenario())
    t = time.perf_counter()
    e.step(steps)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    s = Scenario()
    w1, w2 = s.initial_weights()
    best = {"bare": math.inf, "same": math.inf, "hand1": math.inf, "step": math.inf, "jump": math.inf}
    for _ in range(a.rounds):
        t = time.perf_counter()
        hand_loop(a.steps, s.x, s.y, w1, w2, s.lr)
        best["bare"] = min(best["bare"], time.perf_counter() - t)
        t = time.perf_counter()
        hand_loop_same_work(a.steps, s.x, s.y, w1, w2, s.lr)
        best["same"] = min(best["same"], time.perf_counter() - t)
        best["hand1"] = min(best["hand1"], hand_single_steps(a.steps, s.x, s.y, w1, w2, s.lr))
        best["step"] = min(best["step"], engine_single_steps(a.steps))
        best["jump"] = min(best["jump"], engine_jump(a.steps))
    us = {k: v / a.steps * 1e6 for k, v in best.items()}
    print(f"{a.steps:,} steps of the question's network, best of {a.rounds} rounds")
    print(f"hand loop, bare                    {us['bare']:6.2f} µs/step")
    print(f"hand loop, same work               {us['same']:6.2f} µs/step")
    print(
        f"engine step({a.steps})               {us['jump']:6.2f} µs/step  "
        f"{us['jump'] / us['same']:.2f}× same work, {us['jump'] / us['bare']:.2f}× bare"
    )
    print(f"hand one-step function × {a.steps}    {us['hand1']:6.2f} µs/step")
    print(f"engine step() × {a.steps}             {us['step']:6.2f} µs/step  {us['step'] / us['hand1']:.2f}× the hand function")


if __name__ == "__main__":
    main()
