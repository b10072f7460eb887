"""Options several commands share."""

from __future__ import annotations

import click

from paas.cli.gitremote import REMOTE, app_from_remote
from paas.errors import PaasError


def resolve_app(explicit: str | None) -> str:
    """The app a command is about: ``-a/--app``, else the one the ``paas`` git remote
    of the repository around the current directory points at."""
    if explicit:
        return explicit
    inferred = app_from_remote()
    if inferred is None:
        raise PaasError(f"no app given: use -a NAME or run inside a repo with a "
                        f"'{REMOTE}' git remote")
    return inferred


def _resolve(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    return resolve_app(value)


def app_option(f: click.decorators.FC) -> click.decorators.FC:
    """``-a/--app NAME``: the command gets the resolved name as ``app_name: str``."""
    return click.option("-a", "--app", "app_name", default=None, metavar="NAME",
                        callback=_resolve,
                        help=f"App name (default: from the '{REMOTE}' git remote).")(f)
