"""Strict offline validation of Kubernetes objects, as a picky API server would do it.

Core kinds: the upstream OpenAPI schemas shipped by ``kubernetes-validate``, in its
strict flavour (unknown fields rejected), for every Kubernetes version we support.

Custom resources (KEDA, Gateway API): the CRD's ``openAPIV3Schema``. The API server prunes unknown
fields of structural schemas silently and rejects them with field validation "Strict"
(what server-side apply reports as errors), so "strict" here means: every object node
that declares ``properties`` and neither ``additionalProperties`` nor
``x-kubernetes-preserve-unknown-fields`` gets ``additionalProperties: false``. The CRD's
``metadata`` is just ``type: object``; the API server checks it as ObjectMeta, so it is
checked here against ObjectMeta too.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

#: The versions still supported upstream and the two before them.
KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36", "1.37")
CRD_DIR = Path(__file__).resolve().parents[2] / "data" / "crds"
CRD_FILES = (
    "keda-v2.20.2-scaledobjects.crd.yaml",
    "keda-v2.20.2-triggerauthentications.crd.yaml",
    "gateway-api-v1.5.1-httproutes.crd.yaml",
    "gateway-api-v1.5.1-gateways.crd.yaml",
)


class Invalid(AssertionError):
    pass


def _strictify(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _strictify(v) for k, v in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strictify(v) for v in schema]
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) -> strict openAPIV3Schema of every served CRD version."""
    schemas: dict[tuple[str, str], Any] = {}
    for name in CRD_FILES:
        crd = yaml.safe_load((CRD_DIR / name).read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schema = _strictify(version["schema"]["openAPIV3Schema"])
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def _core(obj: dict[str, Any], version: str) -> None:
    try:
        validated = kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        path = ".".join(str(p) for p in e.path)
        raise Invalid(f"{_name(obj)} on {version}: {path}: {e.message}") from e
    except kubernetes_validate.SchemaNotFoundError as e:
        raise Invalid(f"{_name(obj)}: no schema on {version}: {e.message}") from e
    # validate() silently falls back to an older schema; make sure it did not.
    if validated != version:
        raise Invalid(f"{_name(obj)}: asked for {version}, validated against {validated}")


def _custom(obj: dict[str, Any], schema: Any) -> None:
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(obj), key=lambda e: list(e.path)
    )
    if errors:
        e = errors[0]
        path = ".".join(str(p) for p in e.path)
        raise Invalid(f"{_name(obj)}: {path}: {e.message}")
    # ObjectMeta, checked strictly by wrapping it in the simplest core kind.
    carrier = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": copy.deepcopy(obj["metadata"])}
    for version in KUBERNETES_VERSIONS:
        _core(carrier, version)


def _name(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validate(obj: dict[str, Any]) -> None:
    """Raise Invalid unless ``obj`` is valid on every supported version (or its CRD)."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    custom = crd_schemas().get(key)
    if custom is not None:
        _custom(obj, custom)
        return
    for version in KUBERNETES_VERSIONS:
        _core(obj, version)


def validate_all(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        validate(obj)
