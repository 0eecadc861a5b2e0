"""`bptui serve` with the real OpenSSH client (and asyncssh's client where
OpenSSH makes a case awkward), against a server started on a free loopback
port. .ci/run installs openssh-client and tmux."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncssh
import pytest

SSH = shutil.which("ssh")
SFTP = shutil.which("sftp")
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(not (SSH and SFTP and TMUX), reason="needs openssh-client and tmux")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, *args: str, env: dict | None = None, preexec_fn=None) -> None:
        self.port = free_port()
        self.key = tmp / "host_key"
        self.err_path = tmp / f"serve-{self.port}.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bptui", "serve", "--port", str(self.port), "--host-key", str(self.key), *args],
            stdout=subprocess.PIPE,
            stderr=open(self.err_path, "w"),
            text=True,
            env={**os.environ, "XDG_DATA_HOME": str(tmp / "data"), **(env or {})},
            preexec_fn=preexec_fn,
        )
        self.banner = [self.proc.stdout.readline() for _ in range(3)]
        assert "listening on " in self.banner[0], (self.banner, self.log)

    @property
    def log(self) -> str:
        return self.err_path.read_text()

    def pids(self) -> list[int]:
        return [int(p) for p in _grep(self.log, "pid=")]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def _grep(text: str, marker: str) -> list[str]:
    return [line.split(marker)[1].split()[0] for line in text.splitlines() if marker in line]


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path)
    yield s
    s.stop()


def ssh_args(port: int, user: str = "student") -> list[str]:
    return [
        SSH, "-p", str(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", f"{user}@127.0.0.1",
    ]  # fmt: skip


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, *args], capture_output=True, text=True, timeout=20).stdout


def wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = tmux("capture-pane", "-p", "-t", session)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{shown}")


@pytest.fixture
def student():
    sessions = []

    def start(port: int, cols: int = 80, rows: int = 24, user: str = "student") -> str:
        name = f"bptui-ssh-{uuid.uuid4().hex[:8]}"
        cmd = " ".join(ssh_args(port, user)[:-1] + ["-tt", ssh_args(port, user)[-1]])
        from tests.test_terminal import new_tmux_session

        new_tmux_session([TMUX, "new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), cmd])
        sessions.append(name)
        return name

    yield start
    for name in sessions:
        tmux("kill-session", "-t", name)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too (its parent has not reaped it yet)
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_log(server: "Server", text: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while text not in server.log and time.monotonic() < deadline:
        time.sleep(0.1)
    return text in server.log


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_banner_prints_the_fingerprint_and_the_command(server):
    assert server.banner[1].startswith("host key SHA256:")
    assert f"ssh -p {server.port} any-name@127.0.0.1" in server.banner[2]


def test_a_student_gets_the_stepper_and_steps(server, student):
    s = student(server.port)
    shown = wait_for(s, "Forward pass")
    assert "12.22010" in shown and "step 0" in shown
    tmux("send-keys", "-t", s, "Space")
    shown = wait_for(s, "step 1")
    assert "0.7406864" in shown
    assert "connect 127.0.0.1:" in server.log and "user=student" in server.log


def test_window_size_changes_reach_the_app(server, student):
    s = student(server.port, 80, 24)
    top = wait_for(s, "Forward pass").splitlines()[0]
    assert len(top.rstrip()) == 80
    tmux("set-option", "-t", s, "window-size", "manual")
    tmux("resize-window", "-t", s, "-x", "110", "-y", "30")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        top = tmux("capture-pane", "-p", "-t", s).splitlines()[0]
        if len(top.rstrip()) == 110:
            break
        time.sleep(0.1)
    assert len(top.rstrip()) == 110, top


def test_quitting_closes_the_connection(server, student):
    s = student(server.port)
    wait_for(s, "Forward pass")
    tmux("send-keys", "-t", s, "q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and s in tmux("list-sessions"):
        time.sleep(0.1)
    assert s not in tmux("list-sessions")
    (pid,) = server.pids()
    assert wait_dead(pid)


def test_a_killed_client_leaves_no_app_behind(server, student):
    s = student(server.port)
    wait_for(s, "Forward pass")
    (pid,) = server.pids()
    assert alive(pid)
    tmux("kill-session", "-t", s)  # the ssh client dies with its terminal
    assert wait_dead(pid), "the app outlived its connection"
    assert wait_log(server, "disconnect 127.0.0.1:")


def test_exec_sftp_and_stdio_forwarding_are_refused(server):
    r = subprocess.run([*ssh_args(server.port), "ls", "/"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "bin" not in r.stdout
    r = subprocess.run(
        [SFTP, "-P", str(server.port), "-b", "/dev/null", *ssh_args(server.port)[3:]],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert r.returncode != 0
    r = subprocess.run(
        [*ssh_args(server.port)[:-1], "-W", f"127.0.0.1:{server.port}", ssh_args(server.port)[-1]],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode != 0 and "SSH-2.0" not in r.stdout
    assert server.pids() == []  # none of them started an app


def test_port_forwarding_is_refused(server):
    async def attempt() -> None:
        async with asyncssh.connect(
            "127.0.0.1", server.port, username="student", known_hosts=None, client_keys=None
        ) as conn:
            with pytest.raises(asyncssh.ChannelOpenError):  # -L
                await conn.open_connection("127.0.0.1", server.port)
            with pytest.raises(asyncssh.ChannelListenError):  # -R
                await conn.start_server(lambda *a: None, "127.0.0.1", 0)

    asyncio.run(attempt())


def test_a_session_without_a_terminal_is_told_why(server):
    r = subprocess.run([*ssh_args(server.port)[:-1], "-T", ssh_args(server.port)[-1]],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)  # fmt: skip
    assert r.returncode == 1 and "a terminal is needed: connect with ssh -t" in r.stdout


def test_max_sessions(tmp_path, student):
    server = Server(tmp_path, "--max-sessions", "1")
    try:
        first = student(server.port)
        wait_for(first, "Forward pass")
        r = subprocess.run([*ssh_args(server.port)[:-1], "-tt", ssh_args(server.port)[-1]],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)  # fmt: skip
        assert r.returncode == 1 and "the class is full (1 sessions)" in r.stdout
        assert "Forward pass" in tmux("capture-pane", "-p", "-t", first)  # the first student is untouched
    finally:
        server.stop()


def test_idle_sessions_end(tmp_path, student):
    server = Server(tmp_path, "--idle-timeout", "2")
    try:
        s = student(server.port)
        wait_for(s, "Forward pass")
        (pid,) = server.pids()
        assert wait_dead(pid, 20)
        assert "idle timeout" in server.log
    finally:
        server.stop()


def test_ctrl_c_stops_the_server_and_every_session(tmp_path, student):
    server = Server(tmp_path)
    s1, s2 = student(server.port), student(server.port)
    wait_for(s1, "Forward pass")
    wait_for(s2, "Forward pass")
    pids = server.pids()
    assert len(pids) == 2
    assert server.stop() == 0
    assert all(wait_dead(p) for p in pids)
    assert "stopping: ending 2 session(s)" in server.log and "stopped" in server.log


def test_host_key_is_kept_across_restarts(tmp_path):
    first = Server(tmp_path)
    fp = first.banner[1].split()[2]
    first.stop()
    second = Server(tmp_path)
    try:
        assert second.banner[1].split()[2] == fp
    finally:
        second.stop()


# --- authentication ------------------------------------------------------------------------


def run_serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bptui", "serve", *args], capture_output=True, text=True, timeout=30,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_beyond_loopback_without_a_secret_prints_a_class_code(tmp_path):
    """0.0.0.0 with no password or keys: the server makes up a class code,
    prints it beside the ssh command, and it is the password."""
    server = Server(tmp_path, "--host", "0.0.0.0")
    try:
        line = server.banner[2]
        assert "ssh -p" in line and "class code (the password): " in line
        code = line.split("class code (the password): ")[1].strip()
        assert len(code) == 14 and code.count("-") == 2

        async def login(password: str) -> None:
            async with asyncssh.connect("127.0.0.1", server.port, username="x", password=password,
                                        known_hosts=None, client_keys=None, agent_path=None):  # fmt: skip
                pass

        with pytest.raises(asyncssh.PermissionDenied):
            asyncio.run(login("wrong-code-here"))
        asyncio.run(login(code))
        assert code not in server.log  # a secret is never logged
    finally:
        server.stop()


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--port", "70000"], "the port must be between 0 and 65,535"),
        (["--password-file", "/nonexistent"], "--password-file /nonexistent: no such file"),
        (["--authorized-keys", "/nonexistent"], "no such file"),
        (["--max-sessions", "0"], "max sessions must be between 1"),
        (["--layers", "9"], "layers must be between 1 and 8"),
    ],
)
def test_bad_serve_options_exit_2(args, reason):
    r = run_serve(*args)
    assert r.returncode == 2 and reason in r.stderr and "Traceback" not in r.stderr


def test_password_is_required_when_given(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("correct horse\n")
    server = Server(tmp_path, "--password-file", str(pw))

    async def login(password: str) -> None:
        async with asyncssh.connect(
            "127.0.0.1", server.port, username="student", password=password,
            known_hosts=None, client_keys=None, agent_path=None,
        ):  # fmt: skip
            pass

    try:
        with pytest.raises(asyncssh.PermissionDenied):
            asyncio.run(login("wrong"))
        asyncio.run(login("correct horse"))
        assert "secret" not in server.log and "correct horse" not in server.log
    finally:
        server.stop()


def test_password_from_the_environment_beyond_loopback(tmp_path):
    # 0.0.0.0 reaches beyond this machine: the password is what lets it start
    server = Server(tmp_path, "--host", "0.0.0.0", env={"BPTUI_CLASS_PASSWORD": "s3cret"})
    assert "listening on 0.0.0.0" in server.banner[0]
    try:
        async def login(password: str) -> None:
            async with asyncssh.connect("127.0.0.1", server.port, username="x", password=password,
                                        known_hosts=None, client_keys=None, agent_path=None):  # fmt: skip
                pass

        with pytest.raises(asyncssh.PermissionDenied):
            asyncio.run(login("nope"))
        asyncio.run(login("s3cret"))
    finally:
        server.stop()


def test_authorized_keys(tmp_path):
    key = asyncssh.generate_private_key("ssh-ed25519")
    other = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "authorized_keys"
    keys.write_bytes(key.export_public_key())
    server = Server(tmp_path, "--authorized-keys", str(keys))

    async def login(k) -> None:
        async with asyncssh.connect("127.0.0.1", server.port, username="t", client_keys=[k],
                                    known_hosts=None, agent_path=None, password=None):  # fmt: skip
            pass

    try:
        with pytest.raises(asyncssh.PermissionDenied):
            asyncio.run(login(other))
        asyncio.run(login(key))
    finally:
        server.stop()


def test_one_apps_crash_touches_no_one_else(server, student):
    s1, s2 = student(server.port), student(server.port)
    wait_for(s1, "Forward pass")
    wait_for(s2, "Forward pass")
    first, second = server.pids()
    os.kill(first, signal.SIGKILL)  # one app dies
    deadline = time.monotonic() + 10
    sessions = tmux("list-sessions")
    while time.monotonic() < deadline and (s1 in sessions and s2 in sessions):
        time.sleep(0.1)
        sessions = tmux("list-sessions")
    assert (s1 in sessions) != (s2 in sessions)  # exactly one connection closed
    survivor = s2 if s2 in sessions else s1
    tmux("send-keys", "-t", survivor, "Space")
    assert "step 1" in wait_for(survivor, "step 1")
    assert server.proc.poll() is None  # and the server runs on


def test_a_student_cannot_write_files_on_the_server(server, student, tmp_path):
    s = student(server.port)
    wait_for(s, "Forward pass")
    tmux("send-keys", "-t", s, "e")
    shown = wait_for(s, "Export is off here")
    assert "export session to:" not in shown
    tmux("send-keys", "-t", s, "s")
    wait_for(s, "Saving is off here")


def test_a_students_history_is_capped(tmp_path, student):
    """Each student's app keeps at most --max-history steps (j could
    otherwise fill the server's memory)."""
    s = Server(tmp_path, "--max-history", "3")
    try:
        name = student(s.port)
        wait_for(name, "Forward pass")
        tmux("send-keys", "-t", name, "j")
        wait_for(name, "jump how many steps:")
        tmux("send-keys", "-t", name, "500")  # replaces the suggested 1000
        wait_for(name, "jump how many steps: 500")
        tmux("send-keys", "-t", name, "Enter")
        shown = wait_for(name, "Jumped 3 of 500 steps")
        assert "--max-history" in shown
        tmux("send-keys", "-t", name, "Space")
        wait_for(name, "History full: 3 steps is the limit here")
    finally:
        s.stop()


