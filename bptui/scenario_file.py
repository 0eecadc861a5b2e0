"""Scenario files (TOML): read with the standard library's tomllib, written by
hand (flat keys only, so no writer library is needed). Every error names the
file, the key and the reason. This module never imports Textual."""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import tomllib
from dataclasses import fields, replace
from pathlib import Path

from bptui.networks import ACTIVATIONS, LOSSES
from bptui.optimizers import NAMES as OPTIMIZERS
from bptui.safe_read import QUOTE_CHARS, UnreadableFile, path_for_message, quote, read_text
from bptui.scenario import MAZUR_SETTINGS, PRESETS, Scenario, build_scenario

# key -> (accepted TOML types, description used in messages)
KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "preset": ((str,), "a string"),
    "x": ((int, float), "a number"),
    "y": ((int, float), "a number"),
    "lr": ((int, float), "a number"),
    "seed": ((int,), "a whole number"),
    "weights": ((list,), "a list of numbers"),
    "biases": ((list,), "a list of numbers"),
    "activation": ((str,), "a string"),
    "loss": ((str,), "a string"),
    "layers": ((int,), "a whole number"),
    "optimizer": ((str,), "a string"),
    "momentum": ((int, float), "a number"),
    "betas": ((list,), "a list of two numbers"),
    "eps": ((int, float), "a number"),
}
assert set(KEYS) == {f.name for f in fields(Scenario)}
# the keys that take a string, and the strings they take
CHOICES: dict[str, tuple[str, ...]] = {
    "preset": PRESETS, "activation": ACTIVATIONS, "loss": tuple(LOSSES), "optimizer": OPTIMIZERS,
}  # fmt: skip
assert set(CHOICES) == {k for k, (types, _) in KEYS.items() if str in types}
assert all(len(c) <= QUOTE_CHARS for choices in CHOICES.values() for c in choices)


class ScenarioFileError(ValueError):
    pass


def _type_name(value: object) -> str:
    return {bool: "true/false", str: "a string", int: "a whole number", float: "a number", list: "a list"}.get(
        type(value), type(value).__name__
    )


OPTIMIZER_SETTINGS = ("optimizer", "momentum", "betas", "eps")

# A scenario is ten settings: the longest real one (eight layers with their
# biases) is under 1 KB. 64 KiB leaves room for comments, and tomllib reads
# that much in a few milliseconds.
MAX_SCENARIO_BYTES = 64 * 1024


def read_settings(path: str | os.PathLike) -> dict[str, object]:
    """The settings a file gives, checked key by key (not yet combined)."""
    src = path_for_message(path)
    try:
        text = read_text(path, MAX_SCENARIO_BYTES, f"a scenario file is at most {MAX_SCENARIO_BYTES:,} bytes")
    except UnreadableFile as e:
        raise ScenarioFileError(str(e)) from None
    check_toml_nesting(text, src)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioFileError(f"{src}: not valid TOML ({e})") from None
    except RecursionError:  # a safety net: check_toml_nesting refuses such a file first
        raise ScenarioFileError(f"{src}: nested too deeply to be a scenario") from None
    except ValueError as e:  # Python's limit on the digits of a whole number
        raise ScenarioFileError(f"{src}: {too_many_digits(e)}") from None
    return check_settings(data, src)


# What costs tomllib more than the length of the text: it recurses once per
# level of [ ] or { } (a few hundred levels exhaust Python's stack), and a
# dotted key a.b.c... costs it time and memory in the square of its parts
# (10,000 parts: 2 s and 400 MB). A scenario needs one level (weights = [...])
# and no dotted key, so both are bounded far above that and far below harm.
MAX_TOML_NESTING = 16
MAX_DOTTED_PARTS = 16

# TOML's tokens as far as nesting goes: strings and comments (where brackets
# and dots mean nothing), brackets, dots, and the words keys are made of. A
# multi-line string may end in one or two extra quotes ("""a"""" holds a").
_TOML_TOKEN = re.compile(
    r'''
      (?P<string> """(?:[^"\\]|\\[\s\S]|"(?!""))*"""(?:"{1,2}(?!"))?
                | \'\'\'(?:[^']|'(?!''))*\'\'\'(?:'{1,2}(?!'))?
                | "(?:[^"\\\n]|\\.)*"
                | '[^'\n]*' )
    | (?P<comment> \#[^\n]* )
    | (?P<open> [\[{] )
    | (?P<close> [\]}] )
    | (?P<dot> \. )
    | (?P<space> [ \t]+ )
    | (?P<bare> [A-Za-z0-9_+-]+ )
    | (?P<other> [\s\S] )
    ''',
    re.VERBOSE,
)


def check_toml_nesting(text: str, src: str) -> None:
    """ScenarioFileError if the text nests brackets more than MAX_TOML_NESTING
    deep or has a dotted key of more than MAX_DOTTED_PARTS parts, checked
    before tomllib reads it. (Text that is not TOML may be counted otherwise
    than tomllib would, but only past the point where tomllib stops.)"""
    depth = dots = 0
    for token in _TOML_TOKEN.finditer(text):
        kind = token.lastgroup
        if kind == "open":
            depth += 1
            if depth > MAX_TOML_NESTING:
                raise ScenarioFileError(
                    f"{src}: nested more than {MAX_TOML_NESTING} levels deep (a scenario needs one: weights = [...])"
                )
        elif kind == "close":
            depth -= 1
        if kind == "dot":
            dots += 1
            if dots >= MAX_DOTTED_PARTS:
                raise ScenarioFileError(
                    f"{src}: a dotted key of more than {MAX_DOTTED_PARTS} parts (a scenario's keys are plain: lr = 0.5)"
                )
        elif kind not in ("string", "bare", "space"):
            dots = 0  # a dotted key is words or strings with dots between


