"""One student's session: their bptui in its own pseudo-terminal, the bytes
between it and their SSH channel (each way held back by flow control, never
buffered without bound), what its app says on the control channel (its
state, a hand-in, its session kept at the end), and its end."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time

import asyncssh

from bptui.control import AppState, ControlLink
from bptui.serve.kept import Kept, forget
from bptui.serve.session_control import HAND_IN_SPACING, ControlSide
from bptui.session_transfer import SessionReceiver
from bptui.serve.app_process import AppHome, app_environment, client_environment, describe_start_error, start_app
from bptui.serve.classroom import Classroom
from bptui.serve.terminal import DEFAULT_TERM, TERM_PATTERN, TERMINAL_RESET, set_winsize

# keys a student typed or pasted that the app has not read yet: past this,
# their channel stops reading (SSH flow control holds the rest at the client)
INPUT_HIGH_WATER = 64 * 1024
# the end of the app's output kept to tell why it stopped (a MemoryError)
OUTPUT_TAIL = 4096
# an app asked to leave has this long to hand its session over and end,
# before it is hung up on
LEAVE_SECONDS = 4.0


def shown_name(name: str) -> str:
    """A username as a line may show it: printable, short."""
    return "".join(c if c.isprintable() else "?" for c in name[:32])


class AppSession(ControlSide, asyncssh.SSHServerSession):
    def __init__(self, room: Classroom, server: asyncssh.SSHServer) -> None:
        self.room = room
        self.server = server
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term = DEFAULT_TERM
        self.size = (80, 24)
        self.has_pty = False
        self.master: int | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.home: AppHome | None = None
        self.started = False  # the app's process runs (or ran)
        self.last_input = time.monotonic()
        self.closed = False
        # input waiting for the app to read it (the pty's buffer is small)
        self.pending_input = bytearray()
        self.input_paused = False
        self.output_tail = b""
        # the app's control channel, and what it last said of itself
        self.link: ControlLink | None = None
        self.state: AppState | None = None
        self.told_env: dict[str, str] | None = None
        self.connected_at = time.monotonic()
        self.receiver: SessionReceiver | None = None  # a session on its way up
        self.resumed: Kept | None = None  # the kept session the app started from
        self.last_hand_in = -HAND_IN_SPACING
        self.leaving = False  # asked to leave (or hung up on)
        self.ended = asyncio.Event()  # the app has gone and its session is kept
        self.lead_sent = (None, None)  # what of the teacher's lead this app has been sent
        self.kept_once = False  # its session, sent as it ended, is kept
        self.pushes_due = 0  # sessions it may hand in because the teacher pushed

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def who(self) -> str:
        return f"{self.server.peer} user={self.server.username}"

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self.has_pty = True
        # the client names its terminal; a name no terminal has gets the default
        self.term = term_type if TERM_PATTERN.fullmatch(term_type or "") else DEFAULT_TERM
        if term_size[0] and term_size[1]:
            self.size = (term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def eof_received(self) -> bool:
        # a client that closes its input (ssh < file) still watches the app:
        # keep the channel open for its output until the app ends
        return True

    def exec_requested(self, command: str) -> bool:
        self.room.log.repeated(self.server.address, "refused channels", f"refused exec from {self.who}")
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        name = subsystem[:32].encode("unicode_escape").decode("ascii")
        self.room.log.repeated(self.server.address, "refused channels", f"refused subsystem {name!r} from {self.who}")
        return False

    def session_started(self) -> None:
        if self.room.stopping:
            self._refuse("the class is over (the server is stopping)")
            return
        if not self.has_pty:
            self._refuse("a terminal is needed: connect with ssh -t")
            return
        roster = self.room.settings.roster
        if roster is not None and self.name not in roster:
            self._refuse(f"{shown_name(self.name)!r} is not on this class's roster: connect with the name your teacher gave you")
            return
        if len(self.room.sessions) >= self.room.settings.max_sessions:
            self._refuse(f"the class is full ({self.room.settings.max_sessions} sessions): try again in a while")
            return
        self.room.sessions.add(self)
        asyncio.get_running_loop().create_task(self._run())

    def _refuse(self, text: str) -> None:
        self.room.log.repeated(self.server.address, "refused sessions", f"refused session from {self.server.peer}: {text}")
        self.end(f"bptui: {text}\r\n".encode(), 1)

    def end(self, goodbye: bytes, code: int) -> None:
        """Say goodbye and close the channel, once; a channel the client has
        already dropped is left alone."""
        if self.closed:
            return
        self.closed = True
        try:
            self.chan.write(goodbye)
        except (OSError, asyncssh.Error):
            pass
        try:
            self.chan.exit(code)
        except (OSError, asyncssh.Error):
            pass

    def _environment(self) -> dict[str, str]:
        passed, dropped = client_environment(self.chan.get_environment() or {})
        if dropped:
            self.room.log.repeated(
                self.server.address, "dropped environments", f"dropped {', '.join(sorted(dropped))} from {self.who}: not a locale or colour value"
            )
        home = str(self.home.path) if self.home else os.environ.get("HOME", "/")
        return app_environment(self.term, passed, home)

    async def _run(self) -> None:
        settings = self.room.settings
        try:
            if settings.limits.user is not None and settings.homes is not None:
                self.home = AppHome(settings.homes, settings.limits.user)
            env = self._environment()
            # a connection under this name that dropped just now: its app is
            # still handing its session over
            for old in [o for o in self.room.sessions if o is not self and o.name == self.name and o.leaving]:
                try:
                    await asyncio.wait_for(old.ended.wait(), LEAVE_SECONDS + 4)
                except asyncio.TimeoutError:
                    pass
            self.resumed = self.room.kept.take(self.name)
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.link = ControlLink(ours)
            try:
                self.proc, self.master = await start_app(
                    self.room.app_args(self.resumed.path if self.resumed else None), self.size, env, settings.limits,
                    str(self.home.path) if self.home else None, theirs.fileno(), self.room.template,
                )  # fmt: skip
            finally:
                theirs.close()
        except Exception as e:  # no pty, no process, no home: this session only
            self._close_link()
            self.room.sessions.discard(self)
            self._remove_home()
            if self.resumed is not None:  # still theirs for the next try
                self.room.keep(self.name, self.resumed.path, self.resumed.state)
                self.resumed = None
            self.ended.set()
            self.room.log.line(f"could not start an app for {self.who}: {describe_start_error(e)}")
            self.end(b"bptui: the app could not start here; tell your teacher\r\n", 1)
            self.server.close()
            return
        self.started = True
        self.server.app_running()
        resumed = " (resumed from their kept session)" if self.resumed else ""
        self.room.log.line(f"session {self.who} pid={self.proc.pid}{resumed}")
        self.link.queue([{"kind": "welcome", "hand_in": settings.hand_in is not None}])
        if self.closed:  # the client went, or the server stopped, while the app started
            self.stop_app()
        asyncio.get_running_loop().add_reader(self.master, self._pty_readable)
        asyncio.get_running_loop().add_reader(self.link.fileno(), self._control_readable)
        self._flush_input()
        code = await self.proc.wait()
        # what the app said as it ended (its session above all) is still to read
        while self.link is not None and not self.link.closed and self._take_control():
            pass
        self._close_pty()
        self._close_link()
        self._remove_home()
        if self.receiver is not None:
            self.receiver.drop()
        if self.resumed is not None:  # the app ended before it read it: theirs still
            if self.kept_once:
                forget(self.resumed)
            else:
                self.room.keep(self.name, self.resumed.path, self.resumed.state)
            self.resumed = None
        self.room.sessions.discard(self)
        self.ended.set()
        if code == 0:
            self.end(b"", 0)
            return
        # killed or crashed: it could not give the terminal back itself
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        if b"MemoryError" in self.output_tail:
            memory = settings.limits.memory_mib
            self.room.log.line(f"app pid={self.proc.pid} of {self.who} ran out of memory ({memory} MiB, --app-memory)")
            why = f"the app ran out of memory ({memory} MiB here); reconnect to start again"
        else:
            last = self.output_tail.rstrip().rsplit(b"\n", 1)[-1][-160:].decode("utf-8", "replace")
            if not self.closed:
                self.room.log.line(f"app pid={self.proc.pid} of {self.who} stopped ({how}); its last line: {last!r}")
            why = f"the app stopped unexpectedly ({how}); reconnect to start again"
        self.end(TERMINAL_RESET + f"bptui: {why}\r\n".encode(), 1)

    def _remove_home(self) -> None:
        if self.home is not None:
            self.home.remove()
            self.home = None

    def _pty_readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: the app closed its terminal
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
            return
        self.output_tail = (self.output_tail + data)[-OUTPUT_TAIL:]
        if not self.closed:
            try:
                self.chan.write(data)
            except (OSError, asyncssh.Error):  # the channel closed meanwhile
                pass

    def pause_writing(self) -> None:
        # the student's link is slower than the app draws: stop reading the
        # app's output until it catches up (the app then waits on its pty)
        if self.master is not None:
            asyncio.get_running_loop().remove_reader(self.master)

    def resume_writing(self) -> None:
        if self.master is not None:
            asyncio.get_running_loop().add_reader(self.master, self._pty_readable)

    def _close_pty(self) -> None:
        if self.master is not None:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self.master)
            loop.remove_writer(self.master)
            os.close(self.master)
            self.master = None
        self.pending_input.clear()

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.closed:
            return
        self.pending_input += data
        if self.master is not None:
            self._flush_input()
        elif len(self.pending_input) > INPUT_HIGH_WATER:
            self._pause_input()

    def _flush_input(self) -> None:
        """Write what the pty will take now; wait for it to drain for the rest."""
        loop = asyncio.get_running_loop()
        if self.master is None:
            return
        try:
            while self.pending_input:
                written = os.write(self.master, self.pending_input)
                del self.pending_input[:written]
        except BlockingIOError:
            pass
        except OSError:  # the app has gone: its input goes nowhere
            self.pending_input.clear()
        if self.pending_input:
            loop.add_writer(self.master, self._flush_input)
            if len(self.pending_input) > INPUT_HIGH_WATER:
                self._pause_input()
        else:
            loop.remove_writer(self.master)
            if self.input_paused:
                self.input_paused = False
                self.chan.resume_reading()

    def _pause_input(self) -> None:
        if not self.input_paused:
            self.input_paused = True
            self.chan.pause_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height)
        if self.master is not None:
            # the kernel sends the app SIGWINCH: it lays itself out again
            set_winsize(self.master, width, height)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.stop_app()
        # the connection was for this session: it ends with it
        self.server.close()

    def stop_app(self) -> None:
        """End the app: a dropped connection never leaves a process behind.
        It is asked to leave first, handing its session over to be kept."""
        proc = self.proc
        if proc is None or proc.returncode is not None or self.leaving:
            return
        self.leaving = True
        asked = self.link is not None and self.link.queue([{"kind": "leave"}])

        def hang_up() -> bool:
            try:
                os.killpg(proc.pid, signal.SIGHUP)
                return True
            except ProcessLookupError:
                return False

        if not asked and not hang_up():
            return

        async def finish() -> None:
            if asked:
                try:
                    await asyncio.wait_for(proc.wait(), LEAVE_SECONDS)
                    return
                except asyncio.TimeoutError:
                    if not hang_up():
                        return
            try:
                await asyncio.wait_for(proc.wait(), 3)
            except asyncio.TimeoutError:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await proc.wait()

        asyncio.get_running_loop().create_task(finish())

    def kill_app(self) -> None:
        """The server is stopping and the app has not gone: SIGKILL."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close_idle(self) -> None:
        self.room.log.line(f"idle timeout {self.who}")
        again = "reconnect to go on" if self.room.settings.resume_minutes else "reconnect to start again"
        self.end(TERMINAL_RESET + f"bptui: closed after a while without a key; {again}\r\n".encode(), 0)
        self.stop_app()
