import os

from flask import Blueprint

bp = Blueprint("main", __name__)


@bp.route("/")
@bp.route("/index")
def index():
    return f"microblog pid={os.getpid()}\n"
