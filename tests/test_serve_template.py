"""Students' apps forked from the warm template (bptui.template_main),
against a real server: the app's parent is the template, a template that
dies leaves the class working (apps start the slow way), and nothing is left
once the server has gone."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.test_serve import SSH, SFTP, TMUX, Server, _connect, _read_to_end, _read_until, alive, wait_dead, wait_log

pytestmark = pytest.mark.skipif(not (SSH and SFTP and TMUX), reason="needs openssh-client and tmux")


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def children_of(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if parent_of(int(d.name)) == pid:
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


async def _visit(port: int, server: Server, then=None) -> int:
    async with await _connect(port) as conn:
        p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await _read_until(p, b"Forward pass")
        pid = server.pids()[-1]
        if then is not None:
            then(pid)
        p.stdin.write(b"q")
        await _read_to_end(p)
        return pid


def test_apps_are_forked_from_the_template_and_nothing_is_left(tmp_path):
    server = Server(tmp_path)
    try:
        seen = {}
        asyncio.run(_visit(server.port, server, lambda pid: seen.update(parent=parent_of(pid))))
        template = seen["parent"]
        assert template != server.proc.pid and parent_of(template) == server.proc.pid
        assert b"bptui.template_main" in cmdline(template)
    finally:
        server.stop()
    assert wait_dead(template)


def test_a_class_goes_on_when_the_template_dies(tmp_path):
    server = Server(tmp_path)
    try:
        first = asyncio.run(_visit(server.port, server))
        (template,) = [c for c in children_of(server.proc.pid) if b"bptui.template_main" in cmdline(c)]
        os.kill(template, signal.SIGKILL)
        assert wait_log(server, "the warm template ended")
        seen = {}
        second = asyncio.run(_visit(server.port, server, lambda pid: seen.update(parent=parent_of(pid))))
        assert second != first and seen["parent"] == server.proc.pid  # its own interpreter
        assert server.proc.poll() is None
    finally:
        server.stop()


def test_an_app_running_when_the_template_dies_still_ends_cleanly(tmp_path):
    server = Server(tmp_path)

    async def visit() -> tuple[int, bytes]:
        async with await _connect(server.port) as conn:
            p = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
            await _read_until(p, b"Forward pass")
            pid = server.pids()[-1]
            os.kill(parent_of(pid), signal.SIGKILL)  # the template, under a running app
            assert wait_log(server, "the warm template ended")
            p.stdin.write(b" ")
            assert await asyncio.wait_for(p.stdout.read(1), 20)  # it still draws its steps
            p.stdin.write(b"qq")  # after a step, q asks to be pressed again
            return pid, await _read_to_end(p)

    try:
        pid, shown = asyncio.run(visit())
        assert wait_dead(pid) and not alive(pid)
        assert b"stopped unexpectedly" not in shown  # its own exit code was read
        assert server.proc.poll() is None
    finally:
        server.stop()
