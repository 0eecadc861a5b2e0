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
from pathlib import Path

import numpy as np

from bptui.engine import Engine
from bptui.rules import rules_for
from bptui.scenario import Scenario
from bptui.scenario_file import (
    ScenarioFileError,
    as_settings,
    check_settings,
    read_text,
    scenario_from_settings,
    too_many_digits,
    write_atomically,
)

FORMAT = "bptui-session"
VERSION = 1


class SessionError(ValueError):
    pass


def session_text(engine: Engine, scenario: Scenario) -> str:
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
    }
    return json.dumps(data, allow_nan=False) + "\n"


def export_session(path: str | os.PathLike, engine: Engine, scenario: Scenario, *, overwrite: bool = False) -> None:
    """Write atomically; FileExistsError unless overwrite."""
    write_atomically(path, session_text(engine, scenario), overwrite=overwrite)


def load_session(path: str | os.PathLike) -> tuple[Scenario, Engine]:
    p = Path(path)
    src = str(p)
    text = read_text(p, SessionError)  # a missing file is missing, not damaged
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SessionError(f"{src}: not a bptui session: damaged JSON ({e})") from None
    except ValueError as e:  # Python's limit on the digits of a whole number
        raise SessionError(f"{src}: damaged: {too_many_digits(e)}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{src}: not a bptui session (no \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise SessionError(f"{src}: session version {data.get('version')!r}; this bptui reads version {VERSION}")
    for key in ("scenario", "lr", "step", "columns", "history"):
        if key not in data:
            raise SessionError(f"{src}: damaged: key {key!r} is missing")
    try:
        scenario = scenario_from_settings(check_settings(data["scenario"], f"{src}: scenario"), f"{src}: scenario")
        network = scenario.network()
        engine = Engine(network, scenario.initial_params(), scenario.lr, rules_for(network))
    except (ScenarioFileError, ValueError) as e:
        raise SessionError(str(e)) from None
    width = len(engine.columns)
    if data["columns"] != engine.columns:
        raise SessionError(f"{src}: damaged: its columns {data['columns']!r} do not fit the scenario's network")
    history = data["history"]
    step = data["step"]
    if not isinstance(history, list) or not history or not isinstance(step, int) or step != len(history) - 1:
        raise SessionError(f"{src}: damaged: \"step\" and \"history\" disagree")
    try:
        rows = np.array(
            [[math.nan if v is None else v for v in row] for row in history], dtype=np.float64
        )
    except (TypeError, ValueError):
        raise SessionError(f"{src}: damaged: the history holds something that is not a number") from None
    except OverflowError:
        raise SessionError(f"{src}: damaged: the history holds a number too large for a double") from None
    if rows.shape != (len(history), width):
        raise SessionError(f"{src}: damaged: every history row needs {width} numbers")
    if history[0][-2:] != [None, None]:
        raise SessionError(f"{src}: damaged: step 0 has no rate and no rule (null, null), this file gives some")
    lr = data["lr"]
    if not _positive_double(lr):
        raise SessionError(f"{src}: damaged: \"lr\" must be a positive number")
    names = [r.name for r in engine.rules]
    if data.get("rule", "correct") not in names:
        raise SessionError(f"{src}: damaged: no update rule {data.get('rule')!r} for this network")
    replay(engine, rows, src)
    engine.set_lr(float(lr))
    engine.set_rule(names.index(data.get("rule", "correct")))
    return scenario, engine


def _positive_double(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return value > 0 and math.isfinite(float(value))
    except OverflowError:  # a whole number past the doubles
        return False


def replay(engine: Engine, rows: np.ndarray, src: str) -> None:
    """Recompute every step with its recorded rate and rule; each recorded
    number must come out bit for bit."""
    lrs, tags = rows[1:, -2], rows[1:, -1]
    if not (np.all(np.isfinite(lrs)) and np.all(lrs > 0)):
        raise SessionError(f"{src}: damaged: a recorded learning rate is not a positive number")
    if not np.all(np.isin(tags, np.arange(len(engine.rules)))):
        raise SessionError(f"{src}: damaged: a recorded update rule is not one of this network's")
    k = 1
    while k < len(rows):
        # a run of steps at one rate and rule goes through the engine in one call
        run = k
        while run < len(rows) and rows[run, -2] == rows[k, -2] and rows[run, -1] == rows[k, -1]:
            run += 1
        engine.set_lr(float(rows[k, -2]))
        engine.set_rule(int(rows[k, -1]))
        engine.step(run - k)
        k = run
    mine = engine.history_array()
    if mine.shape != rows.shape:
        raise SessionError(
            f"{src}: step {engine.step_count + 1} cannot be taken again (it would not be finite): the file is damaged"
        )
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
