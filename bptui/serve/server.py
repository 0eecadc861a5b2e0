"""Listening: the host key, the SSH server and its options, the banner,
the timers (idle sessions, log summaries), errors the event loop meets
(out of descriptors above all), and stopping."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import resource
import signal
import time
from pathlib import Path

import asyncssh

from bptui.serve.app_process import template_environment
from bptui.serve.classroom import Classroom
from bptui.serve.connection import ClassroomServer
from bptui.serve.session import LEAVE_SECONDS
from bptui.serve.log import FoldingLog
from bptui.serve.template_client import AppTemplate
from bptui.serve.terminal import TERMINAL_RESET

# descriptors a running session holds (its socket, its pty, its process's
# pipes and watcher), to size the server's own limit
FILES_A_SESSION = 4
OUT_OF_FILES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
KEPT_CHECK_SECONDS = 20.0


class ListenError(OSError):
    """The server could not bind its address."""


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
    # written whole under a temporary name, then linked into place: instances
    # that share a key and start together all end up with the one that won
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key.export_private_key())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return asyncssh.read_private_key(str(path))
    finally:
        os.unlink(tmp)
    return key


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_room_for_descriptors(room: Classroom) -> None:
    """Raise the soft descriptor limit, within the hard one, to what a full
    class and a full waiting room need."""
    need = FILES_A_SESSION * room.settings.max_sessions + room.admission.total + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def loop_error_handler(log: FoldingLog):
    """Errors the event loop cannot give to anyone: one line each, at most
    once an interval, never a traceback (a failing accept() repeats itself
    many times a second)."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in OUT_OF_FILES:
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            log.once_per_interval(
                "out of files",
                f"cannot accept connections for now: {exc.strerror} (descriptor limit {limit}); "
                "sessions running go on, and accepting resumes by itself",
            )
            return
        what = f"{type(exc).__name__}: {exc}" if exc is not None else context.get("message", "?")
        log.once_per_interval(f"loop {type(exc).__name__}", f"internal error: {context.get('message', '')} ({what})")

    return handle


async def watch_idle(room: Classroom) -> None:
    timeout = room.settings.idle_timeout
    while True:
        await asyncio.sleep(min(5.0, timeout / 4))
        now = time.monotonic()
        for s in list(room.sessions):
            following = s.state is not None and "following" in s.state.modes
            if following:  # watching the teacher's lead is not being away
                s.last_input = now
            elif not s.closed and now - s.last_input > timeout:
                s.close_idle()


async def let_go_of_old_sessions(room: Classroom) -> None:
    """Kept sessions past --resume-minutes: handed in (if the class takes
    hand-ins) and deleted."""
    while True:
        await asyncio.sleep(KEPT_CHECK_SECONDS)
        room.let_go(room.kept.expired())


async def fold_log(room: Classroom) -> None:
    while True:
        await asyncio.sleep(room.log.fold_seconds)
        room.log.fold()


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
        login_timeout=room.settings.login_timeout,
    )


async def serve(
    host: str,
    port: int,
    key_path: Path,
    room: Classroom,
    authorized_keys: str | None,
    code: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, or `stop` is set (the console's quit).
    `code`: a class code the server made up, printed beside the ssh command
    for the teacher to hand out."""
    key = load_or_create_host_key(key_path)
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(loop_error_handler(room.log))
    # asyncssh's own log would otherwise reach stderr through logging's
    # last-resort handler, one line per failed connection
    logging.getLogger("asyncssh").addHandler(logging.NullHandler())
    logging.getLogger("asyncssh").propagate = False
    make_room_for_descriptors(room)
    template = AppTemplate(room.log, template_environment())
    if await template.start():
        room.template = template
    try:
        server = await _listen(host, port, key, room, authorized_keys)
    except OSError as e:
        template.close()
        raise ListenError(e.errno, e.strerror or str(e)) from e
    bound = server.sockets[0].getsockname()[1] if server.sockets else port
    room.log.announce(f"bptui serve: listening on {host}:{bound}")
    room.log.announce(f"host key {key.get_fingerprint('sha256')} ({key_path})")
    who = "any-name" if not room.settings.require_auth else "student"
    where = "<this host>" if not is_loopback(host) else host
    given = f"   class code (the password): {code}" if code else ""
    room.connect_line = f"ssh -p {bound} {who}@{where}"
    room.log.announce(f"students connect with: {room.connect_line}{given}")
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    timers = [loop.create_task(fold_log(room)), loop.create_task(let_go_of_old_sessions(room))]
    if room.settings.idle_timeout:
        timers.append(loop.create_task(watch_idle(room)))
    await stop.wait()
    room.log.line(f"stopping: ending {len(room.sessions)} session(s)")
    room.stopping = True
    server.close()
    for s in list(room.sessions):
        s.end(TERMINAL_RESET + b"bptui: the class is over (the server stopped)\r\n", 0)
        s.stop_app()
    # each app hands its session over and ends (LEAVE_SECONDS), or is hung
    # up on; what is left then is killed, before what is kept is handed in
    deadline = time.monotonic() + LEAVE_SECONDS + 2
    while room.sessions and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for s in list(room.sessions):
        s.kill_app()
    deadline = time.monotonic() + 2
    while room.sessions and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for t in timers:
        t.cancel()
    # the class is over: what was kept for a resume is handed in
    room.let_go(room.kept.all())
    room.log.fold()
    # connections without a session (logging in, ssh -N) end too: newer
    # Pythons wait for every connection before the server counts as closed
    for c in list(room.connections):
        c.close()
    try:
        await asyncio.wait_for(server.wait_closed(), 5)
    except asyncio.TimeoutError:
        room.log.line("stopping: some connections would not close; leaving them")
    template.close()
    room.log.line("stopped")
