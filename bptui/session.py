"""Sessions: the scenario plus every step so far, saved as JSON and reopened
bit for bit (`e` in the app writes one; `bptui --replay FILE` reopens it).

JSON numbers are written with Python's repr, which reads back to the same
double, so a session survives the round trip exactly. On reopening, the steps
are recomputed from the scenario and the recorded learning rates, and every
recorded number must match bit for bit: a damaged or edited file is refused
with the first step that does not follow. This module never imports Textual.
"""

from __future__ import annotations

import json
import math
import os
import re

import numpy as np

from bptui.engine import Engine
from bptui.safe_read import UnreadableFile, path_for_message, quote, read_text
from bptui.scenario import Scenario
from bptui.scenario_file import (
    ScenarioFileError,
    as_settings,
    check_settings,
    scenario_from_settings,
    too_many_digits,
    write_atomically,
)

from bptui.predict import Score  # noqa: E402  (after the names it shares)

FORMAT = "bptui-session"
# 2 adds "edits": the values set by hand, each [step, name, old, new]. A
# version 1 file (no edits) reads as before.
VERSION = 2
READS = (1, 2)

# bptui's own --max-history default (cli.DEFAULT_MAX_HISTORY; a test keeps
# the two equal): a session is read only if it fits the steps kept
DEFAULT_MAX_STEPS = 2_000_000

# The most a step takes in a file bptui writes: a row of at most 19 numbers
# (eight layers with biases: 16 parameters, then J, the rate and the rule),
# each at most 24 characters as repr writes a double
# (-2.2250738585072014e-308), with ", " between them and between rows: 496
# bytes, rounded up. The question's network takes about 68 a step.
MAX_STEP_BYTES = 512
# everything but the history (format, scenario, rate, columns...): a few
# hundred bytes as bptui writes it
MAX_HEADER_BYTES = 64 * 1024
# a history row's text: 19 numbers take at most 492 characters; the rest is
# room for spaces
MAX_ROW_CHARS = 1024


def size_limit(max_steps: int) -> int:
    """The most bytes a session of at most max_steps steps takes, as bptui
    writes it (one line, no indentation): larger files are refused unread."""
    return MAX_HEADER_BYTES + (max_steps + 1) * MAX_STEP_BYTES


class SessionError(ValueError):
    pass


def session_text(engine: Engine, scenario: Scenario, score: Score | None = None) -> str:
    rows = engine.history_array()
    # step 0 has no rate and no rule: null
    history = [[*map(float, row[:-2]), *((None, None) if k == 0 else (float(row[-2]), int(row[-1])))]
               for k, row in enumerate(rows)]  # fmt: skip
    data = {
        "format": FORMAT,
        "version": VERSION,
        "scenario": as_settings(scenario),
        "lr": engine.lr,
        "rule": engine.rule.name,
        "step": engine.step_count,
        "columns": engine.columns,
        "history": history,
        "edits": [[e.step, e.name, e.old, e.new] for e in engine.edits],
        # predict mode's score, by kind ([right first time, asked]), once anything was asked
        **({"predict": score.as_json()} if score is not None and score.total[1] else {}),
    }
    return json.dumps(data, allow_nan=False) + "\n"


def export_session(path: str | os.PathLike, engine: Engine, scenario: Scenario, *, overwrite: bool = False,
                   score: Score | None = None) -> None:  # fmt: skip
    """Write atomically; FileExistsError unless overwrite."""
    write_atomically(path, session_text(engine, scenario, score), overwrite=overwrite)


def load_session(path: str | os.PathLike, max_steps: int = DEFAULT_MAX_STEPS) -> tuple[Scenario, Engine]:
    scenario, engine, _ = load_session_with_score(path, max_steps)
    return scenario, engine


def load_session_with_score(path: str | os.PathLike, max_steps: int = DEFAULT_MAX_STEPS) -> tuple[Scenario, Engine, Score]:
    """The scenario and the engine a session file recorded, every step
    recomputed and checked; SessionError (naming the file) if it cannot be
    read, is damaged, or holds more than max_steps steps. Reading costs the
    file's size plus a row of doubles a step, whatever the file holds."""
    src = path_for_message(path)
    limit = size_limit(max_steps)
    try:
        text = read_text(path, limit, f"a session of --max-history {max_steps:,} steps takes at most {limit:,} bytes")
    except UnreadableFile as e:  # a missing file is missing, not damaged
        raise SessionError(str(e)) from None
    return session_from_text(text, src, max_steps)


