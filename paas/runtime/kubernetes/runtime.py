"""The kubernetes Runtime: a release becomes objects, applied, watched, undone on failure.

The deploy use case runs the release phase (``run_release_phase``, a Job per release,
never rerun) before ``deploy``; ``deploy``, ``restart`` and scaling never run it.
A deploy goes: namespace and config Secret -> Deployments, Service, route (HTTPRoute or
Ingress), PDB -> watch the rollout until
every Deployment is fully up or the timeout passes -> on failure re-apply the objects as
they were before and say why (warning events, the new pods' last log lines) -> prune what
no longer belongs to the app. Replicas of the previous release keep serving throughout:
Deployments never remove a ready replica before its successor is ready.
"""

from __future__ import annotations

import logging
import math
import secrets
import shlex
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy
from paas.domain.formation import NOT_SCALABLE, default_replicas
from paas.domain.logs import LogLine, normalize_time, parse, stamp
from paas.domain.release import Release
from paas.domain.sizes import size_of
from paas.errors import DeployFailed, PaasError
from paas.logsink import LogSink
from paas.runtime.kubernetes import (
    autoscaling,
    manifests,
    policies,
    routing,
    state,
    workloads,
)
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.api import (
    REPLICAS_MANAGER,
    RESTART_MANAGER,
    ClusterApi,
    KubeApi,
    load_client,
)
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.oneoff import PodRun
from paas.runtime.kubernetes.settings import KubernetesSettings
from paas.runtime.port import OneOff, ProcessInfo

log_ = logging.getLogger(__name__)
LOG_TAIL = 20
#: Seconds between polls of ``follow_logs`` (the ClusterApi has no streaming log call).
FOLLOW_POLL = 2.0


