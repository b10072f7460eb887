"""Every object of one release of an app, as data, in the order they are applied.

Pure: the same app, release and formation always give the same objects, which is what
lets the tests validate them offline and the runtime compare them with the cluster.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping

from paas.domain.app import App
from paas.domain.formation import desired
from paas.domain.release import Release
from paas.domain.sizes import size_of
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes import probes, routing, sidecar, workloads
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings


def namespace(app: App, settings: KubernetesSettings) -> Manifest:
    """The app's namespace; app pods meet the ``restricted`` Pod Security Standard."""
    ns_labels = {
        **lb.labels(app.name),
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": lb.metadata(lb.namespace(app.name, settings), None, ns_labels),
    }


def config_secret(app: App, release: Release, settings: KubernetesSettings) -> Manifest:
    """The release's config, one immutable Secret per release.

    Pods of the previous release keep reading their own Secret, so a config change that
    fails its rollout cannot leak into the replicas still serving. It is applied again by
    each step of a release (release phase, deploy), identical each time.
    """
    data = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(release.config.items())}
    secret: Manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": lb.metadata(
            lb.config_secret(release.version),
            lb.namespace(app.name, settings),
            lb.labels(app.name, None, release.version),
        ),
        "type": "Opaque",
        "immutable": True,
    }
    # The API server stores empty data as none; applying ``{}`` again would then be a
    # change of an immutable field, and the second apply of the release would fail.
    if data:
        secret["data"] = data
    return secret


def nginx_config_map(app: App, release: Release, settings: KubernetesSettings) -> Manifest:
    build = workloads.build_of(release)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": lb.metadata(
            lb.nginx_config(release.version),
            lb.namespace(app.name, settings),
            lb.labels(app.name, lb.WEB, release.version),
        ),
        "immutable": True,
        "data": {sidecar.CONF_FILE: sidecar.render(build, settings)},
    }


def deploy_notes(release: Release) -> list[str]:
    """Lines for the deploy output where this runtime cannot keep what the build asks:
    a health check the kubelet cannot say, data folders no volume shares."""
    build = workloads.build_of(release)
    notes = [workloads.data_note(build)]
    if lb.WEB in build.processes:
        notes.append(probes.web_probes(build, workloads.web_check(release)).note)
    return [n for n in notes if n]


def release_objects(
    app: App,
    release: Release,
    formation: Mapping[str, int],
    settings: KubernetesSettings,
    autoscaled: Collection[str] = (),
) -> list[Manifest]:
    """Workloads and routing of ``release``; ``autoscaled`` types leave replicas alone."""
    build = workloads.build_of(release)
    replicas = desired(formation, build.processes)
    objects: list[Manifest] = []
    has_web = lb.WEB in replicas
    if has_web and sidecar.needed(build):
        objects.append(nginx_config_map(app, release, settings))
    for process_type, count in replicas.items():
        objects.append(
            workloads.deployment(
                app.name,
                release,
                process_type,
                None if process_type in autoscaled else count,
                settings,
                size_of(app.sizes, process_type),
                workloads.writable_root(app, release),
            )
        )
    if has_web:
        objects.append(routing.service(app, settings))
        objects.append(routing.route(app, settings))
        if lb.WEB in autoscaled or replicas[lb.WEB] > 1:
            objects.append(routing.disruption_budget(app, settings))
    return objects
