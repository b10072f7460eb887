"""A tenant that answers like any app, and carries a memory hog as a process type."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "hostile but polite\n"
