from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def index():
    server = request.environ.get("SERVER_SOFTWARE", "")
    return f"uwsgi={'uwsgi.version' in request.environ} server={server}\n"
