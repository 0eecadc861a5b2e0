"""The start gate (bptui.serve.start_gate): children wait at a pipe until a
slot is free; a slot ends when the child closes its end (its first screen
is drawn), dies, or has had its time. Real pipes, explicit clocks."""

from __future__ import annotations

import os

from bptui.serve.start_gate import StartGate


class Child:
    """The child's ends of its two pipes, as the template makes them."""

    def __init__(self) -> None:
        self.go_r, self.go_w = os.pipe()
        self.started_r, self.started_w = os.pipe()
        os.set_blocking(self.go_r, False)

    def may_go(self) -> bool:
        try:
            return os.read(self.go_r, 1) == b""  # EOF: the gate closed its end
        except BlockingIOError:
            return False

    def first_screen_drawn(self) -> None:
        os.close(self.started_w)


def test_as_many_start_as_there_are_slots_and_the_next_when_one_has_drawn():
    gate = StartGate(slots=2, slot_seconds=2.0)
    children = [Child() for _ in range(4)]
    watched = []
    for c in children:
        watched += gate.add(c.go_w, c.started_r, now=0.0)
    assert [c.may_go() for c in children] == [True, True, False, False]
    assert watched == [children[0].started_r, children[1].started_r]
    children[1].first_screen_drawn()
    assert os.read(children[1].started_r, 1) == b""  # what the template's selector hears
    assert gate.end(children[1].started_r, now=0.5) == [children[2].started_r]
    assert [c.may_go() for c in children[2:]] == [True, False]
    assert gate.late(now=1.9) == [] and gate.next_deadline() == 2.0
    # the first never says it has drawn: its slot ends at its time
    assert gate.late(now=2.0) == [children[0].started_r]
    assert gate.end(children[0].started_r, now=2.0) == [children[3].started_r]
    assert children[3].may_go()
    gate.close()
    assert not gate.waiting and not gate.starting


def test_a_child_that_died_waiting_frees_its_slot_at_once():
    gate = StartGate(slots=1)
    first, second = Child(), Child()
    gate.add(first.go_w, first.started_r, now=0.0)
    gate.add(second.go_w, second.started_r, now=0.0)
    os.close(second.go_r)  # the second died while it waited
    os.close(second.started_w)
    first.first_screen_drawn()
    assert gate.end(first.started_r, now=0.1) == [second.started_r]  # closing a dead child's go is harmless
    assert os.read(second.started_r, 1) == b""  # EOF at once: its slot ends too
    assert gate.end(second.started_r, now=0.1) == []
    assert gate.next_deadline() is None


def test_closing_the_gate_lets_every_waiting_child_go():
    gate = StartGate(slots=1)
    children = [Child() for _ in range(3)]
    for c in children:
        gate.add(c.go_w, c.started_r, now=0.0)
    gate.close()
    assert all(c.may_go() for c in children)
