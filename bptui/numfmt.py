"""How numbers read on screen: 7 significant digits, a true minus sign, and
scientific notation where fixed notation would not fit its cell."""

from __future__ import annotations

import math

MINUS = "−"  # U+2212: a minus sign, not a hyphen
WIDTH = 13  # the widest value: −1.234568e+12


def fmt(v: float) -> str:
    """At least 6 (here 7) significant digits, never wider than WIDTH cells.

    `g` keeps fixed notation from 1e-4 up to 1e7 and switches to scientific
    outside it, so very large and very small values keep their digits instead
    of overflowing the cell.
    """
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "+inf" if v > 0 else f"{MINUS}inf"
    s = f"{v:.7g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"  # e+12 -> e12, e-05 -> e-5: shorter, still exact
    return s.replace("-", MINUS)