def test_a_claimed_terminal_size_is_capped():
    import fcntl
    import pty
    import struct
    import termios

    from bptui.serve import MAX_COLS, MAX_ROWS, set_winsize

    master, slave = pty.openpty()
    try:
        set_winsize(master, 60_000, 60_000)
        rows, cols = struct.unpack("HHHH", fcntl.ioctl(slave, termios.TIOCGWINSZ, b"\0" * 8))[:2]
        assert (cols, rows) == (MAX_COLS, MAX_ROWS)
        set_winsize(master, 100, 30)
        rows, cols = struct.unpack("HHHH", fcntl.ioctl(slave, termios.TIOCGWINSZ, b"\0" * 8))[:2]
        assert (cols, rows) == (100, 30)
    finally:
        os.close(master)
        os.close(slave)


def test_a_huge_paste_into_a_stuck_app_stalls_no_one_else(server, student):
    """One student pastes 1 MB into an app that is not reading (stopped
    here): the server buffers a little, holds the rest back with SSH flow
    control, and every other student's keys still go through."""
    other = student(server.port)
    wait_for(other, "Forward pass")

    async def paste_then_check() -> None:
        async with asyncssh.connect(
            "127.0.0.1", server.port, username="paster", known_hosts=None, client_keys=None
        ) as conn:
            process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            shown = b""
            while b"Forward pass" not in shown:  # the app is up, its terminal in raw mode
                shown += await asyncio.wait_for(process.stdout.read(65536), 30)
            pid = server.pids()[1]
            os.kill(pid, signal.SIGSTOP)  # the paster's app reads nothing now
            try:
                process.stdin.write(b"\x1b[200~" + b"0123456789abcdef" * 65536 + b"\x1b[201~")
                await asyncio.sleep(1)  # the paste reaches the server
                tmux("send-keys", "-t", other, "Space")
                deadline = time.monotonic() + 15
                while "step 1" not in tmux("capture-pane", "-p", "-t", other) and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                assert "step 1" in tmux("capture-pane", "-p", "-t", other), "the other student's key was stalled"
            finally:
                os.kill(pid, signal.SIGCONT)
            process.close()

    asyncio.run(paste_then_check())
    assert server.proc.poll() is None


