"""What listing an instance's replicas costs the engine, by how they are listed.

The router's routes span every web replica of every app on the host. This makes
``--containers`` containers (created, never started, from a stack image, with this
bench's own instance label) and times, interleaved, ``DockerEngine.containers`` (the
engine's list, then an inspect of each one) against ``DockerEngine.listed`` (the list
alone, what the routes use). Prints medians; removes the containers at the end.

    python -m e2e.bench.engine_list [--containers 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import docker

from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import DockerEngine
from paas.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not 1 <= args.containers <= 500 or not 1 <= args.rounds <= 100:
        raise SystemExit("--containers must be 1 to 500 and --rounds 1 to 100")
    client = docker.from_env()
    image = Settings().stack.router
    labels = {L.INSTANCE: f"bench-{uuid.uuid4().hex[:8]}", L.ROLE: L.ROLE_APP}
    made: list[str] = []
    try:
        for _ in range(args.containers):
            made.append(client.api.create_container(image, ["true"], labels=labels)["Id"])
        engine = DockerEngine(client)
        ways = {"containers (list, inspect each)": engine.containers,
                "listed (the list alone)": engine.listed}
        taken: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, way in ways.items():
                start = time.monotonic()
                found = way(labels)
                taken[name].append(time.monotonic() - start)
                if len(found) != args.containers:
                    raise SystemExit(f"{name} found {len(found)} of {args.containers}")
        print(f"{args.containers} containers, median of {args.rounds} (interleaved):")
        for name, times in taken.items():
            print(f"  {name:32s} {statistics.median(times) * 1000:7.1f} ms")
    finally:
        for cid in made:
            client.api.remove_container(cid, force=True)


if __name__ == "__main__":
    main()
