"""One SSH connection: admission while it waits, authentication with the
per-address back-off, and refusing everything but one session."""

from __future__ import annotations

import asyncio
import hmac
import time

import asyncssh

from bptui.serve.admission import STALLED_AFTER
from bptui.serve.classroom import MAX_PASSWORD_TRIES, Classroom
from bptui.serve.session import AppSession


class ClassroomServer(asyncssh.SSHServer):
    def __init__(self, room: Classroom) -> None:
        self.room = room
        self.address = "?"
        self.peer = "?"
        self.username = "?"
        self.name = "?"
        self.since = time.monotonic()
        self.waiting = False  # counted by room.admission
        self.auth_begun = False
        self.logged_in = False
        self.failures = 0
        self.session: AppSession | None = None  # one a connection
        self.conn: asyncssh.SSHServerConnection | None = None
        self._deadline: asyncio.TimerHandle | None = None

    # -- admission (the Waiter protocol) --

    def has_spoken(self) -> bool:
        return self.conn is not None and self.conn.get_extra_info("client_version") is not None

    def is_stalled(self, now: float) -> bool:
        return now - self.since > STALLED_AFTER and (self.logged_in or not self.auth_begun)

    def wrong_passwords(self) -> int:
        return self.failures

    def evict(self, reason: str) -> None:
        self.waiting = False
        self.room.log.repeated(self.address, "evicted", f"closed {self.peer}: {reason}")
        self.abort()

    def app_running(self) -> None:
        """Its app runs: the connection no longer waits."""
        self._stop_waiting()
        if self._deadline is not None:
            self._deadline.cancel()

    def _stop_waiting(self) -> None:
        if self.waiting:
            self.waiting = False
            self.room.admission.leave(self)

    # -- the connection --

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.address = str(peer[0])
        self.peer = f"{peer[0]}:{peer[1]}"
        self.since = time.monotonic()
        self.conn = conn
        self.room.connections.add(self)
        refusal = self.room.admission.admit(self)
        if refusal is not None:
            self.room.log.repeated(self.address, "refused", f"refused {self.peer}: {refusal}")
            asyncio.get_running_loop().call_soon(conn.abort)
            return
        self.waiting = True
        # from connecting to a running app: logging in, and then opening the
        # one session and asking for its shell (ssh -N, or a session channel
        # that never asks, would otherwise hold its place for ever)
        self._deadline = asyncio.get_running_loop().call_later(self.room.settings.login_timeout, self._too_slow)

    def _too_slow(self) -> None:
        if self in self.room.connections and (self.session is None or not self.session.started):
            timeout = self.room.settings.login_timeout
            stage = "no app" if self.logged_in else "not logged in"
            self.room.log.repeated(self.address, "timed out", f"closing {self.peer} user={self.username}: {stage} after {timeout:g}s")
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self._deadline is not None:
            self._deadline.cancel()
        self.room.connections.discard(self)
        after = f"after {time.monotonic() - self.since:.1f}s"
        if self.logged_in:
            self.room.log.line(f"disconnect {self.peer} user={self.username} {after}")
        else:
            self.room.log.repeated(
                self.address, "never logged in", f"disconnect {self.peer} user={self.username} {after}, never logged in"
            )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def abort(self) -> None:
        if self.conn is not None:
            self.conn.abort()

    # -- authentication --

    def begin_auth(self, username: str) -> bool:
        # asyncssh gives the name as the client sent it: keep the log one line
        self.username = username[:64].encode("unicode_escape").decode("ascii")
        # as they typed it, for the roster, their kept session and hand-in folder
        self.name = username[:64]
        self.auth_begun = True
        if not self.room.settings.require_auth:
            self._logged_in()
        return self.room.settings.require_auth

    def auth_completed(self) -> None:
        if self.room.settings.require_auth:
            self._logged_in()

    def _logged_in(self) -> None:
        self.logged_in = True
        self.room.log.line(f"connect {self.peer} user={self.username}")

    def password_auth_supported(self) -> bool:
        return self.room.settings.password is not None

    async def validate_password(self, username: str, password: str) -> bool:
        # an address that guessed wrong lately waits before its guess is
        # checked, whichever connection it comes on
        await self.room.backoff.turn(self.address)
        # constant time: how much of a guess was right must not show in timing
        if hmac.compare_digest(password.encode("utf-8", "replace"), self.room.settings.password.encode()):
            return True
        self.failures += 1
        self.room.backoff.failed(self.address)
        self.room.log.repeated(
            self.address,
            "wrong passwords",
            f"wrong password from {self.peer} user={self.username} ({self.failures} of {MAX_PASSWORD_TRIES})",
        )
        if self.failures >= MAX_PASSWORD_TRIES and self.conn is not None:
            self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "too many wrong passwords")
        return False

    # -- what a connection may open: one session, nothing else --

    def session_requested(self) -> asyncssh.SSHServerSession | bool:
        if self.session is not None:
            self.room.log.repeated(self.address, "refused channels", f"refused a second session from {self.peer} user={self.username}")
            return False
        self.session = AppSession(self.room, self)
        return self.session

    # no -L/-W (direct) or -R (forwarded) tunnels
    def connection_requested(self, *args) -> bool:
        self.room.log.repeated(self.address, "refused channels", f"refused a tunnel from {self.peer} user={self.username}")
        return False

    def server_requested(self, *args) -> bool:
        self.room.log.repeated(self.address, "refused channels", f"refused a tunnel from {self.peer} user={self.username}")
        return False

    def unix_connection_requested(self, *args) -> bool:
        return False

    def unix_server_requested(self, *args) -> bool:
        return False
