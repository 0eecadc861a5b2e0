"""Every key of the stepper, once: what it does (the app's action), how the
Footer labels it and how the help explains it. The app's bindings, its key
router, the Footer and the help screen are all made from this table, so they
cannot disagree. UI-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len


@dataclass(frozen=True)
class Key:
    keys: tuple[str, ...]  # Textual's key names; any of them does it
    action: str  # the app's action, with its arguments: "scale_rate(2)"
    display: str  # how the help writes the key(s)
    help: str
    label: str = ""  # its word, in the Footer and in --help
    # the Footer shows the keys of the lowest ranks that fit its width; help
    # and quit come first, so that no width hides them (IN_FOOTER: never)
    rank: int = 99
    footer_key: str = ""  # how the Footer writes the key, if not as the help does
    # a pane's own key: it does this only while that pane has focus (there
    # the Footer shows it first); elsewhere arrows scroll as usual
    pane: str = ""


KEYS: tuple[Key, ...] = (
    Key(("space", "n"), "step", "space, n", "one step: forward, backward, then every weight updated from the same gradients", "Step", 2, "space"),
    Key(("full_stop",), "walk(1)", ".  ,", "walk: one operation of the step forward / back (forward nodes, each chain-rule factor, each update, and each line of momentum's or Adam's); , right after a walk completes its step goes back into it", "Walk", 3, ". ,"),
    Key(("comma",), "walk(-1)", ",", "(with .) one operation back", "back"),
    Key(("l",), "edit_rate", "l", "type a new learning rate (Enter sets it, Escape cancels)", "Rate", 4),
    Key(("equals_sign",), "edit_value", "=", "set any value by hand: name = value (w1 = 1.5, x = 3, y = 0.5, b2 = -0.1, lr = 0.25); everything is recomputed at once, Tab completes the name, u takes it back", "Set", 8),
    Key(("plus",), "scale_rate(2)", "+  -", "double or halve the learning rate", "×2", 9, "+"),
    Key(("minus",), "scale_rate(0.5)", "-", "(with +) halve the learning rate", "÷2", 10, "-"),
    Key(("u", "backspace"), "undo", "u, backspace", "undo one step or one value set with = (bit for bit); right after r, undo the reset", "Undo", 5, "u"),
    Key(("r",), "reset", "r", "reset to step 0 and the values the run started from (the learning rate stays; u brings the steps back)", "Reset", 6),
    Key(("p",), "play", "p", "play and pause continuous steps", "Play"),
    Key(("greater_than_sign",), "change_speed(1)", "<  >", "slower / faster play", "faster"),
    Key(("less_than_sign",), "change_speed(-1)", "<", "(with >) slower play", "slower"),
    Key(("j",), "jump", "j", "jump a number of steps at once (u still steps back one at a time)", "Jump"),
    Key(("t",), "toggle_log_steps", "t", "the chart's step axis: linear / logarithmic (1, 10, 100, 1k… evenly spaced, so a long run's first steps and its tail both show)", "Log steps"),
    Key(("g",), "toggle_check", "g", "show or hide the finite-difference check beside each gradient", "Check"),
    Key(("m",), "next_rule", "m", "the question's mistakes: its own update rule, then the answer's slip, then correct again", "Mistakes"),
    Key(("right_square_bracket",), "choose(1)", "[  ]", "the previous / next parameter's chain (networks with more than two)", "Weight", 7, "[ ]"),
    Key(("left_square_bracket",), "choose(-1)", "[", "(with ]) the previous parameter's chain", "previous"),
    Key(("x",), "toggle_predict", "x  X", "predict mode: the walk (.) asks for each number before it shows it, and space for the gradients and new weights; an answer is right within 0.5 % and to the digits typed (1.54 for 1.542641, not 1.5); a wrong one gets a hint (the rule, then the numbers, then the answer); Enter alone gives up. X: ask every operation, the gradients only or the updates only", "Predict", 11),
    Key(("X",), "change_asks", "X", "(with x) what predict mode asks", "Asks"),
    Key(("c",), "toggle_view('circuit')", "c", "the circuit: every gate of the network on its wires, each wire's value and its gradient ∂ = dJ/d(wire), and the rule each gate applies to ∂; it takes the place of all the panes (c again: the panes)", "Circuit", 12),
    Key(("k",), "toggle_view('code')", "k", "the next step as code: the forward pass, each factor and each dJ/dn as a line of the chain rule, the updates, each line with its value now (a walk marks its line); it takes the place of all the panes (k again: the panes)", "Code", 13),
    Key(("v",), "toggle_landscape", "v", "the loss landscape: J over a grid of two weights, the path so far and where you are; v again: the chart", "Landscape"),
    Key(("right_curly_bracket",), "landscape_y(1)", "{  }", "in the landscape, the weight on the vertical axis ([ ] chooses the horizontal one)", "Landscape y"),
    Key(("left_curly_bracket",), "landscape_y(-1)", "{", "(with }) the previous vertical weight", "previous y"),
    Key(("e",), "export", "e", "export the session (scenario and every step) to a JSON file; bptui --replay reopens it", "Export"),
    Key(("s",), "save_scenario", "s", "save the scenario (its starting point and the current rate) to a TOML file", "Save"),
    Key(("up",), "select(-1)", "↑  ↓", "with the forward pane focused (Tab), or in the circuit (c): choose the value to nudge (an input, a target, a weight or a bias)", "Value", 0, "↑↓", pane="forward"),
    Key(("down",), "select(1)", "↓", "(with ↑) the next value", pane="forward"),
    Key(("left",), "nudge(-1)", "←  →", "with the forward pane focused, or in the circuit: nudge the chosen value down / up by the step its border shows; J, every factor and the check follow at once, and ΔJ and ΔJ/Δw (beside dJ/dw) show until the next key; u takes a nudge back", "Nudge", 1, "←→", pane="forward"),
    Key(("right",), "nudge(1)", "→", "(with ←) nudge up", pane="forward"),
    Key(("asterisk",), "change_nudge_step(1)", "*  /", "with the forward pane focused, or in the circuit: the nudge's step ×10 / ÷10 (0.1 at first; 1 down to 0.000001)", "Step", 2, "* /", pane="forward"),
    Key(("slash",), "change_nudge_step(-1)", "/", "(with *) a tenth of the step", pane="forward"),
    Key(("question_mark",), "help", "?", "this help", "Help", 0),
    Key(("q",), "quit", "q", "quit (with steps taken, q asks once: q again quits, any other key stays)", "Quit", 1),
    Key(("ctrl+c", "ctrl+q"), "quit_now", "Ctrl-C, Ctrl-Q", "quit at once", "Quit now"),
)

# keys that only move around the screen: Textual's own handling (focus,
# scrolling) takes them
NAVIGATION = ("tab", "shift+tab", "up", "down", "left", "right", "pageup", "pagedown", "home", "end")

IN_FOOTER = 99  # a rank below this puts a key in the Footer
BY_KEY: dict[str, Key] = {name: k for k in KEYS for name in k.keys if not k.pane}
# the keys of each pane, while it has focus
PANE_KEYS: dict[str, dict[str, Key]] = {
    pane: {name: k for k in KEYS if k.pane == pane for name in k.keys} for pane in {k.pane for k in KEYS if k.pane}
}

# what the help lists: one row a row of keys (the partners of a pair, such as
# - beside +, are written in their partner's row)
HELP_ROWS: tuple[tuple[str, str], ...] = tuple(
    (k.display, k.help) for k in KEYS if not k.help.startswith("(with ")
) + (
    ("Enter, Escape", "answer / cancel the question the bottom line asks (a rate, a jump, a value, a file name)"),
    ("Tab", "move between panes (the focused one has a heavy border); arrows and page keys scroll a long one"),
)


def footer_cells(shown: str, label: str) -> int:
    """Cells a key takes in the Footer: ' key ' then 'label '."""
    return cell_len(shown) + 2 + cell_len(label) + 1


def footer_width(k: Key) -> int:
    return footer_cells(k.footer_key or k.display, k.label)


ANSWER_KEYS = (("enter", "⏎", "Answer"), ("escape", "esc", "Cancel"))  # while a question is asked
ALWAYS = ("help", "quit")  # on every width, before anything else


def footer_row(width: int, available: set[str] | None = None, pane: str = "") -> tuple[Key, ...]:
    """The keys the Footer shows, in its order: the focused pane's own keys,
    then the stepper's in the table's order. Chosen so that help and quit
    fit first, then the pane's keys, then the lowest ranks that still fit."""
    candidates = [
        k
        for k in KEYS
        if k.rank < IN_FOOTER and (k.pane == pane if k.pane else available is None or k.action in available)
    ]

    def priority(k: Key) -> tuple[int, int]:
        return (0 if k.action in ALWAYS else 1 if k.pane else 2, k.rank)

    chosen: set[int] = set()
    used = 0
    for k in sorted(candidates, key=priority):
        if used + footer_width(k) <= width:
            chosen.add(id(k))
            used += footer_width(k)
    return tuple(k for k in sorted(candidates, key=lambda k: (not k.pane,)) if id(k) in chosen)


def key_summary() -> str:
    """One line of every key and its word, for --help."""
    return " · ".join(f"{k.display.replace('  ', ' ')} {k.label.lower()}" for k in KEYS if not k.help.startswith("(with "))
