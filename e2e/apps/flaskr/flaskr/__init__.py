"""A small blog made by an application factory, as Flask's tutorial lays one out: the
SQLite file sits in the instance folder, and ``flask --app flaskr init-db`` makes it."""

import os

from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config["SECRET_KEY"] = "dev"
    app.config["DATABASE"] = os.path.join(app.instance_path, "flaskr.sqlite")
    if test_config:
        app.config.update(test_config)
    else:
        app.config.from_pyfile("config.py", silent=True)  # a deployment's own settings
    os.makedirs(app.instance_path, exist_ok=True)

    from flaskr import auth, blog, db

    db.register(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)
    app.add_url_rule("/", endpoint="index", view_func=blog.index)
    return app
