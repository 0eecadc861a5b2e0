"""Reading files that anyone may have made (a scenario, a session): only
regular files, only up to a size the caller states, never blocking, and
messages that quote at most a few dozen characters of what a file holds.
Every refusal is an UnreadableFile whose message starts with the path.
This module never imports Textual."""

from __future__ import annotations

import os
import reprlib
import stat

# characters of a value from a file that a message may show
QUOTE_CHARS = 32

# a FIFO opens at once with O_NONBLOCK (no writer needed); a terminal it
# names cannot become our controlling terminal
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_CHUNK = 1 << 20


class UnreadableFile(ValueError):
    """A file that is missing, not a regular file, too large, not UTF-8 text
    or that the system will not let us read; the message starts with the path."""


def path_for_message(path: str | os.PathLike) -> str:
    """The path as given, or its repr if it holds a newline or another
    character that would break a one-line message."""
    name = os.fsdecode(path)
    return name if name.isprintable() else repr(name)


def quote(value: object) -> str:
    """A value from a file as a message may show it: a string's first
    QUOTE_CHARS characters and its length, anything else shortened by
    reprlib (a few items of a list, a few levels of nesting)."""
    if isinstance(value, str):
        if len(value) <= QUOTE_CHARS:
            return repr(value)
        head = repr(value[:QUOTE_CHARS])
        return f"{head[:-1]}…{head[-1]} ({len(value):,} characters)"
    return _SHORT.repr(value)


class _ShortRepr(reprlib.Repr):
    def repr_str(self, x: str, level: int) -> str:
        return quote(x)  # a string inside a list reads as one outside it


_SHORT = _ShortRepr()
_SHORT.maxlevel = 3
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxstring = _SHORT.maxother = QUOTE_CHARS
_SHORT.maxlong = 24


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def read_text(path: str | os.PathLike, max_bytes: int, limit_note: str) -> str:
    """The UTF-8 text of the regular file at path, at most max_bytes long;
    UnreadableFile otherwise. `limit_note` says where max_bytes comes from
    (it ends the message that refuses a larger file).

    The file is looked at before it is opened (so a device or a FIFO is never
    opened at all), opened without blocking and looked at again through the
    open descriptor (what is read is what was checked, even if the path was
    swapped in between), and read no further than max_bytes + 1 bytes (a file
    that grows meanwhile, or that reports no size, is still bounded)."""
    name = path_for_message(path)
    try:
        info = os.stat(path)
        _check(info, path, name, max_bytes, limit_note)
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise UnreadableFile(f"{name}: no such file") from None
    except OSError as e:
        raise UnreadableFile(f"{name}: cannot be read: {_reason(e)}") from None
    try:
        info = os.fstat(fd)
        _check(info, path, name, max_bytes, limit_note)
        data = _read_at_most(fd, min(info.st_size, max_bytes) + 1, max_bytes + 1)
    except OSError as e:
        raise UnreadableFile(f"{name}: cannot be read: {_reason(e)}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise UnreadableFile(f"{name}: too large: more than {max_bytes:,} bytes ({limit_note})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnreadableFile(f"{name}: not UTF-8 text (byte {e.start:,} is 0x{data[e.start]:02x})") from None


def _check(info: os.stat_result, path: str | os.PathLike, name: str, max_bytes: int, limit_note: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        target = ""
        if os.path.islink(path):
            target = f" ({path_for_message(os.path.realpath(path))})"
        raise UnreadableFile(f"{name}: is {kind_of(info.st_mode)}{target}, not a regular file")
    if info.st_size > max_bytes:
        raise UnreadableFile(f"{name}: too large: {info.st_size:,} bytes ({limit_note})")


def _read_at_most(fd: int, first: int, most: int) -> bytes:
    """Up to `most` bytes from fd: `first` in one read (a regular file's whole
    size, so usually one read and no copy), then in chunks."""
    chunks = [os.read(fd, first)]
    total = len(chunks[0])
    while chunks[-1] and total < most:
        chunks.append(os.read(fd, min(_READ_CHUNK, most - total)))
        total += len(chunks[-1])
    return b"".join(chunks)


def _reason(e: OSError) -> str:
    """An OSError's reason without the path it repeats ("permission denied")."""
    text = e.strerror or str(e)
    return text[:1].lower() + text[1:]
