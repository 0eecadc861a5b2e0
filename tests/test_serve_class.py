"""The class over real OpenSSH clients (named users) and asyncssh clients:
hand-ins that arrive and replay, hostile names that stay in the folder,
resume at the same step, the roster, and nothing left running."""

from __future__ import annotations

import asyncio
import subprocess
import time

import asyncssh

from bptui.scenario import Scenario
from bptui.session import load_session
from tests.test_serve import Server, alive, pytestmark, ssh_args, tmux, wait_dead, wait_for, wait_log  # noqa: F401
from tests.test_serve import server, student  # noqa: F401  (fixtures)


def step(session: str, n: int) -> str:
    for k in range(1, n + 1):
        tmux("send-keys", "-t", session, "Space")
        shown = wait_for(session, f"step {k}")
    return shown


def expected_after(steps: int):
    e = Scenario().engine()
    e.step(steps)
    return e


def test_a_hand_in_arrives_and_replays_bit_for_bit(tmp_path, student):
    folder = tmp_path / "hand-ins"
    server = Server(tmp_path, "--hand-in", str(folder))
    try:
        s = student(server.port, user="ada")
        wait_for(s, "Forward pass")
        step(s, 3)
        tmux("send-keys", "-t", s, "e")
        shown = wait_for(s, "Handed in")
        (file,) = (folder / "ada").iterdir()
        assert f"ada/{file.name}" in shown.replace("\n", "")
        _, engine = load_session(file)
        want = expected_after(3)
        assert (engine.step_count, engine.loss, engine.params) == (3, want.loss, want.params)
        assert "hand-in from user=ada: ada/" in server.log
        # straight again: refused for a few seconds (each hand-in is a file)
        tmux("send-keys", "-t", s, "e")
        wait_for(s, "Not handed in: you handed in a moment ago")
        assert len(list((folder / "ada").iterdir())) == 1
    finally:
        server.stop()


async def _hand_in_as(port: int, username: str, steps: int) -> str:
    async with asyncssh.connect("127.0.0.1", port, username=username, known_hosts=None, client_keys=None) as conn:
        proc = await conn.create_process(term_type="xterm-256color", term_size=(80, 24), encoding=None)
        seen = b""

        async def until(text: bytes, timeout: float = 30) -> None:
            nonlocal seen
            deadline = time.monotonic() + timeout
            while text not in seen:
                seen += await asyncio.wait_for(proc.stdout.read(65536), deadline - time.monotonic())

        await until(b"Forward pass")
        # typed ahead: every key reaches the app, in order
        proc.stdin.write(b" " * steps + b"e")
        await until(b"Handed in")
        proc.stdin.write(b"\x11")  # ctrl+q
        await asyncio.wait_for(proc.wait(), 20)
    return seen.decode("utf-8", "replace")


def test_a_hostile_name_cannot_escape_the_hand_in_folder(tmp_path):
    folder = tmp_path / "class" / "hand-ins"
    server = Server(tmp_path, "--hand-in", str(folder))
    try:
        for n, name in enumerate(["../../escaped", "..", "a/../../b", "..\\\\x y~$(id)"], 1):
            asyncio.run(_hand_in_as(server.port, name, n))
        files = sorted(p.relative_to(folder) for p in folder.rglob("*.json"))
        assert len(files) == 4 and all(len(p.parts) == 2 and not p.parts[0].startswith(".") for p in files)
        assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["class"]
        assert sorted(p.name for p in (tmp_path / "class").iterdir()) == ["hand-ins"]
        steps = sorted(load_session(folder / p)[1].step_count for p in files)
        assert steps == [1, 2, 3, 4]
    finally:
        server.stop()


def test_without_a_folder_e_says_the_class_takes_no_hand_ins(server, student):
    s = student(server.port, user="ada")
    wait_for(s, "Forward pass")
    tmux("send-keys", "-t", s, "e")
    wait_for(s, "this class takes no hand-ins")


def test_a_dropped_student_resumes_at_the_same_step(tmp_path, student):
    server = Server(tmp_path)
    try:
        s = student(server.port, user="bob")
        wait_for(s, "Forward pass")
        step(s, 4)
        tmux("send-keys", "-t", s, "l", "0.25", "Enter")
        wait_for(s, "0.25")
        tmux("send-keys", "-t", s, "Space")
        wait_for(s, "step 5")
        (pid,) = server.pids()
        tmux("kill-session", "-t", s)  # the connection drops
        assert wait_dead(pid) and wait_log(server, "kept the session of user=bob")
        again = student(server.port, user="bob")
        shown = wait_for(again, "step 5")
        assert "resumed from their kept session" in server.log
        # the same history: undo goes back through the rate change
        tmux("send-keys", "-t", again, "u")
        wait_for(again, "step 4")
        assert "lr 0.25" in shown
        # another name starts from the class's scenario
        other = student(server.port, user="cy")
        wait_for(other, "Forward pass")
        wait_for(other, "step 0")
    finally:
        server.stop()


