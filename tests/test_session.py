"""Export a session, reopen it bit for bit; damaged files are refused clearly."""

import json
import subprocess
import sys

import pytest

from bptui.app import BptuiApp
from bptui.cli import make_engine
from bptui.scenario import Scenario
from bptui.scenario_file import load as load_scenario
from bptui.session import SessionError, export_session, load_session
from bptui.widgets.message_bar import MessageBar
from bptui.widgets.forward_pane import ForwardPane


def session(tmp_path, scenario=None, steps=(7, 3)):
    s = scenario or Scenario(layers=3, biases=(0.1, -0.2, 0.3), activation="tanh", y=0.5)
    e = make_engine(s)
    e.step(steps[0])
    e.set_lr(0.25)
    e.step(steps[1])
    e.set_lr(0.125)  # the current rate, not yet used
    path = tmp_path / "run.json"
    export_session(path, e, s)
    return s, e, path


def test_round_trip_is_bit_for_bit(tmp_path):
    s, e, path = session(tmp_path)
    s2, e2 = load_session(path)
    assert s2 == s
    assert e2.step_count == e.step_count == 10
    assert e2.lr == 0.125
    assert (e2.history_array().view("u8")[:, :-1] == e.history_array().view("u8")[:, :-1]).all()
    assert e2.params == e.params and e2.trace.adjoints == e.trace.adjoints
    # undo works across the loaded history
    e2.undo(4)
    assert e2.params == e.params_at(6)


def test_mazur_round_trip(tmp_path):
    s, e, path = session(tmp_path, Scenario(preset="mazur"))
    s2, e2 = load_session(path)
    assert s2.preset == "mazur" and e2.params == e.params


def edited_session(tmp_path):
    """Steps with values set by hand between them, at step 0 and later."""
    s = Scenario()
    e = make_engine(s)
    e.set_value("x", 3)
    e.step(4)
    e.set_value("w1", 0.25)
    e.set_value("lr", 0.25)
    e.step(3)
    e.set_value("y", 0.5)  # after the last step
    path = tmp_path / "edited.json"
    export_session(path, e, s)
    return s, e, path


def test_edits_round_trip_and_undo_takes_them_back_after_replay(tmp_path):
    s, e, path = edited_session(tmp_path)
    w1_before = e.edits[1].old  # w1 as four steps left it
    assert json.loads(path.read_text())["edits"] == [[0, "x", 2.0, 3.0], [4, "w1", w1_before, 0.25],
                                                     [4, "lr", 0.5, 0.25], [7, "y", 4.0, 0.5]]  # fmt: skip
    s2, e2 = load_session(path)
    assert e2.history_array().view("u8").tolist() == e.history_array().view("u8").tolist()
    assert e2.network.inputs == e.network.inputs == {"x": 3.0, "y": 0.5}
    assert [(x.step, x.name, x.old, x.new) for x in e2.edits] == [(x.step, x.name, x.old, x.new) for x in e.edits]
    assert e2.trace.adjoints == e.trace.adjoints
    e2.undo(6)  # y, three steps, lr, w1
    e.undo(6)
    assert e2.params == e.params and e2.lr == e.lr == 0.5 and e2.network.inputs["y"] == 4.0


def test_a_version_1_session_without_edits_still_opens(tmp_path):
    _, e, path = session(tmp_path)
    edit(path, lambda d: (d.update(version=1), d.pop("edits")))
    assert load_session(path)[1].params == e.params


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d: d.update(edits={"x": 3}), "\"edits\" must be a list"),
        (lambda d: d["edits"].append([7, "y"]), "\"edits\" must be a list"),
        (lambda d: d["edits"][1].__setitem__(0, 99), "an edit's step must be a step of the history (0 to 7)"),
        (lambda d: d["edits"].reverse(), "not in the order they were made"),
        (lambda d: d["edits"][3].__setitem__(1, "w9"), "sets 'w9', which this network does not have"),
        (lambda d: d["edits"][0].__setitem__(3, None), "an edit's values must be finite numbers"),
        (lambda d: d["edits"][0].__setitem__(2, 2.5), "the edit at step 0 finds x = 2.0, not 2.5"),
        (lambda d: d["edits"][0].__setitem__(3, 3.5), "the edit at step 4 finds w1 = "),
        (lambda d: d["edits"][2].__setitem__(2, -1), "the edit at step 4 cannot be made: the learning rate must be"),
        (lambda d: d["edits"].pop(1), "step 4 does not follow"),
    ],
)
def test_damaged_edits_are_refused_with_a_reason(tmp_path, change, reason):
    _, _, path = edited_session(tmp_path)
    edit(path, change)
    with pytest.raises(SessionError) as err:
        load_session(path)
    assert str(err.value).startswith(str(path)) and reason in str(err.value), str(err.value)


