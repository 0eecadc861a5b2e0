"""`bptui serve` attacked as a student in the room would attack it (issue 11):
floods of keys, silent sockets, password guessing, sessions that never start,
hostile environments, running out of descriptors. Each test counts (bytes,
lines, tries, guesses), never times. Other loopback addresses (127.0.0.2, …)
play "another address": all of 127.0.0.0/8 is loopback on Linux."""

from __future__ import annotations

import asyncio
import os
import pwd
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncssh
import pytest

from tests.test_serve import SSH, SFTP, TMUX, Server, _connect, _read_to_end, _read_until, alive, server, ssh_args, wait_log  # noqa: F401 (server: a fixture)

pytestmark = pytest.mark.skipif(not (SSH and SFTP and TMUX), reason="needs openssh-client and tmux")


def status_kib(pid: int, field: str) -> int:
    """A memory figure of a running process; 0 once it is exiting or has
    exited (its memory released, the field is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def drain(stream, sink: list[bytes], seen: threading.Event | None = None, mark: bytes = b"Forward pass") -> threading.Thread:
    """Read `stream` to its end, keeping each chunk's tail; `seen` is set once
    `mark` has come (looked for in whole chunks, before they are cut)."""

    def run() -> None:
        tail = b""
        while chunk := stream.read1(65536):
            if seen is not None and mark in tail + chunk:
                seen.set()
            tail = chunk[-len(mark) :]
            sink.append(chunk[-2000:])

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


# --- input floods --------------------------------------------------------------------------

PASTE_MIB = 4
APP_RSS_BOUND_MIB = 200  # an app at rest holds about 60 MiB; unbounded, a 4 MiB paste takes it past 500


def test_a_plain_multi_megabyte_paste_keeps_the_app_small_and_q_still_quits(tmp_path):
    """OpenSSH, no bracketed-paste markers: 4 MiB of keys, then Ctrl-C, then
    q. The app reads its terminal only as fast as it handles keys (the rest
    waits at the client), so its memory stays bounded; the Ctrl-C behind the
    flood is still a key (it shows how to quit), and q then quits. (A q inside
    the run of pasted characters is pasted text, not a key.)"""
    server = Server(tmp_path)
    try:
        cmd = [*ssh_args(server.port)[:-1], "-tt", ssh_args(server.port)[-1]]
        ssh = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        shown: list[bytes] = []
        first_frame = threading.Event()
        reader = drain(ssh.stdout, shown, first_frame)
        assert wait_log(server, "pid=", 30)
        (pid,) = server.pids()
        assert first_frame.wait(60), "the app never drew"
        peak = 0
        chunk = b"x" * 65536
        for _ in range(PASTE_MIB * 16):
            ssh.stdin.write(chunk)
            ssh.stdin.flush()
            peak = max(peak, status_kib(pid, "VmRSS") // 1024)
            assert peak < APP_RSS_BOUND_MIB, f"the app grew to {peak} MiB during the paste"
        ssh.stdin.write(b"\x03")  # Ctrl-C as a key: the app's own quit, at once
        ssh.stdin.flush()
        deadline = time.monotonic() + 120  # liveness only: bounded, it takes a few seconds
        while ssh.poll() is None:
            peak = max(peak, status_kib(pid, "VmRSS") // 1024) if alive(pid) else peak
            assert time.monotonic() < deadline, f"the Ctrl-C behind the paste was buried (app at {peak} MiB)"
            time.sleep(0.1)
        assert peak < APP_RSS_BOUND_MIB, f"the app grew to {peak} MiB during the paste"
        assert ssh.wait(120) == 0, "Ctrl-C did not quit"
        reader.join(10)
        assert not alive(pid)
        assert "Traceback" not in server.log
    finally:
        server.stop()


def test_a_flood_into_the_rate_prompt_keeps_the_app_small(server):
    """`l`, then a plain 1 MiB paste of digits into the prompt: memory stays
    bounded, Esc leaves the prompt and q q quits."""
    from bptui.prompt import MAX_ANSWER

    assert MAX_ANSWER <= 1024  # an answer is short: Esc and q never wait behind a huge one

    async def flood() -> tuple[int, int | None]:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            (pid,) = server.pids()
            p.stdin.write(b"l")
            await _read_until(p, b"rate")
            peak = 0
            for _ in range(16):
                p.stdin.write(b"1" * 65536)
                await p.stdin.drain()
                peak = max(peak, status_kib(pid, "VmRSS") // 1024)
            reader = asyncio.create_task(_read_to_end(p, 60))
            await asyncio.sleep(1)  # Esc alone, not Alt+q
            p.stdin.write(b"\x1b")
            await asyncio.sleep(1)
            p.stdin.write(b"qq")  # q asks once; the second quits
            await reader
            await asyncio.wait_for(p.wait_closed(), 30)
            peak = max(peak, status_kib(pid, "VmRSS") // 1024) if alive(pid) else peak
            return peak, p.exit_status

    peak, status = asyncio.run(flood())
    assert peak < APP_RSS_BOUND_MIB and status == 0


# --- silent sockets ------------------------------------------------------------------------


class SilentCrowd:
    """`n` TCP connections from `source` that never send a byte, each
    reopened as soon as the server drops it."""

    def __init__(self, port: int, n: int = 300, source: str = "127.0.0.1") -> None:
        self.port, self.n, self.source = port, n, source
        self.stop = threading.Event()
        self.reopened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket | None:
        s = socket.socket()
        try:
            s.bind((self.source, 0))
            s.connect(("127.0.0.1", self.port))
            return s
        except OSError:
            s.close()
            return None

    def _run(self) -> None:
        socks = {}
        poll = select.poll()
        while not self.stop.is_set():
            while len(socks) < self.n and not self.stop.is_set():
                s = self._open()
                if s is None:
                    break
                socks[s.fileno()] = s
                poll.register(s, select.POLLIN | select.POLLHUP)
            for fd, _ in poll.poll(50):
                poll.unregister(fd)
                socks.pop(fd).close()
                self.reopened += 1
        for s in socks.values():
            s.close()

    def __enter__(self) -> "SilentCrowd":
        self.thread.start()
        while self.reopened < self.n and self.thread.is_alive():  # the crowd is at full churn
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(10)


async def _gets_an_app(port: int, source: str, password: str | None = None) -> bool:
    """One try: log in from `source` and see the first screen."""
    try:
        async with asyncssh.connect(
            "127.0.0.1", port, username="s", known_hosts=None, client_keys=None, agent_path=None,
            local_addr=(source, 0), password=password, connect_timeout=20,
        ) as conn:  # fmt: skip
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass", 30)
            p.stdin.write(b"q")
            await _read_to_end(p, 30)
            return True
    except (OSError, asyncssh.Error, asyncio.TimeoutError, AssertionError):
        return False


def tries_to_get_in(port: int, source: str, most: int, password: str | None = None) -> int | None:
    """How many tries a student from `source` needs to get an app (None: not in `most`)."""
    for n in range(1, most + 1):
        if asyncio.run(_gets_an_app(port, source, password)):
            return n
        time.sleep(0.5)
    return None


def lines_about(log: str, address: str) -> list[str]:
    return [line for line in log.splitlines() if f"{address}:" in line or line.split(" ", 2)[-1].startswith(address)]


def test_300_silent_sockets_reopened_leave_the_class_open(tmp_path):
    server = Server(tmp_path)
    try:
        with SilentCrowd(server.port) as crowd:
            started = time.monotonic()
            # another address: at once
            assert tries_to_get_in(server.port, "127.0.0.2", 1) == 1
            # the crowd's own address: its silent sockets only push each other out
            assert tries_to_get_in(server.port, "127.0.0.1", 5) is not None
            reopened = crowd.reopened
            elapsed = time.monotonic() - started
        assert reopened > crowd.n, "the crowd was not dropped and reopening"
        assert "connect 127.0.0.2:" in server.log and "Traceback" not in server.log
        # folded: a first line a kind, then one summary an address every 10 s
        attack_lines = [line for line in server.log.splitlines() if "127.0.0.1" in line and "user=s" not in line]
        assert len(attack_lines) <= 6 + elapsed / 10 + 2, attack_lines
    finally:
        server.stop()


def test_many_addresses_waiting_meet_random_early_drop(tmp_path):
    """Past half of the waiting room, newcomers are refused at random; at
    the room's size, always. --max-sessions 1: a room of 20."""
    server = Server(tmp_path, "--max-sessions", "1")
    idle = []
    try:
        for i in range(40):
            s = socket.socket()
            s.bind((f"127.0.0.{10 + i}", 0))
            s.connect(("127.0.0.1", server.port))
            idle.append(s)
        assert wait_log(server, "connections are already waiting to log in")
        time.sleep(2)  # every refusal has been made
        kept = 0
        for s in idle:
            s.setblocking(False)
            try:
                while s.recv(65536):  # the server's version, then EOF if it dropped us
                    pass
            except BlockingIOError:
                kept += 1  # still open, waiting for our version
            except ConnectionResetError:
                pass
        assert 10 <= kept <= 20, kept
    finally:
        for s in idle:
            s.close()
        server.stop()


