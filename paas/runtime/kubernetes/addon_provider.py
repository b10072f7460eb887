"""The AddonProvider of the kubernetes runtime: apply an add-on's objects, wait for its
StatefulSet to be ready, remove them (volume claims included) on request."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from paas.domain.addons import Addon, AddonKind, kind_of
from paas.domain.app import App
from paas.errors import RuntimeUnavailable
from paas.runtime.kubernetes import addons, manifests, state
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.api import KubeApi
from paas.runtime.kubernetes.settings import KubernetesSettings


class KubernetesAddons:
    """Add-ons as StatefulSets in the app's namespace (see ``addons``)."""

    def __init__(self, api: KubeApi, settings: KubernetesSettings,
                 image: Callable[[AddonKind], str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._settings = settings
        self._image = image
        self._clock = clock

    def ensure(self, addon: Addon) -> str:
        """Apply the add-on's objects (idempotent: same password, same claim) and wait
        until its pod is ready; the in-cluster host name apps reach it by."""
        kind = kind_of(addon)
        self._api.apply(manifests.namespace(App(addon.app, addon.created_at), self._settings))
        for obj in addons.addon_objects(addon, kind, self._image(kind), self._settings):
            self._api.apply(obj)
        self._wait_ready(addon.app, kind)
        return self.hostname(addon.app, addon.kind)

    def _wait_ready(self, app: str, kind: AddonKind) -> None:
        ns, name = lb.namespace(app, self._settings), addons.name(kind.name)
        timeout = self._settings.rollout_timeout
        deadline = self._clock() + timeout
        while (remaining := deadline - self._clock()) > 0:
            for obj in self._api.watch("apps/v1", "StatefulSet", ns,
                                       addons.selector(app, kind.name),
                                       max(1, math.ceil(remaining))):
                status = obj.get("status") or {}
                if state.name_of(obj) == name and (status.get("readyReplicas") or 0) >= 1:
                    return
        raise RuntimeUnavailable(f"{kind.name} add-on of {app} was not ready after {timeout}s")

    def hostname(self, app: str, kind: str) -> str:
        return addons.hostname(app, kind, self._settings)

    def address(self, app: str, kind: str) -> str | None:
        """The Service name: the platform reaches it when it runs in the cluster."""
        ns = lb.namespace(app, self._settings)
        if self._api.get("apps/v1", "StatefulSet", addons.name(kind), ns) is None:
            return None
        return self.hostname(app, kind)

    def remove(self, app: str, kind: str | None = None) -> None:
        """Delete the add-on's objects and its volume claim: its data goes with it."""
        ns = lb.namespace(app, self._settings)
        for api_version, k in reversed(addons.KINDS):
            for obj in self._api.list(api_version, k, ns, addons.selector(app, kind)):
                self._api.delete(api_version, k, state.name_of(obj), ns)
