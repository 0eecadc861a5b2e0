"""The warm template students' apps are forked from (the pattern of
gunicorn's preload and Android's zygote): one process imports Textual, numpy
and bptui once, freezes what it holds so that its pages stay shared, and
forks a child per student. A child costs the pages it writes, not a fresh
interpreter's 40 MiB, and shows its first screen without importing anything.

The server talks to it over one SOCK_SEQPACKET socket (its fd the argument), one
JSON message a packet:
- down, a start: {"id", "args", "env", "cwd", "memory_mib", "max_files",
  "nice", "uid", "gid"}, with the student's pty and the app's control socket as SCM_RIGHTS;
- up, {"id", "pid"} once the child leads its own session, or {"id", "error"};
- up, {"exit": pid, "code": n} when a child ends (n < 0: killed by signal -n).

It was started with a clean environment (template_environment), so no
student's value is in any process's initial environment block; each child
takes its own environment before the app starts. It ends when the server's
end of the socket closes, or with the server (PR_SET_PDEATHSIG).

bptui.template_main is its entry point (the server starts it; it is not for
people): it imports the app, so that nothing in bptui.serve does.
"""

from __future__ import annotations

import array
import ctypes
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time
import traceback
from typing import Callable

from bptui.control import STARTED_ENV
from bptui.serve.start_gate import StartGate

RunApp = Callable[[list[str]], int]  # bptui's main, given its arguments

CHILD_CONTROL_FD = 3  # where a child finds its control socket
CHILD_GO_FD = 4  # EOF here: the child's turn to start (bptui.serve.start_gate)
CHILD_STARTED_FD = 5  # the child closes this once its first screen is drawn
MAX_PACKET = 64 * 1024
FDS_A_START = 2  # the pty's slave end and the control socket
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the socket's EOF still ends it
        pass
    if os.getppid() == 1:  # the server went before prctl took effect
        sys.exit(0)


def _lower_limit(which: int, value: int) -> None:
    """Lower a resource limit to `value`, never above its hard limit (which
    the child could not raise)."""
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def limit_app(memory_mib: int, max_files: int, nice: int) -> None:
    """In an app's process, before it runs: its data limit, no core file,
    its descriptors, its niceness. Forked or spawned, every app gets these."""
    _lower_limit(resource.RLIMIT_DATA, memory_mib * 1024 * 1024)
    _lower_limit(resource.RLIMIT_CORE, 0)  # a crash writes no core
    _lower_limit(resource.RLIMIT_NOFILE, max_files)
    if nice:
        os.nice(nice)


def _become_app(request: dict, slave: int, control: int, gate: tuple[int, int], sock: socket.socket, run: RunApp) -> int:
    """In the child: take the pty as the controlling terminal, the control
    socket as CHILD_CONTROL_FD, the limits, the user, the directory and the
    environment; wait for its turn at the gate; then run bptui. Returns its
    exit code."""
    import fcntl
    import termios

    signal.set_wakeup_fd(-1)  # its number is about to be closed and reused
    sock.close()
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    os.dup2(control, CHILD_CONTROL_FD)
    go, started = gate
    os.dup2(go, CHILD_GO_FD)
    os.dup2(started, CHILD_STARTED_FD)
    os.closerange(CHILD_STARTED_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    limit_app(int(request["memory_mib"]), int(request["max_files"]), int(request["nice"]))
    if request.get("uid") is not None:
        os.setgroups([])
        os.setgid(int(request["gid"]))
        os.setuid(int(request["uid"]))
    if request.get("cwd"):
        os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    os.environ[STARTED_ENV] = str(CHILD_STARTED_FD)
    sys.argv = ["bptui", *request["args"]]
    _wait_for_turn()
    try:
        return run(request["args"]) or 0
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)


def _wait_for_turn() -> None:
    """Until the gate lets this child go (EOF: the template closed its end,
    or has gone)."""
    while True:
        try:
            os.read(CHILD_GO_FD, 1)
            break
        except InterruptedError:
            continue
        except OSError:
            break
    os.close(CHILD_GO_FD)


def _child(request: dict, slave: int, control: int, gate: tuple[int, int], sock: socket.socket, run: RunApp) -> None:
    code = 1
    try:
        code = _become_app(request, slave, control, gate, sock, run)
    except BaseException:
        traceback.print_exc()  # onto the student's pty: the server keeps its tail
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _send(sock: socket.socket, message: dict) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        pass  # the server has gone: the loop ends at its EOF


def _start(sock: socket.socket, data: bytes, fds: list[int], run: RunApp, gate: StartGate) -> list[int]:
    """Fork the child a start asks for; returns the gate's fds to watch."""
    request_id = None
    watch: list[int] = []
    try:
        request = json.loads(data)
        request_id = request["id"]
        if len(fds) != FDS_A_START:
            raise ValueError(f"a start needs {FDS_A_START} descriptors, not {len(fds)}")
        slave, control = fds
        sys.stdout.flush()
        sys.stderr.flush()
        r, w = os.pipe()
        go_r, go_w = os.pipe()
        started_r, started_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (r, w, go_r, go_w, started_r, started_w):
                os.close(fd)
            raise
        if pid == 0:
            for fd in (r, go_w, started_r):
                os.close(fd)
            os.setsid()  # before the server hears the pid: its group is the pid
            os.close(w)
            _child(request, slave, control, (go_r, started_w), sock, run)
        for fd in (w, go_r, started_w):
            os.close(fd)
        os.read(r, 1)  # EOF once the child has its own session
        os.close(r)
        _send(sock, {"id": request_id, "pid": pid})
        watch = gate.add(go_w, started_r)
    except Exception as e:  # one start that cannot be made; the template goes on
        _send(sock, {"id": request_id, "error": f"{type(e).__name__}: {e}"})
    finally:
        for fd in fds:
            os.close(fd)
    return watch


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _send(sock, {"exit": pid, "code": code})


def serve(sock: socket.socket, run: RunApp) -> None:
    """Fork an app for every start the server asks for, `run(args)` in each
    child; until the server's end closes."""
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the teacher's Ctrl-C is the server's
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    fds_space = socket.CMSG_SPACE(FDS_A_START * array.array("i").itemsize)
    gate = StartGate()

    def watch(fds: list[int]) -> None:
        for fd in fds:
            selector.register(fd, selectors.EVENT_READ, "started")

    while True:
        deadline = gate.next_deadline()
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        events = selector.select(timeout)
        for fd in gate.late():
            selector.unregister(fd)
            watch(gate.end(fd))
        for key, _ in events:
            if key.data == "started":
                if selector.get_map().get(key.fd) is key:  # (not a slot that ended above)
                    selector.unregister(key.fd)
                    watch(gate.end(key.fd))
                continue
            if key.fileobj is wake_r:
                try:
                    wake_r.recv(4096)
                except BlockingIOError:
                    pass
                _reap(sock)
                continue
            try:
                data, ancdata, _flags, _ = sock.recvmsg(MAX_PACKET, fds_space)
            except InterruptedError:
                continue
            fds = array.array("i")
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            if not data:
                gate.close()
                return  # the server closed its end
            watch(_start(sock, data, list(fds), run, gate))
        _reap(sock)
