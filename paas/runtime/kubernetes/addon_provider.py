"""The AddonProvider of the kubernetes runtime: apply an add-on's objects (``addons``,
any kind from its record), wait for its StatefulSet to be ready, remove them (volume
claims included) on request."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import BinaryIO

from paas.domain.addons import Addon, AddonKind, kind_of
from paas.domain.app import App
from paas.errors import InvalidInput, RuntimeUnavailable
from paas.runtime.kubernetes import addons, policies, state
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.api import KubeApi
from paas.runtime.kubernetes.settings import KubernetesSettings
from paas.runtime.port import OneOff

#: Kinds an add-on is made of, deleted in this order (the claims once nothing uses them).
KINDS = (
    ("apps/v1", "StatefulSet"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "PersistentVolumeClaim"),
)


class KubernetesAddons:
    """Add-ons as StatefulSets in the app's namespace."""

    def __init__(self, api: KubeApi, settings: KubernetesSettings,
                 image: Callable[[AddonKind], str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._settings = settings
        self._image = image
        self._clock = clock

    def _selector(self, app: str, kind: str | None) -> str:
        selector = lb.managed(app)
        return selector + (f",{lb.PROCESS_TYPE}={addons.addon_type(kind)}" if kind else "")

    def ensure(self, addon: Addon) -> str:
        """Apply the add-on's objects (idempotent: same password, same claim) and wait
        until its pod is ready; the in-cluster host name apps reach it by."""
        kind = kind_of(addon)
        for obj in policies.isolated_namespace(App(addon.app, addon.created_at),
                                               self._settings):
            self._api.apply(obj)
        for obj in addons.addon_objects(addon, self._image(kind), self._settings):
            self._api.apply(obj)
        self._wait_ready(addon)
        return addons.host(addon.app, addon.kind, self._settings)

    def _wait_ready(self, addon: Addon) -> None:
        ns = lb.namespace(addon.app, self._settings)
        timeout = self._settings.rollout_timeout
        deadline = self._clock() + timeout
        while (remaining := deadline - self._clock()) > 0:
            for obj in self._api.watch("apps/v1", "StatefulSet", ns,
                                       self._selector(addon.app, addon.kind),
                                       max(1, math.ceil(remaining))):
                ready = (obj.get("status") or {}).get("readyReplicas") or 0
                if state.name_of(obj) == addon.kind and ready >= 1:
                    return
        raise RuntimeUnavailable(
            f"{addon.kind} add-on of {addon.app} was not ready after {timeout}s")

    def hostname(self, app: str, kind: str) -> str:
        return addons.host(app, kind, self._settings)

    def address(self, app: str, kind: str) -> str | None:
        """The Service name: the platform reaches it when it runs in the cluster."""
        ns = lb.namespace(app, self._settings)
        if self._api.get("apps/v1", "StatefulSet", kind, ns) is None:
            return None
        return self.hostname(app, kind)

    def remove(self, app: str, kind: str | None = None) -> None:
        """Delete the add-on's objects and its volume claims: its data goes with it."""
        ns = lb.namespace(app, self._settings)
        for api_version, k in KINDS:
            for obj in self._api.list(api_version, k, ns, self._selector(app, kind)):
                if state.is_addon(obj):
                    self._api.delete(api_version, k, state.name_of(obj), ns)

    # Backups run as Jobs beside the app (``paas.runtime.kubernetes.backups``), never
    # as a stream through the platform, so these two are not used on this runtime. Info
    # and the console need the kind's commands run in the cluster: not wired yet, so they
    # are refused with the reason rather than half done.

    def _not_here(self, addon: Addon, what: str) -> InvalidInput:
        return InvalidInput(f"{what} of the {addon.kind} add-on is not available on the "
                            "kubernetes runtime yet")

    def backup(self, addon: Addon, sink: BinaryIO) -> None:
        raise self._not_here(addon, "backup")

    def restore(self, addon: Addon, source: BinaryIO) -> None:
        raise self._not_here(addon, "restore")

    def info(self, addon: Addon) -> dict[str, str]:
        raise self._not_here(addon, "info")

    def console(self, addon: Addon, command: str | None, tty: bool, rows: int, cols: int
                ) -> OneOff:
        raise self._not_here(addon, "the console")
