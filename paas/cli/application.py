"""The object every command gets on ``ctx.obj``: the API client, output and failing."""

from __future__ import annotations

from typing import NoReturn

import click
import requests.adapters

from paas import credentials
from paas.client import Client
from paas.errors import InvalidInput


class Application:
    """``transport`` stands in for the network (tests mount the API in-process)."""

    def __init__(self, debug: bool = False,
                 transport: requests.adapters.BaseAdapter | None = None) -> None:
        self.debug = debug
        self.transport = transport
        self._client: Client | None = None

    def connect(self, creds: credentials.Credentials) -> Client:
        return Client(creds, transport=self.transport)

    @property
    def client(self) -> Client:
        """The client of the stored login (or ``PAAS_URL``/``PAAS_TOKEN``)."""
        if self._client is None:
            self._client = self.connect(credentials.load())
        return self._client

    def echo(self, text: str = "", err: bool = False) -> None:
        click.echo(text, err=err)

    def abort(self, message: str) -> NoReturn:
        """Stop the command with ``error: message``, through the one failure path."""
        raise InvalidInput(message)

    def exit(self, code: int) -> NoReturn:
        """End with ``code`` and no message (``paas run`` passes the command's code on)."""
        raise click.exceptions.Exit(code)
