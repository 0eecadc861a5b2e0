"""The question a file is asked with: its name, then, if it exists, whether
to overwrite it. The writing is the caller's; a failed overwrite asks for
the name again, saying why. UI-free."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from bptui.prompt import Prompt


def ask_for_file(
    ask: Callable[[Prompt], None],
    say: Callable[[str], None],
    label: str,
    default: str,
    write: Callable[[Path, bool], str],
    reason: str = "",
) -> None:
    """Ask for a file name, then (if it exists) whether to overwrite it;
    `write(path, overwrite)` says what it did, or raises OSError. A failed
    overwrite asks for the name again, saying why."""

    def written(path: Path, overwrite: bool) -> str | None:
        try:
            say(write(path, overwrite))
        except (OSError, ValueError) as e:
            return f"Not written: {getattr(e, 'strerror', None) or e}"
        return None

    def named(answer: str) -> str | None:
        if not answer.strip():
            return "Type a file name"
        path = Path(answer.strip()).expanduser()
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except (OSError, ValueError) as e:  # a name too long, a folder we may not read
            return f"Not written: {getattr(e, 'strerror', None) or e}"
        if is_dir:
            return f"{path} is a folder"
        if not exists:
            return written(path, False)

        def confirmed(yes: str) -> str | None:
            if yes.strip().lower() not in ("y", "yes"):
                say(f"Not written: {path.name} is unchanged.")
                return None
            failed = written(path, True)
            if failed:
                ask_for_file(ask, say, label, str(path), write, failed)
            return None

        ask(Prompt(f"{path} exists. Overwrite it? (y/n)", "", confirmed, nothing))
        return None

    def nothing() -> None:
        say("Nothing written.")

    ask(Prompt(label, default, named, nothing, reason=reason))
