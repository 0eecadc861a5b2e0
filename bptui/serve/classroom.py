"""The server's state: its settings, who is waiting, who has an app, the
sessions kept for a resume, the hand-ins, and the log they all write to."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from bptui.control import AppState
from bptui.scenario import Scenario
from bptui.scenario_file import as_settings, dumps, write_atomically

from bptui.serve.admission import Admission
from bptui.serve.app_process import AppLimits
from bptui.serve.backoff import PasswordBackoff
from bptui.serve.hand_in import write_hand_in
from bptui.serve.kept import DEFAULT_RESUME_MINUTES, Kept, KeptSessions, forget
from bptui.serve.log import FoldingLog
from bptui.serve.template_client import AppTemplate

# what one student's app may hold: 200,000 steps of history is 8 MB for the
# question's network (each student's `j` could otherwise fill the server's
# memory)
DEFAULT_SERVED_HISTORY = 200_000
# a connection gets this many wrong passwords, and --login-timeout seconds from
# connecting to have its app running
MAX_PASSWORD_TRIES = 3
DEFAULT_LOGIN_TIMEOUT = 30
# connections not yet a running app: at most max(MIN_WAITING, 2 × max-sessions)
# in all, random early drop from half of that, and DEFAULT_WAITING_PER_ADDRESS
# from one address (a guessing address's line of password checks is no longer:
# 24 × backoff.SPACING plus its delay stays under 10 s)
MIN_WAITING = 20
DEFAULT_WAITING_PER_ADDRESS = 24


@dataclass
class Settings:
    scenario_file: Path
    max_sessions: int = 50
    idle_timeout: float | None = 3600
    password: str | None = None
    require_auth: bool = False
    max_history: int = DEFAULT_SERVED_HISTORY
    login_timeout: float = DEFAULT_LOGIN_TIMEOUT
    waiting_per_address: int = DEFAULT_WAITING_PER_ADDRESS
    limits: AppLimits = field(default_factory=AppLimits)
    # where apps run as --user get their homes (None: they keep the server's)
    homes: Path | None = None
    # the server's own folder, for kept sessions (None: the scenario's)
    work_dir: Path | None = None
    hand_in: Path | None = None  # where hand-ins go (None: none are taken)
    resume_minutes: float = DEFAULT_RESUME_MINUTES
    roster: frozenset[str] | None = None  # the names that may join (None: any)


def escaped(name: str) -> str:
    """A name as the log shows it: one line of ASCII."""
    return name.encode("unicode_escape").decode("ascii")


class Classroom:
    def __init__(self, settings: Settings, log: FoldingLog | None = None) -> None:
        self.settings = settings
        self.log = log or FoldingLog(sys.stderr)
        total = max(MIN_WAITING, 2 * settings.max_sessions)
        self.admission = Admission(per_address=settings.waiting_per_address, total=total, start=total // 2)
        self.backoff = PasswordBackoff()
        # (typed by their asyncssh bases: session and connection build on this
        # module, not it on them)
        self.sessions: set[asyncssh.SSHServerSession] = set()  # apps running, or starting
        self.connections: set[asyncssh.SSHServer] = set()
        self.stopping = False
        # the warm process students' apps are forked from, once it is ready
        self.template: AppTemplate | None = None
        work = settings.work_dir or settings.scenario_file.parent
        self.kept = KeptSessions(work / "kept", settings.resume_minutes, settings.max_sessions)
        self.hand_ins: Counter[str] = Counter()  # by name
        self.connect_line = ""  # the ssh command students type, once listening
        self.question = None  # the question the class is answering (a ClassQuestion), if any

    def app_args(self, resume: Path | None = None) -> list[str]:
        """A student's `bptui` arguments: from the class's scenario, or from
        their kept session."""
        s = self.settings
        start = ["--replay", str(resume)] if resume is not None else ["--scenario", str(s.scenario_file)]
        return ["--no-files", "--max-history", str(s.max_history), *start]

    def hand_in(self, name: str, text: str) -> str:
        """File a hand-in; its path under the folder (OSError if it cannot)."""
        where = write_hand_in(self.settings.hand_in, name, text)
        self.hand_ins[name] += 1
        self.log.line(f"hand-in from user={escaped(name)}: {where}")
        return where

    def keep(self, name: str, kept_path: Path, state: AppState | None = None) -> None:
        self.log.line(f"kept the session of user={escaped(name)} for {self.settings.resume_minutes:g} min")
        self.let_go(self.kept.keep(name, kept_path, state=state))

    def push(self, scenario: Scenario) -> int:
        """Make the scenario every student's starting point: those here
        start over on it (handing in their session first, when the class
        takes hand-ins), kept sessions are let go, later arrivals start on it.
        How many students it reached."""
        write_atomically(self.settings.scenario_file, dumps(scenario), overwrite=True)
        message = {"kind": "push", "settings": as_settings(scenario)}
        reached = sum(1 for s in self.sessions if not s.closed and s.send_in_order(message))
        self.let_go(self.kept.all())
        shown = " ".join(f"{k}={v}" for k, v in as_settings(scenario).items())[:200]
        self.log.line(f"pushed a new scenario to {reached} student(s): {shown}")
        return reached

    def let_go(self, gone: list[Kept]) -> None:
        """Kept sessions no longer kept: handed in (when the class takes
        hand-ins) and deleted."""
        for k in gone:
            if self.settings.hand_in is not None:
                try:
                    self.hand_in(k.name, k.path.read_text(encoding="utf-8"))
                except OSError as e:
                    self.log.line(f"could not hand in the kept session of user={escaped(k.name)}: {e.strerror or e}")
            forget(k)