TERMINAL_MODES_OFF = (b"\x1b[?1049l", b"\x1b[?1003l", b"\x1b[?25h")


async def _output_until_closed(port: int, after_start=None) -> bytes:
    """Everything a student's terminal receives, from connecting until the
    server closes the channel."""
    async with asyncssh.connect("127.0.0.1", port, username="s", known_hosts=None, client_keys=None) as conn:
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        received = b""
        while b"Forward pass" not in received:
            received += await asyncio.wait_for(process.stdout.read(65536), 30)
        if after_start is not None:
            after_start()
        while True:
            chunk = await asyncio.wait_for(process.stdout.read(65536), 30)
            if not chunk:
                return received
            received += chunk


def test_an_idle_timeout_gives_the_student_their_terminal_back(tmp_path):
    server = Server(tmp_path, "--idle-timeout", "2")
    try:
        out = asyncio.run(_output_until_closed(server.port))
    finally:
        server.stop()
    goodbye = out.rindex(b"closed after a while without a key")
    tail = out[out.rindex(b"\x1b[?1049h") :]  # from the app's last entry to the alternate screen
    assert all(mode in tail for mode in TERMINAL_MODES_OFF), tail[-300:]
    assert out.rindex(b"\x1b[?1049l") < goodbye  # the goodbye is printed on the normal screen