def test_export_never_overwrites_unasked(tmp_path):
    s, e, path = session(tmp_path)
    before = path.read_text()
    e.step()
    with pytest.raises(FileExistsError):
        export_session(path, e, s)
    assert path.read_text() == before
    export_session(path, e, s, overwrite=True)
    assert load_session(path)[1].step_count == 11


def edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p.write_text(p.read_text()[:-40]), "damaged JSON"),
        (lambda p: p.write_text("[]"), "not a bptui session"),
        (lambda p: edit(p, lambda d: d.pop("history")), "key 'history' is missing"),
        (lambda p: edit(p, lambda d: d.update(version=9)), "session version 9"),
        (lambda p: edit(p, lambda d: d["history"][5].__setitem__(0, d["history"][5][0] + 1e-12)), "step 5 does not follow"),
        (lambda p: edit(p, lambda d: d["history"][8].__setitem__(-2, 0.3)), "step 8 does not follow"),
        (lambda p: edit(p, lambda d: d["history"][8].__setitem__(-1, 7)), "rule is not one of this network's"),
        (lambda p: edit(p, lambda d: d["history"][2].__setitem__(1, "x")), "not a number"),
        (lambda p: edit(p, lambda d: d.update(step=3)), "disagree"),
        (lambda p: edit(p, lambda d: d["scenario"].update(layers=2, biases=[0.1, 0.2])), "columns"),
        (lambda p: edit(p, lambda d: d["scenario"].update(layers="two")), "key 'layers': expected a whole number"),
        (lambda p: edit(p, lambda d: d.update(lr=-1)), "\"lr\" must be a positive number"),
        (lambda p: edit(p, lambda d: d["history"][0].__setitem__(-2, 0.5)), "step 0 has no rate and no rule"),
        (lambda p: edit(p, lambda d: d.update(lr=10**400)), "\"lr\" must be a positive number"),
        (lambda p: edit(p, lambda d: d["history"][2].__setitem__(1, 10**400)), "a number too large for a double"),
        (lambda p: edit(p, lambda d: d["scenario"].update(x=10**400)), "key 'x': too large for a double"),
        (lambda p: p.write_text(p.read_text().replace('"step": ', '"step": 1' + "0" * 5000 + ", \"was\": ")),
         "a number has too many digits"),
    ],
)
def test_damaged_files_are_refused_with_a_reason(tmp_path, damage, reason):
    _, _, path = session(tmp_path)
    damage(path)
    with pytest.raises(SessionError) as err:
        load_session(path)
    assert str(err.value).startswith(str(path)) and reason in str(err.value)