def session_from_text(text: str, src: str, max_steps: int = DEFAULT_MAX_STEPS) -> tuple[Scenario, Engine, Score]:
    """As load_session_with_score, from a session's text (the lesson a
    class follows comes over the control channel, not from a file); `src`
    names it in messages."""
    try:
        data, first_row = _parse_session(text, src, max_steps)
    except SessionError:
        raise
    except json.JSONDecodeError as e:
        raise SessionError(f"{src}: not a bptui session: damaged JSON ({e})") from None
    except RecursionError:  # the C scanner's refusal of a value nested a thousand deep
        raise SessionError(f"{src}: damaged: nested too deeply (a session nests three levels)") from None
    except ValueError as e:  # Python's limit on the digits of a whole number
        raise SessionError(f"{src}: damaged: {too_many_digits(e)}") from None
    del text  # the history is in doubles now: the text need not stay for the replay
    if data.get("format") != FORMAT:
        raise SessionError(f"{src}: not a bptui session (no \"format\": \"{FORMAT}\")")
    if data.get("version") not in READS:
        raise SessionError(
            f"{src}: session version {quote(data.get('version'))}; this bptui reads versions {READS[0]} to {READS[-1]}"
        )
    for key in ("scenario", "lr", "step", "columns", "history"):
        if key not in data:
            raise SessionError(f"{src}: damaged: key {key!r} is missing")
    try:
        scenario = scenario_from_settings(check_settings(data["scenario"], f"{src}: scenario"), f"{src}: scenario")
        engine = scenario.engine()
    except (ScenarioFileError, ValueError) as e:
        raise SessionError(str(e)) from None
    width = len(engine.columns)
    if data["columns"] != engine.columns:
        raise SessionError(f"{src}: damaged: its columns {quote(data['columns'])} do not fit the scenario's network")
    rows = data["history"]
    step = data["step"]
    if (
        not isinstance(rows, np.ndarray)
        or not len(rows)
        or isinstance(step, bool)
        or not isinstance(step, int)
        or step != len(rows) - 1
    ):
        raise SessionError(f"{src}: damaged: \"step\" and \"history\" disagree")
    if rows.shape != (len(rows), width):
        raise SessionError(f"{src}: damaged: every history row needs {width} numbers")
    if first_row[-2:] != [None, None]:
        raise SessionError(f"{src}: damaged: step 0 has no rate and no rule (null, null), this file gives some")
    lr = data["lr"]
    if not _positive_double(lr):
        raise SessionError(f"{src}: damaged: \"lr\" must be a positive number")
    names = [r.name for r in engine.rules]
    if data.get("rule", "correct") not in names:
        raise SessionError(f"{src}: damaged: no update rule {quote(data.get('rule'))} for this network")
    edits = _edits_of(data.get("edits", []), step, engine, src)
    replay(engine, rows, src, edits)
    engine.set_lr(float(lr))
    engine.set_rule(names.index(data.get("rule", "correct")))
    try:
        score = Score.from_json(data["predict"]) if "predict" in data else Score()
    except ValueError as e:
        raise SessionError(f"{src}: damaged: {e}") from None
    return scenario, engine, score


_decode = json.JSONDecoder().raw_decode
_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's
# A history row as bptui writes it: numbers or nulls between brackets. No
# bracket, brace or quote inside, so nothing nested and no string; no r or s,
# so no true or false (null, NaN, Infinity and an exponent's e have neither).
_FLAT_ROW = r'\[[^\[\]{}"rs]{0,%d}\]' % MAX_ROW_CHARS
_ROWS_AT_ONCE = 4096  # rows turned into doubles together (a Python list each until then)
# a run of such rows, commas between, that json decodes in one call
_FLAT_ROWS = re.compile(r"%s(?:[ \t\n\r]*,[ \t\n\r]*%s){0,%d}" % (_FLAT_ROW, _FLAT_ROW, _ROWS_AT_ONCE - 1))