def test_a_stopping_server_gives_every_student_their_terminal_back(tmp_path):
    server = Server(tmp_path)
    out = asyncio.run(_output_until_closed(server.port, after_start=lambda: server.proc.send_signal(signal.SIGINT)))
    assert server.proc.wait(10) == 0
    goodbye = out.rindex(b"the class is over")
    assert all(mode in out[out.rindex(b"\x1b[?1049h") :] for mode in TERMINAL_MODES_OFF)
    assert out.rindex(b"\x1b[?1049l") < goodbye


def test_stopping_right_after_a_client_dropped_is_a_clean_stop(tmp_path, student):
    """Ctrl-C while a dropped student's app is still ending: the stop says
    goodbye only to channels that are open, and exits 0."""
    server = Server(tmp_path)
    names = [student(server.port) for _ in range(3)]
    for name in names:
        wait_for(name, "Forward pass")
    for name in names:
        tmux("kill-session", "-t", name)
    assert server.stop() == 0, server.log
    assert "cannot listen" not in server.log and "Traceback" not in server.log


def test_a_connection_gets_three_wrong_passwords(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("correct horse\n")
    server = Server(tmp_path, "--password-file", str(pw))
    tries = []

    class Guesser(asyncssh.SSHClient):
        def password_auth_requested(self) -> str:
            tries.append(1)
            return f"guess {len(tries)}"

    async def guess() -> None:
        async with asyncssh.connect(
            "127.0.0.1", server.port, username="student", client_factory=Guesser,
            known_hosts=None, client_keys=None, agent_path=None, preferred_auth="password",
        ):  # fmt: skip
            pass

    try:
        with pytest.raises((asyncssh.PermissionDenied, asyncssh.DisconnectError)):
            asyncio.run(guess())
        assert len(tries) == 3
        deadline = time.monotonic() + 5
        while "never logged in" not in server.log and time.monotonic() < deadline:
            time.sleep(0.1)
        # the first wrong password is shown; the others are folded into a count
        assert "wrong password from 127.0.0.1" in server.log and "(1 of 3)" in server.log
        assert "never logged in" in server.log and "guess" not in server.log
    finally:
        server.stop()


_names = iter(range(1, 1_000_000))


async def _connect(port: int, username: str | None = None) -> asyncssh.SSHClientConnection:
    """A client under a name of its own (the same name twice would resume
    the first one's session)."""
    username = username or f"s{next(_names)}"
    return await asyncssh.connect("127.0.0.1", port, username=username, known_hosts=None, client_keys=None)


async def _read_until(process, text: bytes, timeout: float = 30) -> bytes:
    got = b""
    while text not in got:
        chunk = await asyncio.wait_for(process.stdout.read(65536), timeout)
        if not chunk:
            raise AssertionError(f"closed before {text!r}: {got[-500:]!r}")
        got += chunk
    return got


async def _read_to_end(process, timeout: float = 20) -> bytes:
    got = b""
    while chunk := await asyncio.wait_for(process.stdout.read(65536), timeout):
        got += chunk
    return got


def test_a_strange_terminal_name_or_environment_gets_defaults_not_a_stuck_slot(tmp_path):
    """A NUL byte in TERM or in LANG cannot reach an environment: the app
    starts with the default terminal and without that variable, and every
    slot of the class stays usable."""
    server = Server(tmp_path, "--max-sessions", "1")

    async def visit(**kw) -> None:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_size=(80, 24), encoding=None, **kw)
            await _read_until(p, b"Forward pass")
            p.stdin.write(b"q")
            await _read_to_end(p)

    try:
        for kw in ({"term_type": "xterm\0evil"}, {"term_type": "xterm", "env": {"LANG": "C\0x"}}):
            asyncio.run(visit(**kw))
        assert "class is full" not in server.log and "Traceback" not in server.log
    finally:
        server.stop()


