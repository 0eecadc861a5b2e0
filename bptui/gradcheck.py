"""Gradient check: each backprop gradient beside a central finite-difference
estimate of it, computed on copies of the weights (the state never changes).
This module never imports Textual."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bptui.graph import Trace

# h = ε^(1/3) × max(1, |w|) balances the central difference's truncation error
# (~h²) against its rounding error (~ε·|J|/h). Where a gradient is tiny next to J
# (deep sigmoid chains), rounding still dominates and the error shown is large:
# that is the finite difference's limit, not backprop's.
REL_STEP = (2.0**-52) ** (1 / 3)


@dataclass(frozen=True)
class Check:
    param: str
    backprop: float
    estimate: float  # (J(w + h) − J(w − h)) / 2h
    rel_error: float  # |backprop − estimate| / max(|backprop|, |estimate|); nan if either is not finite


def check(trace: Trace, param: str) -> Check:
    net = trace.network
    params = list(trace.params)
    i = net.params.index(param)
    h = REL_STEP * max(1.0, abs(params[i]))
    up, down = list(params), list(params)
    up[i] += h
    down[i] -= h
    estimate = (net.evaluate(up).loss - net.evaluate(down).loss) / (2 * h)
    g = trace.grad(param)
    if not (math.isfinite(g) and math.isfinite(estimate)):
        # nothing to compare: an error of 0 here would claim agreement
        return Check(param, g, estimate, math.nan)
    scale = max(abs(g), abs(estimate))
    rel = abs(g - estimate) / scale if scale > 0 else 0.0
    return Check(param, g, estimate, rel)
