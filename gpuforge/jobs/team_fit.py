"""Does the job fit its team? Its pools, GPU quota, priority range and bucket prefix.

Run by `check_fit` once the team is known (`gpuforge.model.teams.team_of_job`); the
default team of an environment without `teams:` has no limits beyond today's checks.
A job that breaks one raises a `SpecError` on the job field (one line, exit 2).
"""

from __future__ import annotations

from gpuforge.jobs.spec import JobSpec
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec
from gpuforge.model.teams import Team, most_gpus


def check_team_fit(
    job: JobSpec, env: EnvironmentSpec, team: Team, pool: GpuPoolSpec, gpus_per_node: int
) -> None:
    if team.spec is None:
        return
    quotas = {q.pool: q for q in team.spec.quota}
    quota = quotas.get(pool.name)
    if quota is None:
        raise SpecError(
            "pool",
            f"team {team.name} has no GPU quota on pool {pool.name}",
            f"its pools: {', '.join(quotas)}",
        )
    total = gpus_per_node * job.nodes
    most = most_gpus(env, team.spec, pool.name)
    if total > most:
        borrow = most - quota.gpus
        raise SpecError(
            "nodes" if job.nodes > 1 else "gpus_per_node",
            f"{job.nodes} x {gpus_per_node} = {total} GPUs, more than team {team.name} can hold "
            f"on pool {pool.name} ({quota.gpus} guaranteed + {borrow} borrowed at most)",
            f"ask for {most} GPUs or fewer, or raise the team's quota in {env.environment}",
        )
    allowed = team.priorities()
    if job.priority not in allowed:
        raise SpecError(
            "priority",
            f"team {team.name} may use priorities {', '.join(allowed)}, not {job.priority}",
            f"use priority: {allowed[-1]} or lower",
        )
    if job.checkpoint is not None and team.prefix is not None:
        prefix = job.checkpoint.prefix.lstrip("/")
        if not prefix.startswith(team.prefix):
            raise SpecError(
                "checkpoint.uri",
                f"team {team.name} writes only under {team.prefix} in bucket "
                f"{job.checkpoint.bucket}, not {prefix or '(the bucket root)'}",
                f"use s3://{{{job.checkpoint.bucket}}}/{team.prefix}{prefix}",
            )
