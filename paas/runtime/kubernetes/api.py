"""The one module that talks to the Kubernetes API.

``KubeApi`` is the narrow port the runtime needs; ``ClusterApi`` implements it with the
official client. Writes are server-side applies with field manager ``paas`` and
``force=True``: paas is the source of truth for the fields it sets, so a conflicting
manual edit (``kubectl edit``, ``kubectl scale``) is overwritten on the next deploy
rather than failing it. Fields paas does not set (an autoscaler's replica count, fields
other controllers add) stay with their owners.

Every error leaves this module as a PaasError with a one-line message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import urllib3
from kubernetes import client
from kubernetes import config as _config
from kubernetes import watch as _watch
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient as _DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from paas.errors import Conflict, NotFound, PaasError, RuntimeRejected, RuntimeUnavailable
from paas.runtime.kubernetes.labels import Manifest

# The client ships py.typed but leaves these untyped: typed as Any once, here.
config: Any = _config
watch: Any = _watch
DynamicClient: Any = _DynamicClient

FIELD_MANAGER = "paas"
#: Owns ``spec.replicas`` of autoscaled Deployments while an autoscaler runs them, so
#: that ``paas`` can stop setting the field without the API server resetting it to 1
#: (Kubernetes' documented hand-over of replicas to an HPA).
REPLICAS_MANAGER = "paas-replicas"
#: Owns the restart stamp on pod templates, so a deploy never drops or fights over it.
RESTART_MANAGER = "paas-restart"


class KubeApi(Protocol):
    def apply(self, obj: Manifest, field_manager: str = FIELD_MANAGER) -> Manifest: ...

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Manifest | None: ...

    def list(
        self, api_version: str, kind: str, namespace: str | None, label_selector: str = ""
    ) -> list[Manifest]:
        """Objects of a kind; empty when the cluster does not serve the kind at all."""
        ...

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               keep_dependents: bool = False) -> None:
        """Delete in the background (dependents too, unless ``keep_dependents``: they are
        orphaned and stay); absent objects are fine."""
        ...

    def watch(
        self, api_version: str, kind: str, namespace: str, label_selector: str, timeout: int
    ) -> Iterator[Manifest]:
        """Current objects first, then each change, until ``timeout`` seconds pass."""
        ...

    def pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        tail_lines: int | None = None,
        timestamps: bool = False,
        previous: bool = False,
    ) -> str: ...


def _api_message(e: ApiException) -> str:
    try:
        body = json.loads(e.body or "")
        message = str(body.get("message") or "")
    except (ValueError, AttributeError):
        message = ""
    return (message or str(e.reason or "") or f"HTTP {e.status}").splitlines()[0]


def translate(e: Exception, what: str) -> PaasError:
    """The PaasError that says in one line what went wrong with ``what``."""
    if isinstance(e, ApiException):
        message = f"kubernetes: {what}: {_api_message(e)}"
        status = e.status or 0
        if status == 404:
            return NotFound(message)
        if status == 409:
            return Conflict(message)
        if status in (400, 422):
            return RuntimeRejected(message)
        if status in (401, 403):
            return RuntimeUnavailable(f"{message} (check the platform's credentials and RBAC)")
        return RuntimeUnavailable(message)
    if isinstance(e, ResourceNotFoundError):
        return RuntimeUnavailable(
            f"kubernetes: {what}: the cluster does not serve this kind; "
            "is its operator installed (KEDA for queue autoscaling)?"
        )
    if isinstance(e, urllib3.exceptions.HTTPError | OSError):
        return RuntimeUnavailable(f"kubernetes: {what}: cannot reach the cluster API ({e})")
    return RuntimeUnavailable(f"kubernetes: {what}: {e}")


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except (ApiException, ResourceNotFoundError, urllib3.exceptions.HTTPError, OSError) as e:
        raise translate(e, what) from e


def load_client(kubeconfig: str | None = None, context: str | None = None) -> client.ApiClient:
    """In-cluster config when running in a pod (and no kubeconfig given), else kubeconfig.

    Without arguments the kubeconfig comes from ``$KUBECONFIG`` or ``~/.kube/config``.
    """
    try:
        if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            return client.ApiClient(configuration)
        api_client: client.ApiClient = config.new_client_from_config(
            config_file=kubeconfig, context=context
        )
        return api_client
    except (config.ConfigException, OSError, TypeError, ValueError) as e:
        raise RuntimeUnavailable(f"kubernetes: no usable cluster configuration: {e}") from e


class ClusterApi:
    """KubeApi on a real cluster, through ``kubernetes.dynamic`` for any kind (CRDs too)."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._client = api_client
        self._dynamic: Any = None

    def _resource(self, api_version: str, kind: str) -> Any:
        with _translated(f"discover {kind}"):
            if self._dynamic is None:
                self._dynamic = DynamicClient(self._client)
            return self._dynamic.resources.get(api_version=api_version, kind=kind)

    @property
    def _dyn(self) -> Any:
        assert self._dynamic is not None
        return self._dynamic

    def apply(self, obj: Manifest, field_manager: str = FIELD_MANAGER) -> Manifest:
        meta = obj["metadata"]
        what = f"apply {obj['kind']}/{meta['name']}"
        resource = self._resource(obj["apiVersion"], obj["kind"])
        with _translated(what):
            result = self._dyn.server_side_apply(
                resource,
                body=obj,
                name=meta["name"],
                namespace=meta.get("namespace"),
                field_manager=field_manager,
                force_conflicts=True,
            )
        return dict(result.to_dict())

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Manifest | None:
        resource = self._resource(api_version, kind)
        try:
            with _translated(f"read {kind}/{name}"):
                return dict(resource.get(name=name, namespace=namespace).to_dict())
        except NotFound:
            return None

    def list(
        self, api_version: str, kind: str, namespace: str | None, label_selector: str = ""
    ) -> list[Manifest]:
        try:
            resource = self._resource(api_version, kind)
        except RuntimeUnavailable as e:
            if isinstance(e.__cause__, ResourceNotFoundError):
                return []
            raise
        with _translated(f"list {kind}"):
            found = resource.get(namespace=namespace, label_selector=label_selector or None)
        items = found.to_dict().get("items") or []
        for item in items:  # list items come without their type
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return [dict(i) for i in items]

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               keep_dependents: bool = False) -> None:
        resource = self._resource(api_version, kind)
        policy = "Orphan" if keep_dependents else "Background"
        try:
            with _translated(f"delete {kind}/{name}"):
                resource.delete(name=name, namespace=namespace,
                                body={"propagationPolicy": policy})
        except NotFound:
            return

    def watch(
        self, api_version: str, kind: str, namespace: str, label_selector: str, timeout: int
    ) -> Iterator[Manifest]:
        resource = self._resource(api_version, kind)
        watcher = watch.Watch()
        try:
            with _translated(f"watch {kind}"):
                for event in self._dyn.watch(
                    resource,
                    namespace=namespace,
                    label_selector=label_selector or None,
                    timeout=timeout,
                    watcher=watcher,
                ):
                    if event.get("type") in ("ADDED", "MODIFIED"):
                        yield dict(event["raw_object"])
        finally:
            watcher.stop()

    def pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        tail_lines: int | None = None,
        timestamps: bool = False,
        previous: bool = False,
    ) -> str:
        core = client.CoreV1Api(self._client)
        kwargs: dict[str, Any] = {"container": container, "timestamps": timestamps}
        if tail_lines is not None:
            kwargs["tail_lines"] = tail_lines
        if previous:
            kwargs["previous"] = True
        with _translated(f"read the log of pod {pod}"):
            return str(core.read_namespaced_pod_log(pod, namespace, **kwargs))
