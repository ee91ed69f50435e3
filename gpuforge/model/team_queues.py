"""Kueue queues per team: a ClusterQueue per team in one cohort, a LocalQueue in its namespace.

Without `teams:` these are today's queues (`gpuforge.model.kueue.cluster_queue` and
`local_queue`), unchanged. With teams, each team's ClusterQueue:

- is in the environment's cohort (`spec.cohortName`, `names.cohort`): "A workload
  submitted to a queue referencing this CQ can borrow quota from any CQ in the cohort"
  (kubernetes-sigs/kueue@8eab687:apis/kueue/v1beta2/clusterqueue_types.go:80-91);
- selects only the team's namespace (`namespaceSelector`, cluster_queue.md "Namespace
  selector");
- has, per pool the team has quota on, the pool's flavor with `nominalQuota` = the
  team's GPUs and the pool's CPU, memory and EFA in the same per-GPU share, and the
  team's `borrowingLimit` and `lendingLimit` in the same share
  (clusterqueue_types.go:318-342; site/content/en/docs/concepts/cluster_queue.md
  "BorrowingLimit", "LendingLimit");
- preempts as Kueue documents for Fair Sharing
  (site/content/en/docs/concepts/preemption.md:119-182): `reclaimWithinCohort: Any`
  (a team gets its nominal quota back from teams borrowing it,
  clusterqueue_types.go:518-537) and `withinClusterQueue: LowerPriority` (a team's
  high-priority job may preempt its own low-priority ones, :546-560). No
  `borrowWithinCohort`: "May only be configured with Classical Preemption, and __not__
  with Fair Sharing" (:539-544, preemption.md:123);
- has `fairSharing.weight: 1` (apis/kueue/v1beta2/fairsharing_types.go:23-39): equal
  shares of what is borrowable.

Fair Sharing itself is switched on in Kueue's Configuration (`kueue.manager_config`) with the
documented strategies `[LessThanOrEqualToFinalShare, LessThanInitialShare]`
(preemption.md:130-137; apis/config/v1beta2/configuration_types.go:92-93,736-758), and only
in an environment with teams, so one without keeps today's configuration.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from gpuforge.model import kueue, names, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec
from gpuforge.model.team_spec import TeamQuotaSpec
from gpuforge.model.teams import Team, teams

PREEMPTION = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}


def _amount(resource: str, per_node: Fraction, node_gpus: int, gpus: int) -> Any:
    """`gpus` GPUs' share of a per-node amount (`per_node` x gpus / node GPUs), as Kueue
    takes it: GPUs and devices as counts, CPU in millicores when not whole, memory in Mi."""
    share = per_node * gpus / node_gpus
    if resource == "memory":
        return f"{int(share)}Mi"
    if resource == "cpu" and share.denominator != 1:
        return f"{int(share * 1000)}m"
    return int(share)


def team_flavor(pool: GpuPoolSpec, quota: TeamQuotaSpec, covered: list[str]) -> dict[str, Any]:
    """The pool's flavor in a team's ClusterQueue: the team's GPUs and their share of the rest."""
    shape = pools.node_shape(pool)
    per_node = {
        "cpu": Fraction(shape.vcpus),
        "memory": Fraction(shape.memory_mib),
        shape.accelerator_resource: Fraction(shape.accelerators),
        pools.EFA: Fraction(shape.efa_devices),
    }
    resources: list[dict[str, Any]] = []
    for name in covered:
        each = per_node.get(name, Fraction(0))
        entry: dict[str, Any] = {
            "name": name,
            "nominalQuota": _amount(name, each, shape.accelerators, quota.gpus),
        }
        if quota.borrowing_limit is not None:
            entry["borrowingLimit"] = _amount(name, each, shape.accelerators, quota.borrowing_limit)
        if quota.lending_limit is not None:
            entry["lendingLimit"] = _amount(name, each, shape.accelerators, quota.lending_limit)
        resources.append(entry)
    return {"name": names.resource_flavor(pool.name), "resources": resources}


def team_cluster_queue(spec: EnvironmentSpec, team: Team) -> dict[str, Any]:
    """`metadata.name` and `spec` of a team's ClusterQueue (see the module docstring)."""
    assert team.spec is not None
    covered = kueue.covered_resources(spec)
    quotas = {q.pool: q for q in team.spec.quota}
    flavors = [team_flavor(p, quotas[p.name], covered) for p in spec.gpu_pools if p.name in quotas]
    return {
        "name": team.cluster_queue,
        "spec": {
            "cohortName": names.cohort(spec.environment),
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": team.namespace}},
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [{"coveredResources": covered, "flavors": flavors}],
            "preemption": dict(PREEMPTION),
            "fairSharing": {"weight": 1},
        },
    }


def cluster_queues(spec: EnvironmentSpec) -> list[dict[str, Any]]:
    """Every ClusterQueue of the environment: today's one, or one per team."""
    if not spec.teams:
        return [kueue.cluster_queue(spec)]
    return [team_cluster_queue(spec, t) for t in teams(spec)]


def local_queue(spec: EnvironmentSpec, team: Team) -> dict[str, Any]:
    """`metadata` and `spec` of a team's LocalQueue (the default team's is today's)."""
    if team.is_default:
        return kueue.local_queue(spec)
    return {
        "name": team.local_queue,
        "namespace": team.namespace,
        "spec": {"clusterQueue": team.cluster_queue},
    }


def local_queues(spec: EnvironmentSpec) -> list[dict[str, Any]]:
    return [local_queue(spec, t) for t in teams(spec)]
