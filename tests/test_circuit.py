"""The circuit (bptui.circuit), with no screen: every wire's value and
gradient as shown, read back from the rows and checked against the reference
numbers (the question) and against the engine's trace (every network bptui
builds); the layout fits its width; a walk's marks."""

from __future__ import annotations

import math

import pytest

from bptui.circuit import GRAD, PART, PENDING, SHARED, SUM, CircuitLayout, Row, gate_rule
from bptui.engine import Engine
from bptui.networks import chain_network, mazur_network
from bptui.walk import operations, view
from tests.reference import FACTORS, GRADS, START

WIDTH = 76  # the circuit's content at 80 columns


def number(text: str) -> float:
    return float(text.strip().replace("−", "-"))


def agrees(shown: str, exact: float, digits: int) -> bool:
    """shown is exact rounded to `digits` significant digits."""
    v = number(shown)
    if exact == 0:
        return v == 0
    return abs(v - exact) <= 0.5 * 10 ** (math.floor(math.log10(abs(exact))) - digits + 1) * 1.000001


def significant(text: str) -> int:
    """How many significant digits a shown number has (fmt keeps its zeros)."""
    mantissa = text.strip().lstrip("−").split("e")[0].replace(".", "")
    return len(mantissa.lstrip("0")) or len(mantissa)  # 0.000000: 7


def wires(rows: list[Row]) -> dict[str, dict]:
    """Each wire's shown value, gradient and mark (from its gate's output
    row, or its leaf's row), and the gradient parts shown where a wire is
    drawn again into a gate of another column. A row of a band holds the
    rows of several gates side by side: each starts at a name."""
    out: dict[str, dict] = {}
    for row in rows:
        entry = None
        for piece in row.pieces:
            text = piece.text
            if piece.kind == "name":
                if "=" in text:  # a gate's formula and its rule
                    entry = None
                    continue
                current = {"value": None, "grad": None, "mark": "", "part": False}
                entry = current
                out.setdefault(text.strip(), []).append(current)
            elif entry is None:
                continue
            elif piece.kind == "mark" and text.strip() == PART + GRAD:
                entry["part"] = True
            elif piece.kind == "mark":
                entry["mark"] = text
            elif piece.kind in ("value", "grad", "pending"):
                slot = "value" if entry["value"] is None else "grad"
                entry[slot] = text
    merged = {}
    for name, seen in out.items():
        own = [w for w in seen if not w["part"]]
        # a wire drawn twice (Mazur's i1 into two gates, E1 into E) reads
        # alike in both, to the digits the narrower shows
        for w in own[1:]:
            if PENDING not in w["value"] + own[0]["value"]:
                digits = min(significant(w["value"]), significant(own[0]["value"]))
                assert agrees(w["value"], number(own[0]["value"]), digits) or agrees(own[0]["value"], number(w["value"]), digits)
        best = max(own, key=lambda w: significant(w["value"]) if PENDING not in w["value"] else 0)
        merged[name] = {k: v for k, v in best.items() if v is not None}
        merged[name]["parts"] = [w["grad"] for w in seen if w["part"]]
    return merged


def engine_of(net) -> Engine:
    """Weights spread over 0.3…, so no two wires read alike."""
    return Engine(net, [0.3 + 0.1 * i for i in range(len(net.params))], 0.5)


def test_the_questions_circuit_shows_the_reference_numbers():
    net = chain_network()
    e = Engine(net, [START["w1"], START["w2"]], 0.5)
    shown = wires(CircuitLayout(net, WIDTH).rows(e.trace))
    for name in ("w1", "w2", "z1", "h", "z2", "o", "J"):
        assert agrees(shown[name]["value"], START[name], 7), name
    # the adjoints, multiplied out here from the reference factors
    dJ_do = FACTORS[("J", "o")]
    dJ_dz2 = dJ_do * FACTORS[("o", "z2")]
    dJ_dh = dJ_dz2 * FACTORS[("z2", "h")]
    dJ_dz1 = dJ_dh * FACTORS[("h", "z1")]
    expected = {"J": 1.0, "o": dJ_do, "z2": dJ_dz2, "h": dJ_dh, "z1": dJ_dz1, **GRADS}
    for name, g in expected.items():
        assert agrees(shown[name]["grad"], g, 7), name
    # the figures for step 0
    assert shown["z2"]["grad"] == "−1.747735" and shown["h"]["grad"] == "−0.03626891"
    assert shown["z1"]["grad"] == "−0.005263426"
    # the gradient o, z2 and J carry is reused by both weights' gradients
    assert {n for n, w in shown.items() if SHARED in w.get("mark", "")} == {"J", "o", "z2"}
    assert "x" in shown and "grad" not in shown["x"]  # an input is no parameter's path