# --- password guessing ---------------------------------------------------------------------

GUESSERS = 20
GUESS_SECONDS = 8


def test_guessing_from_one_address_is_slowed_and_the_right_password_gets_in(tmp_path):
    """20 connections from one address guess as fast as the server answers,
    for a while: the back-off holds them to a few guesses a second. Meanwhile
    the right password from another address gets in at the first try, and
    from the guessing address within a few tries."""
    pw = tmp_path / "pw"
    pw.write_text("correct horse\n")
    server = Server(tmp_path, "--password-file", str(pw))
    guesses = []
    stop = threading.Event()

    class Guesser(asyncssh.SSHClient):
        def password_auth_requested(self) -> str:
            guesses.append(1)
            return f"guess {len(guesses)}"

    async def guesser() -> None:
        while not stop.is_set():
            try:
                async with asyncssh.connect(
                    "127.0.0.1", server.port, username="student", client_factory=Guesser, known_hosts=None,
                    client_keys=None, agent_path=None, preferred_auth="password", connect_timeout=30,
                ):  # fmt: skip
                    pass
            except (OSError, asyncssh.Error, asyncio.TimeoutError):
                pass

    async def attack() -> None:
        tasks = [asyncio.create_task(guesser()) for _ in range(GUESSERS)]
        await asyncio.sleep(GUESS_SECONDS)
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        attacker = threading.Thread(target=lambda: asyncio.run(attack()))
        attacker.start()
        time.sleep(2)  # the back-off has engaged
        other = tries_to_get_in(server.port, "127.0.0.2", 1, "correct horse")
        same = tries_to_get_in(server.port, "127.0.0.1", 3, "correct horse")
        attacker.join(60)
        assert other == 1 and same is not None
        server.stop()  # the last summary is written
        # checked guesses, from the folded log: the first line, then the counts
        summaries = [line.split(" wrong passwords")[0].rsplit(" ", 1)[1] for line in server.log.splitlines()
                     if "127.0.0.1: " in line and " wrong passwords" in line]  # fmt: skip
        checked = 1 + sum(int(n.replace(",", "")) for n in summaries)
        # unchecked, 20 connections made over 1,000 guesses a second; held
        # back, the first guess of each connection is free, then at most one
        # every 0.25 s
        assert len(guesses) >= checked > GUESSERS, (len(guesses), checked)
        assert checked <= GUESSERS + 5 * GUESS_SECONDS, checked
        assert "wrong password from 127.0.0.1" in server.log and "correct horse" not in server.log
        attack_lines = [line for line in server.log.splitlines() if "127.0.0.1" in line and "user=s " not in line]
        assert len(attack_lines) <= 6 + GUESS_SECONDS / 10 + 3, attack_lines
    finally:
        stop.set()
        server.stop()


