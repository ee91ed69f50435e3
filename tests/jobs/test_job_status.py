"""Job state and the words for a waiting job, from the objects the controllers write."""

from __future__ import annotations

import pytest

from gpuforge.jobs import job_status

JOB = {"kind": "Job", "metadata": {"name": "llama"}, "spec": {"parallelism": 2}}


def _pod(rank, phase="Pending", **status):
    return {
        "metadata": {"name": f"llama-{rank}", "labels": {job_status.RANK_LABEL: str(rank)}},
        "status": {"phase": phase, **status},
    }


def _ev(reason, message, t):
    return job_status.Event(
        time=t, type="Normal", reason=reason, object="Pod/llama-0", message=message
    )


def _wl(status, message):
    cond = {"type": "QuotaReserved", "status": status, "message": message}
    return {
        "metadata": {"name": "wl"},
        "spec": {"queueName": "training"},
        "status": {"conditions": [cond]},
    }


@pytest.mark.parametrize(
    "events, kind, words",
    [
        (
            [_ev("TriggeredScaleUp", "pod triggered scale-up: [{eks-h100 0->2}]", "1")],
            "scale-up",
            "waiting for pool h100 to scale up",
        ),
        (
            [
                _ev("FailedScheduling", "0/3 nodes: Insufficient nvidia.com/gpu", "1"),
                _ev(
                    "NotTriggerScaleUp",
                    "pod didn't trigger scale-up: 1 node(s) didn't match "
                    "Pod's node affinity/selector",
                    "2",
                ),
            ],
            "never-fits",
            "can never fit",
        ),
        (
            [
                _ev(
                    "NotTriggerScaleUp",
                    "pod didn't trigger scale-up: 1 in backoff after failed scale-up",
                    "2",
                )
            ],
            "quota",
            "EC2 quota",
        ),
        (
            [
                _ev(
                    "NotTriggerScaleUp",
                    "pod didn't trigger scale-up: 1 max node group size reached",
                    "2",
                )
            ],
            "quota",
            "maximum size",
        ),
        (
            [_ev("FailedScheduling", "0/3 nodes: Insufficient nvidia.com/gpu", "1")],
            "scheduling",
            "waiting for a node",
        ),
        # a later scale-up supersedes an earlier refusal
        (
            [
                _ev("NotTriggerScaleUp", "max node group size reached", "1"),
                _ev("TriggeredScaleUp", "pod triggered scale-up", "2"),
            ],
            "scale-up",
            "scale up",
        ),
    ],
)
def test_pending_pods_are_explained_from_events(events, kind, words):
    why = job_status.explain(JOB, [_pod(0), _pod(1)], events, [], pool="h100")
    assert why is not None and why.kind == kind and words in why.text


@pytest.mark.parametrize(
    "workload, kind, words",
    [
        (
            _wl(
                "False",
                "couldn't assign flavors to pod set main: insufficient quota for "
                "nvidia.com/gpu in flavor pool-h100, request > maximum capacity (128 > 64)",
            ),
            "never-fits",
            "can never fit queue training's quota",
        ),
        (
            _wl(
                "False",
                "insufficient unused quota for nvidia.com/gpu in flavor pool-h100, 8 more needed",
            ),
            "quota",
            "quota exhausted",
        ),
        (
            _wl("False", "Workload is inadmissible: LocalQueue training is stopped"),
            "queue",
            "not admitted by Kueue queue training",
        ),
    ],
)
def test_a_suspended_job_is_explained_from_its_workload(workload, kind, words):
    job = {**JOB, "spec": {"suspend": True}}
    assert job_status.job_state(job, []) == job_status.QUEUED
    why = job_status.explain(job, [], [], [workload])
    assert why.kind == kind and words in why.text


def test_suspended_without_a_workload_points_at_kueue():
    why = job_status.explain({**JOB, "spec": {"suspend": True}}, [], [], [])
    assert why.kind == "queue" and "no Workload yet" in why.text


def test_states():
    assert job_status.job_state(JOB, []) == job_status.PENDING
    assert job_status.job_state(JOB, [_pod(0, "Running"), _pod(1)]) == job_status.STARTING
    assert job_status.job_state(JOB, [_pod(0, "Running"), _pod(1, "Running")]) == job_status.RUNNING
    done = {**JOB, "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    assert job_status.job_state(done, []) == job_status.SUCCEEDED
    assert job_status.explain(done, [], [], []) is None
    failed = {
        **JOB,
        "status": {
            "conditions": [{"type": "Failed", "status": "True", "message": "pod failure policy"}]
        },
    }
    assert job_status.explain(failed, [], [], []).text == "failed: pod failure policy"
    jobset = {
        "spec": {"replicatedJobs": [{"replicas": 1, "template": {"spec": {"parallelism": 4}}}]}
    }
    assert job_status.expected_ranks(jobset) == 4


def test_image_pull_failures_are_named():
    waiting = {
        "containerStatuses": [
            {"restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}
        ]
    }
    why = job_status.explain(JOB, [_pod(0, **waiting)], [], [])
    assert why.kind == "image" and "rank 0 cannot pull its image" in why.text


def test_ranks_sort_by_completion_index():
    pods = [_pod(1), _pod(0), {"metadata": {"name": "stray"}, "status": {}}]
    assert [p.rank for p in job_status.rank_pods(pods)] == [0, 1, None]
