"""bptui serve under attack, on loopback (issue 11): for each flood, how long a
legitimate student takes to get an app (first screen), from another address
and from the attacker's own, with the server's memory and the log's growth;
password guesses a second; a student's app memory under a plain key flood.

Other loopback addresses (127.0.0.2, …) play "another address". Every flood
is bounded in count and time.

    python benchmarks/serve_attack.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncssh

PASSWORD = "correct horse battery"
GUESSERS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.log_path = tmp / f"serve-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bptui", "serve", "--port", str(self.port), "--host-key", str(tmp / "key"), *args],
            stdout=subprocess.PIPE, stderr=open(self.log_path, "w"), text=True,
            env={**os.environ, "XDG_DATA_HOME": str(tmp)},
        )  # fmt: skip
        for _ in range(3):
            self.proc.stdout.readline()

    def log_bytes(self) -> int:
        return self.log_path.stat().st_size

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(20)


async def get_in(port: int, source: str, password: str | None = None, tries: int = 10) -> tuple[float, int]:
    """Seconds from the first try until the first screen, and the tries."""
    start = time.perf_counter()
    for n in range(1, tries + 1):
        try:
            async with asyncssh.connect(
                "127.0.0.1", port, username=f"bench{n}-{random.randrange(10**9)}", known_hosts=None, client_keys=None, agent_path=None,
                local_addr=(source, 0), password=password, connect_timeout=15, login_timeout=15,
            ) as conn:  # fmt: skip
                p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
                got = b""
                while b"Forward pass" not in got:
                    chunk = await asyncio.wait_for(p.stdout.read(65536), 30)
                    if not chunk:
                        raise ConnectionError("closed")
                    got += chunk
                elapsed = time.perf_counter() - start
                p.stdin.write(b"q")
                await asyncio.wait_for(p.wait_closed(), 30)
                return elapsed, n
        except (OSError, asyncssh.Error, asyncio.TimeoutError, ConnectionError):
            await asyncio.sleep(0.5)
    return float("inf"), tries


def silent_crowd(port: int, n: int, stop: threading.Event, counts: list[int]) -> None:
    socks, poll = {}, select.poll()
    while not stop.is_set():
        while len(socks) < n:
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                break
            socks[s.fileno()] = s
            poll.register(s, select.POLLIN | select.POLLHUP)
        for fd, _ in poll.poll(50):
            poll.unregister(fd)
            socks.pop(fd).close()
            counts[0] += 1
    for s in socks.values():
        s.close()


async def guessers(port: int, n: int, seconds: float) -> int:
    sent = [0]

    class Guesser(asyncssh.SSHClient):
        def password_auth_requested(self) -> str:
            sent[0] += 1
            return f"guess {sent[0]}"

    async def one() -> None:
        while True:
            try:
                async with asyncssh.connect(
                    "127.0.0.1", port, username="x", client_factory=Guesser, known_hosts=None, client_keys=None,
                    agent_path=None, preferred_auth="password", connect_timeout=30,
                ):  # fmt: skip
                    pass
            except (OSError, asyncssh.Error, asyncio.TimeoutError):
                pass

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await asyncio.sleep(seconds)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return sent[0]


def checked_guesses(log: str) -> int:
    """Wrong passwords the server checked, from its folded log."""
    n = 0
    for line in log.splitlines():
        if "wrong password from" in line:
            n += 1
        elif " wrong passwords" in line and "more in" in line:
            n += int(line.split(" wrong passwords")[0].rsplit(" ", 1)[1].replace(",", ""))
    return n


def report(name: str, other: tuple[float, int], same: tuple[float, int], server_mib: float, log_per_min: float) -> None:
    print(
        f"{name:<34} another address {other[0]:6.2f} s ({other[1]} tries)   same address {same[0]:6.2f} s "
        f"({same[1]} tries)   server {server_mib:5.1f} MiB   log {log_per_min:7,.0f} B/min"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="how long each flood runs (default 20)")
    args = ap.parse_args()
    print(f"bptui serve under attack: {os.cpu_count()} cores, loopback, floods of {args.seconds:g} s\n")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pw = tmp / "pw"
        pw.write_text(PASSWORD + "\n")

        server = Server(tmp)
        base = asyncio.run(get_in(server.port, "127.0.0.2"))
        report("no attack", base, asyncio.run(get_in(server.port, "127.0.0.1")), rss_mib(server.proc.pid), 0)
        server.stop()

        # 300 silent sockets from 127.0.0.1, each reopened as it drops
        server = Server(tmp)
        stop, counts = threading.Event(), [0]
        crowd = threading.Thread(target=silent_crowd, args=(server.port, 300, stop, counts))
        log0, t0 = server.log_bytes(), time.monotonic()
        crowd.start()
        time.sleep(2)
        other = asyncio.run(get_in(server.port, "127.0.0.2"))
        same = asyncio.run(get_in(server.port, "127.0.0.1"))
        time.sleep(max(0.0, args.seconds - (time.monotonic() - t0)))
        mem = rss_mib(server.proc.pid)
        stop.set()
        crowd.join()
        per_min = (server.log_bytes() - log0) / (time.monotonic() - t0) * 60
        report(f"300 silent sockets ({counts[0]:,} drops)", other, same, mem, per_min)
        server.stop()

        # GUESSERS connections from 127.0.0.1 guessing the password
        server = Server(tmp, "--password-file", str(pw))
        log0, t0 = server.log_bytes(), time.monotonic()
        result: dict[str, object] = {}
        attack = threading.Thread(target=lambda: result.update(sent=asyncio.run(guessers(server.port, GUESSERS, args.seconds))))
        attack.start()
        time.sleep(3)
        other = asyncio.run(get_in(server.port, "127.0.0.2", PASSWORD))
        same = asyncio.run(get_in(server.port, "127.0.0.1", PASSWORD))
        mem = rss_mib(server.proc.pid)
        attack.join()
        elapsed = time.monotonic() - t0
        server.stop()  # its last log summary
        log = server.log_path.read_text()
        per_min = (server.log_bytes() - log0) / elapsed * 60
        report(f"{GUESSERS} connections guessing", other, same, mem, per_min)
        print(f"{'':<34} guesses checked {checked_guesses(log) / args.seconds:.1f}/s (sent {result['sent']:,})")

        # one student pastes 10 MiB of plain keys, then Ctrl-C and q
        server = Server(tmp)
        print(flood(server, 10))
        server.stop()


def flood(server: Server, mib: int) -> str:
    async def run() -> str:
        async with asyncssh.connect("127.0.0.1", server.port, username="flood", known_hosts=None, client_keys=None,
                                    agent_path=None) as conn:  # fmt: skip
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            got = b""
            while b"Forward pass" not in got:
                got += await asyncio.wait_for(p.stdout.read(65536), 30)
            pid = int(server.log_path.read_text().split("pid=")[-1].split()[0])
            peak, start = rss_mib(pid), time.perf_counter()
            sink = asyncio.create_task(_drain(p))
            for _ in range(mib * 16):
                p.stdin.write(b"x" * 65536)
                await p.stdin.drain()
                peak = max(peak, rss_mib(pid))
            p.stdin.write(b"\x03")
            other = await get_in(server.port, "127.0.0.2")
            while b"to quit the app" not in sink_tail[0]:
                peak = max(peak, rss_mib(pid))
                await asyncio.sleep(0.05)
            drained = time.perf_counter() - start
            p.stdin.write(b"q")
            await asyncio.wait_for(p.wait_closed(), 60)
            sink.cancel()
            return (
                f"{'a 10 MiB plain paste':<34} another student in {other[0]:.2f} s; the paste drained in {drained:.1f} s "
                f"({mib / drained:.1f} MiB/s); app RSS peak {peak:.1f} MiB; server {rss_mib(server.proc.pid):.1f} MiB; "
                f"q quit: exit {p.exit_status}"
            )

    sink_tail = [b""]

    async def _drain(p) -> None:
        while chunk := await p.stdout.read(65536):
            sink_tail[0] = (sink_tail[0] + chunk)[-4096:]

    return asyncio.run(run())


if __name__ == "__main__":
    main()
