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
