"""`gpuforge cancel`: stop a job by deleting every object that carries its label."""

from __future__ import annotations

from gpuforge.jobs.job_errors import JobNotFound
from gpuforge.jobs.job_objects import delete_job
from gpuforge.jobs.kube_client import connect
from gpuforge.model.spec import EnvironmentSpec


def cancel(
    env: EnvironmentSpec,
    name: str,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
) -> list[str]:
    """Delete every object of the job; returns what was deleted (`Kind/name`)."""
    kube = connect(env, kubeconfig, context)
    namespace = namespace or env.training.namespace  # a team's, else the default
    deleted = delete_job(kube, namespace, name)
    if not deleted:
        raise JobNotFound(name, namespace)
    return deleted
