"""The teams of an environment, resolved: namespace, queues, service account, prefix, quota.

`teams(spec)` is what every part reads (the runtime, the team roles and access entries,
the emulated cluster, `launch`, `jobs`): the spec's `teams:`, or, without them, one
default team that is exactly today's runtime (namespace `training.namespace`, the
environment's ClusterQueue, the whole writable buckets). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model import names, pools
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec
from gpuforge.model.team_spec import TeamSpec

TEAM_NAME_MAX = 20
"""A team name is also a namespace (63), a role-name suffix and a bucket prefix: 20 keeps
`gpuforge-<env>-training-<team>-xxxxxxx` under IAM's 64 (checks.teams checks it)."""
PRIORITY_ORDER = ("low", "normal", "high")
"""gpuforge's priorities from lowest to highest (`names.PRIORITIES`)."""


@dataclass(frozen=True)
class Team:
    """One team as the runtime and the job client address it."""

    name: str
    namespace: str
    local_queue: str
    cluster_queue: str
    service_account: str
    prefix: str | None
    """The team's key prefix in the writable buckets (`<team>/`), None for the default
    team (the whole bucket, as today)."""
    spec: TeamSpec | None
    """The spec's team, None for the default team."""

    @property
    def is_default(self) -> bool:
        return self.spec is None

    def priorities(self) -> tuple[str, ...]:
        """The job priorities the team may use, lowest first."""
        if self.spec is None:
            return PRIORITY_ORDER
        low = PRIORITY_ORDER.index(self.spec.priorities.lowest)
        high = PRIORITY_ORDER.index(self.spec.priorities.highest)
        return PRIORITY_ORDER[low : high + 1]


def has_teams(spec: EnvironmentSpec) -> bool:
    return bool(spec.teams)


def teams(spec: EnvironmentSpec) -> list[Team]:
    """The environment's teams; without `teams:` one default team."""
    if not spec.teams:
        return [
            Team(
                name=names.DEFAULT_TEAM,
                namespace=spec.training.namespace,
                local_queue=names.LOCAL_QUEUE,
                cluster_queue=names.cluster_queue(spec.environment),
                service_account=names.TRAINING_SERVICE_ACCOUNT,
                prefix=None,
                spec=None,
            )
        ]
    return [
        Team(
            name=t.name,
            namespace=t.name,
            local_queue=names.LOCAL_QUEUE,
            cluster_queue=names.team_cluster_queue(spec.environment, t.name),
            service_account=names.TRAINING_SERVICE_ACCOUNT,
            prefix=f"{t.name}/",
            spec=t,
        )
        for t in spec.teams
    ]


def team_of_job(spec: EnvironmentSpec, name: str | None) -> Team:
    """The team a job names (`team:` or `launch --team`), or a `SpecError` on `team`.

    An environment without teams takes no name (or `default`); one with teams needs one.
    """
    known = teams(spec)
    if name is None:
        if not spec.teams:
            return known[0]
        raise SpecError(
            "team",
            f"{spec.environment} has teams; the job must name one",
            f"add team: <name> or pass --team; its teams: {', '.join(t.name for t in known)}",
        )
    for found in known:
        if found.name == name:
            return found
    raise SpecError(
        "team",
        f"{spec.environment} has no team {name!r}",
        f"its teams: {', '.join(t.name for t in known)}",
    )


def team_for_pool(spec: EnvironmentSpec, pool: str) -> str | None:
    """The first team with quota on `pool` (the burn-in runs as it), None without teams."""
    return next((t.name for t in spec.teams if any(q.pool == pool for q in t.quota)), None)


def team_of_namespace(spec: EnvironmentSpec, namespace: str) -> Team | None:
    return next((t for t in teams(spec) if t.namespace == namespace), None)


# -- GPU quota ----------------------------------------------------------------------


def pool_capacity(pool: GpuPoolSpec) -> int:
    """Accelerators the pool holds at its max size."""
    return pool.max * pools.node_shape(pool).accelerators


def most_gpus(spec: EnvironmentSpec, team_spec: TeamSpec, pool_name: str) -> int:
    """Most GPUs the team can hold on a pool at once: its nominal quota plus what it may
    borrow (its borrowing limit, else everything the other teams could lend), at most the
    pool's capacity. 0 when the team has no quota on the pool."""
    pool = spec.pool(pool_name)
    quota = next((q for q in team_spec.quota if q.pool == pool_name), None)
    if pool is None or quota is None:
        return 0
    if quota.borrowing_limit is not None:
        most = quota.gpus + quota.borrowing_limit
    else:
        lendable = 0
        for other in spec.teams:
            if other.name == team_spec.name:
                continue
            for q in other.quota:
                if q.pool == pool_name:
                    lendable += q.gpus if q.lending_limit is None else q.lending_limit
        most = quota.gpus + lendable
    return min(most, pool_capacity(pool))


def resource_quota(spec: EnvironmentSpec, team_spec: TeamSpec) -> dict[str, str]:
    """`spec.hard` of a team namespace's ResourceQuota: per accelerator resource, the most
    the team can hold on its pools (`most_gpus`), so a pod outside Kueue cannot exceed it."""
    hard: dict[str, int] = {}
    for quota in team_spec.quota:
        pool = spec.pool(quota.pool)
        if pool is None:
            continue
        key = f"requests.{pools.accelerator_resource(pool)}"
        hard[key] = hard.get(key, 0) + most_gpus(spec, team_spec, quota.pool)
    return {key: str(value) for key, value in sorted(hard.items())}


def namespace_labels(team_obj: Team, base: dict[str, str]) -> dict[str, str]:
    """A team namespace's labels: the training namespace's (`base`, Pod Security) and the team."""
    return {**base, names.TEAM_LABEL: team_obj.name}
