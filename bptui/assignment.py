"""What the `=` question takes: `name = value` (w1 = 1.5, x = 3, lr = 0.25),
read with the one parser of typed numbers, and Tab's completion of the name.
This module never imports Textual."""

from __future__ import annotations

import os
import re
from typing import Sequence

from bptui.scenario import parse_finite, parse_learning_rate, quote_answer

# a name, then = (or just a space), then the value
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*|\s+)(.*)")


def parse_assignment(text: str, names: Sequence[str]) -> tuple[str, float]:
    """(name, value) from `name = value`; ValueError, saying why, for a name
    that is not among `names` or a value that is not a finite number."""
    s = text.strip()
    if not s:
        raise ValueError(f"type a name, = and a value, such as {names[0]} = 1.5 (Tab completes a name)")
    m = _ASSIGNMENT.fullmatch(s)
    if m is None:
        if s in names:
            raise ValueError(f"{s}: a value is missing, as in {s} = 1.5")
        raise ValueError(f"type name = value, such as {names[0]} = 1.5, not {quote_answer(s)}")
    name, value = m.group(1), m.group(2)
    if name not in names:
        raise ValueError(f"no value {quote_answer(name)} here: {', '.join(names)} can be set")
    if not value.strip():
        raise ValueError(f"{name}: a value is missing, as in {name} = 1.5")
    if name == "lr":
        return name, parse_learning_rate(value)  # its own reasons: 0 never moves, < 0 climbs
    return name, parse_finite(value, name)


def complete_name(text: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """Tab: the text with its name completed as far as the names agree
    (`w` → `w` with w1, w2 to choose from; `x` → `x = `), and the names it
    could still be."""
    stripped = text.lstrip()
    if "=" in stripped or " " in stripped.strip():
        return text, []  # the name is typed already
    head = stripped.strip()
    matches = [n for n in names if n.startswith(head)]
    if len(matches) == 1:
        return f"{matches[0]} = ", matches
    if not matches:
        return text, []
    return os.path.commonprefix(matches), matches
