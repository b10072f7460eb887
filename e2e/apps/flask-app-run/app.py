"""One module, run in development with ``python app.py``: Flask's debug server."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!\n"


@app.route("/boom")
def boom():
    raise RuntimeError("a bug")


if __name__ == "__main__":
    app.run(debug=True)
