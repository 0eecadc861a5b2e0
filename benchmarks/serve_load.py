"""bptui serve under a class: memory per session, and step latency with 1, 10
and 30 students stepping at once (asyncssh clients with 80×24 terminals on
loopback, each pressing space and waiting for its screen to update).

Latency is from the key leaving the client to the end of the screen's update
(the last byte before the output goes quiet for QUIET seconds, QUIET itself
not counted).

    python benchmarks/serve_load.py [--sessions 1,10,30] [--steps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

QUIET = 0.15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def read_until_quiet(proc: asyncssh.SSHClientProcess, first_timeout: float = 30.0) -> float:
    """Wait for output, then until it stops; return when the last byte came."""
    await asyncio.wait_for(proc.stdout.read(1), first_timeout)
    last = time.perf_counter()
    while True:
        try:
            chunk = await asyncio.wait_for(proc.stdout.read(65536), QUIET)
        except asyncio.TimeoutError:
            return last
        if not chunk:
            return last
        last = time.perf_counter()


async def student(port: int, steps: int, start: asyncio.Event, out: list[float]) -> None:
    # a name of its own: a name used before would resume that session
    async with asyncssh.connect("127.0.0.1", port, username=f"bench{id(out)}-{random.randrange(10**9)}", known_hosts=None, client_keys=None,
                                agent_path=None) as conn:  # fmt: skip
        proc = await conn.create_process(term_type="xterm-256color", term_size=(80, 24), encoding=None)
        await read_until_quiet(proc, 60)  # the app's first screen
        await start.wait()
        for _ in range(steps):
            t = time.perf_counter()
            proc.stdin.write(b" ")
            end = await read_until_quiet(proc)
            out.append(end - t)
        proc.stdin.write(b"q")
        await proc.wait_closed()


async def run_class(port: int, n: int, steps: int, server_pid: int, log: Path) -> tuple[list[float], float]:
    start = asyncio.Event()
    latencies: list[float] = []
    tasks = [asyncio.create_task(student(port, steps, start, latencies)) for _ in range(n)]
    # wait until every app is up, then measure memory
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pids = [int(p) for p in re.findall(r"pid=(\d+)", log.read_text())]
        live = [p for p in pids if Path(f"/proc/{p}").exists()]
        if len(live) >= n:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # let every first screen settle
    pids = [int(p) for p in re.findall(r"pid=(\d+)", log.read_text())]
    live = [p for p in pids if Path(f"/proc/{p}").exists()]
    per_session = sum(rss_kib(p) for p in live) / max(1, len(live)) / 1024
    start.set()
    await asyncio.gather(*tasks)
    return latencies, per_session


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", default="1,10,30")
    ap.add_argument("--steps", type=int, default=15)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        log = Path(tmp) / "serve.err"
        server = subprocess.Popen(
            [sys.executable, "-m", "bptui", "serve", "--port", str(port), "--host-key", f"{tmp}/key",
             "--max-sessions", "100"],
            stdout=subprocess.PIPE, stderr=open(log, "w"), text=True,
            env={**os.environ, "XDG_DATA_HOME": tmp},
        )  # fmt: skip
        server.stdout.readline()
        try:
            print(f"bptui serve on loopback, {os.cpu_count()} cores, 80×24 terminals, {a.steps} steps each")
            for n in (int(x) for x in a.sessions.split(",")):
                latencies, mem = asyncio.run(run_class(port, n, a.steps, server.pid, log))
                latencies.sort()
                p90 = latencies[int(len(latencies) * 0.9) - 1]
                print(
                    f"{n:3d} sessions stepping: latency median {statistics.median(latencies) * 1e3:6.1f} ms, "
                    f"p90 {p90 * 1e3:6.1f} ms; memory {mem:5.1f} MiB a session (app RSS); "
                    f"server {rss_kib(server.pid) / 1024:.1f} MiB"
                )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)


if __name__ == "__main__":
    main()