# --- sessions that never start -------------------------------------------------------------


def test_a_session_channel_that_never_asks_for_a_shell_is_closed(tmp_path):
    server = Server(tmp_path, "--login-timeout", "2")

    async def open_and_wait() -> bool:
        conn = await _connect(server.port)
        # a bare session channel: no pty, no shell, no exec request
        chan = asyncssh.channel.SSHClientChannel(conn, asyncio.get_running_loop(), "strict", None, "strict", 2**21, 32768)
        await chan._open(b"session")
        await asyncio.wait_for(conn.wait_closed(), 30)
        return True

    try:
        assert asyncio.run(open_and_wait())
        assert wait_log(server, "no app after 2s")
    finally:
        server.stop()


def test_sessions_without_an_app_count_as_waiting(tmp_path):
    """Logged in with a channel and no shell: such connections fill their
    address's waiting places (and then make way for a real login)."""
    server = Server(tmp_path, "--max-waiting-per-address", "3")

    async def hold_and_visit() -> bool:
        held = [await _connect(server.port) for _ in range(3)]
        for conn in held:
            chan = asyncssh.channel.SSHClientChannel(conn, asyncio.get_running_loop(), "strict", None, "strict", 2**21, 32768)
            await chan._open(b"session")
        # a fourth from the same address: refused while the three are fresh
        with pytest.raises((OSError, asyncssh.Error)):
            await asyncssh.connect("127.0.0.1", server.port, username="s", known_hosts=None, client_keys=None,
                                   agent_path=None, connect_timeout=20)  # fmt: skip
        for conn in held:
            conn.close()
        return True

    try:
        assert asyncio.run(hold_and_visit())
        assert "3 connections from 127.0.0.1 are already logging in" in server.log
    finally:
        server.stop()


