"""Autoscaling on a cluster: the policies become HPA and KEDA objects, which decide.

The platform keeps no decisions of its own here; ``kubectl describe hpa`` and KEDA's
events hold them, so ``paas autoscale`` lists the policies only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy
from paas.domain.scaling import Decision
from paas.runtime.kubernetes.runtime import KubernetesRuntime


class ClusterAutoscaling:
    def __init__(self, runtime: KubernetesRuntime) -> None:
        self.runtime = runtime

    def policies_changed(self, app: App, process_type: str,
                         policies: Sequence[AutoscalePolicy],
                         config: Mapping[str, str]) -> None:
        self.runtime.apply_autoscaling(app, policies, config)

    def decisions(self, app: str) -> tuple[list[Decision], list[Decision]]:
        return [], []
