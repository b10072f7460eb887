"""Sign up, sign in and out; the signed-in user in ``g.user`` for every request."""

import sqlite3
from functools import wraps

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from flaskr.db import connection

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
def current_user():
    uid = session.get("uid")
    g.user = None
    if uid is not None:
        g.user = connection().execute("SELECT id, username FROM user WHERE id = ?",
                                      (uid,)).fetchone()


def signed_in(view):
    @wraps(view)
    def guarded(**kwargs):
        return view(**kwargs) if g.user else redirect(url_for("auth.login"))
    return guarded


def _credentials():
    name, secret = request.form.get("username", ""), request.form.get("password", "")
    return (name, secret) if name and secret else None


@bp.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return render_template("auth/register.html")
    given = _credentials()
    if given is None:
        flash("Both a name and a password, please.")
        return render_template("auth/register.html")
    conn = connection()
    try:
        with conn:
            conn.execute("INSERT INTO user (username, password) VALUES (?, ?)",
                         (given[0], generate_password_hash(given[1])))
    except sqlite3.IntegrityError:
        flash(f"The name {given[0]} is taken.")
        return render_template("auth/register.html")
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("auth/login.html")
    given = _credentials() or ("", "")
    row = connection().execute("SELECT id, password FROM user WHERE username = ?",
                               (given[0],)).fetchone()
    if row is None or not check_password_hash(row["password"], given[1]):
        flash("No such name and password.")
        return render_template("auth/login.html")
    session.clear()
    session["uid"] = row["id"]
    return redirect(url_for("index"))


@bp.route("/logout")
def logout():
    session.clear()
    return redirect(url_for("index"))

