"""The one way out of a failed command: ``error: <one line>`` on stderr, exit code > 0.

Every :class:`~paas.errors.PaasError` and every usage error becomes a :class:`Failure`
in :class:`FailingGroup`, the root command group; click then shows it and exits with its
code. The traceback is shown only with ``--debug``; a build or deploy log's last lines
come before the error line.
"""

from __future__ import annotations

import traceback
from typing import IO, Any

import click

from paas.cli.application import Application
from paas.errors import PaasError

#: Exit code of a failed command (a PaasError).
FAILED = 1
#: Exit code of a command line click cannot parse (click's own).
USAGE = click.UsageError.exit_code
#: Lines of a build or deploy log shown above the error.
LOG_TAIL = 20


class Failure(click.ClickException):
    exit_code = FAILED

    def __init__(self, message: str, log: str = "", cause: BaseException | None = None,
                 debug: bool = False) -> None:
        super().__init__(message)
        self.log = log
        self.cause = cause
        self.debug = debug

    def show(self, file: IO[Any] | None = None) -> None:
        if self.debug and self.cause is not None:
            click.echo("".join(traceback.format_exception(self.cause)).rstrip(), file=file,
                       err=True)
        for line in self.log.splitlines()[-LOG_TAIL:]:
            click.echo(f"       {line}", file=file, err=True)
        click.echo(f"error: {self.message}", file=file, err=True)


class UsageFailure(Failure):
    exit_code = USAGE


def failure_of(error: PaasError | click.UsageError, debug: bool) -> Failure:
    if isinstance(error, PaasError):
        return Failure(error.message, error.log, error, debug)
    message = error.format_message()
    message = message[:1].lower() + message[1:]
    if error.ctx is not None:
        message = f"{message.rstrip('.')} (see `{error.ctx.command_path} --help`)"
    return UsageFailure(message, cause=error, debug=debug)


class FailingGroup(click.Group):
    """The root group: whatever a command raises on purpose leaves as a :class:`Failure`."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # `paas` alone: click prints the help
        except (PaasError, click.UsageError) as e:
            raise failure_of(e, debug=False) from e

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise  # `paas stack` alone: click prints the help
        except (PaasError, click.UsageError) as e:
            # the group's callback has run by now, so --debug is known
            raise failure_of(e, debug=isinstance(ctx.obj, Application) and ctx.obj.debug
                             ) from e
