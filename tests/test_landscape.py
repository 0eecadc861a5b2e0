import math
import sys
import warnings

import numpy as np
import pytest

from bptui.cli import make_engine
from bptui.landscape import HERE, RAMP, TRAIL, Landscape
from bptui.scenario import Scenario


@pytest.mark.parametrize(
    "kw", [{}, {"preset": "mazur"}, {"loss": "bce", "y": 0.3}, {"layers": 3, "activation": "relu", "biases": (0, 0, 0)}]
)
def test_grid_equals_the_scalar_loss_everywhere(kw):
    s = Scenario(**kw)
    net = s.network()
    p = s.initial_params()
    a, b = np.meshgrid(np.linspace(-900, 900, 9), np.linspace(-4, 4, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = net.loss_grid(p, 0, 1, a, b)
    for r in range(a.shape[0]):
        for c in range(a.shape[1]):
            q = list(p)
            q[0], q[1] = a[r, c], b[r, c]
            want = net.evaluate(q).loss
            assert grid[r, c] == pytest.approx(want, rel=1e-12) or (np.isinf(want) and np.isinf(grid[r, c]))


def test_frame_shows_the_path_and_the_current_point():
    e = make_engine(Scenario())
    land = Landscape(e)
    e.step(10)
    f = land.frame(40, 12)
    assert len(f.cells) == 12 and all(len(r) == 40 for r in f.cells)
    text = "".join(f.cells)
    assert text.count(HERE) == 1 and text.count(TRAIL) >= 5
    # the current point's cell holds the current weights
    cx, cy = f.here
    x0, x1, y0, y1 = f.box
    w1, w2 = e.params
    assert x0 + cx * (x1 - x0) / 40 <= w1 <= x0 + (cx + 1) * (x1 - x0) / 40
    assert y1 - (cy + 1) * (y1 - y0) / 12 <= w2 <= y1 - cy * (y1 - y0) / 12
    # levels: J rises toward the bottom of this view (small w2), so the ramp does too
    assert set("".join(f.cells[-1])) - {TRAIL} <= set(RAMP[-3:])


def test_the_grid_is_computed_again_only_when_the_view_must_move():
    e = make_engine(Scenario())
    land = Landscape(e)
    e.step(30)
    land.frame(40, 12)
    n = land.recomputes
    for _ in range(5):
        e.step()
        land.frame(40, 12)
    assert land.recomputes == n  # the point stayed inside: same box, same grid
    e.step(5000)
    land.frame(40, 12)
    assert land.recomputes == n + 1  # it walked out: the view moved once
    land.frame(30, 10)
    assert land.recomputes == n + 2  # a new size


def test_undo_takes_the_path_back():
    e = make_engine(Scenario())
    land = Landscape(e)
    e.step(20)
    before = land.frame(40, 12)
    e.step(3)
    land.frame(40, 12)
    e.undo(3)
    after = land.frame(40, 12)
    assert after.box == before.box and after.cells == before.cells


def test_axes_for_a_bigger_network():
    e = make_engine(Scenario(preset="mazur"))
    land = Landscape(e)
    land.set_axes(4, 6)
    f = land.frame(20, 8)
    assert (f.x_name, f.y_name) == ("w5", "w7")
    with pytest.raises(ValueError):
        land.set_axes(2, 2)


@pytest.mark.parametrize("w1", [1.7e308, -1.7e308, 1e308, 8e307, sys.float_info.max, -sys.float_info.max])
def test_weights_near_the_largest_double_draw_without_a_warning(w1):
    """The box's width can exceed the doubles though its ends do not: it is
    kept inside them, and the current point is still shown."""
    e = make_engine(Scenario(activation="linear", weights=(w1, 1e-308), y=0.0, x=1.0))
    land = Landscape(e)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = land.frame(30, 10)
        x0, x1, y0, y1 = f.box
        assert all(math.isfinite(v) for v in f.box) and x0 <= w1 <= x1 and y0 <= 1e-308 <= y1
        assert f.here is not None and f.cells[f.here[1]][f.here[0]] == "◉"
        before = land.recomputes
        land.frame(30, 10)
        assert land.recomputes == before  # the view did not need to move
