"""--roster FILE: the names that may join the class, one a line, the SSH
usernames students connect with. Blank lines and # comments are skipped; a
name must be printable, without spaces, at most NAME_CHARS long, and listed
once. The teacher's table shows who on it has not come."""

from __future__ import annotations

from bptui.safe_read import UnreadableFile, read_text

ROSTER_BYTES = 1024 * 1024  # 10,000 names is a few hundred kilobytes
NAME_CHARS = 64


def parse_roster(text: str, src: str) -> frozenset[str]:
    names: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        name = raw.split("#", 1)[0].strip()
        if not name:
            continue
        if len(name) > NAME_CHARS or not name.isprintable() or any(c.isspace() for c in name):
            raise ValueError(f"--roster {src} line {n}: a name is one word of at most {NAME_CHARS} printable characters")
        if name in names:
            raise ValueError(f"--roster {src} line {n}: {name} is listed already (line {names[name]})")
        names[name] = n
    if not names:
        raise ValueError(f"--roster {src}: no names in it")
    return frozenset(names)


def read_roster(path: str) -> frozenset[str]:
    try:
        text = read_text(path, ROSTER_BYTES, "a roster is a list of names")
    except UnreadableFile as e:
        raise ValueError(f"--roster {e}") from None
    return parse_roster(text, path)