def _parse_session(text: str, src: str, max_steps: int) -> tuple[dict, list | None]:
    """The file's object, as json.loads would give it but for "history",
    which is a numpy array of doubles (null as nan), with its first row as a
    list beside it. Unlike json.loads this costs no more than a row of doubles
    a step: the rows are read one by one (a Python list of Python floats takes
    about ten times the text), the history may hold at most max_steps + 1 rows,
    and everything else at most MAX_HEADER_BYTES characters."""
    pos = _WHITESPACE.match(text).end()
    if not text.startswith("{", pos):
        if pos == len(text):
            raise json.JSONDecodeError("Expecting value", text, pos)
        raise SessionError(f"{src}: not a bptui session (no \"format\": \"{FORMAT}\")")
    data: dict = {}
    first_row = None
    header = 0  # characters read outside the history
    too_long = f"{src}: damaged: more than {MAX_HEADER_BYTES:,} characters outside the history (bptui writes a few hundred)"
    pos = _WHITESPACE.match(text, pos + 1).end()
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            start = pos
            if not text.startswith('"', pos):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
            key, pos = _decode_within(text, pos, MAX_HEADER_BYTES - header, too_long)
            pos = _WHITESPACE.match(text, pos).end()
            if not text.startswith(":", pos):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            pos = _WHITESPACE.match(text, pos + 1).end()
            if key == "history" and text.startswith("[", pos):
                value, first_row, pos = _read_history(text, pos, src, max_steps, data.get("step"))
                header += len('"history": ')
            else:
                value, pos = _decode_within(text, pos, MAX_HEADER_BYTES - header, too_long)
                header += pos - start
            data[key] = value
            pos = _WHITESPACE.match(text, pos).end()
            if text.startswith(",", pos):
                pos = _WHITESPACE.match(text, pos + 1).end()
            elif text.startswith("}", pos):
                pos += 1
                break
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
    pos = _WHITESPACE.match(text, pos).end()
    if pos != len(text):
        raise json.JSONDecodeError("Extra data", text, pos)
    return data, first_row


def _decode_within(text: str, pos: int, budget: int, too_long: str) -> tuple[object, int]:
    """The JSON value at text[pos], which must end within `budget` characters
    (decoded from a slice of that length, so a long one costs no more);
    SessionError(too_long) if it does not."""
    if pos + budget >= len(text):
        return _decode(text, pos)
    piece = text[pos : pos + max(budget, 0)]
    try:
        value, used = _decode(piece)
    except json.JSONDecodeError as e:
        if e.pos < len(piece) - 1 and not e.msg.startswith("Unterminated"):
            raise json.JSONDecodeError(e.msg, text, pos + e.pos) from None  # broken before the slice ends
        raise SessionError(too_long) from None
    return value, pos + used


def _read_history(text: str, pos: int, src: str, max_steps: int, claimed: object) -> tuple[np.ndarray, list | None, int]:
    """The history array at text[pos] ("["): its rows as doubles, its first
    row as a list, and where it ends. Rows are decoded a run of up to
    _ROWS_AT_ONCE at a time, by json in one call."""
    pos = _WHITESPACE.match(text, pos + 1).end()
    if text.startswith("]", pos):
        return np.empty((0, 0)), None, pos + 1
    done: list[np.ndarray] = []
    first_row: list = []
    count = 0
    while True:
        run = _FLAT_ROWS.match(text, pos)
        if run is None:
            # broken JSON, too long, or JSON that is not a row of numbers
            too_long = f"{src}: damaged: history row {count:,} is longer than any bptui network's"
            _decode_within(text, pos, MAX_ROW_CHARS + 2, too_long)
            raise SessionError(f"{src}: damaged: history row {count:,} holds something that is not a number")
        try:
            rows = json.loads("[" + run.group() + "]")
        except json.JSONDecodeError:
            _decode_one_by_one(text, pos, run.end())  # raises where the text breaks
            raise
        if not first_row:
            first_row = rows[0]
        for i, row in enumerate(rows):
            if len(row) != len(first_row):
                raise SessionError(
                    f"{src}: damaged: history row {count + i:,} has {len(row)} numbers, row 0 has {len(first_row)}"
                )
        count += len(rows)
        if count > max_steps + 1:
            if isinstance(claimed, int) and not isinstance(claimed, bool) and claimed > max_steps:
                raise SessionError(
                    f"{src} holds {claimed:,} steps, more than --max-history {max_steps:,}: give a larger --max-history"
                )
            raise SessionError(
                f"{src} holds more steps than --max-history {max_steps:,}: give a larger --max-history"
            )
        done.append(_doubles(rows, src))
        pos = _WHITESPACE.match(text, run.end()).end()
        if text.startswith(",", pos):
            pos = _WHITESPACE.match(text, pos + 1).end()
        elif text.startswith("]", pos):
            pos += 1
            break
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
    return np.concatenate(done), first_row, pos


def _decode_one_by_one(text: str, pos: int, end: int) -> None:
    """Decode the rows of text[pos:end] one at a time, so that a JSON error
    names its place in the whole file."""
    while pos < end:
        _, pos = _decode(text, pos)
        pos = _WHITESPACE.match(text, pos).end()
        if text.startswith(",", pos):
            pos = _WHITESPACE.match(text, pos + 1).end()


