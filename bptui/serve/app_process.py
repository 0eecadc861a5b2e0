"""Starting one student's app: its command, its environment, its pty, and
the limits it runs under (memory, niceness, and the user it runs as), so that a
fault nobody foresaw ends one session and never the machine."""

from __future__ import annotations

import asyncio
import errno
import os
import pty
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bptui.control import CONTROL_ENV
from bptui.serve.template import CHILD_CONTROL_FD, limit_app
from bptui.serve.template_client import AppTemplate, TemplateApp
from bptui.serve.terminal import DEFAULT_TERM, quiet_until_the_app_reads, set_winsize, take_terminal

# the bounded driver each student's app runs under, named for Textual's
# TEXTUAL_DRIVER setting; a string, so the server never imports Textual
# (tests/test_serve_attacks.py checks that it names the driver)
DRIVER_SETTING = "bptui.app.input_driver:BoundedLinuxDriver"

# what a student's ssh may pass through to their app (OpenSSH sends only what
# the client's SendEnv names), and the only values they may take: a locale
# (en_US.UTF-8, de_DE@euro), a colour setting (truecolor, 24bit, 1)
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR", "COLORTERM")
ENV_VALUE_PATTERN = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
DEFAULT_APP_MEMORY_MIB = 300  # an app at rest holds about 90 MiB of data
DEFAULT_APP_NICE = 10
# descriptors an app may open (it needs a handful; the server may hold many)
APP_MAX_FILES = 256


@dataclass(frozen=True)
class AppLimits:
    memory_mib: int = DEFAULT_APP_MEMORY_MIB
    nice: int = DEFAULT_APP_NICE
    user: pwd.struct_passwd | None = None  # run as this user (the server is root)


def client_environment(given: dict) -> tuple[dict[str, str], list[str]]:
    """What of the client's environment reaches the app, and the names of
    the variables dropped because their value is not one such a setting has."""
    passed, dropped = {}, []
    for name, value in given.items():
        if not isinstance(name, str) or name not in PASSED_ENV:
            continue  # not asked for: asyncssh hands over all the client sent
        if isinstance(value, str) and ENV_VALUE_PATTERN.fullmatch(value):
            passed[name] = value
        else:
            dropped.append(name)
    return passed, dropped


def app_environment(term: str, client_env: dict[str, str], home: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TERM": term,
        "LANG": "C.UTF-8",
        # the app reads its terminal only while it keeps up (bounded input)
        "TEXTUAL_DRIVER": DRIVER_SETTING,
        # a network this small needs no BLAS threads, each costing memory
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        **client_env,
    }


def template_environment() -> dict[str, str]:
    """The warm template's environment: an app's, with no student's value
    (every child takes its own; /proc shows each the template's)."""
    return app_environment(DEFAULT_TERM, {}, os.environ.get("HOME", "/"))


def describe_start_error(e: BaseException) -> str:
    """A failed start's cause in words, for the teacher's log."""
    if isinstance(e, OSError) and e.errno is not None:
        name = errno.errorcode.get(e.errno, str(e.errno))
        where = f" ({e.filename})" if e.filename else ""
        return f"{e.strerror or e} [{name}]{where}"
    return f"{type(e).__name__}: {e}"


class AppHome:
    """A working directory and HOME of the app's own, when it runs as
    another user: it never starts among the teacher's files. Removed when
    the session ends."""

    def __init__(self, base: Path, user: pwd.struct_passwd) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="home-", dir=base))
        os.chown(self.path, user.pw_uid, user.pw_gid)
        os.chmod(self.path, 0o700)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _limit_child(memory_mib: int, nice: int) -> None:  # in the child, before exec
    take_terminal()
    limit_app(memory_mib, APP_MAX_FILES, nice)


async def start_app(
    args: list[str],
    size: tuple[int, int],
    env: dict[str, str],
    limits: AppLimits,
    cwd: str | None,
    control: int,
    template: AppTemplate | None = None,
) -> tuple[asyncio.subprocess.Process | TemplateApp, int]:
    """`bptui ARGS`, running in a new pty sized `size`, with `control` as its
    channel to the server: its process and the pty's master end
    (non-blocking). Forked from the warm template when there is one, else an
    interpreter of its own. Raises OSError if either cannot be made."""
    master, slave = pty.openpty()
    try:
        set_winsize(slave, *size)
        quiet_until_the_app_reads(slave)
        if limits.user is not None:
            os.fchown(slave, limits.user.pw_uid, -1)
        if template is not None and template.alive:
            request = {
                "args": args, "env": {**env, CONTROL_ENV: str(CHILD_CONTROL_FD)}, "cwd": cwd,
                "memory_mib": limits.memory_mib, "max_files": APP_MAX_FILES, "nice": limits.nice,
                "uid": limits.user.pw_uid if limits.user else None,
                "gid": limits.user.pw_gid if limits.user else None,
            }  # fmt: skip
            proc = await template.fork(request, slave, control)
        else:
            ids = {}
            if limits.user is not None:
                ids = {"user": limits.user.pw_uid, "group": limits.user.pw_gid, "extra_groups": []}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bptui", *args,
                stdin=slave, stdout=slave, stderr=slave,
                env={**env, CONTROL_ENV: str(control)}, pass_fds=[control], cwd=cwd,
                start_new_session=True,
                preexec_fn=lambda: _limit_child(limits.memory_mib, limits.nice),
                **ids,
            )  # fmt: skip
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    # never block the event loop on one student's terminal: every other
    # session runs on it too
    os.set_blocking(master, False)
    return proc, master


def find_user(name: str) -> pwd.struct_passwd:
    """The unprivileged user for --user, once it has been seen to start this
    bptui; ValueError says why not."""
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise ValueError(f"--user {name}: no such user") from None
    if user.pw_uid == 0:
        raise ValueError(f"--user {name}: that is root; name an unprivileged user")
    if os.geteuid() != 0:
        raise ValueError(f"--user {name}: only a server run as root can run apps as another user")
    try:
        tried = subprocess.run(
            [sys.executable, "-c", "import bptui.app"],
            user=user.pw_uid, group=user.pw_gid, extra_groups=[], cwd="/",
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/"},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except OSError as e:
        raise ValueError(f"--user {name}: {name} cannot run {sys.executable} ({e.strerror})") from None
    except subprocess.TimeoutExpired:
        raise ValueError(f"--user {name}: bptui did not load as {name} within two minutes") from None
    if tried.returncode != 0:
        last = (tried.stderr.strip().splitlines() or ["no message"])[-1]
        raise ValueError(f"--user {name}: bptui does not load as {name} ({last})")
    return user
