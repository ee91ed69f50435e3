"""The environment spec: `stacks/<env>.yaml`, typed and checked. One model for everything.

The renderer, the Pulumi program, the planner and the job checker all read an
environment through `EnvironmentSpec`. Every field has a secure default; a
weaker setting has to be written out and is then flagged by the policy rules.
This module is the schema: fields, types, defaults and their docs.
Structural problems (unknown keys, wrong types) are caught by pydantic here;
cross-field problems and the limits AWS and Kubernetes enforce (EFA on a type
without it, a pool in an AZ the VPC does not span, a node group name too long)
by `gpuforge.model.checks`, which raise `SpecError` with the exact field path.
The checks sit above this module (they read pools and tags derived from it), so
they are run by the one way in, `gpuforge.model.loader.spec_from_data`, not by the
model: `EnvironmentSpec.model_validate` alone checks the structure only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpuforge.model import catalog, names
from gpuforge.model.filesystem_spec import FilesystemSpec
from gpuforge.model.names import CONTROL_PLANE_LOG_TYPES
from gpuforge.model.netplan import ZoneSubnets, plan_subnets, vpc_size_rule
from gpuforge.model.team_spec import TeamSpec

LOG_TYPES = CONTROL_PLANE_LOG_TYPES
ENDPOINTS = (
    "s3",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "ec2",
    "elasticloadbalancing",
    "autoscaling",
    "ssm",
    "eks",
    "eks-auth",
)
DEFAULT_ENDPOINTS = ("s3", "ecr.api", "ecr.dkr", "sts", "logs")
PRIVATE_NODE_ENDPOINTS = ("s3", "ecr.api", "ecr.dkr", "sts", "ec2", "eks", "eks-auth")
"""What nodes without a NAT gateway need to pull images (ECR API, ECR registry and
the S3 layer bucket), join the cluster (EC2, EKS) and get credentials (STS, and
EKS Auth for Pod Identity); `nat: none` requires all of them."""
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class _Strict(BaseModel):
    # strict: `max: true` or `rotation: "no"` is a mistake, not 1 or False
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Count = Annotated[int, Field(ge=0)]


class NetworkSpec(_Strict):
    """The VPC: CIDR, availability zones, NAT, endpoints and flow logs."""

    cidr: str = Field(
        "10.0.0.0/16",
        description=f"IPv4 CIDR of the VPC, {vpc_size_rule()}; "
        "subnets are computed from it. Private ranges (RFC 1918) are best; loopback, "
        "link-local, multicast, reserved and 172.17.0.0/16 are refused.",
    )
    azs: int | list[str] = Field(
        3, description="How many AZs to span (the region's first N) or their names. At least 2."
    )
    nat: Literal["single", "per-az", "none"] = Field(
        "per-az",
        description="NAT gateways: one per AZ (resilient), a single one (cheap) or none "
        "(egress only through VPC endpoints: needs s3, ecr.api, ecr.dkr, sts, ec2, eks and "
        "eks-auth in `endpoints`).",
    )
    endpoints: list[Literal[ENDPOINTS]] = Field(  # type: ignore[valid-type]
        list(DEFAULT_ENDPOINTS),
        description="VPC endpoints: `s3` is a gateway endpoint, the rest interface endpoints.",
    )
    flow_logs_retention_days: int = Field(
        365, description="Retention of the VPC flow log group (a CloudWatch Logs period)."
    )


class SystemPoolSpec(_Strict):
    """The on-demand node group for cluster add-ons (CoreDNS, controllers)."""

    instance_type: str = Field("m7i.large", description="EC2 instance type.")
    min: Count = Field(2, description="Minimum nodes.")
    max: Count = Field(4, description="Maximum nodes.")
    disk_gib: int = Field(50, ge=20, le=16384, description="Root volume size in GiB.")


class ClusterSpec(_Strict):
    """The EKS control plane."""

    version: str = Field(catalog.EKS_DEFAULT_VERSION, description="Kubernetes version.")
    public_endpoint: bool = Field(
        False, description="Expose the API server publicly (needs `public_access_cidrs`)."
    )
    public_access_cidrs: list[str] = Field(
        [], description="CIDRs allowed to reach a public endpoint; never implicit 0.0.0.0/0."
    )
    log_types: list[Literal[LOG_TYPES]] = Field(  # type: ignore[valid-type]
        list(LOG_TYPES), description="Control-plane log types sent to CloudWatch."
    )
    admins: list[str] = Field(
        [],
        description="IAM role/user ARNs (`arn:aws:iam::<account>:role/<name>`) granted cluster "
        "admin through EKS access entries; each once, all in one account (`account_id`). "
        "Not an `assumed-role` session ARN: give the role's ARN.",
    )
    bootstrap_creator_admin: bool | None = Field(
        None,
        description="Let the identity that creates the cluster (the deployer) keep cluster "
        "admin outside the access entries, for the cluster's lifetime. Off unless written "
        "`true`, and then flagged by GF-EKS-006; while off, `admins` must name someone.",
    )
    log_retention_days: int = Field(
        365, description="Retention of the control-plane log group (a CloudWatch Logs period)."
    )
    system_pool: SystemPoolSpec = Field(
        default_factory=SystemPoolSpec, description="Node group for cluster add-ons."
    )


class Taint(_Strict):
    key: str = Field(
        description="Taint key, e.g. dedicated (label-key syntax, at most 63 characters for "
        "EKS); not a built-in taint key (nvidia.com/gpu, aws.amazon.com/neuron)."
    )
    value: str = Field("", description="Taint value (label-value syntax, at most 63).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        "NoSchedule", description="What the taint does to pods that do not tolerate it."
    )


class GpuPoolSpec(_Strict):
    """One GPU node group. Scales to zero when `min` is 0."""

    name: str = Field(
        description="Pool name (DNS label); becomes the node label gpuforge.dev/pool."
    )
    instance_type: str = Field(description="An EC2 GPU/accelerator type, e.g. p5.48xlarge.")
    capacity: Literal["on-demand", "spot", "capacity-block"] = Field(
        "on-demand", description="How nodes are bought."
    )
    min: Count = Field(0, description="Minimum nodes (0 lets the pool scale to zero).")
    max: int = Field(1, ge=1, le=1000, description="Maximum nodes.")
    efa: bool = Field(False, description="Attach EFA interfaces (needs a single `az`).")
    az: str | None = Field(None, description="Pin the pool to one AZ (required with `efa`).")
    disk_gib: int = Field(200, ge=20, le=16384, description="Root volume size in GiB.")
    capacity_reservation_id: str | None = Field(
        None, description="ODCR or capacity block id (cr-...); required for capacity-block."
    )
    labels: dict[str, str] = Field(
        {},
        description="Extra Kubernetes node labels: keys at most 63 characters (EKS), values "
        "1-63; not under gpuforge.dev/ (gpuforge's own) nor kubernetes.io/ or k8s.io/ "
        "(a node cannot set those on itself).",
    )
    taints: list[Taint] = Field([], description="Extra taints beside nvidia.com/gpu.")

    @property
    def instance(self) -> catalog.InstanceType:
        found = catalog.instance_type(self.instance_type)
        assert found is not None, "validated at load time"
        return found


WRITABLE_BY_DEFAULT = ("checkpoints", "artifacts")
"""Buckets that training pods may write unless the spec says otherwise."""


class BucketSpec(_Strict):
    """One S3 bucket (the real name gets the environment and a unique suffix)."""

    name: str = Field(description="Logical name, e.g. datasets or checkpoints.")
    training_access: Literal[names.TRAINING_ACCESS_MODES] = Field(  # type: ignore[valid-type]
        names.READ_ONLY,
        description="What training pods may do in the bucket: `read-only` (Get/List), "
        "`read-write` (also Put, Delete, AbortMultipartUpload) or `none`. Default: "
        "`read-write` for `checkpoints` and `artifacts`, `read-only` for any other bucket.",
    )
    versioning: bool = Field(True, description="Keep old object versions.")
    noncurrent_expiration_days: int = Field(
        30, ge=1, le=3650, description="Delete noncurrent versions after this many days."
    )
    abort_multipart_days: int = Field(
        7, ge=1, le=365, description="Abort incomplete multipart uploads after this many days."
    )

    @model_validator(mode="before")
    @classmethod
    def _default_access(cls, data: object) -> object:
        written = isinstance(data, dict) and "training_access" in data
        if isinstance(data, dict) and not written and data.get("name") in WRITABLE_BY_DEFAULT:
            return {**data, "training_access": names.READ_WRITE}
        return data


def _default_buckets() -> list[BucketSpec]:
    return [BucketSpec(name="datasets"), BucketSpec(name="checkpoints")]


class StorageSpec(_Strict):
    buckets: list[BucketSpec] = Field(
        default_factory=_default_buckets, description="Buckets for datasets and checkpoints."
    )
    force_destroy: bool = Field(
        False,
        description="Let `pulumi destroy` delete non-empty buckets (dev only; flagged on a "
        "`protected` environment).",
    )
    access_logs_expiration_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="Delete S3 server access logs (in the platform's `access-logs` bucket) "
        "after this many days.",
    )
    filesystems: list[FilesystemSpec] = Field(
        [],
        description="Shared file systems for training data: FSx for Lustre linked to buckets, "
        "or Mountpoint for S3 (docs/data.md).",
    )
    admin_principals: list[str] = Field(
        [],
        description="IAM role/user ARNs of the environment's account that may read and write "
        "objects in the buckets from outside the VPC (uploading datasets, `pulumi destroy` "
        "emptying a bucket). Everyone else reaches the objects only through the VPC's S3 "
        "endpoint. Bucket settings (policy, versioning, ...) stay with IAM, so the deployer "
        "never needs to be listed to run `pulumi up`.",
    )


class EncryptionSpec(_Strict):
    key_deletion_window_days: int = Field(
        30, description="Days a deleted KMS key stays recoverable (7-30)."
    )
    rotation: bool = Field(True, description="Rotate KMS key material automatically.")
    rotation_period_days: int = Field(
        365, ge=90, le=2560, description="Days between automatic rotations."
    )


class TrainingSpec(_Strict):
    namespace: str = Field("training", description="Kubernetes namespace for jobs.")
    queueing: Literal["kueue", "none"] = Field(
        "none", description="Queue jobs through Kueue (gang admission) or submit directly."
    )
    max_gpus: int | None = Field(
        None,
        ge=1,
        description="Most GPUs one job may ask for (nodes x gpus_per_node); "
        "`gpuforge launch` refuses more. Unset: no cap.",
    )
    require_image_digests: bool = Field(
        False,
        description="`launch` sends only images pinned by digest: ECR tags are resolved "
        "to their digest (with `--kubeconfig` too), other registries' tags are refused. "
        "Off: ECR tags are still resolved when sending to the environment's EKS cluster, "
        "and other tags go as written. Turn it on for protected environments.",
    )
    backends: list[Literal[names.JOB_BACKENDS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: [names.DEFAULT_JOB_BACKEND],
        min_length=1,
        description="Job backends this environment offers. `indexed-job` needs nothing "
        "beyond Kubernetes; `jobset` installs the JobSet controller, `trainjob` Kubeflow "
        "Trainer (with JobSet) and its `torch-distributed` runtime. `gpuforge launch` "
        "refuses any other backend.",
    )
    internet_egress: bool = Field(
        False,
        description="Let job pods reach the internet (a NetworkPolicy allowing egress to "
        "0.0.0.0/0 and ::/0; GF-NETPOL-001 flags it). Off: DNS, the VPC endpoints, S3 and the "
        "job's own pods only.",
    )


class AutoscalingSpec(_Strict):
    """cluster-autoscaler: scales the node groups, GPU pools from and back to zero."""

    enabled: bool = Field(
        True, description="Run cluster-autoscaler (without it, pools stay at their min)."
    )
    gpu_scale_down_delay_minutes: int = Field(
        10,
        ge=1,
        le=1440,
        description="Minutes a GPU node stays unneeded before it is removed (a longer delay "
        "keeps a warm node for the next job, at the node's hourly price).",
    )
    expander: Literal["priority", "least-waste", "random"] = Field(
        "priority",
        description="How to pick among pools that fit: `priority` tries capacity-block and "
        "reserved pools first, then on-demand, then spot.",
    )
    balance_similar_node_groups: bool = Field(
        True, description="Spread scale-ups evenly over pools with the same shape."
    )


class CostSpec(_Strict):
    monthly_budget_usd: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Flag any pool whose maximum scale would cost more per month.",
    )


class EnvironmentSpec(_Strict):
    """A whole environment: what `stacks/<env>.yaml` holds."""

    environment: str = Field(description="Environment name; equals the file name in stacks/.")
    region: str = Field(description="AWS region, e.g. us-east-1 (the `aws` partition).")
    account_id: str | None = Field(
        None,
        description="The 12-digit AWS account the environment deploys into, quoted "
        '("012345678901"). When set, every `cluster.admins` ARN must be in it; when not, '
        "the admins must all be in one account. `plan` emulates this account.",
    )
    protected: bool = Field(
        False,
        description="A production environment: its resources are tagged "
        "`gpuforge.dev/protected: true` and the policy flags settings that can destroy "
        "data (`storage.force_destroy`).",
    )
    tags: dict[str, str] = Field({}, description="Tags on every AWS resource.")
    network: NetworkSpec = Field(default_factory=NetworkSpec, description="The VPC.")
    cluster: ClusterSpec = Field(default_factory=ClusterSpec, description="The EKS cluster.")
    gpu_pools: list[GpuPoolSpec] = Field([], description="GPU node groups.")
    storage: StorageSpec = Field(default_factory=StorageSpec, description="S3 buckets.")
    encryption: EncryptionSpec = Field(
        default_factory=EncryptionSpec, description="KMS keys (secrets, storage, logs)."
    )
    training: TrainingSpec = Field(
        default_factory=TrainingSpec, description="The in-cluster training-job runtime."
    )
    autoscaling: AutoscalingSpec = Field(
        default_factory=AutoscalingSpec, description="cluster-autoscaler settings."
    )
    cost: CostSpec = Field(default_factory=CostSpec, description="Cost guard-rails.")
    teams: list[TeamSpec] = Field(
        [],
        description="ML teams sharing the GPU pools, each in its own namespace with its own "
        "Kueue ClusterQueue (one cohort), quota, role and access (README, Teams). Empty: one "
        "default team in `training.namespace`.",
    )

    # -- derived, never stored ------------------------------------------------

    @property
    def expected_account(self) -> str | None:
        """The account the environment deploys into: `account_id`, else the admins' account."""
        if self.account_id is not None:
            return self.account_id
        accounts = {arn.split(":")[4] for arn in self.cluster.admins}
        return accounts.pop() if len(accounts) == 1 else None

    @property
    def zones(self) -> list[str]:
        """The AZ names the VPC spans."""
        if isinstance(self.network.azs, list):
            return list(self.network.azs)
        known = catalog.zones(self.region) or [f"{self.region}{letter}" for letter in "abcdefgh"]
        return known[: self.network.azs]

    @property
    def subnets(self) -> list[ZoneSubnets]:
        return plan_subnets(self.network.cidr, self.zones)

    @property
    def cluster_name(self) -> str:
        return names.cluster_name(self.environment)

    def pool(self, name: str) -> GpuPoolSpec | None:
        return next((p for p in self.gpu_pools if p.name == name), None)
