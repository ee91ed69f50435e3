"""The `teams:` section of an environment spec: several ML teams sharing the GPU pools.

Each team gets its own namespace, Kueue queues in one cohort, quota, service account,
Pod Identity role and EKS access (`gpuforge.model.teams` derives them). An environment
without `teams` is one default team: the `training` namespace and today's queues.
The schema only; cross-field checks are in `gpuforge.model.checks.teams`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gpuforge.model import names


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TeamQuotaSpec(_Strict):
    """A team's GPUs on one pool: Kueue's nominal quota, borrowing and lending limits."""

    pool: str = Field(description="A GPU pool of the environment (`gpu_pools[].name`).")
    gpus: int = Field(
        ge=0,
        description="GPUs the team is guaranteed on the pool (its ClusterQueue's "
        "`nominalQuota`); CPU, memory and EFA follow in the pool's per-GPU share.",
    )
    borrowing_limit: int | None = Field(
        None,
        ge=0,
        description="Most GPUs the team may borrow from other teams' unused quota on top of "
        "`gpus` (`borrowingLimit`). Unset: as many as the cohort has unused; 0: never borrow.",
    )
    lending_limit: int | None = Field(
        None,
        ge=0,
        description="Most of `gpus` other teams may borrow while this team does not use them "
        "(`lendingLimit`, at most `gpus`). Unset: all of them.",
    )


class TeamPrioritySpec(_Strict):
    """The job priorities a team may use (gpuforge's PriorityClasses, lowest to highest)."""

    lowest: Literal[names.PRIORITIES] = Field(  # type: ignore[valid-type]
        "low", description="Lowest priority the team's jobs may ask for."
    )
    highest: Literal[names.PRIORITIES] = Field(  # type: ignore[valid-type]
        "high", description="Highest priority the team's jobs may ask for."
    )


class TeamSpec(_Strict):
    """One ML team: its namespace, GPU quota, priorities, data and people."""

    name: str = Field(
        description="Team name: a DNS label of at most 20 characters; also the team's "
        "Kubernetes namespace and its prefix in the writable buckets (`<team>/`)."
    )
    quota: list[TeamQuotaSpec] = Field(
        min_length=1, description="GPU quota per pool; the team runs only on these pools."
    )
    priorities: TeamPrioritySpec = Field(
        default_factory=TeamPrioritySpec, description="The priority range of the team's jobs."
    )
    datasets: list[str] | None = Field(
        None,
        description="Read-only buckets the team may read (`storage.buckets[].name`). "
        "Unset: every `read-only` bucket. The writable buckets (checkpoints, artifacts) are "
        "read and written only under the team's own prefix, never deleted from.",
    )
    admins: list[str] = Field(
        [],
        description="IAM role/user ARNs given AmazonEKSAdminPolicy in the team's namespace "
        "only (an EKS access entry scoped to the namespace).",
    )
    members: list[str] = Field(
        [],
        description="IAM role/user ARNs given AmazonEKSEditPolicy in the team's namespace "
        "only: they launch, list and cancel the team's jobs.",
    )
