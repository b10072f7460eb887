"""Reading rollout progress the way ``kubectl rollout status`` does."""

import pytest

from paas.runtime.kubernetes.state import deployment_progress, job_progress, restorable


def dep(generation=2, replicas=2, **status):
    return {
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {"observedGeneration": 2, **status},
    }


@pytest.mark.parametrize(
    "d, done",
    [
        (dep(updatedReplicas=2, replicas=2, availableReplicas=2), True),
        (dep(generation=3, updatedReplicas=2, replicas=2, availableReplicas=2), False),
        (dep(updatedReplicas=1, replicas=2, availableReplicas=2), False),
        (dep(updatedReplicas=2, replicas=3, availableReplicas=2), False),  # an old one left
        (dep(updatedReplicas=2, replicas=2, availableReplicas=1), False),
        (dep(replicas=0), True),
    ],
)
def test_deployment_is_done_only_when_the_new_replica_set_is_fully_up(d, done):
    assert deployment_progress(d).done is done


def test_progress_deadline_is_a_failure():
    d = dep(
        conditions=[
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
        ]
    )
    assert deployment_progress(d).failed


def test_job_progress():
    assert not job_progress({"status": {}}).done
    assert (
        job_progress({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}).failed
        is None
    )
    failed = job_progress(
        {
            "status": {
                "conditions": [
                    {"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}
                ]
            }
        }
    )
    assert failed.done and failed.failed == "BackoffLimitExceeded"


def test_restorable_drops_server_state_and_optionally_replicas():
    live = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "status": {"replicas": 2},
        "metadata": {
            "name": "web",
            "namespace": "n",
            "uid": "u",
            "resourceVersion": "9",
            "managedFields": [],
            "annotations": {"deployment.kubernetes.io/revision": "4"},
        },
        "spec": {"replicas": 5, "template": {}},
    }
    assert restorable(live) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "n", "labels": {}},
        "spec": {"replicas": 5, "template": {}},
    }
    assert "replicas" not in restorable(live, keep_replicas=False)["spec"]
