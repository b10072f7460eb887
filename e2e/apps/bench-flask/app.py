import time
from pathlib import Path

from flask import Flask, send_file

app = Flask(__name__)
STATIC = Path(__file__).parent / "static"


@app.get("/")
def index() -> str:
    return "Hello from paas!\n"


@app.get("/sleep")
def sleep() -> str:
    time.sleep(0.05)  # a 50 ms wait on I/O (a database, an API)
    return "slept 50ms\n"


@app.get("/from-app/<name>")
def from_app(name: str):
    return send_file(STATIC / name)
