"""The posts: everyone reads them, their authors write and change them."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from flaskr.auth import signed_in
from flaskr.db import connection

bp = Blueprint("blog", __name__)

_POSTS = ("SELECT post.id, title, body, created, author_id, username "
          "FROM post JOIN user ON user.id = post.author_id")


def index():
    posts = connection().execute(_POSTS + " ORDER BY created DESC, post.id DESC").fetchall()
    return render_template("blog/index.html", posts=posts)


def _own_post(post_id):
    post = connection().execute(_POSTS + " WHERE post.id = ?", (post_id,)).fetchone()
    if post is None:
        abort(404)
    if post["author_id"] != g.user["id"]:
        abort(403)
    return post


def _fields():
    title = request.form.get("title", "").strip()
    if not title:
        flash("A post needs a title.")
        return None
    return title, request.form.get("body", "")


@bp.route("/create", methods=["GET", "POST"])
@signed_in
def create():
    fields = _fields() if request.method == "POST" else None
    if fields is None:
        return render_template("blog/create.html")
    with connection() as conn:
        conn.execute("INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)",
                     (*fields, g.user["id"]))
    return redirect(url_for("index"))


@bp.route("/<int:post_id>/update", methods=["GET", "POST"])
@signed_in
def update(post_id):
    post = _own_post(post_id)
    fields = _fields() if request.method == "POST" else None
    if fields is None:
        return render_template("blog/update.html", post=post)
    with connection() as conn:
        conn.execute("UPDATE post SET title = ?, body = ? WHERE id = ?", (*fields, post_id))
    return redirect(url_for("index"))


@bp.route("/<int:post_id>/delete", methods=["POST"])
@signed_in
def delete(post_id):
    _own_post(post_id)
    with connection() as conn:
        conn.execute("DELETE FROM post WHERE id = ?", (post_id,))
    return redirect(url_for("index"))
