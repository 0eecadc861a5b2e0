"""Scenario files (TOML): read with the standard library's tomllib, written by
hand (flat keys only, so no writer library is needed). Every error names the
file, the key and the reason. This module never imports Textual."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import tomllib
from dataclasses import fields, replace
from pathlib import Path

from bptui.scenario import MAZUR_SETTINGS, Scenario, build_scenario

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
}
assert set(KEYS) == {f.name for f in fields(Scenario)}


class ScenarioFileError(ValueError):
    pass


def _type_name(value: object) -> str:
    return {bool: "true/false", str: "a string", int: "a whole number", float: "a number", list: "a list"}.get(
        type(value), type(value).__name__
    )


def read_text(path: Path, error: type[ValueError]) -> str:
    """A file's text, or `error` naming the file and why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise error(f"{path}: cannot be read ({e})") from None


def read_settings(path: str | os.PathLike) -> dict[str, object]:
    """The settings a file gives, checked key by key (not yet combined)."""
    p = Path(path)
    try:
        data = tomllib.loads(read_text(p, ScenarioFileError))
    except tomllib.TOMLDecodeError as e:
        raise ScenarioFileError(f"{p}: not valid TOML ({e})") from None
    except ValueError as e:  # Python's limit on the digits of a whole number
        raise ScenarioFileError(f"{p}: {too_many_digits(e)}") from None
    return check_settings(data, str(p))


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
            raise ScenarioFileError(f"{source}: key {key!r}: unknown key (known keys: {', '.join(KEYS)})")
        types, wanted = KEYS[key]
        # TOML booleans are not numbers here, though bool is an int in Python
        if isinstance(value, bool) or not isinstance(value, types):
            raise ScenarioFileError(f"{source}: key {key!r}: expected {wanted}, got {_type_name(value)}")
        if key in ("weights", "biases"):
            items = []
            for i, item in enumerate(value, 1):
                if isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise ScenarioFileError(f"{source}: key {key!r}: item {i} is {_type_name(item)}, not a number")
                item = _as_float(item, f"{source}: key {key!r}: item {i}")
                if not math.isfinite(item):
                    raise ScenarioFileError(f"{source}: key {key!r}: item {i} must be finite, not {item}")
                items.append(item)
            value = tuple(items)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ScenarioFileError(f"{source}: key {key!r}: must be finite, not {value}")
        elif key in ("x", "y", "lr"):
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
        if value is not None:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def load(path: str | os.PathLike) -> Scenario:
    """The scenario a file describes (defaults for what it leaves out)."""
    settings = read_settings(path)
    try:
        return build_scenario(settings)
    except ValueError as e:
        raise ScenarioFileError(f"{path}: {e}") from None


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
