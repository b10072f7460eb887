"""The PostgreSQL add-on with real pushes: a Django app's rows survive everything the
platform does; backups capture, restore (atomically) and download; Flask + SQLAlchemy
and an app shaped like Heroku's Python starter work unchanged.

A platform of this module's own, so a server restart here disturbs no other journey.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import docker
import pytest

from e2e.harness import PAAS, Platform, Result

NOTES = "notes"


def post(platform: Platform, app: str, path: str, **form: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", platform.router_port, timeout=10)
    try:
        conn.request("POST", path, body=urlencode(form), headers={
            "Host": f"{app}.localhost", "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def rows(platform: Platform, app: str = NOTES, path: str = "/notes") -> list[str]:
    status, body = platform.get(app, path)
    assert status == 200, body
    return body.splitlines()


def one_line_error(r: Result, *words: str) -> None:
    assert r.code != 0, r.text
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.text
    for w in words:
        assert w in lines[0], r.text


def ok(r: Result) -> Result:
    assert r.code == 0, r.text
    return r


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None
             ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("postgres"))
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


@pytest.fixture(scope="module")
def notes(platform: Platform) -> Path:
    """The Django app with its database attached before the first push."""
    repo = platform.new_repo("django-notes", NOTES)
    ok(platform.paas("apps:create", NOTES, cwd=repo))
    created = ok(platform.paas("addons:create", "postgres", "-a", NOTES))
    assert "DATABASE_URL" in created.out
    url = ok(platform.paas("config:get", "DATABASE_URL", "-a", NOTES)).out.strip()
    assert url.startswith("postgresql://app:") and url.endswith(":5432/app"), url
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    assert "Applying notes.0001_initial" in pushed.text
    return repo


def addon_container(platform: Platform, app: str) -> docker.models.containers.Container:
    (found,) = docker.from_env().containers.list(all=True, filters={"label": [
        f"paas.instance={platform.instance}", f"paas.app={app}", "paas.addon=postgres"]})
    return found


def test_rows_survive_redeploy_config_restart_and_server_restart(platform, notes):
    assert rows(platform, NOTES, "/") == ["notes on postgresql"]
    for text in ("first", "second"):
        assert post(platform, NOTES, "/notes", text=text)[0] == 200
    assert rows(platform) == ["first", "second"]

    ok(platform.paas("config:set", "GREETING=hi", "-a", NOTES))
    assert rows(platform) == ["first", "second"]
    ok(platform.paas("ps:restart", "-a", NOTES))
    assert rows(platform) == ["first", "second"]
    (notes / "CHANGES").write_text("redeploy\n")
    platform.commit_all(notes, "redeploy")
    assert platform.git("push", "paas", "main", cwd=notes).code == 0
    assert rows(platform) == ["first", "second"]

    # The engine stops the add-on (as an engine restart would, before its restart
    # policy); the server restarts and brings it back with the same volume and password.
    addon_container(platform, NOTES).stop()
    platform.stop()
    platform.start()
    assert addon_container(platform, NOTES).status == "running"
    deadline = time.monotonic() + 60
    while True:
        status, _ = platform.get(NOTES, "/notes")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert rows(platform) == ["first", "second"]


def test_the_password_is_on_no_command_line(platform, notes):
    url = ok(platform.paas("config:get", "DATABASE_URL", "-a", NOTES)).out.strip()
    password = url.split(":")[2].split("@")[0]
    c = addon_container(platform, NOTES)
    c.reload()
    config = c.attrs["Config"]
    assert c.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert password not in json.dumps([config.get("Cmd"), config.get("Entrypoint"),
                                       config.get("Env")])
    host_ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert password not in host_ps


def test_second_postgres_and_bad_input_are_one_line_errors(platform, notes):
    one_line_error(platform.paas("addons:create", "postgres", "-a", NOTES), "already has")
    one_line_error(platform.paas("pg:backups:restore", "b999", "--confirm", NOTES,
                                 "-a", NOTES), "no backup b999")
    one_line_error(platform.paas("pg:backups:download", "../../etc", "-a", NOTES),
                   "not a backup id")
    one_line_error(platform.paas("pg:backups:restore", "-a", NOTES), "--confirm")
    one_line_error(platform.paas("addons:destroy", "postgres", "-a", NOTES), "--confirm")


def test_info_and_psql(platform, notes):
    info = ok(platform.paas("pg:info", "-a", NOTES)).out
    assert "Version:       15." in info and "Connections:" in info
    out = ok(platform.paas("pg:psql", "-c", "SELECT count(*) FROM notes_note", "-a", NOTES))
    assert "2" in out.out.split()
    piped = subprocess.run(
        [PAAS, "pg:psql", "--no-tty", "-a", NOTES],
        input="SELECT text FROM notes_note ORDER BY id;\n", capture_output=True, text=True,
        env=platform.env(), cwd=platform.user_home, timeout=60, check=False)
    assert piped.returncode == 0 and "first" in piped.stdout, piped.stderr


def test_capture_delete_restore_and_a_broken_dump_changes_nothing(platform, notes, tmp_path):
    captured = ok(platform.paas("pg:backups:capture", "-a", NOTES)).out
    backup_id = captured.split()[1].rstrip(":")
    assert backup_id.startswith("b"), captured
    listed = ok(platform.paas("pg:backups", "-a", NOTES)).out
    assert backup_id in listed and "manual" in listed

    dump = tmp_path / "notes.dump"
    ok(platform.paas("pg:backups:download", backup_id, "-o", str(dump), "-a", NOTES))
    assert dump.read_bytes()[:5] == b"PGDMP" and (dump.stat().st_mode & 0o777) == 0o600
    folder = platform.home / "backups" / NOTES
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert (folder / f"{backup_id}.dump").stat().st_mode & 0o777 == 0o600

    assert post(platform, NOTES, "/delete")[0] == 200
    assert rows(platform) == []
    ok(platform.paas("pg:backups:restore", backup_id, "--confirm", NOTES, "-a", NOTES))
    assert rows(platform) == ["first", "second"]

    # A dump cut short: the restore fails and the rows as they are now stay.
    assert post(platform, NOTES, "/notes", text="third")[0] == 200
    whole = (folder / f"{backup_id}.dump").read_bytes()
    (folder / "b900.dump").write_bytes(whole[: len(whole) * 2 // 3])
    (folder / "b900.json").write_text(json.dumps({
        "id": "b900", "kind": "postgres", "created_at": "2026-01-01T00:00:00+00:00",
        "size": len(whole) * 2 // 3, "duration": 0.1}))
    failed = platform.paas("pg:backups:restore", "b900", "--confirm", NOTES, "-a", NOTES)
    # pg_restore's own lines come first, then the one-line verdict
    assert failed.code != 0 and failed.err.strip().splitlines()[-1].startswith("error: ")
    assert "data is unchanged" in failed.err
    assert rows(platform) == ["first", "second", "third"]
    (folder / "b900.dump").unlink()
    (folder / "b900.json").unlink()

    # no ID: the latest backup
    restored = ok(platform.paas("pg:backups:restore", "--confirm", NOTES, "-a", NOTES))
    assert backup_id in restored.out
    assert rows(platform) == ["first", "second"]

    scheduled = ok(platform.paas("pg:backups:schedule", "--at", "03:30", "--keep", "3",
                                 "-a", NOTES))
    assert "03:30" in scheduled.out
    assert "Daily at 03:30 UTC" in ok(platform.paas("pg:backups", "-a", NOTES)).out


def test_flask_sqlalchemy_on_the_same_kind(platform):
    repo = platform.new_repo("flask-sqlalchemy", "items")
    ok(platform.paas("apps:create", "items", cwd=repo))
    ok(platform.paas("addons:create", "postgres", "-a", "items"))
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    assert rows(platform, "items", "/") == ["items on postgresql"]
    assert post(platform, "items", "/items", name="apple")[0] == 200
    assert rows(platform, "items", "/items") == ["apple"]


def test_an_app_shaped_like_the_heroku_starter_works_unchanged(platform):
    """First pushed on its SQLite default; attaching PostgreSQL releases it with
    DATABASE_URL, whose release phase migrates the new database."""
    repo = platform.new_repo("getting-started-shape", "starter")
    ok(platform.paas("apps:create", "starter", cwd=repo))
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    # (SQLite lives in each container: its release-phase migration is lost, the point)
    assert rows(platform, "starter", "/") == ["Hello from a getting-started shaped app"]
    started = time.monotonic()
    ok(platform.paas("addons:create", "postgres", "-a", "starter"))
    took = time.monotonic() - started
    assert rows(platform, "starter", "/db/") == ["1 greetings in postgresql"]
    assert rows(platform, "starter", "/db/") == ["2 greetings in postgresql"]
    print(f"addons:create postgres until the app used it: {took:.1f}s")


def test_destroy_takes_a_final_backup_and_restore_needs_the_addon(platform):
    """On the starter app, which falls back to SQLite when DATABASE_URL goes away (the
    Django app needs it: its release phase would refuse the removal, and nothing goes)."""
    gone = ok(platform.paas("addons:destroy", "postgres", "--confirm", "starter", "-a", "starter"))
    assert "is gone" in gone.out and "Final backup" in gone.out
    final = gone.out.split("Final backup ")[1].split()[0]
    assert final in ok(platform.paas("pg:backups", "-a", "starter")).out
    one_line_error(platform.paas("pg:backups:restore", final, "--confirm", "starter",
                                 "-a", "starter"), "has no postgres add-on")
