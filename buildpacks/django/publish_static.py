"""Publishes ``STATIC_ROOT`` for nginx, after collectstatic; at /opt/paas/django_static.py.

``python django_static.py STATIC_ROOT PUBLISHED`` copies the collected files to the
folder the router serves, with two differences, both as WhiteNoise serves them:

- every name of the manifest (``staticfiles.json``) is served, hashed or not: a page or
  a stylesheet that refers to ``css/site.css`` directly still gets it, even when the
  app keeps only hashed files (``WHITENOISE_KEEP_ONLY_HASHED_FILES``);
- ``staticfiles.json`` itself is not published: it lists every file of the app, and only
  Django needs it, from ``STATIC_ROOT``, which stays as collectstatic left it.

It runs in the build, as the app's user, on the app's own output.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

MANIFEST = "staticfiles.json"


def publish(root: Path, out: Path) -> int:
    """Copy ``root`` to ``out``; returns how many unhashed names were added."""
    shutil.copytree(root, out, dirs_exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    try:
        paths = json.loads((root / MANIFEST).read_text()).get("paths", {})
    except (OSError, ValueError, AttributeError):
        return 0
    added = 0
    top = out.resolve()
    for name, hashed in paths.items():
        target, source = (out / name).resolve(), (out / hashed).resolve()
        if not (target.is_relative_to(top) and source.is_relative_to(top)):
            continue
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            added += 1
    return added


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        sys.exit("usage: django_static.py STATIC_ROOT PUBLISHED")
    added = publish(Path(argv[1]), Path(argv[2]))
    print(f"paas: static files published for nginx ({added} unhashed names added, "
          f"{MANIFEST} left out)")


if __name__ == "__main__":
    main(sys.argv)
