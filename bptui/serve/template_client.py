"""The server's side of the warm template (bptui.serve.template): starting
it, asking it for a student's app, and hearing when each app ends.

An app forked by the template is not the server's child. Its end is heard
twice over: the template reports the exit code, and a pidfd (Linux 5.3+)
becomes readable when the process is gone, so an app outlives a template that
crashed and is still seen to end."""

from __future__ import annotations

import array
import asyncio
import ctypes
import json
import os
import socket
import sys

from bptui.serve.log import FoldingLog
from bptui.serve.template import FDS_A_START, MAX_PACKET

READY_TIMEOUT = 120  # importing Textual and numpy on a loaded machine
START_TIMEOUT = 30
# an app gone while its template is gone too: no code was heard
UNKNOWN_EXIT = 1
PR_SET_CHILD_SUBREAPER = 36
TEMPLATE_MAIN = "from bptui.template_main import main; main()"


class TemplateApp:
    """What a session needs of an app's process: pid, returncode, wait()."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = asyncio.Event()
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
            asyncio.get_running_loop().add_reader(self._pidfd, self._gone)
        except (OSError, AttributeError):  # no pidfds: the template's word alone
            self._pidfd = None

    def ended(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._close_pidfd()
        self._ended.set()

    def _gone(self) -> None:
        # the process has ended. Orphaned by a template that died, it is the
        # server's child (the server is a subreaper): its code is ours to
        # read. Otherwise the template sends it.
        try:
            status = os.waitid(os.P_PIDFD, self._pidfd, os.WEXITED | os.WNOHANG)
        except (OSError, AttributeError):
            status = None
        self._close_pidfd()
        if status is not None:
            code = -status.si_status if status.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else status.si_status
            self.ended(code)
        else:
            asyncio.get_running_loop().call_later(2.0, self.ended, UNKNOWN_EXIT)

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None

    async def wait(self) -> int:
        await self._ended.wait()
        return self.returncode


def adopt_orphans() -> None:
    """Make this process a subreaper: apps whose template died become its
    children, so their exit codes can still be read (Linux 3.4+)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class AppTemplate:
    def __init__(self, log: FoldingLog, env: dict[str, str]) -> None:
        self.log = log
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.sock: socket.socket | None = None
        self.alive = False
        self._next_id = 0
        self._starting: dict[int, asyncio.Future] = {}
        self._apps: dict[int, TemplateApp] = {}
        self._ready: asyncio.Future | None = None

    async def start(self) -> bool:
        """Start the template and wait until it has imported everything.
        False (and a line in the log) if it could not: apps then start the
        slow way, each its own interpreter."""
        adopt_orphans()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        loop = asyncio.get_running_loop()
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", TEMPLATE_MAIN, str(theirs.fileno()),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                env=self.env, pass_fds=[theirs.fileno()],  # in the server's directory: the same bptui
                start_new_session=True,  # the teacher's Ctrl-C is for the server
            )  # fmt: skip
        except OSError as e:
            ours.close()
            self.log.line(f"the warm template could not start ({e.strerror or e}); apps start one by one")
            return False
        finally:
            theirs.close()
        self.sock = ours
        ours.setblocking(False)
        self._ready = loop.create_future()
        loop.add_reader(ours.fileno(), self._readable)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), READY_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError):
            self.log.line("the warm template did not get ready; apps start one by one")
            self.close()
            return False
        self.alive = True
        return True

    async def fork(self, request: dict, slave: int, control: int) -> TemplateApp:
        """A new app on pty `slave`, talking on `control`, as `request` says
        (bptui.serve.template names its fields). Raises OSError if the
        template cannot make it."""
        if not self.alive:
            raise OSError("the warm template has gone")
        self._next_id += 1
        request = {**request, "id": self._next_id}
        data = json.dumps(request).encode()
        fds = array.array("i", [slave, control])
        assert len(fds) == FDS_A_START
        future = asyncio.get_running_loop().create_future()
        self._starting[self._next_id] = future
        try:
            self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
            reply = await asyncio.wait_for(future, START_TIMEOUT)
        except asyncio.TimeoutError:
            raise OSError("the warm template did not answer") from None
        finally:
            self._starting.pop(request["id"], None)
        if "error" in reply:
            raise OSError(f"the warm template could not start it: {reply['error']}")
        return self._apps[reply["pid"]]

    def _readable(self) -> None:
        for _ in range(64):  # then let others run; the rest waits for the next turn
            try:
                data = self.sock.recv(MAX_PACKET)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            try:
                message = json.loads(data)
            except ValueError:
                continue
            self._heard(message)

    def _heard(self, message: dict) -> None:
        if message.get("ready") and self._ready is not None and not self._ready.done():
            self._ready.set_result(True)
        elif "exit" in message:
            app = self._apps.pop(message["exit"], None)
            if app is not None:
                app.ended(int(message["code"]))
        elif "id" in message:
            future = self._starting.get(message["id"])
            if "pid" in message:
                self._apps[message["pid"]] = TemplateApp(message["pid"])
            if future is not None and not future.done():
                future.set_result(message)

    def _lost(self) -> None:
        if self.alive:
            self.log.line("the warm template ended; new apps start one by one")
        self.alive = False
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ConnectionError("the template ended"))
        for future in self._starting.values():
            if not future.done():
                future.set_exception(OSError("the warm template ended"))
        self._close_socket()

    def _close_socket(self) -> None:
        if self.sock is not None:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None

    def close(self) -> None:
        """End the template (its EOF); apps already running go on."""
        self.alive = False
        self._close_socket()
        if self.process is not None and self.process.returncode is None:
            try:
                self.process.terminate()
            except ProcessLookupError:
                pass
