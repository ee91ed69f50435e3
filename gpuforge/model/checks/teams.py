"""Teams: names, quota against the pools, priorities, datasets and principals."""

from __future__ import annotations

from gpuforge.model import aws_limits, aws_naming
from gpuforge.model.checks.cluster import check_principal
from gpuforge.model.checks.training import EXISTING_NAMESPACES
from gpuforge.model.errors import SpecError
from gpuforge.model.grants import read_only_buckets
from gpuforge.model.k8s_syntax import dns1123_label_problem
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.teams import PRIORITY_ORDER, TEAM_NAME_MAX, pool_capacity


def check_teams(spec: EnvironmentSpec) -> None:
    if not spec.teams:
        return
    if spec.training.queueing != "kueue":
        raise SpecError(
            "teams",
            "teams share the GPU pools through Kueue, but training.queueing is none",
            "write training.queueing: kueue",
        )
    seen: dict[str, int] = {}
    for i, team in enumerate(spec.teams):
        path = f"teams[{i}]"
        _check_name(spec, f"{path}.name", team.name)
        if team.name in seen:
            raise SpecError(
                f"{path}.name",
                f"team {team.name} is listed twice (first as teams[{seen[team.name]}])",
                "give each team its own name",
            )
        seen[team.name] = i
        pools_seen: set[str] = set()
        for j, quota in enumerate(team.quota):
            qpath = f"{path}.quota[{j}]"
            if spec.pool(quota.pool) is None:
                known = ", ".join(p.name for p in spec.gpu_pools) or "none"
                raise SpecError(f"{qpath}.pool", f"no GPU pool {quota.pool!r}", f"pools: {known}")
            if quota.pool in pools_seen:
                raise SpecError(
                    f"{qpath}.pool", f"pool {quota.pool} is listed twice", "one entry per pool"
                )
            pools_seen.add(quota.pool)
            if quota.lending_limit is not None and quota.lending_limit > quota.gpus:
                raise SpecError(
                    f"{qpath}.lending_limit",
                    f"{quota.lending_limit} is more than the team's {quota.gpus} GPUs",
                    "Kueue's lendingLimit is at most the nominal quota",
                )
        prio = team.priorities
        if PRIORITY_ORDER.index(prio.lowest) > PRIORITY_ORDER.index(prio.highest):
            raise SpecError(
                f"{path}.priorities",
                f"lowest ({prio.lowest}) is above highest ({prio.highest})",
                f"priorities from lowest to highest: {', '.join(PRIORITY_ORDER)}",
            )
        readable = read_only_buckets(spec)
        for j, bucket in enumerate(team.datasets or []):
            if bucket not in readable:
                raise SpecError(
                    f"{path}.datasets[{j}]",
                    f"{bucket!r} is not a read-only bucket of {spec.environment}",
                    f"datasets are read-only buckets: {', '.join(readable) or 'none'}",
                )
        _check_people(spec, path, team.admins, "admins")
        _check_people(spec, path, team.members, "members")
    _check_pool_totals(spec)


def _check_name(spec: EnvironmentSpec, path: str, name: str) -> None:
    problem = dns1123_label_problem(name, TEAM_NAME_MAX)
    if problem:
        raise SpecError(
            path,
            f"{name!r} is not a valid team name: it {problem}",
            f"lower-case letters, digits and '-', at most {TEAM_NAME_MAX} characters "
            "(it is also the team's namespace)",
        )
    if name in EXISTING_NAMESPACES or name.startswith("kube-"):
        raise SpecError(
            path,
            f"{name} is a namespace every cluster has (kube-* is reserved for Kubernetes)",
            "choose another team name",
        )
    role = aws_naming.NamedResource(
        "IAM role name",
        aws_naming.child(
            aws_naming.platform_name(spec.environment), f"{aws_naming.TRAINING_ROLE}-{name}"
        ),
        True,
        aws_limits.IAM_ROLE_NAME_MAX,
    )
    if role.length > role.limit:
        raise SpecError(
            path,
            f"makes the {role.kind} {role.shown} {role.length} characters long; AWS allows "
            f"{role.limit}",
            "shorten the team name",
        )


def _check_people(spec: EnvironmentSpec, path: str, arns: list[str], field: str) -> None:
    for k, arn in enumerate(arns):
        where = f"{path}.{field}[{k}]"
        account = check_principal(where, arn)
        expected = spec.expected_account
        if expected is not None and account != expected:
            raise SpecError(
                where,
                f"{arn} is in account {account}, not the environment's account {expected}",
                "EKS access entries take principals of the cluster's account",
            )
        if arn in spec.cluster.admins:
            raise SpecError(
                where,
                f"{arn} is already a cluster admin (cluster.admins)",
                "EKS takes one access entry per principal, and a cluster admin needs no "
                "namespace access: remove it here",
            )
        if arns.index(arn) != k:
            raise SpecError(where, f"{arn} is listed twice", "remove the duplicate")


def _check_pool_totals(spec: EnvironmentSpec) -> None:
    """The teams' guaranteed GPUs on a pool fit in the pool at its max size."""
    for pool in spec.gpu_pools:
        total = sum(q.gpus for t in spec.teams for q in t.quota if q.pool == pool.name)
        capacity = pool_capacity(pool)
        if total > capacity:
            index = spec.gpu_pools.index(pool)
            raise SpecError(
                "teams",
                f"the teams' quota on pool {pool.name} adds up to {total} GPUs, but the pool "
                f"holds {capacity} at its max size ({pool.max} nodes)",
                f"lower the teams' gpus on {pool.name}, or raise gpu_pools[{index}].max",
            )
