"""The validator itself: it must reject what an API server in strict mode rejects,
or every "valid" below would prove nothing."""

import copy
from typing import Any

import kubernetes_validate
import pytest

from tests.runtime.kubernetes.strict import KUBERNETES_VERSIONS, Invalid, crd_schemas, validate

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "paas-a"},
    "spec": {
        "selector": {"matchLabels": {"a": "b"}},
        "template": {
            "metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "app", "image": "x"}]},
        },
    },
}
SCALED = {
    "apiVersion": "keda.sh/v1alpha1",
    "kind": "ScaledObject",
    "metadata": {"name": "worker", "namespace": "paas-a"},
    "spec": {
        "scaleTargetRef": {"name": "worker"},
        "triggers": [{"type": "redis", "metadata": {"listName": "celery"}}],
    },
}


def test_every_supported_version_ships_with_kubernetes_validate():
    available = {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    assert set(KUBERNETES_VERSIONS) <= available


def test_valid_core_object_passes():
    validate(DEPLOYMENT)


@pytest.mark.parametrize(
    "path, field",
    [((), "spek"), (("spec",), "replica"), (("spec", "template", "spec"), "container")],
)
def test_unknown_core_field_is_rejected(path, field):
    obj: dict[str, Any] = copy.deepcopy(DEPLOYMENT)
    node: Any = obj
    for p in path:
        node = node[p]
    node[field] = 1
    with pytest.raises(Invalid, match=field):
        validate(obj)


def test_wrong_type_is_rejected():
    obj: dict[str, Any] = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["replicas"] = "two"
    with pytest.raises(Invalid):
        validate(obj)


def test_keda_crds_are_loaded():
    assert ("keda.sh/v1alpha1", "ScaledObject") in crd_schemas()
    assert ("keda.sh/v1alpha1", "TriggerAuthentication") in crd_schemas()


def test_valid_scaled_object_passes():
    validate(SCALED)


def test_unknown_custom_field_is_rejected():
    obj: dict[str, Any] = copy.deepcopy(SCALED)
    obj["spec"]["minReplicas"] = 1  # KEDA calls it minReplicaCount
    with pytest.raises(Invalid, match="minReplicas"):
        validate(obj)


def test_trigger_metadata_is_a_free_string_map_but_values_must_be_strings():
    obj: dict[str, Any] = copy.deepcopy(SCALED)
    obj["spec"]["triggers"][0]["metadata"]["listLength"] = 5
    with pytest.raises(Invalid):
        validate(obj)


def test_custom_object_metadata_is_checked_as_object_meta():
    obj: dict[str, Any] = copy.deepcopy(SCALED)
    obj["metadata"]["label"] = {"a": "b"}
    with pytest.raises(Invalid, match="label"):
        validate(obj)