def test_replay_refuses_more_steps_than_max_history(tmp_path):
    _, _, path = session(tmp_path)  # 10 steps
    r = subprocess.run([sys.executable, "-m", "bptui", "--replay", str(path), "--max-history", "5"],
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2 and "holds 10 steps, more than --max-history 5" in r.stderr


def test_replay_flag_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    for args, reason in (
        (["--replay", str(bad)], "damaged JSON"),
        (["--replay", str(tmp_path / "none.json")], f"{tmp_path / 'none.json'}: no such file ("),
        (["--replay", str(bad), "--lr", "0.1"], "drop --lr"),
    ):
        r = subprocess.run([sys.executable, "-m", "bptui", *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and reason in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr


# --- in the app ------------------------------------------------------------------------


async def answer(pilot, text: str) -> None:
    bar = pilot.app.query_one(MessageBar)
    assert pilot.app.asking is bar.prompt
    await pilot.press("backspace")  # the default answer is selected: it goes
    await pilot.press(*(ch if ch != " " else "space" for ch in text))
    await pilot.press("enter")
    await pilot.pause()


async def test_e_exports_and_asks_before_overwriting(tmp_path):
    s = Scenario()
    app = BptuiApp(make_engine(s), s)
    path = tmp_path / "class.json"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "space", "e")
        await pilot.pause()
        bar = app.query_one(MessageBar)
        assert bar.prompt.text == "bptui-session-step2.json"
        await answer(pilot, str(path))
        assert "Exported 2 steps" in " ".join(bar.message.plain_lines)
        assert load_session(path)[1].step_count == 2
        await pilot.press("space", "e")
        await answer(pilot, str(path))
        assert "exists. Overwrite it?" in bar.line.plain
        await answer(pilot, "n")
        assert "unchanged" in " ".join(bar.message.plain_lines)
        assert load_session(path)[1].step_count == 2
        await pilot.press("e")
        await answer(pilot, str(path))
        await answer(pilot, "y")
        assert load_session(path)[1].step_count == 3
        await pilot.press("e")
        await answer(pilot, str(tmp_path / "no" / "such" / "dir.json"))
        assert bar.has_class("-error") and "Not written" in bar.reason
        await pilot.press("escape")
        await pilot.pause()
        assert "Nothing written" in " ".join(bar.message.plain_lines)


async def test_replayed_session_opens_at_the_same_step(tmp_path):
    s, e, path = session(tmp_path)
    s2, e2 = load_session(path)
    app = BptuiApp(e2, s2)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.engine.step_count == 10
        forward = app.query_one(ForwardPane).plain_lines
        await pilot.press("u")
        await pilot.pause()
        assert app.engine.params == e.params_at(9)
        await pilot.press("space")  # at the current rate 0.125, not the recorded 0.25
        await pilot.pause()
        assert app.engine.lr_at(10) == 0.125
        assert app.query_one(ForwardPane).plain_lines != forward


async def test_s_saves_the_scenario_with_the_current_rate(tmp_path):
    s = Scenario(layers=3, activation="relu", weights=(0.5, -0.5, 1.0))
    app = BptuiApp(make_engine(s), s)
    path = tmp_path / "s.toml"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "s")
        await answer(pilot, str(path))
        assert load_scenario(path) == Scenario(layers=3, activation="relu", weights=(0.5, -0.5, 1.0), lr=1.0)


# --- hostile files: each refused in one line that names the file, cheaply ---------------


def refusal(path, **kw) -> str:
    with pytest.raises(SessionError) as err:
        load_session(path, **kw)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    return msg


def with_header(tmp_path, **values):
    """A session file whose header values are replaced by raw JSON text."""
    _, _, path = session(tmp_path)
    data = json.loads(path.read_text())
    parts = [f'"{k}": {values.pop(k) if k in values else json.dumps(v)}' for k, v in data.items()]
    parts += [f'"{k}": {v}' for k, v in values.items()]
    path.write_text("{" + ", ".join(parts) + "}\n")
    return path


def test_the_same_default_as_the_command_line():
    from bptui.cli import DEFAULT_MAX_HISTORY
    from bptui.session import DEFAULT_MAX_STEPS

    assert DEFAULT_MAX_STEPS == DEFAULT_MAX_HISTORY


def test_the_size_limit_holds_the_widest_network_s_sessions(tmp_path):
    from bptui.session import MAX_STEP_BYTES, size_limit

    worst_row = json.dumps([-2.2250738585072014e-308] * 19)  # 16 parameters, J, lr, rule
    assert len(worst_row) + len(", ") <= MAX_STEP_BYTES
    s = Scenario(layers=8, biases=(-1.2345678901234567e-300,) * 8, weights=(-2.2250738585072014e-308,) * 8)
    _, e, path = session(tmp_path, s, steps=(300, 200))
    assert load_session(path, max_steps=500)[1].step_count == 500
    assert path.stat().st_size <= size_limit(500)


@pytest.mark.parametrize(
    "values, reason",
    [
        ({"scenario": "[" * 30_000 + "]" * 30_000}, "nested too deeply"),
        ({"scenario": "[" * 300 + "]" * 300}, "expected a table of settings, got a list"),
        ({"columns": "[" * 300 + "]" * 300}, "its columns [[[[...]]]] do not fit"),
    ],
    ids=["30,000 levels", "300 levels", "300 levels of columns"],
)
def test_deep_nesting_is_refused(tmp_path, values, reason):
    assert reason in refusal(with_header(tmp_path, **values))


def test_deep_nesting_in_the_history_is_refused(tmp_path):
    _, _, path = session(tmp_path)
    text = path.read_text()
    for row, reason in (("[" * 300 + "]" * 300 + ", 1, 2, 3, 4", "history row 2 holds something that is not a number"),
                        # the C scanner gives up at Python's recursion limit (1,000) before the row's 1,024 characters end
                        ("[" * 100_000 + "]" * 100_000 + ", 1, 2, 3, 4", "damaged: nested too deeply"),
                        ("true, 1, 2, 3, 4", "history row 2 holds something that is not a number"),
                        ("1, 2, 3, 4, " * 100 + "5", "history row 2 is longer than any bptui network's")):  # fmt: skip
        rows = text.split("], [")
        rows[2] = row
        path.write_text("], [".join(rows))
        assert reason in refusal(path)


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_a_symlink_to_a_device_is_refused_unread(tmp_path, target):
    link = tmp_path / "s.json"
    link.symlink_to(target)
    assert refusal(link) == f"{link}: is a character device ({target}), not a regular file"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    import os

    fifo = tmp_path / "s.json"
    os.mkfifo(fifo)
    assert refusal(fifo) == f"{fifo}: is a named pipe (FIFO), not a regular file"


def test_a_file_larger_than_a_session_of_max_history_steps_is_refused_unread(tmp_path, monkeypatch):
    import bptui.safe_read as sr
    from bptui.session import size_limit

    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(size_limit(200_000) + 1)  # sparse: no disk, and nothing is read
    monkeypatch.setattr(sr.os, "read", lambda *a: pytest.fail("a file too large was read"))
    assert refusal(big, max_steps=200_000) == (
        f"{big}: too large: 102,466,049 bytes (a session of --max-history 200,000 steps takes at most 102,466,048 bytes)"
    )


def test_more_steps_than_max_history_are_refused_as_they_are_read(tmp_path, monkeypatch):
    import bptui.session as sm

    _, _, path = session(tmp_path)  # 10 steps
    assert refusal(path, max_steps=5) == f"{path} holds 10 steps, more than --max-history 5: give a larger --max-history"
    # rows 7 on are never looked at (so a file of millions is refused after max_steps + 1 rows)
    rows = path.read_text().split("], [")
    path.write_text("], [".join(rows[:7]) + "], [not JSON at all")
    edit_step = path.read_text().replace('"step": 10', '"step": 3')
    path.write_text(edit_step)
    converted = []
    real = sm._doubles
    monkeypatch.setattr(sm, "_doubles", lambda rows, src: converted.append(len(rows)) or real(rows, src))
    assert refusal(path, max_steps=5) == f"{path} holds more steps than --max-history 5: give a larger --max-history"
    assert converted == []  # refused before any row became doubles


def test_the_history_is_read_into_doubles_a_few_thousand_rows_at_a_time(tmp_path, monkeypatch):
    import bptui.session as sm

    _, e, path = session(tmp_path, Scenario(), steps=(9000, 1000))
    converted = []
    real = sm._doubles
    monkeypatch.setattr(sm, "_doubles", lambda rows, src: converted.append(len(rows)) or real(rows, src))
    assert load_session(path)[1].step_count == 10_000
    assert converted == [4096, 4096, 1809]  # never a Python list per number for the whole file


@pytest.mark.parametrize("key", ["version", "rule", "columns", "junk"])
def test_a_100_mb_value_outside_the_history_is_refused_by_its_length(tmp_path, key):
    value = '"' + "x" * 100_000_000 + '"' if key != "columns" else "[" + "0.5, " * 20_000_000 + "0]"
    msg = refusal(with_header(tmp_path, **{key: value}))
    assert msg.endswith("damaged: more than 65,536 characters outside the history (bptui writes a few hundred)")


@pytest.mark.parametrize(
    "key, shown",
    [
        ("version", "session version 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (60,000 characters)"),
        ("rule", "no update rule 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (60,000 characters)"),
        ("columns", "its columns ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (60,000 characters)] do not fit"),
    ],
)
def test_a_long_value_is_quoted_by_its_start_only(tmp_path, key, shown):
    long = '"' + "x" * 60_000 + '"'
    msg = refusal(with_header(tmp_path, **{key: f"[{long}]" if key == "columns" else long}))
    assert shown in msg and len(msg) < len(str(tmp_path)) + 200


def test_an_unreadable_file_names_itself_once(tmp_path, monkeypatch):
    import bptui.safe_read as sr

    _, _, path = session(tmp_path)

    def denied(p, flags):
        raise PermissionError(13, "Permission denied", str(p))

    monkeypatch.setattr(sr.os, "open", denied)
    assert refusal(path) == f"{path}: cannot be read: permission denied"
    monkeypatch.undo()
    assert refusal(tmp_path) == f"{tmp_path}: is a directory, not a regular file"
    path.write_bytes(b"\xff{}")
    assert refusal(path) == f"{path}: not UTF-8 text (byte 0 is 0xff)"
