"""A Flask app whose ``/`` fails until it is set up (flaskr's "no such table"), with a
``/health`` that answers 200, and a page that shows what the platform gave it."""

import json
import os

from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def index() -> tuple[str, int]:
    return "no such table: post\n", 500


@app.get("/health")
def health() -> str:
    return "ok\n"


@app.get("/env")
def env() -> str:
    return json.dumps({
        "DYNO": os.environ.get("DYNO"),
        **{h: request.headers.get(h) for h in (
            "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Request-Start")},
    })
