"""`bptui serve`: a classroom over SSH. Every session that asks for a shell
with a terminal gets its own bptui, in its own pseudo-terminal, sized to the
student's terminal and resized with it. Built on asyncssh; nothing but the app
is reachable: exec requests, subsystems (SFTP), port forwarding, agent and X11
forwarding are all refused.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hmac
import ipaddress
import os
import pty
import re
import signal
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Sequence

import asyncssh

from bptui.scenario import Scenario
from bptui.scenario_file import dumps

PASSWORD_ENV = "BPTUI_CLASS_PASSWORD"
DEFAULT_PORT = 2222
# what one student's app may hold: 200,000 steps of history is 8 MB for the
# question's network (each student's `j` could otherwise fill the server's
# memory), and a terminal is capped at 500 × 200 cells
DEFAULT_SERVED_HISTORY = 200_000
MAX_COLS, MAX_ROWS = 500, 200
# what a student's ssh may pass through to their app (OpenSSH sends only what
# the client's SendEnv names)
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR", "COLORTERM")
# guessing and crowding: a connection gets this many wrong passwords, and
# --login-timeout seconds to log in and then to open its one session; at most
# max(MIN_WAITING, 2 × max-sessions) connections may wait to log in at once
MAX_PASSWORD_TRIES = 3
DEFAULT_LOGIN_TIMEOUT = 30
MIN_WAITING = 20
# a terminal type the app may be given; anything else gets the default
TERM_PATTERN = re.compile(r"[A-Za-z0-9._+-]{1,64}")
DEFAULT_TERM = "xterm-256color"
# keys a student typed or pasted that the app has not read yet: past this,
# their channel stops reading (SSH flow control holds the rest at the client)
INPUT_HIGH_WATER = 64 * 1024
# what the server sends before its own goodbye when it ends a running app:
# the app never got to undo its terminal modes, so leave the alternate screen,
# stop mouse and focus reports, bracketed paste and the kitty keyboard
# protocol, and show the cursor again
TERMINAL_RESET = (
    b"\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"
    b"\x1b[?2004l\x1b[?2048l\x1b[?1004l\x1b[?7h\x1b[0m\x1b[?1049l\x1b[?25h"
)


def log(text: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} {text}", file=sys.stderr, flush=True)


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "bptui"


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's host key, generated on first run and kept, so students'
    known_hosts entries stay valid across restarts."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key())
    return key


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def set_winsize(fd: int, cols: int, rows: int) -> None:
    # a client may claim any size: the app's work and memory grow with the
    # cells it lays out, so a claim past MAX_COLS × MAX_ROWS is capped
    rows, cols = min(max(rows, 1), MAX_ROWS), min(max(cols, 1), MAX_COLS)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _take_terminal() -> None:  # runs in the child, before exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _quiet_until_the_app_reads(fd: int) -> None:
    """Keys typed before the app sets up its terminal must not be echoed,
    line-edited or turned into signals (a Ctrl-C would kill the app as it
    starts): the pty starts without echo, canonical mode, signals and flow
    control. Output processing stays on."""
    attrs = termios.tcgetattr(fd)
    attrs[0] &= ~(termios.IXON | termios.ICRNL)  # iflag
    attrs[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)  # lflag
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class ListenError(OSError):
    """The server could not bind its address."""


class Classroom:
    """The server's state: settings, and every session running now."""

    def __init__(
        self,
        scenario_file: Path,
        max_sessions: int,
        idle_timeout: float | None,
        password: str | None,
        require_auth: bool,
        max_history: int = DEFAULT_SERVED_HISTORY,
        login_timeout: float = DEFAULT_LOGIN_TIMEOUT,
    ) -> None:
        self.scenario_file = scenario_file
        self.login_timeout = login_timeout
        self.max_history = max_history
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.password = password
        self.require_auth = require_auth
        self.sessions: set[AppSession] = set()
        self.waiting = 0  # connections not logged in yet
        self.max_waiting = max(MIN_WAITING, 2 * max_sessions)
        self.connections: set[ClassroomServer] = set()
        self.stopping = False

    def app_command(self) -> list[str]:
        return [
            sys.executable, "-m", "bptui", "--no-files",
            "--max-history", str(self.max_history),
            "--scenario", str(self.scenario_file),
        ]  # fmt: skip


