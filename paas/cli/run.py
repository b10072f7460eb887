"""``paas run -- CMD ...``: a one-off command of the current release, attached here.

With a terminal on both ends the command gets one too (raw mode, resizes follow the
window, Ctrl-C goes to the command as in ssh); otherwise stdin is piped through and
ends with EOF, stdout and stderr stay apart, and Ctrl-C here kills the command.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import termios
import threading
import tty
from dataclasses import dataclass
from types import FrameType

import click

from paas import wire
from paas.cli.application import Application
from paas.cli.options import app_option
from paas.client import RunConnection
from paas.errors import PaasError

#: Exit code after Ctrl-C without a terminal, as a shell reports SIGINT.
INTERRUPTED = 130


@dataclass
class Outcome:
    """How the command ended, as the server reported it."""

    code: int | None = None
    error: str | None = None


def _receive(conn: RunConnection, outcome: Outcome, done: threading.Event) -> None:
    out, err = sys.stdout.buffer, sys.stderr.buffer
    try:
        while (item := conn.recv()) is not None:
            kind, data = item
            if kind in (wire.STDOUT, wire.STDERR):
                stream = out if kind == wire.STDOUT else err
                stream.write(data)
                stream.flush()
            elif kind == wire.EXIT:
                outcome.code = int(data or b"1")
                return
            elif kind == wire.ERROR:
                outcome.error = data.decode(errors="replace")
                return
    finally:
        done.set()


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return None


def session(conn: RunConnection, with_tty: bool) -> int:
    """Relay this terminal (or these pipes) to the command; its exit code.

    An error the server sends instead of an exit code is raised as a PaasError.
    """
    outcome = Outcome()
    done = threading.Event()
    threading.Thread(target=_receive, args=(conn, outcome, done), daemon=True).start()
    fd = _stdin_fd()
    saved = termios.tcgetattr(fd) if with_tty and fd is not None else None
    resized = threading.Event()

    def on_winch(_sig: int, _frame: FrameType | None) -> None:
        resized.set()

    try:
        if saved is not None and fd is not None:
            tty.setraw(fd)
            signal.signal(signal.SIGWINCH, on_winch)
        reading = fd is not None
        if fd is None:
            conn.send(wire.STDIN_EOF)
        while not done.is_set():
            if resized.is_set():
                resized.clear()
                size = shutil.get_terminal_size()
                conn.send(wire.RESIZE, wire.resize_payload(size.lines, size.columns))
            if not reading or fd is None:
                done.wait(0.2)
                continue
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                data = os.read(fd, 65536)
                if data:
                    conn.send(wire.STDIN, data)
                else:
                    conn.send(wire.STDIN_EOF)
                    reading = False
    except KeyboardInterrupt:
        # Closing the connection is the signal: the server kills and removes the command.
        return INTERRUPTED
    except OSError:
        done.wait(5)
    finally:
        if saved is not None and fd is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            signal.signal(signal.SIGWINCH, signal.SIG_DFL)
        conn.close()
    if outcome.error is not None:
        raise PaasError(outcome.error)
    if outcome.code is None:
        raise PaasError("lost the connection to the paas server before the command ended")
    return outcome.code


@click.command("run", context_settings={"ignore_unknown_options": True,
                                        "allow_interspersed_args": False})
@app_option
@click.option("--no-tty", is_flag=True, help="No terminal for the command, even here.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_obj
def run(app: Application, app_name: str, no_tty: bool, command: tuple[str, ...]) -> None:
    """Run COMMAND once in a new container of the current release, with its config.

    One argument is a shell line (`paas run -- 'echo $DATABASE_URL'`); several run as
    given (`paas run -- python manage.py migrate`). The exit code is the command's.
    """
    with_tty = not no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    size = shutil.get_terminal_size()
    try:
        conn = app.client.open_run(app_name, list(command), with_tty, size.lines, size.columns)
    except KeyboardInterrupt:
        # The server may have started the command: the closed connection makes it go.
        app.exit(INTERRUPTED)
    app.exit(session(conn, with_tty))


COMMANDS = [run]
