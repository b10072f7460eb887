"""The health check an app declares in its source: ``[tool.paas.healthcheck]`` in
pyproject.toml, else ``"healthcheck"`` in app.json (Dokku reads its checks from app.json
too). Both hold ``path``, ``status`` and ``timeout``; a broken declaration fails the
build, since deploying with a check the app did not mean would fail later and worse.
"""

from __future__ import annotations

import json
import tomllib

from paas.builder.source import SourceTree
from paas.domain.health import DEFAULT, HealthCheck, parse_check
from paas.errors import BuildFailed, InvalidInput


def declared_check(src: SourceTree) -> tuple[HealthCheck, str | None]:
    """The app's check and where it came from (None: the platform's default)."""
    try:
        text = src.read("pyproject.toml")
        if text is not None:
            try:
                pyproject = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                pyproject = {}  # the python buildpack reports a broken pyproject.toml
            table = pyproject.get("tool", {}).get("paas", {})
            if isinstance(table, dict) and "healthcheck" in table:
                where = "pyproject.toml [tool.paas.healthcheck]"
                return parse_check(table["healthcheck"], where), where
        text = src.read("app.json")
        if text is not None:
            try:
                manifest = json.loads(text)
            except json.JSONDecodeError as e:
                raise BuildFailed(f"app.json is not valid JSON: {e}") from None
            if isinstance(manifest, dict) and "healthcheck" in manifest:
                where = 'app.json "healthcheck"'
                return parse_check(manifest["healthcheck"], where), where
    except InvalidInput as e:
        raise BuildFailed(e.message) from None
    return DEFAULT, None