def test_reconnecting_at_once_still_resumes(tmp_path, student):
    """A reconnect that comes while the dropped app is still handing its
    session over waits for it."""
    server = Server(tmp_path)
    try:
        s = student(server.port, user="dana")
        wait_for(s, "Forward pass")
        step(s, 3)
        tmux("kill-session", "-t", s)
        again = student(server.port, user="dana")
        wait_for(again, "step 3")
        assert "resumed from their kept session" in server.log
    finally:
        server.stop()


def test_past_the_resume_time_a_student_starts_again(tmp_path, student):
    server = Server(tmp_path, "--resume-minutes", "0")
    try:
        s = student(server.port, user="bob")
        wait_for(s, "Forward pass")
        step(s, 2)
        (pid,) = server.pids()
        tmux("kill-session", "-t", s)
        assert wait_dead(pid)
        again = student(server.port, user="bob")
        wait_for(again, "Forward pass")
        wait_for(again, "step 0")
    finally:
        server.stop()


def test_the_roster_lets_its_names_in_and_no_other(tmp_path, student):
    roster = tmp_path / "roster.txt"
    roster.write_text("# class 3\nada\nbob\n")
    server = Server(tmp_path, "--roster", str(roster))
    try:
        ada = student(server.port, user="ada")
        wait_for(ada, "Forward pass")
        args = ssh_args(server.port, "eve")
        r = subprocess.run([*args[:-1], "-tt", args[-1]], capture_output=True, text=True, timeout=30)
        assert "'eve' is not on this class's roster" in r.stdout and r.returncode == 1
        assert len(server.pids()) == 1
    finally:
        server.stop()


def test_kept_sessions_are_handed_in_when_the_class_ends(tmp_path, student):
    folder = tmp_path / "hand-ins"
    server = Server(tmp_path, "--hand-in", str(folder))
    s = student(server.port, user="ada")
    wait_for(s, "Forward pass")
    step(s, 2)
    pids = server.pids()
    assert server.stop() == 0
    assert all(wait_dead(p) for p in pids)
    (file,) = (folder / "ada").iterdir()
    assert load_session(file)[1].step_count == 2
    assert not any(alive(p) for p in pids)


def test_instances_sharing_a_host_key_are_one_host_to_ssh(tmp_path):
    """Behind a load balancer, every instance presents the one host key: a
    known_hosts entry made with one is good for the others."""
    import threading

    key = tmp_path / "shared" / "ssh_host_ed25519_key"
    servers: list[Server] = []

    def start(n: int) -> None:
        (tmp_path / str(n)).mkdir()
        servers.append(Server(tmp_path / str(n), "--host-key", str(key)))

    # started together: whichever writes the key first, all use that one
    threads = [threading.Thread(target=start, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(servers) == 3
        fingerprints = {s.banner[1].split()[2] for s in servers}
        assert len(fingerprints) == 1
        known = tmp_path / "known_hosts"
        scan = subprocess.run(["ssh-keyscan", "-p", str(servers[0].port), "127.0.0.1"], capture_output=True, text=True, timeout=30)
        line = next(x for x in scan.stdout.splitlines() if "ssh-ed25519" in x)
        # the entry names the host without the port: every instance's port matches it
        known.write_text("\n".join(line.replace(f"[127.0.0.1]:{servers[0].port}", f"[127.0.0.1]:{s.port}") for s in servers) + "\n")
        for s in servers:
            args = ssh_args(s.port, "ada")
            strict = [a if a != "StrictHostKeyChecking=no" else "StrictHostKeyChecking=yes" for a in args]
            strict = [a if a != "UserKnownHostsFile=/dev/null" else f"UserKnownHostsFile={known}" for a in strict]
            r = subprocess.run([*strict[:-1], "-T", strict[-1]], capture_output=True, text=True, timeout=30)
            assert "a terminal is needed" in r.stdout + r.stderr, r.stderr  # past the host key check: the server spoke
    finally:
        for s in servers:
            s.stop()
