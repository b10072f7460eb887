import os

from flask import Flask, abort

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return f"Hello from paas! release={os.environ.get('PAAS_RELEASE', '?')}\n"


@app.get("/env/<key>")
def env(key: str) -> str:
    """The value of one environment variable, exactly, or 404 when unset."""
    if key not in os.environ:
        abort(404)
    return os.environ[key]
