"""PostgreSQL add-on figures on the Docker runtime, one run.

1. Seconds from provisioning the add-on (a new container and volume) until it accepts
   clients with its password, which is when ``addons:create`` sets DATABASE_URL.
2. Capture and restore of a database of ``--mb`` MB of table data: the platform's path
   (``pg_dump -Fc`` inside the add-on, streamed to a file under the platform home;
   ``pg_restore --single-transaction`` fed from that file) against the same tools run
   directly inside the container on a file there (the baseline). The ratio is the
   figure: what streaming through the engine and the platform costs.

    python -m e2e.bench.postgres [--mb 1024]

Before any work it checks the free disk space of the engine's data root and of the
temporary folder (the table, its WAL, the restore's copy and two dumps need about
``DISK_FACTOR`` times ``--mb``) and says what it saw. The long SQL and dump commands
run without a client timeout (``exec_stream``). Everything it creates (container,
volume, network, temporary folder) carries its own instance label or lives under one
temporary folder and is removed at the end, also after a failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import secrets
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from paas.domain.addons import LOOPBACK, POSTGRES, Addon
from paas.runtime.docker.addons import DockerAddons
from paas.runtime.docker.engine import DockerEngine, EngineError, connect
from paas.settings import Settings

#: Bytes of one generated row on disk, about: a bigint and 300 characters of hex.
ROW_BYTES = 340
#: Upper bound of ``--mb`` (16 GB of table data).
MAX_MB = 16 * 1024
#: Free space needed per MB of table data, on the engine's data root (table and index,
#: WAL, the restore's rewrite, the direct dump in the container) and under the temporary
#: folder (the platform's dump), with room to spare.
DISK_FACTOR = 5


def run(engine: DockerEngine, cid: str, addon: Addon, argv: list[str]) -> float:
    started = time.monotonic()
    code, err = engine.exec_stream(cid, argv, POSTGRES.client_environment(addon.password),
                                   None, io.BytesIO())
    if code != 0:
        raise SystemExit(f"{argv[0]} failed: {err[-500:]}")
    return time.monotonic() - started


def megabytes(text: str) -> int:
    try:
        mb = int(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MB") from e
    if not 1 <= mb <= MAX_MB:
        raise argparse.ArgumentTypeError(f"--mb must be between 1 and {MAX_MB}")
    return mb


def check_disk(mb: int, engine_root: str, tmp: str) -> None:
    """Refuse to start when the data cannot fit; print the free space seen."""
    needed = mb * DISK_FACTOR * 2**20
    for what, path in (("engine data root", engine_root), ("temporary folder", tmp)):
        free = shutil.disk_usage(path).free
        print(f"free disk space, {what} {path}: {free / 2**30:.1f} GB "
              f"(needs about {needed / 2**30:.1f} GB)")
        if free < needed:
            raise SystemExit(f"not enough free space on {path} for --mb {mb}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=megabytes, default=1024,
                        help=f"MB of table data (1-{MAX_MB})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paas-bench-pg-") as tmp:
        settings = Settings(home=Path(tmp) / "home")
        client = connect()
        check_disk(args.mb, str(client.info().get("DockerRootDir") or "/var/lib/docker"), tmp)
        engine = DockerEngine(client)
        addons = DockerAddons(client, settings, ready_timeout=120)
        addon = Addon("bench", "postgres", secrets.token_urlsafe(24), datetime.now(UTC))
        try:
            started = time.monotonic()
            addons.ensure(addon)
            ready = time.monotonic() - started
            print(f"add-on provisioned and accepting its password: {ready:.1f}s")
            cid = addons._running(addon)
            psql = ["psql", "-h", "127.0.0.1", "-U", "app", "-d", "app", "-v",
                    "ON_ERROR_STOP=1", "-qc"]
            rows = args.mb * 1024 * 1024 // ROW_BYTES
            fill = run(engine, cid, addon, [*psql, (
                "CREATE TABLE t (id bigint PRIMARY KEY, body text); "
                "INSERT INTO t SELECT g, repeat(md5(g::text) || md5((g * 7)::text), 5) "
                f"|| substr(md5(random()::text), 1, 20) FROM generate_series(1, {rows}) g")])
            _, size = engine.exec(cid, ["psql", "-h", "127.0.0.1", "-U", "app", "-d", "app",
                                           "-tAc", "SELECT pg_size_pretty(pg_database_size"
                                           "('app'))"], POSTGRES.client_environment(
                                               addon.password))
            print(f"{rows} rows written in {fill:.1f}s; database size {size.strip()}")

            assert POSTGRES.backup is not None and POSTGRES.restore is not None
            dump = settings.home / "bench.dump"
            settings.home.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            with dump.open("wb") as f:
                addons.backup(addon, f)
            capture = time.monotonic() - started
            direct_capture = run(engine, cid, addon, [
                "sh", "-c", " ".join([*POSTGRES.backup(LOOPBACK), "> /tmp/direct.dump"])])
            print(f"capture: platform {capture:.1f}s ({dump.stat().st_size / 2**20:.0f} MB "
                  f"dump), pg_dump direct {direct_capture:.1f}s, "
                  f"ratio {capture / direct_capture:.2f}")

            started = time.monotonic()
            with dump.open("rb") as f:
                addons.restore(addon, f)
            restore = time.monotonic() - started
            direct_restore = run(engine, cid, addon, [*POSTGRES.restore(LOOPBACK),
                                                      "/tmp/direct.dump"])
            print(f"restore: platform {restore:.1f}s, pg_restore direct "
                  f"{direct_restore:.1f}s, ratio {restore / direct_restore:.2f}")
        finally:
            addons.remove("bench")
            with contextlib.suppress(EngineError):
                addons.networks.remove("bench")
            client.close()


if __name__ == "__main__":
    main()