NETWORKS = [
    ("question", chain_network()),
    ("one layer", chain_network(1)),
    ("three, biases, bce", chain_network(3, biases=True, loss="bce", y=1.0)),
    ("five tanh", chain_network(5, activation="tanh", y=0.5)),
    ("eight relu", chain_network(8, activation="relu")),
    ("four linear half-se", chain_network(4, activation="linear", loss="half-se")),
    ("mazur", mazur_network()),
]


@pytest.mark.parametrize("width", [WIDTH, 36], ids=["80 columns", "40 columns"])
@pytest.mark.parametrize("name,net", NETWORKS, ids=[n for n, _ in NETWORKS])
def test_every_wire_shows_the_engines_numbers(name, net, width):
    """Side by side at 80 columns; at 40, a band's gates one under another
    and 4 digits, and still no row wider than the circuit."""
    e = engine_of(net)
    e.step(3)
    t = e.trace
    layout = CircuitLayout(net, width)
    rows = layout.rows(t)
    shown = wires(rows)
    for node in net.nodes:
        w = shown[node.name]
        # 7 digits where a gate has the width to itself, 4 side by side
        digits = significant(w["value"])
        assert digits in (4, 7)
        assert agrees(w["value"], t.values[node.name], digits), node.name
        if node.name in t.adjoints:
            assert agrees(w["grad"], t.adjoints[node.name], digits), node.name
        else:
            assert "grad" not in w
    for p in net.params:
        assert any(p in r.params for r in rows)  # a parameter's wire can be scrolled to
    # no row wider than the circuit (a wide gate's rule is cut at its commas)
    assert max(len(r.text) for r in rows if not any(p.kind == "rule" for p in r.pieces)) <= width


def test_where_paths_meet_their_parts_add():
    """Mazur's hidden units feed both outputs: their gradient is marked Σ,
    and the part drawn where a unit's wire enters the other column's gate,
    with the part down its own column, adds up to it."""
    net = mazur_network()
    e = engine_of(net)
    t = e.trace
    shown = wires(CircuitLayout(net, WIDTH).rows(t))
    for unit in ("h1", "h2"):
        assert SUM in shown[unit]["mark"]
        other = ("zo2", "h1") if unit == "h1" else ("zo1", "h2")
        (part,) = shown[unit]["parts"]
        assert agrees(part, t.adjoints[other[0]] * t.factors[other], 4)
        own = ("zo1", "h1") if unit == "h1" else ("zo2", "h2")
        assert math.isclose(t.adjoints[own[0]] * t.factors[own] + t.adjoints[other[0]] * t.factors[other], t.adjoints[unit])


def test_each_gate_says_what_it_does_to_the_gradient():
    net = chain_network(2, biases=True)
    by = net.by_name
    assert gate_rule(net, by["h"]) == f"σ′: {GRAD}z1 = {GRAD}h·h(1 − h)"
    assert gate_rule(net, by["z2"]).startswith("+ hands on, × swaps: ")
    assert f"{GRAD}w2 = {GRAD}z2·h" in gate_rule(net, by["z2"])
    assert f"{GRAD}b2 = {GRAD}z2" in gate_rule(net, by["z2"])  # + hands it on unchanged
    assert gate_rule(chain_network(), chain_network().by_name["z1"]) == f"× swaps: {GRAD}w1 = {GRAD}z1·x"


@pytest.mark.parametrize("name,net", NETWORKS[:1] + NETWORKS[-1:], ids=["question", "mazur"])
def test_a_walk_shows_what_it_has_computed_and_marks_where_it_is(name, net):
    e = engine_of(net)
    ops = operations(e)
    layout = CircuitLayout(net, WIDTH)
    for k in range(1, len(ops)):
        walk = view(ops, k)
        rows = layout.rows(e.trace, walk)
        shown = wires(rows)
        assert sum(r.current for r in rows) >= 1, ops[k - 1]
        for node in net.nodes:
            if node.kind == "op":
                assert (shown[node.name]["value"] == PENDING.rjust(len(shown[node.name]["value"]))) != (node.name in walk.values)
            if node.name in e.trace.adjoints and node.name != net.loss:
                pending = shown[node.name]["grad"].strip() == PENDING
                assert pending != (node.name in walk.adjoints), (k, node.name)
