"""Hand-ins: a student's session, written by the server into
DIR/<name>/<time>.json. The server chooses every part of that path: the
folder's name is the SSH username made safe (letters, digits, . _ - only, no
leading dot, at most NAME_CHARS, with a hash of the real name when anything
was changed, so two names never share a folder), the file's name is the
time. Nothing is followed: a symbolic link in DIR's place of a folder or a
file is refused, and a file is never overwritten."""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

NAME_CHARS = 32
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_HASHED = re.compile(r"-[0-9a-f]{8}$")
OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
MAX_SAME_SECOND = 100  # hand-ins of one student in one second (numbered -2, -3…)


def folder_name(username: str) -> str:
    safe = _UNSAFE.sub("_", username).lstrip(".")[:NAME_CHARS]
    # a name that looks like a made-safe one (ends in -<8 hex>) is hashed too,
    # so that no one can log in as another name's folder
    if safe == username and safe and not _HASHED.search(username):
        return safe
    digest = hashlib.sha256(username.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe or 'student'}-{digest}"


def check_folder(root: Path) -> Path:
    """The hand-in folder, made if missing; ValueError with a line if it
    cannot be used."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, OPEN_DIR)
        os.close(fd)
    except OSError as e:
        raise ValueError(f"--hand-in {root}: {e.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise ValueError(f"--hand-in {root}: not writable")
    return root


def write_hand_in(root: Path, username: str, text: str, when: float | None = None) -> str:
    """Write the session's text; its path under root (OSError if it cannot)."""
    folder = folder_name(username)
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.localtime(time.time() if when is None else when))
    top = os.open(root, OPEN_DIR)
    try:
        try:
            os.mkdir(folder, 0o755, dir_fd=top)
        except FileExistsError:
            pass
        mine = os.open(folder, OPEN_DIR, dir_fd=top)
        try:
            for n in range(1, MAX_SAME_SECOND + 1):
                name = f"{stamp}.json" if n == 1 else f"{stamp}-{n}.json"
                try:
                    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=mine)
                except FileExistsError:
                    continue
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                return f"{folder}/{name}"
            raise FileExistsError(f"{MAX_SAME_SECOND} hand-ins from {folder} in one second")
        finally:
            os.close(mine)
    finally:
        os.close(top)
