"""How numbers read on screen: 7 significant digits, a true minus sign, and
scientific notation where fixed notation would not fit its cell."""

from __future__ import annotations

import math

MINUS = "−"  # U+2212: a minus sign, not a hyphen
DOT_COLUMN = 2  # values line up on their decimal point: a sign and one digit before it
WIDTH = 14  # the widest aligned value: −1.234568e−308


def fmt(v: float, *, keep_zeros: bool = True, digits: int = 7, scientific: bool = False) -> str:
    """`digits` significant digits (7: the brief asks for at least 6), in a bounded width.

    `g` keeps fixed notation from 1e-4 up to 1e7 and switches to scientific
    outside it, so very large and very small values keep their digits instead
    of overflowing their cell. Trailing zeros stay (12.22010, not 12.2201) so
    every computed value shows all its digits; settings such as a learning
    rate read better without them (keep_zeros=False: 0.5). scientific=True
    writes the exponent whatever the size.
    """
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "+inf" if v > 0 else f"{MINUS}inf"
    if v == 0.0:
        v = 0.0  # −0.0 reads as 0: the sign of a zero would only mislead here
    if scientific:  # 1.25e−4 where g writes 0.000125
        s = f"{v:.{digits - 1}e}"
    else:
        s = f"{v:#.{digits}g}" if keep_zeros else f"{v:.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"  # e+12 -> e12, e-05 -> e-5: shorter, still exact
    return s.replace("-", MINUS)


def aligned(v: float) -> str:
    """fmt(v) padded so its decimal point falls in DOT_COLUMN, in WIDTH cells."""
    s = fmt(v)
    dot = s.find(".")
    if dot < 0:
        dot = s.find("e") if "e" in s else len(s)
    return (" " * max(0, DOT_COLUMN - dot) + s).ljust(WIDTH)


def count(n: int) -> str:
    """A count of things, grouped in threes: 11,509 steps, 505,446×."""
    return f"{n:,}"


def times(ratio: float) -> str:
    """How many times larger: 148.7986×, and from 1,000 on grouped like a
    count (505,446×), its fraction no longer telling."""
    if 1000 <= ratio < 1e15:
        return f"{count(round(ratio))}×"
    return f"{fmt(ratio, keep_zeros=False)}×"