class ClassroomServer(asyncssh.SSHServer):
    """One SSH connection: authentication, and refusing everything but a shell."""

    def __init__(self, room: Classroom) -> None:
        self.room = room
        self.peer = "?"
        self.username = "?"
        self.started = time.monotonic()
        self.waiting = False  # counted in room.waiting
        self.logged_in = False
        self.wrong_passwords = 0
        self.session: AppSession | None = None  # one a connection
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.started = time.monotonic()
        self.conn = conn
        self.room.connections.add(self)
        if self.room.waiting >= self.room.max_waiting:
            log(f"refused {self.peer}: {self.room.waiting} connections are already waiting to log in")
            asyncio.get_running_loop().call_soon(conn.abort)
            return
        self.waiting = True
        self.room.waiting += 1

    def _stop_waiting(self) -> None:
        if self.waiting:
            self.waiting = False
            self.room.waiting -= 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        self.room.connections.discard(self)
        after = f"after {time.monotonic() - self.started:.1f}s"
        if self.logged_in:
            log(f"disconnect {self.peer} user={self.username} {after}")
        else:
            log(f"disconnect {self.peer} user={self.username} {after}, never logged in")

    def begin_auth(self, username: str) -> bool:
        self.username = username
        if not self.room.require_auth:
            self._logged_in()
        return self.room.require_auth

    def auth_completed(self) -> None:
        if self.room.require_auth:
            self._logged_in()

    def _logged_in(self) -> None:
        self._stop_waiting()
        self.logged_in = True
        log(f"connect {self.peer} user={self.username}")
        # a connection is for one session: one that opens none (ssh -N) goes
        asyncio.get_running_loop().call_later(self.room.login_timeout, self._close_if_no_session)

    def _close_if_no_session(self) -> None:
        if self.session is None and self.conn is not None and self in self.room.connections:
            log(f"closing {self.peer} user={self.username}: no session after {self.room.login_timeout:g}s")
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def password_auth_supported(self) -> bool:
        return self.room.password is not None

    def validate_password(self, username: str, password: str) -> bool:
        # constant time: how much of a guess was right must not show in timing
        if hmac.compare_digest(password.encode(), self.room.password.encode()):
            return True
        self.wrong_passwords += 1
        log(f"wrong password from {self.peer} user={username} ({self.wrong_passwords} of {MAX_PASSWORD_TRIES})")
        if self.wrong_passwords >= MAX_PASSWORD_TRIES:
            self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "too many wrong passwords")
        return False

    def session_requested(self) -> asyncssh.SSHServerSession | bool:
        if self.session is not None:
            log(f"refused a second session from {self.peer} user={self.username}")
            return False
        self.session = AppSession(self.room, self)
        return self.session

    # nothing else is reachable: no -L/-W (direct) or -R (forwarded) tunnels
    def connection_requested(self, *args) -> bool:
        return False

    def server_requested(self, *args) -> bool:
        return False

    def unix_connection_requested(self, *args) -> bool:
        return False

    def unix_server_requested(self, *args) -> bool:
        return False


