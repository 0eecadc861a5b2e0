"""What the stepper's bottom line says. UI-free."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """What the bottom line says: a text (a warning starts with !), or a
    walk's explanation (its lines)."""

    text: str = ""
    warning: bool = False
    lines: tuple[str, ...] = ()
