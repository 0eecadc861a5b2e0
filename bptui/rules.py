"""Update rules: the correct one, and the two mistakes from the question's
thread, so a learner can run them and see what they do. A rule says, for each
weight it moves, what the learning rate multiplies; the compiled step loop and
the screen both read that one definition. This module never imports Textual."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bptui.graph import Network, Trace


@dataclass(frozen=True)
class UpdateRule:
    name: str
    title: str
    wrong: str = ""  # what is wrong with it, in words ("" for the correct rule)
    # weight -> the expression lr multiplies (node names, g_<param> for a
    # gradient); None: every parameter by its own gradient. A weight left out
    # is not updated.
    amounts: dict[str, str] | None = None
    formulas: dict[str, str] = field(default_factory=dict)  # weight -> the amount as the screen writes it

    @property
    def correct(self) -> bool:
        return self.amounts is None

    def amount_of(self, param: str, network: Network) -> str | None:
        """The python expression lr multiplies for `param` (in the compiled
        code's names), or None if this rule leaves it alone."""
        if self.amounts is None:
            return f"g_{param}"
        expr = self.amounts.get(param)
        if expr is None:
            return None
        return re.sub(r"\b[A-Za-z_]\w*\b", lambda m: _name(m.group(0), network), expr)

    def formula_of(self, param: str, loss: str) -> str | None:
        if self.amounts is None:
            return f"d{loss}/d{param}"
        return self.formulas.get(param)

    def amounts_at(self, trace: Trace) -> dict[str, float]:
        """What lr multiplies for each weight this rule moves, at a state."""
        net = trace.network
        names = {f"v_{k}": v for k, v in trace.values.items()}
        names.update({f"g_{k}": v for k, v in trace.adjoints.items()})
        out = {}
        for p in net.params:
            expr = self.amount_of(p, net)
            if expr is not None:
                out[p] = eval(expr, {"__builtins__": {}}, names)  # our own expressions, never user text
        return out


def _name(word: str, network: Network) -> str:
    if word in network.by_name:
        return f"v_{word}"
    if word.startswith("g_") and word[2:] in network.by_name:
        return word
    return word


CORRECT = UpdateRule("correct", "correct rule")
QUESTION = UpdateRule(
    "question",
    "question's rule",
    # the question's line: w2 -= 0.5 * 2 * cost_function_output * h * sigmoid_derivative(o)
    wrong="J used where 2(o − y) belongs; w1 never moves",
    amounts={"w2": "2.0 * J * h * (o * (1.0 - o))"},
    formulas={"w2": "2·J·h·o(1−o)"},
)
ANSWER = UpdateRule(
    "answer",
    "answer's slip",
    # the answer's last line: W1 -= learning_rate*dW2
    wrong="w1 moves by dJ/dw2, not by its own dJ/dw1",
    amounts={"w2": "g_w2", "w1": "g_w2"},
    formulas={"w2": "dJ/dw2", "w1": "dJ/dw2"},
)


def is_question_network(network: Network) -> bool:
    names = [n.name for n in network.nodes]
    ops = {n.name: n.op for n in network.nodes}
    return (
        names == ["x", "w1", "z1", "h", "w2", "z2", "o", "y", "J"]
        and ops["h"] == ops["o"] == "sigmoid"
        and ops["J"] == "se"
    )


def rules_for(network: Network) -> tuple[UpdateRule, ...]:
    """The rules m cycles through: the mistakes exist for the question's network."""
    if is_question_network(network):
        return (CORRECT, QUESTION, ANSWER)
    return (CORRECT,)
