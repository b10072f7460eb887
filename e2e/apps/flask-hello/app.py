import os

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return f"Hello from paas! release={os.environ.get('PAAS_RELEASE', '?')}\n"
