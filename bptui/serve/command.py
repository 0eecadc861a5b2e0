"""`bptui serve`'s command line: options, each checked with a one-line
message, the class's secret, and the run."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path
from typing import Awaitable, Callable, Sequence, TextIO

import asyncssh

from bptui.options import (
    OptionParser,
    add_history_option,
    add_scenario_options,
    arg_type,
    join_negative_values,
    scenario_from_args,
)
from bptui.safe_read import UnreadableFile, read_text
from bptui.scenario import Scenario, parse_whole
from bptui.scenario_file import dumps
from bptui.serve.app_process import DEFAULT_APP_MEMORY_MIB, DEFAULT_APP_NICE, AppLimits, find_user
from bptui.serve.classroom import (
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_SERVED_HISTORY,
    DEFAULT_WAITING_PER_ADDRESS,
    Classroom,
    Settings,
)
from bptui.serve.hand_in import check_folder
from bptui.serve.kept import DEFAULT_RESUME_MINUTES
from bptui.serve.log import FoldingLog
from bptui.serve.roster import read_roster
from bptui.serve.server import ListenError, data_dir, is_loopback, serve

PASSWORD_ENV = "BPTUI_CLASS_PASSWORD"
DEFAULT_PORT = 2222
PASSWORD_FILE_BYTES = 4096  # a password is a line; nothing longer is read
# a class code: 12 characters from 32 that cannot be misread (no 0/o, 1/l),
# 60 bits: at the back-off's few guesses a second from each of a thousand
# addresses, a term of guessing finds it with odds below one in ten thousand
CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
CODE_LENGTH = 12


def class_code() -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def build_parser() -> argparse.ArgumentParser:
    p = OptionParser(
        prog="bptui serve",
        description=(
            "Serve bptui over SSH: every student who connects gets their own stepper. "
            "On loopback any username gets in without a password; beyond loopback students need the class "
            f"password (--password-file, or ${PASSWORD_ENV}), a key in --authorized-keys, or, when neither "
            "is given, the class code the server prints at start."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=arg_type(parse_whole, "the port", 0, 65535), default=DEFAULT_PORT, help="default 2222")
    p.add_argument("--host-key", metavar="PATH", help=f"host key file, created on first run (default {data_dir()}/ssh_host_ed25519_key)")
    p.add_argument("--password-file", metavar="FILE", help=f"the class password, first line of FILE (or set ${PASSWORD_ENV})")
    p.add_argument("--authorized-keys", metavar="FILE", help="accept the public keys in this authorized_keys file")
    p.add_argument("--max-sessions", type=arg_type(parse_whole, "max sessions", 1, 10_000), default=50, help="default 50")
    p.add_argument(
        "--idle-timeout",
        type=arg_type(parse_whole, "the idle timeout", 0, 7 * 24 * 3600),
        default=3600,
        metavar="SECONDS",
        help="end a session after this long without a key (default 3600; 0: never)",
    )
    p.add_argument(
        "--login-timeout",
        type=arg_type(parse_whole, "the login timeout", 1, 3600),
        default=DEFAULT_LOGIN_TIMEOUT,
        metavar="SECONDS",
        help=f"time from connecting to a running app: logging in and opening the session (default {DEFAULT_LOGIN_TIMEOUT})",
    )
    p.add_argument(
        "--max-waiting-per-address",
        type=arg_type(parse_whole, "max waiting per address", 1, 10_000),
        default=DEFAULT_WAITING_PER_ADDRESS,
        metavar="N",
        help=f"connections from one address that may be logging in at once (default {DEFAULT_WAITING_PER_ADDRESS})",
    )
    p.add_argument(
        "--app-memory",
        type=arg_type(parse_whole, "the app memory", 50, 1_000_000),
        default=DEFAULT_APP_MEMORY_MIB,
        metavar="MiB",
        help=f"memory each student's app may take (default {DEFAULT_APP_MEMORY_MIB}); past it, that session ends",
    )
    p.add_argument(
        "--app-nice",
        type=arg_type(parse_whole, "the app niceness", 0, 19),
        default=DEFAULT_APP_NICE,
        metavar="N",
        help=f"CPU niceness of students' apps, 0-19 (default {DEFAULT_APP_NICE}: the server comes first)",
    )
    p.add_argument("--user", metavar="NAME", help="run students' apps as this unprivileged user (the server runs as root)")
    p.add_argument(
        "--hand-in",
        metavar="DIR",
        help="take hand-ins: a student's e files their session as DIR/<name>/<time>.json (replay with bptui --replay)",
    )
    p.add_argument(
        "--resume-minutes",
        type=arg_type(parse_whole, "the resume minutes", 0, 7 * 24 * 60),
        default=DEFAULT_RESUME_MINUTES,
        metavar="MIN",
        help=f"a student who reconnects under the same name within MIN minutes gets their session back (default {DEFAULT_RESUME_MINUTES}; 0: never)",
    )
    p.add_argument("--roster", metavar="FILE", help="the names that may join, one a line (# starts a comment)")
    p.add_argument("--log", metavar="FILE", help="append the log to FILE (default: the console's pane, or stderr)")
    p.add_argument(
        "--log-only",
        action="store_true",
        help="no console, even in a terminal: log to stderr (or --log FILE), as a service does",
    )
    add_history_option(p, DEFAULT_SERVED_HISTORY)
    add_scenario_options(p)
    return p


def _password(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    password = os.environ.get(PASSWORD_ENV) or None
    if args.password_file:
        try:
            # a password file is a line: a device, a FIFO or a huge file is refused unread
            text = read_text(args.password_file, PASSWORD_FILE_BYTES, "a password file is one line")
            password = text.splitlines()[0].strip() if text else ""
        except UnreadableFile as e:
            parser.error(f"--password-file {e}")
        if not password:
            parser.error(f"--password-file {args.password_file}: the first line is empty")
    return password


def _share_with(user_given: bool, tmp: Path, scenario_file: Path) -> Path | None:
    """With --user, the apps (another user) must read the scenario, and
    each gets a home under tmp/homes."""
    if not user_given:
        return None
    os.chmod(tmp, 0o711)
    os.chmod(scenario_file, 0o644)
    homes = tmp / "homes"
    homes.mkdir(mode=0o711)
    return homes


def open_log(path: str) -> TextIO:
    """--log FILE, for appending: a regular file (made if missing), never a
    FIFO or a device that could block the server."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOCTTY, 0o600)
    except OSError as e:
        raise ValueError(f"--log {path}: {e.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"--log {path}: not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "a", encoding="utf-8", buffering=1)