def _doubles(rows: list[list], src: str) -> np.ndarray:
    try:
        return np.array(rows, dtype=np.float64)  # null becomes nan
    except OverflowError:
        raise SessionError(f"{src}: damaged: the history holds a number too large for a double") from None


def _positive_double(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return value > 0 and math.isfinite(float(value))
    except OverflowError:  # a whole number past the doubles
        return False


def _edits_of(edits: object, last_step: int, engine: Engine, src: str) -> list[tuple[int, str, float, float]]:
    """The recorded edits, checked for shape: each [step, name, old, new],
    in the order made (steps never going down), of values this network has."""
    bad = f"{src}: damaged: \"edits\" must be a list of [step, name, old value, new value]"
    if not isinstance(edits, list):
        raise SessionError(bad)
    names = engine.settable()
    out = []
    for item in edits:
        if not (isinstance(item, list) and len(item) == 4):
            raise SessionError(bad)
        step, name, old, new = item
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= last_step:
            raise SessionError(f"{src}: damaged: an edit's step must be a step of the history (0 to {last_step:,})")
        if out and step < out[-1][0]:
            raise SessionError(f"{src}: damaged: the edits are not in the order they were made")
        if name not in names:
            raise SessionError(f"{src}: damaged: an edit sets {quote(name)}, which this network does not have")
        for v in (old, new):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SessionError(f"{src}: damaged: an edit's values must be finite numbers")
        out.append((step, name, float(old), float(new)))
    return out


def replay(engine: Engine, rows: np.ndarray, src: str, edits: list[tuple[int, str, float, float]] = ()) -> None:
    """Recompute every step with its recorded rate and rule, and make every
    recorded edit at its step; each recorded number must come out bit for
    bit."""
    lrs, tags = rows[1:, -2], rows[1:, -1]
    if not (np.all(np.isfinite(lrs)) and np.all(lrs > 0)):
        raise SessionError(f"{src}: damaged: a recorded learning rate is not a positive number")
    if not np.all(np.isin(tags, np.arange(len(engine.rules)))):
        raise SessionError(f"{src}: damaged: a recorded update rule is not one of this network's")
    pending = list(reversed(edits))
    k = 1
    while True:
        while pending and pending[-1][0] == k - 1:
            _make_edit(engine, *pending.pop(), src)
        if k >= len(rows):
            break
        # a run of steps at one rate and rule, up to the next edit, goes
        # through the engine in one call
        stop = pending[-1][0] + 1 if pending else len(rows)
        run = k
        while run < stop and rows[run, -2] == rows[k, -2] and rows[run, -1] == rows[k, -1]:
            run += 1
        engine.set_lr(float(rows[k, -2]))
        engine.set_rule(int(rows[k, -1]))
        taken = engine.step(run - k)
        if taken < run - k:
            break  # refused: the comparison below says where
        k = run
    mine = engine.history_array()
    if mine.shape != rows.shape:
        raise SessionError(
            f"{src}: step {engine.step_count + 1} cannot be taken again (it would not be finite): the file is damaged"
        )
    if pending:
        raise SessionError(f"{src}: damaged: an edit at step {pending[-1][0]:,} comes after a step that cannot be taken")
    # compare the bits, not the values (so -0.0 and 0.0 differ, as they would on screen)
    same = mine.view(np.uint64) == rows.view(np.uint64)
    same[0, -2:] = True  # step 0 has no rate and no rule
    if not same.all():
        bad_step, bad_col = map(int, np.argwhere(~same)[0])
        name = engine.columns[bad_col]
        raise SessionError(
            f"{src}: step {bad_step} does not follow from the steps before it ({name} differs): "
            "the file is damaged or was edited"
        )


def _make_edit(engine: Engine, step: int, name: str, old: float, new: float, src: str) -> None:
    try:
        if name == "lr":
            engine.set_lr(old)  # the rate it replaced (l may have set it unrecorded)
        now = engine.settable()[name]
        if np.float64(now).view(np.uint64) != np.float64(old).view(np.uint64):
            raise SessionError(f"{src}: damaged: the edit at step {step:,} finds {name} = {now!r}, not {old!r}")
        engine.set_value(name, new)
    except ValueError as e:
        if isinstance(e, SessionError):
            raise
        raise SessionError(f"{src}: damaged: the edit at step {step:,} cannot be made: {e}") from None
