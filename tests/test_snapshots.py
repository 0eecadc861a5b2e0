"""Snapshots at 80×24 (pytest-textual-snapshot). After a deliberate UI change,
look at the report, then accept with: pytest tests/test_snapshots.py --snapshot-update"""

from bptui.app import BptuiApp
from bptui.cli import make_engine
from bptui.scenario import Scenario


def app(**kw) -> BptuiApp:
    s = Scenario(**kw)
    return BptuiApp(make_engine(s), s)


def test_start(snap_compare):
    assert snap_compare(app(), terminal_size=(80, 24))


def test_after_three_steps(snap_compare):
    assert snap_compare(app(), press=["space", "space", "space"], terminal_size=(80, 24))


def test_help_screen(snap_compare):
    assert snap_compare(app(), press=["question_mark"], terminal_size=(80, 24))


def test_editing_the_rate_with_an_error(snap_compare):
    assert snap_compare(app(), press=["l", "backspace", "a", "b", "c", "enter"], terminal_size=(80, 24))


def test_six_layer_chain(snap_compare):
    a = app(layers=6)
    assert snap_compare(a, press=["space"], terminal_size=(80, 24))


def test_mazur_preset(snap_compare):
    a = app(preset="mazur")
    assert snap_compare(a, press=["space"], terminal_size=(80, 24))


def test_mistakes_comparison(snap_compare):
    assert snap_compare(app(), press=["m"] + ["space"] * 6, terminal_size=(80, 24))


def test_walk_mid_backward(snap_compare):
    # the forward pass (5), then dJ/do, do/dz2, dz2/dw2, dz2/dh: on dJ/dh
    assert snap_compare(app(), press=["full_stop"] * 9, terminal_size=(80, 24))


def test_landscape(snap_compare):
    assert snap_compare(app(), press=["v"] + ["space"] * 8, terminal_size=(80, 24))


def test_adam_mid_walk(snap_compare):
    # two steps taken, then the walk of the third on to w1's v̂: m, v, m̂ shown, the rest ·
    from bptui.walk import operations

    e = make_engine(Scenario(optimizer="adam"))
    e.step(2)
    at = next(i for i, op in enumerate(operations(e)) if op.kind == "moment" and op.slot == "v̂") + 1
    assert snap_compare(app(optimizer="adam"), press=["space", "space"] + ["full_stop"] * at, terminal_size=(80, 24))
