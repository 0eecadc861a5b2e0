"""Engine µs per step vs hand-written Python float loops of the same math.

All run 10,000 steps of the question's network (forward, backward, update of
both weights) in one process, interleaved over several rounds; the best round
of each is reported, with ratios (goal ≤ 1.5×).

* hand loop, bare: the least a loop can do (no J kept, nothing recorded);
* hand loop, same work: what the engine does each step: J and every local
  factor computed (σ′ as o(1 − o) where that keeps its digits, |z| < 10, and
  from z beyond, as the engine does), and (w1, w2, J, lr, rule) recorded so
  the run can be undone;
* engine step(10000): the engine's compiled loop (a jump);
* engine step() × 10000: one call per step, as a keypress does, against a
  hand-written one-step function called the same way;
* Mazur's 2-2-2 preset: the engine's loop against the same math by hand.

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


def sig_slope(z: float) -> float:
    """σ′(z) from z, where 1 − σ(z) would lose its digits."""
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def hand_loop_same_work(steps: int, x: float, y: float, w1: float, w2: float, lr: float) -> list:
    exp = math.exp
    history: list[float] = []
    record = history.extend
    z1 = w1 * x
    h = 1.0 / (1.0 + exp(-z1))
    z2 = w2 * h
    o = 1.0 / (1.0 + exp(-z2))
    for _ in range(steps):
        dJ_do = 2.0 * (o - y)
        do_dz2 = o * (1.0 - o) if z2 * z2 < 100.0 else sig_slope(z2)
        dz2_dw2 = h
        dz2_dh = w2
        dh_dz1 = h * (1.0 - h) if z1 * z1 < 100.0 else sig_slope(z1)
        dz1_dw1 = x
        dJ_dz2 = dJ_do * do_dz2
        dJ_dw2 = dJ_dz2 * dz2_dw2
        dJ_dw1 = dJ_dz2 * dz2_dh * dh_dz1 * dz1_dw1
        w1 -= lr * dJ_dw1
        w2 -= lr * dJ_dw2
        z1 = w1 * x
        h = 1.0 / (1.0 + exp(-z1))
        z2 = w2 * h
        o = 1.0 / (1.0 + exp(-z2))
        J = (o - y) * (o - y)
        record((w1, w2, J, lr, 0.0))
    return history


def hand_single_steps(steps: int, x: float, y: float, w1: float, w2: float, lr: float) -> float:
    exp = math.exp

    def one_step(w1: float, w2: float) -> tuple[float, float, float]:
        z1 = w1 * x
        h = 1.0 / (1.0 + exp(-z1))
        z2 = w2 * h
        o = 1.0 / (1.0 + exp(-z2))
        dJ_dz2 = 2.0 * (o - y) * (o * (1.0 - o) if z2 * z2 < 100.0 else sig_slope(z2))
        dh_dz1 = h * (1.0 - h) if z1 * z1 < 100.0 else sig_slope(z1)
        w1, w2 = w1 - lr * dJ_dz2 * w2 * dh_dz1 * x, w2 - lr * dJ_dz2 * h
        h = 1.0 / (1.0 + exp(-(w1 * x)))
        o = 1.0 / (1.0 + exp(-(w2 * h)))
        return w1, w2, (o - y) * (o - y)

    history = []
    t = time.perf_counter()
    for _ in range(steps):
        w1, w2, J = one_step(w1, w2)
        history.append((w1, w2, J))
    return time.perf_counter() - t


def mazur_hand_loop(steps: int, lr: float = 0.5) -> list:
    """Mazur's 2-2-2 network, written out by hand: forward, both output deltas,
    the two-path hidden deltas, all eight updates, a history row a step."""
    exp = math.exp
    i1, i2, b1, b2, t1, t2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55
    history: list[float] = []
    record = history.extend
    for _ in range(steps):
        zh1, zh2 = w1 * i1 + w2 * i2 + b1, w3 * i1 + w4 * i2 + b1
        h1, h2 = 1.0 / (1.0 + exp(-zh1)), 1.0 / (1.0 + exp(-zh2))
        zo1, zo2 = w5 * h1 + w6 * h2 + b2, w7 * h1 + w8 * h2 + b2
        o1, o2 = 1.0 / (1.0 + exp(-zo1)), 1.0 / (1.0 + exp(-zo2))
        E = 0.5 * (o1 - t1) * (o1 - t1) + 0.5 * (o2 - t2) * (o2 - t2)
        d1 = (o1 - t1) * (o1 * (1.0 - o1) if zo1 * zo1 < 100.0 else sig_slope(zo1))
        d2 = (o2 - t2) * (o2 * (1.0 - o2) if zo2 * zo2 < 100.0 else sig_slope(zo2))
        e1 = (d1 * w5 + d2 * w7) * (h1 * (1.0 - h1) if zh1 * zh1 < 100.0 else sig_slope(zh1))
        e2 = (d1 * w6 + d2 * w8) * (h2 * (1.0 - h2) if zh2 * zh2 < 100.0 else sig_slope(zh2))
        w1, w2, w3, w4 = w1 - lr * e1 * i1, w2 - lr * e1 * i2, w3 - lr * e2 * i1, w4 - lr * e2 * i2
        w5, w6, w7, w8 = w5 - lr * d1 * h1, w6 - lr * d1 * h2, w7 - lr * d2 * h1, w8 - lr * d2 * h2
        record((w1, w2, w3, w4, w5, w6, w7, w8, E, lr))
    return history


def engine_mazur_jump(steps: int) -> float:
    e = make_engine(Scenario(preset="mazur"))
    t = time.perf_counter()
    e.step(steps)
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
    best = {k: math.inf for k in ("bare", "same", "hand1", "step", "jump", "mazur_hand", "mazur_jump")}
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
        t = time.perf_counter()
        mazur_hand_loop(a.steps)
        best["mazur_hand"] = min(best["mazur_hand"], time.perf_counter() - t)
        best["mazur_jump"] = min(best["mazur_jump"], engine_mazur_jump(a.steps))
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
    print(f"Mazur 2-2-2, hand loop, same work  {us['mazur_hand']:6.2f} µs/step")
    print(
        f"Mazur 2-2-2, engine step({a.steps})  {us['mazur_jump']:6.2f} µs/step  "
        f"{us['mazur_jump'] / us['mazur_hand']:.2f}× the hand loop"
    )


if __name__ == "__main__":
    main()
