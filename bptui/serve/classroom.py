"""The server's state: its settings, who is waiting, who has an app, and the
log they all write to."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from bptui.serve.admission import Admission
from bptui.serve.app_process import AppLimits
from bptui.serve.backoff import PasswordBackoff
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

    def app_args(self) -> list[str]:
        """A student's `bptui` arguments."""
        s = self.settings
        return ["--no-files", "--max-history", str(s.max_history), "--scenario", str(s.scenario_file)]
