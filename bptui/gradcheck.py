"""Gradient check: each backprop gradient beside a central finite-difference
estimate of it, computed on copies of the weights (the state never changes).
This module never imports Textual."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bptui.graph import Trace

# h ≈ ε^(1/3) × max(1, |w|) balances the central difference's truncation error
# (~h²) against its rounding error (~ε·|J|/h); it is rounded to a power of two
# so that w ± h are exact doubles (an uneven nudge would show as a gradient at
# an exact minimum). Where a gradient is tiny next to J (deep sigmoid chains),
# rounding still dominates and the error shown is large: that is the finite
# difference's limit, not backprop's.
REL_STEP = (2.0**-52) ** (1 / 3)
# The estimate's own error: its truncation (≈ h²·J‴/6, gauged by comparing
# with the same difference at 2h, Richardson's way) plus rounding: each J is
# off by about ε·Σ|dJ/dn|·|n| over the nodes n (every value's rounding, carried
# to J), times a few.
NOISE_ULPS = 8


def step_for(w: float) -> float:
    return 2.0 ** round(math.log2(REL_STEP * max(1.0, abs(w))))


@dataclass(frozen=True)
class Check:
    param: str
    backprop: float
    estimate: float  # (J(w + h) − J(w − h)) / 2h
    rel_error: float  # |backprop − estimate| / max(|backprop|, |estimate|); nan if either is not finite
    noise: float = 0.0  # how far the estimate itself may be off (truncation + rounding)

    @property
    def lost_in_noise(self) -> bool:
        """The estimate cannot resolve this gradient at all: both it and
        backprop lie within twice its own error of 0 (a minimum, a kink). A
        relative error there would only cry wolf; anywhere else it is shown,
        so a wrong gradient is never hidden behind the noise."""
        return max(abs(self.backprop), abs(self.estimate)) <= 2 * self.noise

    @property
    def within_noise(self) -> bool:
        """Backprop and the estimate differ by no more than the estimate's own
        error: whatever the relative error reads (deep chains, a tiny gradient
        beside a large J), they agree as far as the estimate can tell."""
        return abs(self.backprop - self.estimate) <= self.noise


def check(trace: Trace, param: str) -> Check:
    net = trace.network
    params = list(trace.params)
    i = net.params.index(param)
    h = step_for(params[i])
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
    spread = sum(abs(trace.adjoints.get(n, 0.0) * v) for n, v in trace.values.items())
    rounding = NOISE_ULPS * 2.0**-52 * (spread + abs(trace.loss)) / h
    # near a perfect fit the error o − y is itself a few rounding errors of o:
    # both the gradient (∝ o − y) and the estimate are then that uncertain
    cancel = 0.0
    for n in net.nodes:
        if n.kind == "op" and n.op in ("se", "half_se"):
            o, y = trace.values[n.args[0]], trace.values[n.args[1]]
            if o != y:
                cancel = max(cancel, max(abs(o), abs(y)) / abs(o - y))
    rounding += NOISE_ULPS * 2.0**-52 * cancel * scale
    noise = abs(wide - estimate) / 3 + rounding
    if not math.isfinite(noise):
        noise = math.inf
    return Check(param, g, estimate, rel, noise)