# the console, when the command runs in a terminal: given by bptui.cli (the
# server's modules never import the app)
Console = Callable[[Classroom, Callable[[asyncio.Event], Awaitable[None]]], None]


def main(argv: Sequence[str], console: Console | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(join_negative_values(list(argv)))
    try:
        scenario: Scenario = scenario_from_args(args)
        scenario.engine()  # every student starts from a scenario that runs
        user = find_user(args.user) if args.user else None
        roster = read_roster(args.roster) if args.roster else None
        hand_in = check_folder(Path(args.hand_in).absolute()) if args.hand_in else None
        log_file = open_log(args.log) if args.log else None
    except ValueError as e:
        parser.error(str(e))
    on_screen = console is not None and not args.log_only and all(f.isatty() for f in (sys.stdin, sys.stdout, sys.stderr))
    password = _password(args, parser)
    if args.authorized_keys and not Path(args.authorized_keys).is_file():
        parser.error(f"--authorized-keys {args.authorized_keys}: no such file")
    code = None
    if not is_loopback(args.host) and not (password or args.authorized_keys):
        password = code = class_code()
    if os.geteuid() == 0:
        apps = f"but students' apps run as {user.pw_name}" if user else (
            "and so would every student's app: give --user NAME to run them as an unprivileged user"
        )
        print(f"bptui serve: running as root, {apps}", file=sys.stderr, flush=True)
    key_path = Path(args.host_key) if args.host_key else data_dir() / "ssh_host_ed25519_key"
    with tempfile.TemporaryDirectory(prefix="bptui-serve-") as tmp:
        scenario_file = Path(tmp) / "scenario.toml"
        scenario_file.write_text(dumps(scenario), encoding="utf-8")
        settings = Settings(
            scenario_file,
            max_sessions=args.max_sessions,
            idle_timeout=args.idle_timeout or None,
            password=password,
            require_auth=bool(password or args.authorized_keys),
            max_history=args.max_history,
            login_timeout=args.login_timeout,
            waiting_per_address=args.max_waiting_per_address,
            limits=AppLimits(memory_mib=args.app_memory, nice=args.app_nice, user=user),
            homes=_share_with(user is not None, Path(tmp), scenario_file),
            hand_in=hand_in,
            resume_minutes=args.resume_minutes,
            roster=roster,
        )
        log = FoldingLog(log_file, quiet=on_screen and log_file is None)
        log.announce_to_stdout = not on_screen
        room = Classroom(settings, log)

        def run(stop: asyncio.Event | None) -> Awaitable[None]:
            return serve(args.host, args.port, key_path, room, args.authorized_keys, code, stop)

        try:
            if on_screen:
                console(room, run)
            else:
                asyncio.run(run(None))
        except ListenError as e:
            print(f"bptui serve: error: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
            return 2
        except OSError as e:  # the host key file, say
            print(f"bptui serve: error: {e.strerror or e}{f' ({e.filename})' if e.filename else ''}", file=sys.stderr)
            return 2
        except (ValueError, asyncssh.KeyImportError) as e:
            print(f"bptui serve: error: {e}", file=sys.stderr)
            return 2
    return 0
