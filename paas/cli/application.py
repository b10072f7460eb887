"""The object every command gets on ``ctx.obj``: output, errors, the API client."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from paas import credentials
from paas.client import Client


class Application:
    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(credentials.load())
        return self._client

    def echo(self, text: str = "") -> None:
        click.echo(text)

    def abort(self, message: str, code: int = 1) -> NoReturn:
        click.echo(f"error: {message}", err=True)
        sys.exit(code)
