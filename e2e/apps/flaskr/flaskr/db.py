"""One SQLite connection per request, and the ``init-db`` command."""

import sqlite3
from datetime import datetime

import click
from flask import current_app, g

sqlite3.register_converter("timestamp", lambda raw: datetime.fromisoformat(raw.decode()))


def connection():
    if "conn" not in g:
        g.conn = sqlite3.connect(current_app.config["DATABASE"],
                                 detect_types=sqlite3.PARSE_DECLTYPES)
        g.conn.row_factory = sqlite3.Row
    return g.conn


def _close(_error=None):
    conn = g.pop("conn", None)
    if conn is not None:
        conn.close()


@click.command("init-db")
def init_db():
    """Start from empty tables (what was there is gone)."""
    schema = current_app.open_resource("schema.sql").read().decode()
    connection().executescript(schema)
    click.echo("Initialized the database.")


def register(app):
    app.teardown_appcontext(_close)
    app.cli.add_command(init_db)