def test_a_client_that_drops_while_its_app_starts_leaves_no_app(tmp_path):
    server = Server(tmp_path, "--max-sessions", "3", "--idle-timeout", "0")

    async def drop() -> None:
        conn = await _connect(server.port)
        await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        conn.abort()  # at once: the app is still starting

    try:
        for _ in range(5):
            asyncio.run(drop())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(p) for p in server.pids()):
            time.sleep(0.2)
        assert server.pids() and not any(alive(p) for p in server.pids())
        async def visit() -> None:  # and the class has room again
            async with await _connect(server.port) as conn:
                p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
                await _read_until(p, b"Forward pass")
        asyncio.run(visit())
    finally:
        server.stop()


def test_a_client_that_closes_its_input_still_sees_the_app_to_its_end(server):
    """ssh < keys: the keys, then end of input. The app runs them (q quits)
    and the session closes with the app's exit status."""

    async def keys_then_eof() -> int:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            p.stdin.write(b" ")
            p.stdin.write_eof()
            await _read_until(p, b"0.7406864")  # w2 after one step: the app ran the key
            return p  # after the client's EOF

    async def quit_after_eof() -> int | None:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            p.stdin.write(b"q")
            p.stdin.write_eof()
            await _read_to_end(p)
            await asyncio.wait_for(p.wait_closed(), 10)
            return p.exit_status

    asyncio.run(keys_then_eof())
    assert asyncio.run(quit_after_eof()) == 0
    assert "Traceback" not in server.log