# --- the environment -----------------------------------------------------------------------


def test_hostile_environment_values_are_dropped(tmp_path):
    """The app says over its control channel what it runs with (the log
    shows it): a real locale passes, escapes and a huge value do not. Apps
    are forked from the warm template, so /proc's environment block of any
    of them is the template's, with no student's value at all."""
    server = Server(tmp_path)
    hostile = {"LANG": "C.UTF-8\x1b[31m", "LC_ALL": "\x1b]0;owned\x07", "COLORTERM": "x" * 140_000, "LC_CTYPE": "en_US.UTF-8"}

    async def visit() -> bytes:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None, env=hostile)
            await _read_until(p, b"Forward pass")
            assert wait_log(server, "runs with")
            (pid,) = server.pids()
            raw = Path(f"/proc/{pid}/environ").read_bytes()
            p.stdin.write(b"q")
            await _read_to_end(p)
            return raw

    try:
        raw = asyncio.run(visit())
        (told,) = [line.split("runs with ")[1] for line in server.log.splitlines() if "runs with" in line]
        assert told == "LANG=C.UTF-8 LC_CTYPE=en_US.UTF-8"
        assert b"owned" not in raw and b"xxxx" not in raw and b"en_US" not in raw
        assert "dropped COLORTERM, LANG, LC_ALL from 127.0.0.1" in server.log
        assert "\x1b" not in server.log
    finally:
        server.stop()


# --- per-app limits ------------------------------------------------------------------------


def test_an_app_past_its_memory_limit_ends_with_a_message(tmp_path):
    """--app-memory 50: too little for the app to start. Its session ends,
    the student is told why, the log names the cause, and the server runs on."""
    server = Server(tmp_path, "--app-memory", "50")

    async def visit() -> bytes:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            return await _read_to_end(p, 60)

    try:
        shown = asyncio.run(visit())
        assert b"the app ran out of memory (50 MiB here)" in shown
        assert wait_log(server, "ran out of memory (50 MiB, --app-memory)")
        assert server.proc.poll() is None
    finally:
        server.stop()


def test_apps_run_niced_and_under_a_data_limit(server):
    async def visit() -> tuple[int, int]:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            (pid,) = server.pids()
            nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
            limits = Path(f"/proc/{pid}/limits").read_text()
            data = int(next(line for line in limits.splitlines() if line.startswith("Max data size")).split()[3])
            p.stdin.write(b"q")
            await _read_to_end(p)
            return nice, data

    nice, data = asyncio.run(visit())
    assert nice == 10 and data == 300 * 1024 * 1024