class AppSession(asyncssh.SSHServerSession):
    """One student's bptui, in its own pseudo-terminal."""

    def __init__(self, room: Classroom, server: ClassroomServer) -> None:
        self.room = room
        self.server = server
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term = DEFAULT_TERM
        self.size = (80, 24)
        self.has_pty = False
        self.master: int | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.last_input = time.monotonic()
        self.closed = False
        # input waiting for the app to read it (the pty's buffer is small)
        self.pending_input = bytearray()
        self.input_paused = False

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self.has_pty = True
        # the client names its terminal; a name no terminal has gets the default
        self.term = term_type if TERM_PATTERN.fullmatch(term_type or "") else DEFAULT_TERM
        if term_size[0] and term_size[1]:
            self.size = (term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def eof_received(self) -> bool:
        # a client that closes its input (ssh < file) still watches the app:
        # keep the channel open for its output until the app ends
        return True

    def exec_requested(self, command: str) -> bool:
        log(f"refused exec from {self.server.peer} user={self.server.username}")
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log(f"refused subsystem {subsystem!r} from {self.server.peer} user={self.server.username}")
        return False

    def session_started(self) -> None:
        if self.room.stopping:
            self._refuse("the class is over (the server is stopping)")
            return
        if not self.has_pty:
            self._refuse("a terminal is needed: connect with ssh -t")
            return
        if len(self.room.sessions) >= self.room.max_sessions:
            self._refuse(f"the class is full ({self.room.max_sessions} sessions): try again in a while")
            return
        self.room.sessions.add(self)
        asyncio.get_running_loop().create_task(self._run())

    def _refuse(self, text: str) -> None:
        log(f"refused session from {self.server.peer}: {text}")
        self.end(f"bptui: {text}\r\n".encode(), 1)

    def end(self, goodbye: bytes, code: int) -> None:
        """Say goodbye and close the channel, once; a channel the client has
        already dropped is left alone."""
        if self.closed:
            return
        self.closed = True
        try:
            self.chan.write(goodbye)
        except (OSError, asyncssh.Error):
            pass
        try:
            self.chan.exit(code)
        except (OSError, asyncssh.Error):
            pass

    async def _run(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "TERM": self.term,
            "LANG": "C.UTF-8",
        }
        client_env = self.chan.get_environment() or {}
        # what the client may pass, and only values an environment can hold
        env.update({k: v for k, v in client_env.items() if k in PASSED_ENV and isinstance(v, str) and "\0" not in v})
        master = slave = None
        try:
            master, slave = pty.openpty()
            set_winsize(slave, *self.size)
            _quiet_until_the_app_reads(slave)
            self.proc = await asyncio.create_subprocess_exec(
                *self.room.app_command(),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                start_new_session=True,
                preexec_fn=_take_terminal,
            )
        except Exception as e:  # no pty, no process: this session only
            for fd in (slave, master):
                if fd is not None:
                    os.close(fd)
            self.room.sessions.discard(self)
            log(f"could not start an app for {self.server.peer}: {e!r}")
            self.end(b"bptui: the app could not start here; tell your teacher\r\n", 1)
            return
        os.close(slave)
        self.master = master
        # never block the event loop on one student's terminal: every other
        # session runs on it too
        os.set_blocking(master, False)
        log(f"session {self.server.peer} user={self.server.username} pid={self.proc.pid}")
        if self.closed:  # the client went, or the server stopped, while the app started
            self.stop_app()
        asyncio.get_running_loop().add_reader(master, self._pty_readable)
        self._flush_input()
        code = await self.proc.wait()
        self._close_pty()
        self.room.sessions.discard(self)
        if code == 0:
            self.end(b"", 0)
        else:  # killed or crashed: it could not give the terminal back itself
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            self.end(TERMINAL_RESET + f"bptui: the app stopped unexpectedly ({how}); reconnect to start again\r\n".encode(), 1)

    def _pty_readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: the app closed its terminal
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
            return
        if not self.closed:
            try:
                self.chan.write(data)
            except (OSError, asyncssh.Error):  # the channel closed meanwhile
                pass

    def pause_writing(self) -> None:
        # the student's link is slower than the app draws: stop reading the
        # app's output until it catches up (the app then waits on its pty)
        if self.master is not None:
            asyncio.get_running_loop().remove_reader(self.master)

    def resume_writing(self) -> None:
        if self.master is not None:
            asyncio.get_running_loop().add_reader(self.master, self._pty_readable)

    def _close_pty(self) -> None:
        if self.master is not None:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self.master)
            loop.remove_writer(self.master)
            os.close(self.master)
            self.master = None
        self.pending_input.clear()

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.closed:
            return
        self.pending_input += data
        if self.master is not None:
            self._flush_input()
        elif len(self.pending_input) > INPUT_HIGH_WATER:
            self._pause_input()

    def _flush_input(self) -> None:
        """Write what the pty will take now; wait for it to drain for the rest."""
        loop = asyncio.get_running_loop()
        if self.master is None:
            return
        try:
            while self.pending_input:
                written = os.write(self.master, self.pending_input)
                del self.pending_input[:written]
        except BlockingIOError:
            pass
        except OSError:  # the app has gone: its input goes nowhere
            self.pending_input.clear()
        if self.pending_input:
            loop.add_writer(self.master, self._flush_input)
            if len(self.pending_input) > INPUT_HIGH_WATER:
                self._pause_input()
        else:
            loop.remove_writer(self.master)
            if self.input_paused:
                self.input_paused = False
                self.chan.resume_reading()

    def _pause_input(self) -> None:
        if not self.input_paused:
            self.input_paused = True
            self.chan.pause_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height)
        if self.master is not None:
            # the kernel sends the app SIGWINCH: it lays itself out again
            set_winsize(self.master, width, height)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.stop_app()
        # the connection was for this session: it ends with it
        self.server.close()

    def stop_app(self) -> None:
        """End the app: a dropped connection never leaves a process behind."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGHUP)
        except ProcessLookupError:
            return

        async def finish() -> None:
            try:
                await asyncio.wait_for(proc.wait(), 3)
            except asyncio.TimeoutError:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await proc.wait()

        asyncio.get_running_loop().create_task(finish())

    def close_idle(self) -> None:
        log(f"idle timeout {self.server.peer} user={self.server.username}")
        self.end(TERMINAL_RESET + b"bptui: closed after a while without a key; reconnect to start again\r\n", 0)
        self.stop_app()


async def watch_idle(room: Classroom) -> None:
    while True:
        await asyncio.sleep(min(5.0, room.idle_timeout / 4))
        now = time.monotonic()
        for s in list(room.sessions):
            if not s.closed and now - s.last_input > room.idle_timeout:
                s.close_idle()


async def _listen(host: str, port: int, key: asyncssh.SSHKey, room: Classroom, authorized_keys: str | None):
    return await asyncssh.create_server(
        lambda: ClassroomServer(room),
        host,
        port,
        server_host_keys=[key],
        authorized_client_keys=authorized_keys,
        encoding=None,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
        sftp_factory=None,
        line_editor=False,
        keepalive_interval=30,
        login_timeout=room.login_timeout,
    )


async def serve(
    host: str,
    port: int,
    key_path: Path,
    room: Classroom,
    authorized_keys: str | None,
    ready: asyncio.Event | None = None,
) -> None:
    key = load_or_create_host_key(key_path)
    try:
        server = await _listen(host, port, key, room, authorized_keys)
    except OSError as e:
        raise ListenError(e.errno, e.strerror or str(e)) from e
    bound = server.sockets[0].getsockname()[1] if server.sockets else port
    fingerprint = key.get_fingerprint("sha256")
    print(f"bptui serve: listening on {host}:{bound}", flush=True)
    print(f"host key {fingerprint} ({key_path})", flush=True)
    who = "any-name" if not room.require_auth else "student"
    print(f"students connect with: ssh -p {bound} {who}@{'<this host>' if not is_loopback(host) else host}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    idle = loop.create_task(watch_idle(room)) if room.idle_timeout else None
    if ready is not None:
        ready.set()
    await stop.wait()
    log(f"stopping: ending {len(room.sessions)} session(s)")
    room.stopping = True
    server.close()
    for s in list(room.sessions):
        s.end(TERMINAL_RESET + b"bptui: the class is over (the server stopped)\r\n", 0)
        s.stop_app()
    deadline = time.monotonic() + 5
    while room.sessions and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if idle is not None:
        idle.cancel()
    # connections without a session (logging in, ssh -N) end too: newer
    # Pythons wait for every connection before the server counts as closed
    for c in list(room.connections):
        c.close()
    try:
        await asyncio.wait_for(server.wait_closed(), 5)
    except asyncio.TimeoutError:
        log("stopping: some connections would not close; leaving them")
    log("stopped")


def build_parser() -> argparse.ArgumentParser:
    from bptui.cli import _arg, _Parser, _whole, add_history_option, add_scenario_options

    p = _Parser(
        prog="bptui serve",
        description=(
            "Serve bptui over SSH: every student who connects gets their own stepper. "
            "On loopback any username gets in without a password; beyond loopback a class "
            f"password (--password-file, or ${PASSWORD_ENV}) or --authorized-keys is required."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_arg(_whole, "the port", 0, 65535), default=DEFAULT_PORT, help="default 2222")
    p.add_argument("--host-key", metavar="PATH", help=f"host key file, created on first run (default {data_dir()}/ssh_host_ed25519_key)")
    p.add_argument("--password-file", metavar="FILE", help=f"the class password, first line of FILE (or set ${PASSWORD_ENV})")
    p.add_argument("--authorized-keys", metavar="FILE", help="accept the public keys in this authorized_keys file")
    p.add_argument("--max-sessions", type=_arg(_whole, "max sessions", 1, 10_000), default=50, help="default 50")
    p.add_argument(
        "--idle-timeout",
        type=_arg(_whole, "the idle timeout", 0, 7 * 24 * 3600),
        default=3600,
        metavar="SECONDS",
        help="end a session after this long without a key (default 3600; 0: never)",
    )
    p.add_argument(
        "--login-timeout",
        type=_arg(_whole, "the login timeout", 1, 3600),
        default=DEFAULT_LOGIN_TIMEOUT,
        metavar="SECONDS",
        help=f"time to log in, and then to open the session (default {DEFAULT_LOGIN_TIMEOUT})",
    )
    add_history_option(p, DEFAULT_SERVED_HISTORY)
    add_scenario_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    from bptui.cli import join_negative_values, make_engine, scenario_from_args

    parser = build_parser()
    args = parser.parse_args(join_negative_values(list(argv)))
    try:
        scenario: Scenario = scenario_from_args(args)
        make_engine(scenario)  # every student starts from a scenario that runs
    except ValueError as e:
        parser.error(str(e))
    password = os.environ.get(PASSWORD_ENV) or None
    if args.password_file:
        try:
            password = Path(args.password_file).read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError) as e:
            parser.error(f"--password-file {args.password_file}: cannot read a password ({e})")
        if not password:
            parser.error(f"--password-file {args.password_file}: the first line is empty")
    if args.authorized_keys and not Path(args.authorized_keys).is_file():
        parser.error(f"--authorized-keys {args.authorized_keys}: no such file")
    loopback = is_loopback(args.host)
    if not loopback and not (password or args.authorized_keys):
        parser.error(
            f"listening on {args.host} reaches beyond this machine: give a class password "
            f"(--password-file or ${PASSWORD_ENV}) or --authorized-keys"
        )
    key_path = Path(args.host_key) if args.host_key else data_dir() / "ssh_host_ed25519_key"
    with tempfile.TemporaryDirectory(prefix="bptui-serve-") as tmp:
        scenario_file = Path(tmp) / "scenario.toml"
        scenario_file.write_text(dumps(scenario), encoding="utf-8")
        room = Classroom(
            scenario_file,
            args.max_sessions,
            args.idle_timeout or None,
            password,
            require_auth=bool(password or args.authorized_keys),
            max_history=args.max_history,
            login_timeout=args.login_timeout,
        )
        try:
            asyncio.run(serve(args.host, args.port, key_path, room, args.authorized_keys))
        except ListenError as e:
            print(f"bptui serve: error: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
            return 2
        except OSError as e:  # the host key file, say
            print(f"bptui serve: error: {e.strerror or e}{f' ({e.filename})' if e.filename else ''}", file=sys.stderr)
            return 2
        except (ValueError, asyncssh.KeyImportError) as e:
            print(f"bptui serve: error: {e}", file=sys.stderr)
            return 2
    return 0
