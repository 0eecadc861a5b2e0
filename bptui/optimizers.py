"""Optimizers: what a step does with a parameter's gradient.

Plain gradient descent moves w by −lr·g. Momentum and Adam keep state for
each parameter (a velocity; two moments) and move w by something else. Each
optimizer is written once, as lines: what a line computes, its Python (for
the compiled step, which runs it), its formula and its numbers (for the
screen and the walk, which evaluate the same Python, so the two agree bit
for bit). As PyTorch computes them by default:

* momentum (torch.optim.SGD with momentum μ): v ← μ·v + g, w ← w − lr·v;
* Adam (torch.optim.Adam): m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
  m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ), w ← w − lr·m̂ / (√v̂ + ε),
  with t the step being taken (1 for the first).

The state starts at 0. `g` is what the update rule gives (the gradient,
or a mistake's stand-in for it). This module never imports Textual.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from bptui.numfmt import fmt

NAMES = ("sgd", "momentum", "adam")
DEFAULT_MOMENTUM = 0.9
DEFAULT_BETAS = (0.9, 0.999)
DEFAULT_EPS = 1e-8
RUNTIME = {"_sqrt": math.sqrt}
# what each name of a line's templates is called in Python
IDENTIFIERS = {"g": "g", "w": "w", "lr": "lr", "t": "t", "m": "m", "v": "v", "m̂": "m_hat", "v̂": "v_hat"}


@dataclass(frozen=True)
class UpdateLine:
    """One line of an update. `target` is what it computes: a slot of the
    state (m, v), a value used on the way (m̂, v̂), or w, the parameter.
    `code` is Python over {g} {w} {t} {lr} and the targets before it;
    `formula` and `numbers` are the screen's (numbers: {name} for each value)."""

    target: str
    code: str
    formula: str
    numbers: str
    words: str