def test_root_is_told_and_user_is_checked(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the server runs as root only when the tests do")
    server = Server(tmp_path)
    server.stop()
    assert "running as root" in server.log and "--user NAME" in server.log
    r = subprocess.run([sys.executable, "-m", "bptui", "serve", "--user", "root"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2 and "that is root" in r.stderr


def nobody_can_run_the_app(user: pwd.struct_passwd) -> bool:
    try:
        tried = subprocess.run([sys.executable, "-c", "import bptui.app"], user=user.pw_uid, group=user.pw_gid,
                               extra_groups=[], cwd="/", capture_output=True, timeout=60)  # fmt: skip
    except PermissionError:
        return False
    return tried.returncode == 0


def test_apps_run_as_the_user_given(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("--user needs a server run as root")
    user = pwd.getpwnam("nobody")
    if not nobody_can_run_the_app(user):
        pytest.skip(f"nobody cannot run {sys.executable} here (its directories are private)")
    server = Server(tmp_path, "--user", "nobody")

    async def visit() -> tuple[int, str, str]:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            (pid,) = server.pids()
            uid = int(next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("Uid:")).split()[1])
            cwd = os.readlink(f"/proc/{pid}/cwd")
            env = dict(i.split("=", 1) for i in Path(f"/proc/{pid}/environ").read_text().split("\0") if i)
            p.stdin.write(b"q")
            await _read_to_end(p)
            return uid, cwd, env["HOME"]

    try:
        uid, cwd, home = asyncio.run(visit())
        assert uid == user.pw_uid and cwd == home and "bptui-serve-" in home
        assert "students' apps run as nobody" in server.log
        deadline = time.monotonic() + 10
        while os.path.exists(home) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(home)  # removed with the session
    finally:
        server.stop()


def test_user_that_cannot_run_the_app_is_refused_in_one_line():
    if os.geteuid() != 0:
        pytest.skip("--user needs a server run as root")
    if nobody_can_run_the_app(pwd.getpwnam("nobody")):
        # the server would start and serve: test_apps_run_as_the_user_given covers it
        pytest.skip("nobody can run this Python here")
    r = subprocess.run([sys.executable, "-m", "bptui", "serve", "--user", "nobody", "--port", "0"],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "--user nobody:" in r.stderr and len(r.stderr.splitlines()) == 1


# --- out of descriptors --------------------------------------------------------------------


def test_running_out_of_descriptors_logs_once_and_recovers(tmp_path):
    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    server = Server(tmp_path, "--max-sessions", "100", "--max-waiting-per-address", "1000", preexec_fn=few_files)
    held = []
    try:
        for _ in range(100):  # more than the server can hold
            s = socket.socket()
            s.connect(("127.0.0.1", server.port))
            held.append(s)
        assert wait_log(server, "cannot accept connections for now")
        time.sleep(3)  # accept() fails again every second meanwhile
        assert server.log.count("cannot accept connections for now") == 1
        assert "Traceback" not in server.log
        for s in held:
            s.close()
        held.clear()
        assert tries_to_get_in(server.port, "127.0.0.2", 5) is not None
    finally:
        for s in held:
            s.close()
        server.stop()


# --- the parts, without a server -----------------------------------------------------------


def test_the_shaper_turns_a_run_of_printable_characters_into_one_paste():
    from textual import events

    from bptui.app.input_driver import InputShaper

    shaper = InputShaper(limit=10, run=5)
    assert shaper.feed("ab") == ["ab"]  # typing stays keys
    (paste,) = shaper.feed("x" * 12)
    assert isinstance(paste, events.Paste) and paste.text == "x" * 12
    # control keys and escape sequences in a flood stay keys
    out = shaper.feed("\x1b[1;5Axxxxxxx\x03zzzzzz\rq")
    assert out[0] == "\x1b[1;5A" and out[2] == "\x03" and out[-1] == "\rq"
    # a bracketed paste is cut at the limit, its markers kept, even split across reads
    assert shaper.feed("\x1b[200~" + "y" * 30 + "\x1b[20") == ["\x1b[200~", "y" * 10]
    assert shaper.feed("1~q") == ["\x1b[201~", "q"]
    assert shaper.feed("\x1b") == ["\x1b"]  # a lone Esc is never held back


def test_folded_log_lines_are_bounded_per_address():
    import io

    from bptui.serve.log import FoldingLog

    out = io.StringIO()
    log = FoldingLog(out)
    for window in range(6):  # a minute of attack
        for i in range(10_000):
            log.repeated("10.0.0.9", "refused", f"refused 10.0.0.9:{i}: too many")
            log.repeated("10.0.0.9", "wrong passwords", f"wrong password from 10.0.0.9:{i}")
        log.fold()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 + 6 and len(out.getvalue()) < 1024
    assert "10.0.0.9: 19,998 more in 10s: 9,999 refused, 9,999 wrong passwords" in lines[2]
    log.fold()  # a quiet window: the address is forgotten, its next line shown in full
    log.repeated("10.0.0.9", "refused", "refused again")
    assert out.getvalue().splitlines()[-1].endswith("refused again")