class KubernetesRuntime:
    def __init__(
        self,
        api: KubeApi,
        settings: KubernetesSettings,
        clock: Callable[[], float] = time.monotonic,
        run_name: Callable[[], str] = lambda: f"run-{secrets.token_hex(4)}",
    ) -> None:
        self._api = api
        self._settings = settings
        self._clock = clock
        self._run_name = run_name

    @classmethod
    def from_environment(
        cls, kubeconfig: str | None = None, context: str | None = None
    ) -> KubernetesRuntime:
        """In-cluster credentials in a pod, else ``$KUBECONFIG``; settings from env."""
        return cls(ClusterApi(load_client(kubeconfig, context)), KubernetesSettings.from_env())

    @property
    def api(self) -> KubeApi:
        """The cluster connection, shared with the add-on provider."""
        return self._api

    @property
    def settings(self) -> KubernetesSettings:
        return self._settings

    # -- helpers ---------------------------------------------------------------------

    def _ns(self, app: str) -> str:
        return lb.namespace(app, self._settings)

    def _list(self, app: str, kinds: Iterable[tuple[str, str]], extra: str = "") -> list[Manifest]:
        selector = lb.managed(app) + (f",{extra}" if extra else "")
        return [o for v, k in kinds for o in self._api.list(v, k, self._ns(app), selector)]

    def _watch_until(
        self,
        app: str,
        kind: tuple[str, str],
        extra: str,
        seconds: int,
        done: Callable[[Manifest], bool],
    ) -> bool:
        """Feed watched objects to ``done`` until it says so (True) or time runs out."""
        deadline = self._clock() + seconds
        selector = lb.managed(app) + (f",{extra}" if extra else "")
        while (remaining := deadline - self._clock()) > 0:
            timeout = max(1, math.ceil(remaining))
            for obj in self._api.watch(kind[0], kind[1], self._ns(app), selector, timeout):
                if done(obj):
                    return True
        return False

    def _pod_tail(self, app: str, selector: str, lines: int = LOG_TAIL) -> list[str]:
        """Last log lines of the first matching pod (of its crashed run, if it crashed)."""
        for pod in self._list(app, [("v1", "Pod")], selector):
            restarted = any(
                s.get("restartCount", 0) > 0
                for s in (pod.get("status") or {}).get("containerStatuses") or []
            )
            try:
                text = self._api.pod_log(
                    self._ns(app),
                    state.name_of(pod),
                    workloads.APP_CONTAINER,
                    lines,
                    previous=restarted,
                )
            except PaasError as e:
                return [f"(no log from {state.name_of(pod)}: {e.message})"]
            return [f"{state.name_of(pod)}: {line}" for line in text.splitlines()[-lines:]]
        return []

    def _ensure(self, app: App, release: Release) -> None:
        for obj in policies.isolated_namespace(app, self._settings):
            self._api.apply(obj)
        self._api.apply(manifests.config_secret(app, release, self._settings))

    def _autoscaled(self, app: str) -> set[str]:
        return {
            t
            for o in self._list(app, state.AUTOSCALE_KINDS)
            if not o["metadata"].get("ownerReferences")
            and (t := state.label(o, lb.PROCESS_TYPE)) is not None
        }

    # -- release phase ---------------------------------------------------------------

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        """Run the release command once per release: a finished Job is never rerun."""
        build = workloads.build_of(release)
        if not build.release_command:
            return
        self._refuse_undeployable(app, release)
        self._ensure(app, release)
        ns, name = self._ns(app.name), lb.release_job(release.version)
        job = self._api.get("batch/v1", "Job", name, ns)
        progress = state.job_progress(job) if job else state.Progress(False)
        if job is None:
            log(f"Running release command: {build.release_command}")
            self._api.apply(workloads.release_job(app.name, release, self._settings,
                                                  size_of(app.sizes, lb.WEB),
                                                  workloads.writable_root(app, release)))
        if not progress.done:
            outcome: list[state.Progress] = []

            def finished(obj: Manifest) -> bool:
                p = state.job_progress(obj)
                if state.name_of(obj) == name and p.done:
                    outcome.append(p)
                return bool(outcome)

            timeout = self._settings.release_timeout + 30
            if not self._watch_until(
                app.name,
                ("batch/v1", "Job"),
                f"{lb.PROCESS_TYPE}={lb.RELEASE_TYPE}",
                timeout,
                finished,
            ):
                raise DeployFailed(
                    f"release command of {release.label} did not finish within {timeout}s; "
                    "nothing was changed",
                    "\n".join(self._job_tail(app.name, release)),
                )
            progress = outcome[0]
        tail = self._job_tail(app.name, release)
        if progress.failed:
            raise DeployFailed(
                f"release command of {release.label} failed ({progress.failed}); "
                "nothing was changed",
                "\n".join(tail),
            )
        for line in tail:
            log(line)

    def _refuse_undeployable(self, app: App, release: Release) -> None:
        """What ``deploy`` would refuse, refused before the release command runs: a
        migration must not run for a release that then cannot be deployed (a queue
        autoscaler whose broker the release's config no longer names)."""
        if any(o["kind"] == "ScaledObject" for o in self._list(app.name, state.AUTOSCALE_KINDS)):
            autoscaling.broker_objects(app, release.config, self._settings)

    def _job_tail(self, app: str, release: Release) -> list[str]:
        selector = (
            f"{lb.PROCESS_TYPE}={lb.RELEASE_TYPE},{lb.RELEASE}={lb.release_label(release.version)}"
        )
        return self._pod_tail(app, selector)

    # -- deploy ----------------------------------------------------------------------

    def deploy(
        self, app: App, release: Release, formation: Mapping[str, int], log: LogSink
    ) -> None:
        build = workloads.build_of(release)
        self._ensure(app, release)

        before = self._list(app.name, state.ROLLBACK_KINDS)
        previous = max((lb.parse_release(state.label(o, lb.RELEASE)) for o in before), default=0)
        autoscaled = self._autoscaled(app.name)
        objects = manifests.release_objects(app, release, formation, self._settings, autoscaled)
        if any(o["kind"] == "ScaledObject" for o in self._list(app.name, state.AUTOSCALE_KINDS)):
            # The broker may have moved with this release's config.
            objects += autoscaling.broker_objects(app, release.config, self._settings)[1]
        log(f"Applying {release.label} to namespace {self._ns(app.name)}")
        for note in manifests.deploy_notes(release):
            log(note)
        for obj in objects:
            self._api.apply(obj)

        rolling = [state.name_of(o) for o in objects if o["kind"] == "Deployment"]
        failure = self._wait_rollout(app.name, rolling)
        if failure is not None:
            detail = self._explain(app.name, release, rolling)
            self._restore(app.name, before, objects, autoscaled)
            back = f"v{previous} is still serving" if previous else "nothing was running"
            raise DeployFailed(
                f"{release.label} of {app.name} did not become ready ({failure}); "
                f"rolled back, {back}",
                "\n".join(detail),
            )
        log(f"{release.label} is up: {', '.join(rolling) or 'no processes'}")
        self._prune(app.name, objects, build.processes, {release.version, previous})
        if lb.WEB in formation or lb.WEB in build.processes:
            self._apply_listeners(app)

    def _apply_listeners(self, app: App | None, name: str | None = None) -> None:
        """The app's HTTPS listeners on the shared Gateway (with Gateway routing and TLS),
        or none: applying an empty list under the app's own field manager removes exactly
        the listeners this app added."""
        if self._settings.routing != "gateway" or not self._settings.cluster_issuer:
            return
        app_name = app.name if app is not None else str(name)
        self._api.apply(routing.gateway_listeners(app, app_name, self._settings),
                        field_manager=routing.listener_field_manager(app_name))

    def _wait_rollout(self, app: str, names: Sequence[str]) -> str | None:
        """None when every Deployment is up; else why not."""
        pending = set(names)
        failed: list[str] = []

        def settled(dep: Manifest) -> bool:
            name = state.name_of(dep)
            if name not in pending:
                return False
            progress = state.deployment_progress(dep)
            if progress.failed:
                failed.append(progress.failed)
            elif progress.done:
                pending.discard(name)
            return bool(failed) or not pending

        if not pending:
            return None
        timeout = self._settings.rollout_timeout
        self._watch_until(app, ("apps/v1", "Deployment"), "", timeout, settled)
        if failed:
            return failed[0]
        if pending:
            return f"{', '.join(sorted(pending))} not ready after {timeout}s"
        return None

    def _explain(self, app: str, release: Release, names: Sequence[str]) -> list[str]:
        events = self._api.list("v1", "Event", self._ns(app))
        lines = state.warnings(events, names)
        label = lb.release_label(release.version)
        for name in names:
            lines += self._pod_tail(app, f"{lb.PROCESS_TYPE}={name},{lb.RELEASE}={label}")
        return lines

    def _restore(
        self, app: str, before: list[Manifest], applied: list[Manifest], autoscaled: set[str]
    ) -> None:
        kept = {(o["kind"], state.name_of(o)) for o in before}
        for obj in before:
            keep_replicas = not (obj["kind"] == "Deployment" and state.name_of(obj) in autoscaled)
            self._api.apply(state.restorable(obj, keep_replicas))
        for obj in applied:
            if (obj["kind"], state.name_of(obj)) not in kept and any(
                obj["kind"] == k for _, k in state.ROLLBACK_KINDS
            ):
                self._api.delete(obj["apiVersion"], obj["kind"], state.name_of(obj), self._ns(app))

    def _prune(
        self,
        app: str,
        applied: Iterable[Manifest],
        processes: Collection[str],
        keep_releases: Collection[int],
    ) -> None:
        done = {(o["kind"], state.name_of(o)) for o in applied}
        live = self._list(app, state.PRUNE_KINDS)
        types = [p for p in processes if p not in NOT_SCALABLE]
        for obj in state.stale(live, done, types, keep_releases):
            self._api.delete(obj["apiVersion"], obj["kind"], state.name_of(obj), self._ns(app))

    def settle(self, app: str) -> None:
        """The Deployment controller removes old pods itself: nothing is left to wait
        for once ``deploy`` returned."""

    def restart(self, app: App, release: Release, formation: Mapping[str, int],
                types: Iterable[str], log: LogSink) -> None:
        """Roll the Deployments of ``types`` by stamping their pod template, as
        ``kubectl rollout restart`` does; the Deployment's own rolling update keeps web
        serving, and a rollout that never settles is reported, not retried."""
        ns = self._ns(app.name)
        names = [t for t in types if formation.get(t, 0) > 0]
        # The Deployments as this app is now. One whose pod template that changed (a
        # resize changed its resources) rolls already: a stamp on top would start a
        # second rollout while the first runs. The others roll by the stamp.
        rolled: set[str] = set()
        for obj in manifests.release_objects(app, release, formation, self._settings,
                                             self._autoscaled(app.name)):
            name = state.name_of(obj)
            if obj["kind"] == "Deployment" and name in names:
                before = self._api.get("apps/v1", "Deployment", name, ns)
                after = self._api.apply(obj)
                if before is not None and state.pod_template(before) != \
                        state.pod_template(after):
                    rolled.add(name)
        stamp = datetime.now(UTC).isoformat()
        for name in (n for n in names if n not in rolled):
            self._api.apply(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"template": {"metadata": {"annotations": {
                        lb.RESTARTED_AT: stamp}}}},
                },
                field_manager=RESTART_MANAGER,
            )
        log(f"Restarting {', '.join(names) or 'nothing'} in namespace {ns}")
        failure = self._wait_rollout(app.name, names)
        if failure is not None:
            raise DeployFailed(f"restart of {app.name} did not settle ({failure})",
                               "\n".join(self._explain(app.name, release, names)))

    # -- autoscaling -----------------------------------------------------------------

    def apply_autoscaling(
        self,
        app: App,
        policies: Sequence[AutoscalePolicy],
        config: Mapping[str, str] | None = None,
    ) -> None:
        """Make the app's HPAs and ScaledObjects match ``policies``.

        ``config`` is the current release's config, where queue policies find the broker.
        Before an autoscaler takes a Deployment, its replica count is handed to a field
        manager of its own; when a policy goes, the count returns to the formation.
        """
        ns = self._ns(app.name)
        objects = autoscaling.autoscaling_objects(app, policies, config or {}, self._settings)
        wanted = {(o["kind"], state.name_of(o)) for o in objects}
        already = self._autoscaled(app.name)
        for policy in policies:
            if policy.process_type not in already:
                live = self._api.get("apps/v1", "Deployment", policy.process_type, ns)
                if live is not None:
                    current = (live.get("spec") or {}).get("replicas", 1)
                    self._set_replicas(app.name, policy.process_type, int(current))
        for obj in objects:
            self._api.apply(obj)
        kinds = (*state.AUTOSCALE_KINDS, ("keda.sh/v1alpha1", "TriggerAuthentication"))
        live_objs = self._list(app.name, kinds) + [
            s for s in self._list(app.name, [("v1", "Secret")]) if state.name_of(s) == lb.BROKER
        ]
        for obj in live_objs:
            if obj["metadata"].get("ownerReferences"):
                continue
            if (obj["kind"], state.name_of(obj)) in wanted:
                continue
            self._api.delete(obj["apiVersion"], obj["kind"], state.name_of(obj), ns)
            process_type = state.label(obj, lb.PROCESS_TYPE)
            if (
                obj["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")
                and process_type
                and not any(p.process_type == process_type for p in policies)
            ):
                count = app.formation.get(process_type, default_replicas(process_type))
                self._set_replicas(app.name, process_type, count)

    def _set_replicas(self, app: str, process_type: str, replicas: int) -> None:
        self._api.apply(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": process_type, "namespace": self._ns(app)},
                "spec": {"replicas": replicas},
            },
            field_manager=REPLICAS_MANAGER,
        )

    # -- inspection and one-offs ------------------------------------------------------

    def processes(self, app: str) -> list[ProcessInfo]:
        out = []
        for pod in self._list(app, [("v1", "Pod")]):
            process_type = state.label(pod, lb.PROCESS_TYPE)
            if (not process_type or process_type in (lb.RELEASE_TYPE, lb.RUN_TYPE)
                    or state.is_addon(pod)):
                continue
            out.append(
                ProcessInfo(
                    process_type=process_type,
                    name=state.name_of(pod),
                    release=lb.parse_release(state.label(pod, lb.RELEASE)),
                    state=state.pod_state(pod),
                    started_at=state.parse_time((pod.get("status") or {}).get("startTime")),
                )
            )
        return sorted(out, key=lambda p: (p.process_type, p.name))

    def logs(self, app: str, process_type: str | None = None, lines: int = 100) -> list[str]:
        """The last ``lines`` lines of the app's pods, merged in time order."""
        extra = f"{lb.PROCESS_TYPE}={process_type}" if process_type else ""
        stamped: list[tuple[str, str]] = []
        for pod in self._list(app, [("v1", "Pod")], extra):
            if state.is_addon(pod):  # a database's or a backup's pod: no app container
                continue
            name = state.name_of(pod)
            try:
                text = self._api.pod_log(
                    self._ns(app), name, workloads.APP_CONTAINER, lines, timestamps=True
                )
            except PaasError as e:
                stamped.append(("", f"{name}: (no log: {e.message})"))
                continue
            for line in text.splitlines():
                when, _, message = line.partition(" ")
                stamped.append((when, f"{when} {name}: {message}"))
        return [line for _, line in sorted(stamped)][-lines:]

    def follow_logs(self, app: str, process_type: str | None, since: float,
                    sink: Callable[[LogLine], None], stop: threading.Event) -> None:
        """New pod lines by polling ``logs``; pods that start meanwhile are in the next poll."""
        shown = stamp(datetime.fromtimestamp(since, UTC))
        last: dict[str, str] = {}
        while not stop.wait(FOLLOW_POLL):
            for text in self.logs(app, process_type, 1000):
                line = parse(text)
                if line is None:
                    continue
                line = LogLine(normalize_time(line.time), line.source, line.message)
                if line.time > max(shown, last.get(line.source, "")):
                    last[line.source] = line.time
                    sink(line)

    def start_oneoff(self, app: App, release: Release, command: Sequence[str], tty: bool,
                     rows: int, cols: int) -> OneOff:
        name = self._run_name()
        line = command[0] if len(command) == 1 else shlex.join(command)

        def run(log: LogSink, cancel: threading.Event) -> int:
            return self.run(app, release, line, log, name=name, cancel=cancel)

        def stop() -> None:
            self._api.delete("v1", "Pod", name, self._ns(app.name))

        return PodRun(name, run, stop, interactive=tty)

    def oneoffs(self, app: str) -> int:
        return sum(1 for pod in self._list(app, [("v1", "Pod")],
                                           f"{lb.PROCESS_TYPE}={lb.RUN_TYPE}")
                   if state.pod_exit_code(pod) is None)

    def run(
        self, app: App, release: Release, command: str, log: LogSink, timeout: int = 3600,
        name: str | None = None, cancel: threading.Event | None = None,
    ) -> int:
        """Run ``command`` once in a pod of ``release``; its output goes to ``log``.

        Not interactive: no terminal is attached. The pod is removed afterwards; a set
        ``cancel`` (the client went away) ends the wait with exit code 130.
        """
        self._ensure(app, release)
        name = name or self._run_name()
        pod = workloads.run_pod(app.name, release, name, command, self._settings,
                                size_of(app.sizes, lb.WEB),
                                workloads.writable_root(app, release))
        self._api.apply(pod)
        exit_code: list[int] = []

        def finished(obj: Manifest) -> bool:
            code = state.pod_exit_code(obj)
            if state.name_of(obj) == name and code is not None:
                exit_code.append(code)
            return bool(exit_code) or (cancel is not None and cancel.is_set())

        try:
            ok = self._watch_until(
                app.name, ("v1", "Pod"), f"{lb.PROCESS_TYPE}={lb.RUN_TYPE}", timeout, finished
            )
            if cancel is not None and cancel.is_set():
                return 130
            text = self._api.pod_log(self._ns(app.name), name, workloads.APP_CONTAINER)
            for line in text.splitlines():
                log(line)
            if not ok:
                raise DeployFailed(f"`{command}` did not finish within {timeout}s; stopped it")
            return exit_code[0]
        finally:
            self._api.delete("v1", "Pod", name, self._ns(app.name))

    # -- lifecycle -------------------------------------------------------------------

    def destroy(self, app: str) -> None:
        """Deleting the namespace takes every object of the app with it; its listeners on
        the shared Gateway go first."""
        self._apply_listeners(None, app)
        self._api.delete("v1", "Namespace", self._ns(app))

    def update_routes(self, app: App) -> None:
        """Re-apply the route with the app's hosts; only where web is routed already."""
        route = routing.route(app, self._settings)
        if self._list(app.name, ((route["apiVersion"], route["kind"]),)):
            self._api.apply(route)
            self._apply_listeners(app)

    def reconcile(self, apps: list[tuple[App, Release | None]]) -> None:
        """Re-apply each app's current release as stored; no release phase, no waiting.

        One app's failure is logged and does not stop the others.
        """
        for app, release in apps:
            if release is None or release.build is None:
                continue
            try:
                self._ensure(app, release)
                objects = manifests.release_objects(
                    app, release, app.formation, self._settings, self._autoscaled(app.name)
                )
                for obj in objects:
                    self._api.apply(obj)
            except PaasError as e:
                log_.warning("reconcile %s: %s", app.name, e.message)