@dataclass(frozen=True)
class Worked:
    """One line of one parameter's update, worked out: its value, its
    numbers put in, and each value it read (in the order it reads them)."""

    line: UpdateLine
    value: float
    numbers: str
    inputs: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Optimizer:
    name: str = "sgd"
    momentum: float = DEFAULT_MOMENTUM
    betas: tuple[float, float] = DEFAULT_BETAS
    eps: float = DEFAULT_EPS

    def __post_init__(self) -> None:
        check_optimizer(self.name, self.momentum, self.betas, self.eps)

    @property
    def slots(self) -> tuple[str, ...]:
        """The state each parameter keeps between steps."""
        return {"sgd": (), "momentum": ("v",), "adam": ("m", "v")}[self.name]

    @property
    def uses_t(self) -> bool:
        return self.name == "adam"

    @property
    def title(self) -> str:
        """The optimizer and its settings, as the screen names it."""
        if self.name == "momentum":
            return f"momentum μ {fmt(self.momentum, keep_zeros=False)}"
        if self.name == "adam":
            b1, b2 = (fmt(b, keep_zeros=False) for b in self.betas)
            return f"Adam β {b1}, {b2} ε {fmt(self.eps, keep_zeros=False)}"
        return "gradient descent"

    def lines(self, loss: str = "J", param: str = "w") -> tuple[UpdateLine, ...]:
        """How a step moves `param`, line by line (g: d`loss`/d`param`)."""
        g = f"d{loss}/d{param}"
        if self.name == "sgd":
            return (UpdateLine("w", "{w} - {lr} * {g}", f"{param} − lr × {g}", "{w} − {lr} × {g}",
                               "the step goes against the gradient"),)  # fmt: skip
        if self.name == "momentum":
            mu = repr(float(self.momentum))
            return (
                UpdateLine("v", f"{mu} * {{v}} + {{g}}", f"μ·v + {g}", f"{fmt(self.momentum, keep_zeros=False)} × {{v}} + {{g}}",
                           "the velocity: the gradients so far, each step's weighed μ times less"),  # fmt: skip
                UpdateLine("w", "{w} - {lr} * {v}", f"{param} − lr × v", "{w} − {lr} × {v}",
                           "the step goes along the velocity, not the gradient alone"),  # fmt: skip
            )
        b1, b2 = (repr(float(b)) for b in self.betas)
        s1, s2 = (fmt(b, keep_zeros=False) for b in self.betas)
        r1, r2 = (fmt(1.0 - b, keep_zeros=False) for b in self.betas)
        eps = repr(float(self.eps))
        return (
            UpdateLine("m", f"{b1} * {{m}} + (1.0 - {b1}) * {{g}}", f"β1·m + (1 − β1)·{g}",
                       f"{s1} × {{m}} + {r1} × {{g}}", "the first moment: a running mean of the gradient"),
            UpdateLine("v", f"{b2} * {{v}} + (1.0 - {b2}) * ({{g}} * {{g}})", f"β2·v + (1 − β2)·({g})²",
                       f"{s2} × {{v}} + {r2} × {{g}}²", "the second moment: a running mean of its square"),
            UpdateLine("m̂", f"{{m}} / (1.0 - {b1} ** {{t}})", "m / (1 − β1ᵗ)", f"{{m}} / (1 − {s1}^{{t}})",
                       "m corrected for starting at 0 (t: this step)"),
            UpdateLine("v̂", f"{{v}} / (1.0 - {b2} ** {{t}})", "v / (1 − β2ᵗ)", f"{{v}} / (1 − {s2}^{{t}})",
                       "v corrected for starting at 0"),
            UpdateLine("w", f"{{w}} - {{lr}} * ({{m̂}} / (_sqrt({{v̂}}) + {eps}))", f"{param} − lr × m̂ / (√v̂ + ε)",
                       f"{{w}} − {{lr}} × {{m̂}} / (√{{v̂}} + {fmt(self.eps, keep_zeros=False)})",
                       "each weight's step is scaled by its own gradients' size"),
        )  # fmt: skip

    def code(self, names: dict[str, str]) -> list[str]:
        """The lines as Python statements, each target and input named by
        `names` (g, w, t, lr and every target)."""
        return [f"{names[line.target]} = {fill(line.code, names)}" for line in self.lines()]

    def explain(self, g: float, w: float, state: dict[str, float], lr: float, t: int,
                loss: str = "J", param: str = "w") -> list[Worked]:  # fmt: skip
        """Each line of one parameter's update, worked out by the same Python
        the compiled step runs (so the two agree bit for bit)."""
        values: dict[str, float] = {"g": g, "w": w, "lr": lr, "t": float(t), **state}
        out = []
        for line in self.lines(loss, param):
            shown = {k: _n(v) for k, v in values.items()}
            shown["t"] = str(t)
            env = {IDENTIFIERS[k]: v for k, v in values.items()}
            value = eval(_compiled(line.code), {"__builtins__": {}, **RUNTIME}, env)  # our own lines, never user text
            read = dict.fromkeys(re.findall(r"\{([^}]+)\}", line.code))
            out.append(Worked(line, value, fill(line.numbers, shown), tuple((k, values[k]) for k in read)))
            values[line.target] = value
        return out


@functools.lru_cache(maxsize=64)
def _compiled(code: str):
    """A line's Python, compiled once (the status and the stuck check run it every step)."""
    return compile(fill(code, IDENTIFIERS), "<optimizer line>", "eval")


def fill(template: str, names: dict[str, str]) -> str:
    """A line's template with each {name} replaced."""
    out = template
    for key in sorted(names, key=len, reverse=True):
        out = out.replace("{" + key + "}", names[key])
    return out


def _n(v: float) -> str:
    s = fmt(v, keep_zeros=False)
    return f"({s})" if s.startswith("−") else s


def check_optimizer(name: str, momentum: float, betas: tuple[float, float], eps: float) -> None:
    """ValueError, saying why, for settings no step can use."""
    if name not in NAMES:
        raise ValueError(f"optimizer must be one of {', '.join(NAMES)}, not {name!r}")
    if not (math.isfinite(momentum) and 0.0 <= momentum < 1.0):
        raise ValueError(f"momentum must be at least 0 and below 1, not {momentum:g}")
    if len(betas) != 2 or not all(math.isfinite(b) and 0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"betas must be two numbers, each at least 0 and below 1, not {', '.join(f'{b:g}' for b in betas)}")
    if not (math.isfinite(eps) and eps > 0.0):
        raise ValueError(f"eps must be a positive number, not {eps:g}")


SGD = Optimizer()
