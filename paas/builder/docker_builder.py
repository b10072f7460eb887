"""The Builder adapter on the Docker SDK: plan, stream the context, build with the layer cache.

The pushed commit is never unpacked on the host: detection reads git objects and the
engine gets the commit as a tar stream (see paas.builder.context).
"""

from __future__ import annotations

import contextlib
import tempfile
import time

import docker
import docker.errors

from paas.builder import dockerfile
from paas.builder.build_stream import BuildStreamError, build_lines
from paas.builder.buildpacks import Buildpacks, load, make_plan
from paas.builder.context import platform_files, write_context
from paas.builder.deps_image import BuildNetwork, DepsImages
from paas.builder.plan import BuildPlan, stacks_from_settings
from paas.builder.source import PushedCommit, SourceTree
from paas.domain.release import Build
from paas.domain.sizes import BUILD
from paas.errors import BuildFailed, RuntimeUnavailable
from paas.logsink import LogSink
from paas.settings import Settings

INDENT = "       "


def image_repository(settings: Settings, app: str) -> str:
    return f"paas-{settings.instance}/{app}"


class DockerBuilder:
    """``network`` names the network the build's containers join (the dependency
    install, the image's build steps), which the composition root makes: on the Docker
    runtime, one of the platform's bridges, where the host rule keeps the tenant's build
    code from the cloud metadata address and Docker keeps it from every app."""

    def __init__(
        self, client: docker.DockerClient, settings: Settings, packs: Buildpacks | None = None,
        network: BuildNetwork = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.packs = packs or load()
        self.network = network
        self.deps = DepsImages(client, settings, network)

    def plan(self, source: SourceTree, stack_ids: dict[str, str]) -> BuildPlan:
        """The plan, choosing among the stacks ``stack_ids`` has (see ``_stack_ids``)."""
        stacks = stacks_from_settings(self.settings.stack, stack_ids.__contains__)
        return make_plan(source, self.packs, stacks)

    def _stack_ids(self) -> dict[str, str]:
        """The id of each configured stack image the engine has: looked up once a push,
        for the plan's choice, the check that the chosen one is there, and the key of
        the deps image."""
        ids: dict[str, str] = {}
        for stack in self.settings.stack.pythons:
            try:
                ids[stack.image] = str(self.client.images.get(stack.image).id)
            except docker.errors.ImageNotFound:
                continue
            except docker.errors.DockerException as e:
                raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e
        return ids

    @staticmethod
    def _stack_image(plan: BuildPlan) -> str:
        if plan.stack is None:
            raise BuildFailed("the build plan names no stack")
        return plan.stack.image

    def _platform_files(self, app: str, plan: BuildPlan, base_image: str) -> dict[str, bytes]:
        return platform_files(plan, base_image, labels=self._labels(app))

    def _labels(self, app: str) -> dict[str, str]:
        return {"paas.instance": self.settings.instance, "paas.app": app}

    @staticmethod
    def _stack_id(image: str, stack_ids: dict[str, str]) -> str:
        if image not in stack_ids:
            raise BuildFailed(
                f"stack image {image} is missing: "
                "run `paas stack build` on the platform host"
            )
        return stack_ids[image]

    def build(self, app: str, source: PushedCommit, commit: str, log: LogSink) -> Build:
        stack_ids = self._stack_ids()
        plan = self.plan(source.source_tree(), stack_ids)
        for line in plan.describe():
            log(f"-----> {line}")
        stack = self._stack_image(plan)
        stack_id = self._stack_id(stack, stack_ids)
        repository = image_repository(self.settings, app)
        tag = f"{repository}:git-{commit[:12]}"
        started = time.monotonic()
        base = self.deps.image_for(repository, self._labels(app), plan, stack, stack_id,
                                   source, log)
        log(f"-----> Dependencies ready in {time.monotonic() - started:.1f}s")
        # an anonymous file of ours: the context tar, sent as it is, never extracted here
        with tempfile.TemporaryFile(prefix="paas-context-") as context:
            write_context(context, source, self._platform_files(app, plan, base))
            log("-----> Building image")
            output: list[str] = []
            steps = _StepImages()
            try:
                stream = self.client.api.build(
                    fileobj=context,
                    custom_context=True,
                    tag=tag,
                    rm=True,
                    forcerm=True,
                    pull=False,
                    decode=True,
                    # build steps run the tenant's code (collectstatic): bounded, and
                    # on the build network
                    network_mode=self.network() if self.network is not None else None,
                    container_limits={"memory": BUILD.memory, "memswap": BUILD.memory,
                                      "cpushares": BUILD.cpu_shares},
                )
                for line in build_lines(stream):
                    output.append(line)
                    steps.see(line)
                    if not line.startswith(("Step ", " ---> ", "Removing intermediate")):
                        log(INDENT + line)
            except BuildStreamError as e:
                steps.remove_new(self.client)
                # The output streamed to the pusher as it came: say only the cause again.
                cause = dockerfile.install_error(output) or e.message
                raise BuildFailed(f"build failed: {cause}") from None
            except docker.errors.DockerException as e:
                raise RuntimeUnavailable(f"Docker engine error during build: {e}") from e
        log(f"-----> Image built in {time.monotonic() - started:.1f}s")
        return Build(
            image=tag,
            commit=commit,
            processes=dict(plan.processes),
            release_command=plan.release_command,
            web_protocol=plan.web_protocol,
            static=plan.static,
            port=plan.port,
            summary=plan.summary,
            writable_root=plan.writable_root,
            data_dirs=plan.data_dirs,
            health=plan.health,
        )


class _StepImages:
    """Intermediate images a build made, so a failed build leaves none behind.

    Untagged, they would stay until the app is destroyed (they carry its labels, set
    before the source is copied) or for ever (a fresh base has none). Images reused from
    the cache ("Using cache") existed before and stay.
    """

    def __init__(self) -> None:
        self.new: list[str] = []
        self._cached = False
        self._from = False

    def see(self, line: str) -> None:
        if line.startswith("Step "):
            # FROM's "image" is the stack image (or a stage base): never ours to remove.
            self._from = " : FROM " in line.upper()
            self._cached = False
        elif line.strip() == "---> Using cache" or self._from:
            self._cached = True
        elif line.startswith(" ---> ") and not line.startswith(" ---> Running in"):
            image_id = line.removeprefix(" ---> ").strip()
            if not self._cached and all(c in "0123456789abcdef" for c in image_id):
                self.new.append(image_id)
            self._cached = False

    def remove_new(self, client: docker.DockerClient) -> None:
        for image_id in reversed(self.new):
            with contextlib.suppress(docker.errors.APIError):
                client.images.remove(image_id)  # no force: images in use stay