def too_many_digits(e: ValueError) -> str:
    if "digits" in str(e):
        return f"a number has too many digits (at most {sys.get_int_max_str_digits()})"
    return f"cannot be read ({e})"


def _as_float(value: int | float, where: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise ScenarioFileError(f"{where}: too large for a double (max ≈ 1.8e308)") from None


def check_settings(data: dict, source: str) -> dict[str, object]:
    """Settings from a parsed file (TOML or a session's JSON), checked key by
    key; errors start with `source` and name the key."""
    if not isinstance(data, dict):
        raise ScenarioFileError(f"{source}: expected a table of settings, got {_type_name(data)}")
    settings: dict[str, object] = {}
    for key, value in data.items():
        if key not in KEYS:
            raise ScenarioFileError(f"{source}: key {quote(key)}: unknown key (known keys: {', '.join(KEYS)})")
        types, wanted = KEYS[key]
        # TOML booleans are not numbers here, though bool is an int in Python
        if isinstance(value, bool) or not isinstance(value, types):
            raise ScenarioFileError(f"{source}: key {key!r}: expected {wanted}, got {_type_name(value)}")
        if isinstance(value, str) and len(value) > QUOTE_CHARS:
            # longer than any choice, so wrong whatever the flags say; refused
            # here, where the message quotes only its start
            raise ScenarioFileError(
                f"{source}: key {key!r}: must be one of {', '.join(CHOICES[key])}, not {quote(value)}"
            )
        if key in ("weights", "biases", "betas"):
            items = []
            for i, item in enumerate(value, 1):
                if isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise ScenarioFileError(f"{source}: key {key!r}: item {i} is {_type_name(item)}, not a number")
                item = _as_float(item, f"{source}: key {key!r}: item {i}")
                if not math.isfinite(item):
                    raise ScenarioFileError(f"{source}: key {key!r}: item {i} must be finite, not {item}")
                items.append(item)
            value = tuple(items)
            if key == "betas" and len(value) != 2:
                raise ScenarioFileError(f"{source}: key 'betas': expected two numbers (β1, β2), got {len(value)}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ScenarioFileError(f"{source}: key {key!r}: must be finite, not {value}")
        elif key in ("x", "y", "lr", "momentum", "eps"):
            value = _as_float(value, f"{source}: key {key!r}")
        settings[key] = value
    return settings


def scenario_from_settings(settings: dict[str, object], source: str, base: Scenario | None = None) -> Scenario:
    try:
        return replace(base or Scenario(), **settings)
    except ValueError as e:
        raise ScenarioFileError(f"{source}: {e}") from None


def as_settings(scenario: Scenario) -> dict[str, object]:
    """Every setting that is not None, as plain values (lists for tuples);
    for the mazur preset only what it lets change (the rest it fixes)."""
    out: dict[str, object] = {}
    for f in fields(Scenario):
        value = getattr(scenario, f.name)
        if scenario.preset == "mazur" and f.name not in MAZUR_SETTINGS:
            continue
        if f.name in OPTIMIZER_SETTINGS and value == f.default:
            continue  # plain descent's files stay as they were
        if value is not None:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def load(path: str | os.PathLike) -> Scenario:
    """The scenario a file describes (defaults for what it leaves out)."""
    settings = read_settings(path)
    try:
        return build_scenario(settings)
    except ValueError as e:
        raise ScenarioFileError(f"{path_for_message(path)}: {e}") from None


def dumps(scenario: Scenario) -> str:
    """TOML text for a scenario: every setting, so the file stands alone."""
    lines = ["# bptui scenario: bptui --scenario THIS_FILE"]
    for key, value in as_settings(scenario).items():
        if isinstance(value, str):
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif isinstance(value, list):
            text = "[" + ", ".join(repr(float(v)) for v in value) + "]"
        else:
            text = repr(value)  # repr of a float reads back to the same float
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def write_atomically(path: str | os.PathLike, text: str, *, overwrite: bool = False) -> None:
    """Write text to path through a temporary file and a rename, so a reader
    never sees half a file. FileExistsError if path exists and not overwrite
    (checked as the file lands, not before, so a file that appears meanwhile
    is not clobbered). The file gets the mode a plain open() would give it
    (an overwritten file keeps its own)."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p} exists")
    fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            try:
                mode = p.stat().st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~_umask()  # mkstemp's 0600 is for secrets; this is not one
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, p)
        else:
            try:
                os.link(tmp, p)  # fails if p exists by now
            except FileExistsError:
                raise FileExistsError(f"{p} exists") from None
            except OSError:  # a filesystem without hard links
                if p.exists():
                    raise FileExistsError(f"{p} exists") from None
                os.replace(tmp, p)
            else:
                os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save(path: str | os.PathLike, scenario: Scenario, *, overwrite: bool = False) -> None:
    write_atomically(path, dumps(scenario), overwrite=overwrite)
