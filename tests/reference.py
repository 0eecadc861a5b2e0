"""The reference numbers of ../shared/reference.md (12 significant digits),
computed outside this project in double precision and confirmed with
arbitrary-precision arithmetic."""

import math

START = {
    "w1": 0.771320643267,
    "w2": 0.0207519493594,
    "z1": 1.54264128653,
    "h": 0.823848362565,
    "z2": 0.0170964594998,
    "o": 0.504274010772,
    "J": 12.2201001918,
}
FACTORS = {
    ("J", "o"): -6.99145197846,
    ("o", "z2"): 0.249981732832,
    ("z2", "w2"): 0.823848362565,
    ("z2", "h"): 0.0207519493594,
    ("h", "z1"): 0.145122238064,
    ("z1", "w1"): 2.0,
}
GRADS = {"w2": -1.43986884911, "w1": -0.0105268519542}
AFTER_ONE_STEP = {"w1": 0.776584069244, "w2": 0.740686373913, "J": 11.2342506772}
# The question's own update, w2 -= 0.5 * 2 * J * h * o*(1-o), sends w2 to about:
QUESTION_RULE_W2 = -2.4959


def close12(a: float, b: float) -> bool:
    """a rounds to b at the 12 significant digits the reference gives."""
    if b == 0:
        return a == 0
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(b))) - 11)
    return abs(a - b) <= half_unit * 1.000001
