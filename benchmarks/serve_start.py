"""A class arriving at once: N students (asyncssh clients, 80×24) connect to
`bptui serve` together. Prints when each first saw the stepper (median and
last), each app's memory (PSS, from /proc/PID/smaps_rollup: shared pages are
split between the processes sharing them), step latency with every student
pressing space about once a second, and whether any process was left once
every student and the server had gone.

    python benchmarks/serve_start.py [--students 40] [--keys 10] [--against REV]

--against REV runs the same class against git revision REV (a temporary
worktree) first, in the same run, for a side-by-side figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh
from serve_load import free_port, read_until_quiet  # beside this script

HERE = Path(__file__).resolve().parent.parent
def pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    m = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


def descendants(root: int) -> list[int]:
    """Every live process whose parent chain reaches `root`."""
    parents = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out = []
    for pid in parents:
        p = pid
        while p in parents and p not in (0, 1):
            p = parents[p]
            if p == root:
                out.append(pid)
                break
    return out


async def student(port: int, t0: float, keys: int, ready: asyncio.Event, firsts: list, lat: list) -> None:
    async with asyncssh.connect("127.0.0.1", port, username=f"s{random.randrange(10**6)}", known_hosts=None,
                                client_keys=None, agent_path=None) as conn:  # fmt: skip
        proc = await conn.create_process(term_type="xterm-256color", term_size=(80, 24), encoding=None)
        seen = b""
        while b"Forward pass" not in seen:
            chunk = await asyncio.wait_for(proc.stdout.read(65536), 120)
            if not chunk:
                raise RuntimeError("the app ended before its first screen")
            seen = seen[-64:] + chunk
        firsts.append(time.perf_counter() - t0)
        await read_until_quiet(proc)
        await ready.wait()
        for _ in range(keys):  # open loop: about a key a second, not waiting on the last
            await asyncio.sleep(random.uniform(0.5, 1.5))
            t = time.perf_counter()
            proc.stdin.write(b" ")
            lat.append(await read_until_quiet(proc) - t)
        proc.stdin.write(b"qq")  # after steps, q asks to be pressed again
        await asyncio.wait_for(proc.wait_closed(), 60)


async def run_class(port: int, n: int, keys: int, server_pid: int) -> dict:
    ready = asyncio.Event()
    firsts: list[float] = []
    lat: list[float] = []
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(student(port, t0, keys, ready, firsts, lat)) for _ in range(n)]
    while len(firsts) < n and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    await asyncio.sleep(2)
    kids = descendants(server_pid)
    # the template is the server's child; the apps are forked from it (and
    # so carry its command line) or, with no template, the server's children
    template = [p for p in kids if _parent(p) == server_pid and b"bptui.template_main" in _cmdline(Path(f"/proc/{p}"))]
    apps = [p for p in kids if p not in template]
    pss = sorted(pss_kib(p) for p in apps)
    ready.set()
    await asyncio.gather(*tasks)
    lat.sort()
    return {
        "median_first": statistics.median(firsts), "last_first": max(firsts),
        "pss_app": statistics.median(pss[:n]) / 1024 if pss else 0,
        "pss_template": sum(pss_kib(p) for p in template) / 1024,
        "p50": statistics.median(lat), "p90": lat[int(len(lat) * 0.9) - 1],
    }  # fmt: skip


def run_tree(tree: Path, n: int, keys: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "bptui", "serve", "--port", str(port), "--host-key", f"{tmp}/key",
             "--max-sessions", str(max(50, n)), "--max-waiting-per-address", str(max(24, 2 * n))],
            stdout=subprocess.PIPE, stderr=open(f"{tmp}/serve.err", "w"), text=True, cwd=tree,
            env={**os.environ, "XDG_DATA_HOME": tmp},
        )  # fmt: skip
        server.stdout.readline()
        try:
            result = asyncio.run(run_class(port, n, keys, server.pid))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(60)
        time.sleep(1)
        left = [d for d in Path("/proc").iterdir() if d.name.isdigit() and tmp.encode() in _cmdline(d)]
        result["left"] = len(left)
        return result


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _cmdline(d: Path) -> bytes:
    try:
        return (d / "cmdline").read_bytes()
    except OSError:
        return b""


def report(name: str, r: dict) -> None:
    print(f"  {name}: first screen median {r['median_first']:.1f} s, last {r['last_first']:.1f} s; "
          f"PSS {r['pss_app']:.1f} MiB an app (+ template {r['pss_template']:.1f} MiB); "
          f"step latency p50 {r['p50'] * 1e3:.0f} ms, p90 {r['p90'] * 1e3:.0f} ms; processes left {r['left']}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--keys", type=int, default=10)
    ap.add_argument("--against", metavar="REV")
    a = ap.parse_args()
    print(f"{a.students} students arriving at once, {os.cpu_count()} cores, 80×24, {a.keys} keys each at ~1/s")
    if a.against:
        with tempfile.TemporaryDirectory() as tmp:
            old = Path(tmp) / "old"
            subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(old), a.against],
                           check=True, capture_output=True)  # fmt: skip
            try:
                report(a.against, run_tree(old, a.students, a.keys))
            finally:
                subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(old)], check=True)
    report("this tree", run_tree(HERE, a.students, a.keys))


if __name__ == "__main__":
    main()
