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
# The estimate's own error: its truncation (≈ h²·J‴/6, gauged by comparing
# with the same difference at 2h, Richardson's way) plus rounding (each J is
# off by a few ulps: about NOISE_ULPS · ε · |J| / h).
NOISE_ULPS = 8
# an error this large, with backprop and the estimate within the noise of each
# other, says only that the estimate cannot tell (a minimum, a flat spot)
LOST_ERROR = 1e-3


@dataclass(frozen=True)
class Check:
    param: str
    backprop: float
    estimate: float  # (J(w + h) − J(w − h)) / 2h
    rel_error: float  # |backprop − estimate| / max(|backprop|, |estimate|); nan if either is not finite
    noise: float = 0.0  # how far the estimate itself may be off (truncation + rounding)

    @property
    def lost_in_noise(self) -> bool:
        """A large relative error that only says the estimate cannot tell (a
        minimum, a kink): backprop lies within twice the estimate's noise."""
        return self.rel_error > LOST_ERROR and abs(self.backprop - self.estimate) <= 2 * self.noise


def check(trace: Trace, param: str) -> Check:
    net = trace.network
    params = list(trace.params)
    i = net.params.index(param)
    h = REL_STEP * max(1.0, abs(params[i]))
    up, down = list(params), list(params)
    up[i] += h
    down[i] -= h
    j_up, j_down = net.evaluate(up).loss, net.evaluate(down).loss
    estimate = (j_up - j_down) / (2 * h)
    g = trace.grad(param)
    if not (math.isfinite(g) and math.isfinite(estimate)):
        # nothing to compare: an error of 0 here would claim agreement
        return Check(param, g, estimate, math.nan)
    scale = max(abs(g), abs(estimate))
    rel = abs(g - estimate) / scale if scale > 0 else 0.0
    up[i], down[i] = params[i] + 2 * h, params[i] - 2 * h
    wide = (net.evaluate(up).loss - net.evaluate(down).loss) / (4 * h)
    rounding = NOISE_ULPS * 2.0**-52 * max(abs(j_up), abs(j_down)) / h
    noise = abs(wide - estimate) / 3 + rounding if math.isfinite(wide) else math.inf
    return Check(param, g, estimate, rel, noise)