def test_keys_typed_while_the_app_starts_are_not_echoed_or_signals(server):
    async def type_ahead() -> tuple[bytes, int | None]:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            # keys, an arrow and Ctrl-C before the app is up: Ctrl-C is a key
            # (the app's own quit, at once), never a signal
            p.stdin.write(b"ab\x1b[A\x03")
            shown = await _read_to_end(p)
            await asyncio.wait_for(p.wait_closed(), 10)
            return shown, p.exit_status

    shown, status = asyncio.run(type_ahead())
    assert b"Traceback" not in shown and b"^C" not in shown and b"^[[A" not in shown
    assert status == 0


def test_a_crashed_app_gives_the_terminal_back_and_says_so(server):
    async def crash() -> bytes:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            shown = await _read_until(p, b"Forward pass")
            (pid,) = server.pids()
            os.kill(pid, signal.SIGKILL)
            return shown + await _read_to_end(p)

    out = asyncio.run(crash())
    goodbye = out.rindex(b"the app stopped unexpectedly (signal 9)")
    assert all(mode in out[out.rindex(b"\x1b[?1049h") :] for mode in TERMINAL_MODES_OFF)
    assert out.rindex(b"\x1b[?1049l") < goodbye


def test_one_session_a_connection_and_none_means_goodbye(tmp_path):
    server = Server(tmp_path, "--login-timeout", "2")

    async def two_sessions() -> None:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)

    async def no_session() -> float:
        conn = await _connect(server.port)  # ssh -N: logged in, no session
        t = time.monotonic()
        await asyncio.wait_for(conn.wait_closed(), 10)
        return time.monotonic() - t

    try:
        asyncio.run(two_sessions())
        assert "refused a second session" in server.log
        assert 1.5 < asyncio.run(no_session()) < 8
        assert "no app after 2s" in server.log
    finally:
        server.stop()


def test_stopping_closes_connections_that_have_no_session(tmp_path):
    server = Server(tmp_path)

    async def idle_then_stop() -> None:
        conn = await _connect(server.port)  # logged in, no session yet
        server.proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(conn.wait_closed(), 10)

    asyncio.run(idle_then_stop())
    assert server.proc.wait(10) == 0
