"""`gpuforge status`: one job's record and status: its ranks, recent events, why it waits."""

from __future__ import annotations

from typing import Any

from gpuforge.jobs import job_status, resources
from gpuforge.jobs.job_errors import JobNotFound
from gpuforge.jobs.job_objects import job_objects
from gpuforge.jobs.kube_client import connect
from gpuforge.jobs.kube_errors import ApiFailure
from gpuforge.jobs.listing import JobRecord, job_record, utc_now
from gpuforge.model.spec import EnvironmentSpec


def describe(
    env: EnvironmentSpec,
    name: str,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
) -> tuple[JobRecord, job_status.JobStatus]:
    """The job's record and status: ranks, recent events, and why it waits."""
    kube = connect(env, kubeconfig, context)
    namespace = namespace or env.training.namespace  # a team's, else the default
    primary, pods = job_objects(kube, namespace, name)
    if primary is None:
        raise JobNotFound(name, namespace)
    workloads = [
        w
        for w in kube.list(resources.WORKLOAD, namespace)
        if any(
            ref.get("name") == name and ref.get("kind") == primary.get("kind")
            for ref in w.get("metadata", {}).get("ownerReferences") or []
        )
    ]
    names = (
        {name} | {p["metadata"]["name"] for p in pods} | {w["metadata"]["name"] for w in workloads}
    )
    events = job_status.job_events(kube.list(resources.EVENT, namespace), names)
    record = job_record(primary, pods, utc_now())
    status = job_status.JobStatus(
        name=name,
        state=record.state,
        pods=job_status.rank_pods(pods),
        events=events,
        explanation=job_status.explain(primary, pods, events, workloads, pool=record.pool),
        node_problems=_node_problems(kube, pods),
    )
    return record, status


def _node_problems(kube: Any, pods: list[dict]) -> list[job_status.NodeProblem]:
    """Node conditions behind ranks that went down; none when nodes cannot be read (a
    namespaced user may not list nodes: status still answers)."""
    if not any(job_status.went_down(p) for p in pods):
        return []
    try:
        nodes = kube.list(resources.NODE, None)
    except ApiFailure:  # e.g. 403: a team's role may not list nodes
        return []
    return job_status.node_problems(pods, nodes)
