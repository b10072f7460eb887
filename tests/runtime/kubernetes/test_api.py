"""Errors from the cluster become our own one-line errors."""

import json

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from paas.errors import Conflict, NotFound, RuntimeRejected, RuntimeUnavailable
from paas.runtime.kubernetes.api import load_client, translate


def api_error(status, message):
    e = ApiException(status=status, reason="Reason")
    e.body = json.dumps({"kind": "Status", "message": message + "\nmore detail"})
    return e


@pytest.mark.parametrize(
    "status, cls",
    [
        (404, NotFound),
        (409, Conflict),
        (422, RuntimeRejected),
        (400, RuntimeRejected),
        (403, RuntimeUnavailable),
        (500, RuntimeUnavailable),
    ],
)
def test_api_statuses_map_to_paas_errors_with_the_server_message(status, cls):
    err = translate(api_error(status, 'Deployment.apps "web" is invalid'), "apply Deployment/web")
    assert type(err) is cls
    assert err.message.startswith(
        'kubernetes: apply Deployment/web: Deployment.apps "web" is invalid'
    )
    assert "\n" not in err.message


def test_forbidden_points_at_rbac():
    assert "RBAC" in translate(api_error(403, "forbidden"), "list Pod").message


def test_unreachable_cluster_is_runtime_unavailable():
    refused = urllib3.exceptions.MaxRetryError(None, "/api", ConnectionRefusedError())  # type: ignore[arg-type]
    err = translate(refused, "apply Namespace/x")
    assert isinstance(err, RuntimeUnavailable) and "cannot reach the cluster" in err.message


def test_missing_crd_says_which_operator_to_install():
    err = translate(ResourceNotFoundError("no ScaledObject"), "discover ScaledObject")
    assert isinstance(err, RuntimeUnavailable) and "KEDA" in err.message


def test_missing_kubeconfig_is_runtime_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(RuntimeUnavailable, match="no usable cluster configuration"):
        load_client(str(tmp_path / "missing"))
