import os

from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/")
    def index():
        return f"shop from a factory, release={os.environ.get('PAAS_RELEASE')}\n"

    return app
