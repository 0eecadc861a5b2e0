"""A session's text cut into packets and put back together (bptui.session_transfer):
whole and in order, never past the cap."""

import json

import pytest

from bptui.control import MAX_PACKET, decode, encode
from bptui.scenario import Scenario
from bptui.session import load_session, session_text
from bptui.session_transfer import CHUNK, SessionReceiver, TransferError, session_packets


def test_a_session_crosses_in_packets_and_replays_bit_for_bit(tmp_path):
    sc = Scenario()
    e = sc.engine()
    e.step(500)
    text = session_text(e, sc)
    packets = session_packets("hand-in", text)
    assert len(packets) == -(-len(text) // CHUNK) > 1
    r = SessionReceiver(tmp_path / "in.json", 10 * len(text))
    got = [r.take(decode(encode(m))) for m in packets]
    assert got == [None] * (len(packets) - 1) + ["hand-in"]
    assert (tmp_path / "in.json").read_text() == text
    _, again = load_session(tmp_path / "in.json")
    assert again.step_count == 500 and again.loss == e.loss and again.lr == e.lr


def test_every_packet_fits_even_when_all_of_it_needs_escaping():
    worst = '"\\' * CHUNK
    assert all(len(encode(m)) <= MAX_PACKET for m in session_packets("keep", worst))


def test_parts_out_of_order_or_past_the_cap_drop_the_transfer(tmp_path):
    packets = session_packets("keep", "x" * (3 * CHUNK))
    r = SessionReceiver(tmp_path / "k.json", 10 * CHUNK)
    r.take(packets[0])
    with pytest.raises(TransferError, match="out of order"):
        r.take(packets[2])
    assert not (tmp_path / "k.json").exists()
    small = SessionReceiver(tmp_path / "s.json", 2 * CHUNK)
    small.take(packets[0])
    small.take(packets[1])
    with pytest.raises(TransferError, match="larger than"):
        small.take(packets[2])
    assert not (tmp_path / "s.json").exists()
    # a new transfer starts clean after a dropped one
    assert [small.take(m) for m in session_packets("keep", "abc")] == ["keep"]
    assert (tmp_path / "s.json").read_text() == "abc"


@pytest.mark.parametrize("bad", [
    {"purpose": "steal", "part": 0, "last": True, "text": ""},
    {"purpose": "keep", "part": "0", "last": True, "text": ""},
    {"purpose": "keep", "part": 0, "last": 1, "text": ""},
    {"purpose": "keep", "part": 0, "last": True, "text": 5},
])
def test_a_packet_of_another_shape_is_refused(tmp_path, bad):
    with pytest.raises(TransferError):
        SessionReceiver(tmp_path / "x.json", 100).take({"kind": "session", **bad})
    assert json.dumps(bad)  # (the shapes are JSON an app could send)
