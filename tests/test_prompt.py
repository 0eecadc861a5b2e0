"""The prompt model, with no terminal: keys in, text and outcomes out."""

from bptui.prompt import MAX_ANSWER, Outcome, Prompt


def typed(prompt: Prompt, text: str) -> None:
    for ch in text:
        prompt.key(ch, ch)


def test_typing_replaces_the_selected_default_and_enter_submits():
    got = []
    p = Prompt("rate:", "0.5", lambda t: got.append(t))
    typed(p, "0.125")
    assert p.text == "0.125" and p.cursor == 5
    assert p.key("enter") is Outcome.SUBMITTED and p.closed and got == ["0.125"]


def test_a_movement_key_keeps_the_default_and_edits_in_place():
    p = Prompt("jump:", "1000")
    assert p.key("left") is Outcome.EDITED
    typed(p, "5")
    assert p.text == "10050" and p.cursor == 4
    p.key("home")
    p.key("delete")
    assert p.text == "0050"
    p.key("end")
    p.key("backspace")
    assert p.text == "005"


def test_backspace_on_the_fresh_default_clears_it():
    p = Prompt("file:", "scenario.toml")
    p.key("backspace")
    assert p.text == "" and p.cursor == 0


def test_a_refused_answer_keeps_the_prompt_open_with_the_reason():
    p = Prompt("rate:", "0.5", lambda t: None if t == "1" else "must be 1")
    typed(p, "2")
    assert p.key("enter") is Outcome.REFUSED and not p.closed and p.reason == "must be 1"
    p.key("backspace")
    typed(p, "1")
    assert p.key("enter") is Outcome.SUBMITTED and p.closed


def test_escape_cancels_and_calls_back():
    cancelled = []
    p = Prompt("rate:", "0.5", on_cancel=lambda: cancelled.append(True))
    assert p.key("escape") is Outcome.CANCELLED and p.closed and cancelled == [True]
    assert p.key("1", "1") is Outcome.IGNORED  # a closed prompt takes nothing


def test_the_answer_is_bounded_and_a_long_paste_is_cut_with_a_reason():
    p = Prompt("rate:", "")
    p.paste("1" * 10_000_000)
    assert len(p.text) == MAX_ANSWER and "at most 256 characters" in p.reason
    assert p.key("1", "1") is Outcome.EDITED and len(p.text) == MAX_ANSWER


def test_a_paste_is_one_line_of_printable_text():
    p = Prompt("file:", "x")
    p.paste("a\nb\x1b[31mc\t")
    assert p.text == "a b[31mc"


def test_non_text_keys_are_ignored():
    p = Prompt("rate:", "0.5")
    assert p.key("up") is Outcome.IGNORED and p.key("f5") is Outcome.IGNORED
    assert p.text == "0.5" and p.fresh


def test_kill_keys():
    p = Prompt("file:", "")
    typed(p, "some dir/name")
    p.key("ctrl+w")
    assert p.text == "some "
    p.key("ctrl+u")
    assert p.text == ""


def test_tab_completes_when_the_prompt_can():
    p = Prompt("set:", "", complete=lambda t: "w1 = " if t == "w" else None)
    typed(p, "w")
    p.key("tab")
    assert p.text == "w1 = " and p.cursor == 5
    typed(p, "1")
    assert p.text == "w1 = 1"


def test_a_paste_into_a_full_answer_changes_nothing_and_says_so():
    p = Prompt("rate:", "")
    assert p.paste("1" * 1000) is Outcome.EDITED
    # the rest of a flood: nothing to redraw for each of its chunks
    assert p.paste("1" * 1000) is Outcome.IGNORED
    assert len(p.text) == MAX_ANSWER
