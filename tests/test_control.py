"""The control channel's messages (bptui.control), with no app and no
server: what an app sends, what either end accepts, and what it drops."""

import math
import socket

from bptui.control import READ_AT_ONCE, AppState, ControlLink, decode, encode, message_text, state_of
from bptui.scenario import Scenario
from bptui.stepper import Stepper


def test_a_state_goes_through_a_packet_and_back():
    s = AppState(step=12, J=0.25, lr=0.5, modes=("walk", "predict"), right=2, asked=3, view="circuit")
    assert AppState.from_message(decode(encode(s.as_message()))) == s


def test_a_nan_cost_travels_as_null_and_comes_back_nan():
    s = AppState(step=1, J=math.nan, lr=0.5, modes=(), right=0, asked=0, view="panes")
    data = encode(s.as_message())
    assert b"null" in data and b"NaN" not in data
    assert math.isnan(AppState.from_message(decode(data)).J)


def test_states_no_app_sends_are_refused():
    good = AppState(3, 0.1, 0.5, (), 1, 1, "panes").as_message()
    for bad in (
        {**good, "step": -1}, {**good, "step": 1.5}, {**good, "step": True}, {**good, "right": 2},
        {**good, "J": "0.1"}, {**good, "modes": ["root"]}, {**good, "view": "\x1b[2J"}, {"kind": "state"},
    ):  # fmt: skip
        assert AppState.from_message(bad) is None, bad


def test_packets_that_are_not_objects_with_a_kind_are_dropped():
    for data in (b"", b"[]", b"{}", b'{"kind": 3}', b"\xff\xfe", b"[" * 100_000, b'{"kind":"x","t":"' + b"a" * 9000 + b'"}'):
        assert decode(data) is None


def test_a_class_message_is_one_short_printable_line():
    assert message_text({"kind": "message", "text": "look at\x1b[31m dJ/dw1\n now"}) == "look at [31m dJ/dw1  now"
    assert len(message_text({"kind": "message", "text": "x" * 1000})) == 200
    assert message_text({"kind": "message", "text": "\x07"}) is None
    assert message_text({"kind": "state", "text": "hi"}) is None


def test_state_of_a_stepper_is_its_step_cost_rate_and_modes():
    sc = Scenario()
    st = Stepper(sc.engine(), sc, files=False)
    st.step()
    st.step()
    st.walk(1)
    s = state_of(st)
    assert (s.step, s.J, s.lr, s.view) == (2, st.engine.loss, st.engine.lr, "panes")
    assert "walk" in s.modes and "play" not in s.modes


def test_a_link_drops_a_state_when_the_other_end_is_full_and_never_blocks():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    link = ControlLink(a)
    sent = sum(link.send({"kind": "state", "pad": "x" * 4000}) for _ in range(10_000))
    assert 0 < sent < 10_000 and not link.closed
    far = ControlLink(b)
    got = far.receive()
    assert len(got) == min(sent, READ_AT_ONCE) and got[0]["pad"] == "x" * 4000  # a turn's worth at most
    while got:
        sent -= len(got)
        got = far.receive()
    assert sent == 0  # every packet sent arrived whole; the dropped ones were never sent
    far.close()
    assert not link.send({"kind": "state"}) or link.closed
