"""`bptui serve`: a classroom over SSH. Every session that asks for a shell
with a terminal gets its own bptui, in its own pseudo-terminal, sized to the
student's terminal and resized with it. Built on asyncssh; nothing but the app
is reachable: exec requests, subsystems (SFTP), port forwarding, agent and X11
forwarding are all refused.

The parts, one a module:
- command: the command line and the class's secret;
- server: listening, timers, loop errors, stopping;
- classroom: settings and state shared by every connection;
- admission: who may wait to log in (per address, and random early drop);
- backoff: the per-address delay on password attempts;
- connection: one SSH connection (admission, authentication, one session);
- session: one student's app and the bytes to and from it;
- session_control: what a student's app says on its control channel;
- class_table, teacher: the console's table and keys, with no screen;
- lead, class_question: the teacher's lead, and a question to the class;
- hand_in, kept, roster: hand-ins, sessions kept for a resume, the roster;
- app_process: starting an app (environment, pty, limits, user);
- template, template_client: the warm process apps are forked from, and the
  server's side of it; start_gate: how many of them start at once;
- terminal: pty size and modes, and the reset sent when an app cannot;
- log: the log, with repeated lines folded per address.
"""

from bptui.serve.classroom import MIN_WAITING
from bptui.serve.command import build_parser, main
from bptui.serve.terminal import MAX_COLS, MAX_ROWS, set_winsize

__all__ = ["MAX_COLS", "MAX_ROWS", "MIN_WAITING", "build_parser", "main", "set_winsize"]
