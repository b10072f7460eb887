"""Every gunicorn gets the platform's tuning, a Procfile's too.

A Procfile's ``web: gunicorn microblog:app`` would run gunicorn's defaults: one sync
worker, which a single slow request blocks. gunicorn reads ``GUNICORN_CMD_ARGS`` before
its command line, and a ``--config`` there loads the platform's config (workers from the
container's cgroup limits, gthread, timeouts, access log): flags on the Procfile line
still win over it, and a ``--config``/``-c`` of the app's replaces it. An app that ships
its own ``gunicorn.conf.py`` keeps it: gunicorn loads that file only when no config is
named, so the variable is not set then.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from buildpacks.python.servers import GUNICORN_CONF, platform_file
from paas.builder.plan import ProcessSetup
from paas.builder.source import SourceTree

KIND = "processes"


def runs_gunicorn(command: str) -> bool:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return any(w.rsplit("/", 1)[-1] == "gunicorn" for w in words)


def setup(src: SourceTree, processes: Mapping[str, str]) -> ProcessSetup | None:
    users = [name for name, cmd in processes.items() if runs_gunicorn(cmd)]
    if not users:
        return None
    bare = [n for n in users if not {"-c", "--config"} & set(
        w.split("=", 1)[0] for w in processes[n].split())]
    if src.has("gunicorn.conf.py"):
        return ProcessSetup(notes=(
            f"gunicorn in the Procfile ({', '.join(bare)}): the app's gunicorn.conf.py "
            "applies, not the platform's",)) if bare else None
    notes = (f"gunicorn in the Procfile ({', '.join(bare)}): the platform's config "
             "applies (gthread workers sized from the container's limits, timeouts, access "
             "log) through GUNICORN_CMD_ARGS; flags on the Procfile line win",) if bare else ()
    return ProcessSetup(
        files={GUNICORN_CONF: platform_file("gunicorn_conf.py")},
        env={"GUNICORN_CMD_ARGS": f"--config {GUNICORN_CONF}"},
        notes=notes,
    )
