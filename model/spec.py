"""The environment spec: `stacks/<env>.yaml`, typed and checked. One model for everything.

The renderer, the Pulumi program, the planner and the job checker all read an
environment through `EnvironmentSpec`. Every field has a secure default; a
weaker setting has to be written out and is then flagged by the policy rules.
Structural problems (unknown keys, wrong types) are caught by pydantic;
cross-field problems (EFA on a type without it, a pool in an AZ the VPC does
not span) by `EnvironmentSpec._check`, which raises `SpecError` with the
exact field path.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpuforge.model import catalog, names
from gpuforge.model.errors import SpecError
from gpuforge.model.names import CONTROL_PLANE_LOG_TYPES
from gpuforge.model.netplan import SubnetPlanError, ZoneSubnets, plan_subnets

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
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_RESERVATION_ID = re.compile(r"^cr-[0-9a-f]{8}([0-9a-f]{9})?$")
_IAM_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)/[\w+=,.@/-]+$")


class _Strict(BaseModel):
    # strict: `max: true` or `rotation: "no"` is a mistake, not 1 or False
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Count = Annotated[int, Field(ge=0)]


class NetworkSpec(_Strict):
    """The VPC: CIDR, availability zones, NAT, endpoints and flow logs."""

    cidr: str = Field(
        "10.0.0.0/16",
        description="IPv4 CIDR of the VPC, /16 up to /21 (2 AZs) or /20 (3-4 AZs); "
        "subnets are computed from it.",
    )
    azs: int | list[str] = Field(
        3, description="How many AZs to span (the region's first N) or their names. At least 2."
    )
    nat: Literal["single", "per-az", "none"] = Field(
        "per-az",
        description="NAT gateways: one per AZ (resilient), a single one (cheap) or none "
        "(egress only through VPC endpoints).",
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
        [], description="IAM role/user ARNs granted cluster admin through EKS access entries."
    )
    log_retention_days: int = Field(
        365, description="Retention of the control-plane log group (a CloudWatch Logs period)."
    )
    system_pool: SystemPoolSpec = Field(
        default_factory=SystemPoolSpec, description="Node group for cluster add-ons."
    )


class Taint(_Strict):
    key: str = Field(description="Taint key, e.g. dedicated.")
    value: str = Field("", description="Taint value.")
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
    labels: dict[str, str] = Field({}, description="Extra Kubernetes node labels.")
    taints: list[Taint] = Field([], description="Extra taints beside nvidia.com/gpu.")

    @property
    def instance(self) -> catalog.InstanceType:
        found = catalog.instance_type(self.instance_type)
        assert found is not None, "validated at load time"
        return found


class BucketSpec(_Strict):
    """One S3 bucket (the real name gets the environment and a unique suffix)."""

    name: str = Field(description="Logical name, e.g. datasets or checkpoints.")
    versioning: bool = Field(True, description="Keep old object versions.")
    noncurrent_expiration_days: int = Field(
        30, ge=1, le=3650, description="Delete noncurrent versions after this many days."
    )
    abort_multipart_days: int = Field(
        7, ge=1, le=365, description="Abort incomplete multipart uploads after this many days."
    )


def _default_buckets() -> list[BucketSpec]:
    return [BucketSpec(name="datasets"), BucketSpec(name="checkpoints")]


class StorageSpec(_Strict):
    buckets: list[BucketSpec] = Field(
        default_factory=_default_buckets, description="Buckets for datasets and checkpoints."
    )
    force_destroy: bool = Field(
        False, description="Let `pulumi destroy` delete non-empty buckets (dev only)."
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
    max_gpus: int | None = Field(None, ge=1, description="Most GPUs one job may ask for.")


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
        None, gt=0, description="Flag any pool whose maximum scale would cost more per month."
    )


class EnvironmentSpec(_Strict):
    """A whole environment: what `stacks/<env>.yaml` holds."""

    environment: str = Field(description="Environment name; equals the file name in stacks/.")
    region: str = Field(description="AWS region, e.g. us-east-1.")
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

    # -- derived, never stored ------------------------------------------------

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

    # -- cross-field checks ---------------------------------------------------

    @model_validator(mode="after")
    def _check(self) -> EnvironmentSpec:
        _check_identity(self)
        _check_network(self)
        _check_cluster(self.cluster)
        for i, pool in enumerate(self.gpu_pools):
            _check_pool(self, f"gpu_pools[{i}]", pool)
        _check_unique("gpu_pools", [p.name for p in self.gpu_pools], "pool")
        for i, bucket in enumerate(self.storage.buckets):
            _check_bucket(self, f"storage.buckets[{i}]", bucket)
        _check_unique("storage.buckets", [b.name for b in self.storage.buckets], "bucket")
        window = self.encryption.key_deletion_window_days
        if not 7 <= window <= 30:
            raise SpecError(
                "encryption.key_deletion_window_days",
                f"{window} is outside what KMS allows",
                "use 7 to 30 days",
            )
        if not _DNS_LABEL.match(self.training.namespace):
            raise SpecError(
                "training.namespace",
                f"{self.training.namespace!r} is not a valid Kubernetes namespace",
                "lower-case letters, digits and '-'",
            )
        return self


def _check_identity(spec: EnvironmentSpec) -> None:
    if not _DNS_LABEL.match(spec.environment) or len(spec.environment) > 20:
        raise SpecError(
            "environment",
            f"{spec.environment!r} is not a valid environment name",
            "lower-case letters, digits and '-', at most 20 characters",
        )
    regions = catalog.regions()
    if spec.region not in regions:
        near = catalog.close_names(spec.region, list(regions))
        raise SpecError(
            "region",
            f"unknown AWS region {spec.region!r}",
            f"did you mean {', '.join(near)}?" if near else "e.g. us-east-1, eu-west-1",
        )
    for key, value in spec.tags.items():
        if key.lower().startswith("aws:") or not 1 <= len(key) <= 128 or len(value) > 256:
            raise SpecError(
                f"tags.{key}",
                "not a valid AWS tag",
                "keys 1-128 characters and not starting with aws:, values up to 256",
            )


def _check_retention(path: str, days: int) -> None:
    if days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - days))
        raise SpecError(
            path, f"{days} is not a CloudWatch Logs retention period", f"nearest allowed: {nearest}"
        )


def _check_network(spec: EnvironmentSpec) -> None:
    net = spec.network
    try:
        ipaddress.ip_network(net.cidr, strict=True)
    except ValueError as exc:
        raise SpecError(
            "network.cidr", f"{net.cidr!r} is not a valid network CIDR: {exc}", "e.g. 10.0.0.0/16"
        ) from None
    if isinstance(net.azs, int):
        available = catalog.zones(spec.region)
        if not 2 <= net.azs <= (len(available) or 6):
            raise SpecError(
                "network.azs",
                f"{net.azs} AZs requested",
                f"EKS needs at least 2; {spec.region} has {len(available) or 'at most 6'}",
            )
    else:
        known = catalog.zones(spec.region)
        for i, zone in enumerate(net.azs):
            if known and zone not in known:
                raise SpecError(
                    f"network.azs[{i}]",
                    f"{zone!r} is not an availability zone of {spec.region}",
                    f"choose from {', '.join(known)}",
                )
        if len(set(net.azs)) != len(net.azs):
            raise SpecError("network.azs", "lists an AZ twice", "name each AZ once")
        if len(net.azs) < 2:
            raise SpecError("network.azs", "EKS needs subnets in at least 2 AZs", "list 2 or more")
    try:
        plan_subnets(net.cidr, spec.zones)
    except SubnetPlanError as exc:
        raise SpecError("network.cidr", str(exc), exc.hint) from None
    _check_retention("network.flow_logs_retention_days", net.flow_logs_retention_days)
    if len(set(net.endpoints)) != len(net.endpoints):
        raise SpecError("network.endpoints", "lists an endpoint twice", "name each endpoint once")


def _check_cluster(cluster: ClusterSpec) -> None:
    _check_k8s_version(cluster.version)
    for i, cidr in enumerate(cluster.public_access_cidrs):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise SpecError(
                f"cluster.public_access_cidrs[{i}]",
                f"{cidr!r} is not a valid CIDR: {exc}",
                "e.g. 203.0.113.0/24",
            ) from None
    if cluster.public_endpoint and not cluster.public_access_cidrs:
        raise SpecError(
            "cluster.public_access_cidrs",
            "a public endpoint needs the CIDRs allowed to reach it",
            "list your office/VPN ranges; 0.0.0.0/0 must be written out and is flagged",
        )
    if cluster.public_access_cidrs and not cluster.public_endpoint:
        raise SpecError(
            "cluster.public_access_cidrs",
            "set while public_endpoint is false",
            "set public_endpoint: true or remove the CIDRs",
        )
    _check_retention("cluster.log_retention_days", cluster.log_retention_days)
    if len(set(cluster.log_types)) != len(cluster.log_types):
        raise SpecError("cluster.log_types", "lists a log type twice", "name each type once")
    for i, arn in enumerate(cluster.admins):
        if not _IAM_ARN.match(arn):
            raise SpecError(
                f"cluster.admins[{i}]",
                f"{arn!r} is not an IAM role or user ARN",
                "e.g. arn:aws:iam::123456789012:role/platform-admin",
            )
    system = cluster.system_pool
    if catalog.instance_type(system.instance_type) is None:
        near = catalog.close_names(system.instance_type, _all_types())
        raise SpecError(
            "cluster.system_pool.instance_type",
            f"unknown instance type {system.instance_type!r}",
            f"did you mean {', '.join(near)}?" if near else "e.g. m7i.large",
        )
    if system.min > system.max or system.max < 1:
        raise SpecError(
            "cluster.system_pool.min",
            f"min {system.min} is greater than max {system.max}"
            if system.min > system.max
            else "max must be at least 1",
            "add-ons need at least one node: use min <= max, max >= 1",
        )


def _check_k8s_version(version: str) -> None:
    minor = catalog.k8s_minor(version)
    newest = catalog.newest_eks_version()
    if minor is None or minor < (1, 0):
        raise SpecError(
            "cluster.version", f"{version!r} is not a Kubernetes version", f"e.g. {newest!r}"
        )
    if minor > (catalog.k8s_minor(newest) or (0, 0)):
        return  # newer than the calendar gpuforge ships: EKS adds versions, allow it
    today = catalog.policy_date()
    support = catalog.eks_support(version)
    if support is None or today > support[1]:
        supported = catalog.eks_supported_versions(today) or [newest]
        ended = f" (extended support ended {support[1]})" if support else ""
        raise SpecError(
            "cluster.version",
            f"EKS no longer runs Kubernetes {version}{ended}",
            f"supported: {', '.join(supported)}",
        )


def _all_types() -> list[str]:
    return list(catalog._data()["instance_types"])


def _check_pool(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec) -> None:
    if not _DNS_LABEL.match(pool.name) or len(pool.name) > 32:
        raise SpecError(
            f"{path}.name",
            f"{pool.name!r} is not a valid pool name",
            "lower-case letters, digits and '-', at most 32 characters",
        )
    instance = catalog.instance_type(pool.instance_type)
    if instance is None:
        near = catalog.similar_accelerated_types(pool.instance_type)
        raise SpecError(
            f"{path}.instance_type",
            f"unknown instance type {pool.instance_type!r}",
            f"close names: {', '.join(near)}" if near else "e.g. g6.xlarge, p5.48xlarge",
        )
    if instance.accelerator is None:
        raise SpecError(
            f"{path}.instance_type",
            f"{pool.instance_type} has no GPU or accelerator",
            "GPU pools need e.g. g6.xlarge, g5.12xlarge, p4d.24xlarge, p5.48xlarge",
        )
    if pool.min > pool.max:
        raise SpecError(
            f"{path}.min", f"min {pool.min} is greater than max {pool.max}", "min <= max"
        )
    if pool.az is not None and pool.az not in spec.zones:
        raise SpecError(
            f"{path}.az",
            f"{pool.az!r} is not one of the VPC's AZs",
            f"choose from {', '.join(spec.zones)}",
        )
    if pool.efa:
        if not instance.efa:
            efa_types = [t for t in catalog.accelerated_types() if catalog.instance_type(t).efa]
            near = catalog.close_names(pool.instance_type, efa_types) or efa_types[:4]
            raise SpecError(
                f"{path}.efa",
                f"{pool.instance_type} does not support EFA",
                f"EFA types include {', '.join(near)}",
            )
        if pool.az is None:
            raise SpecError(
                f"{path}.az",
                "an EFA pool must sit in a single AZ",
                f"set az: to one of {', '.join(spec.zones)}",
            )
    wanted_class = pool.capacity
    if instance.usage_classes and wanted_class not in instance.usage_classes:
        raise SpecError(
            f"{path}.capacity",
            f"AWS does not sell {pool.instance_type} as {wanted_class}",
            f"available: {', '.join(instance.usage_classes)}",
        )
    rid = pool.capacity_reservation_id
    if pool.capacity == "capacity-block" and rid is None:
        raise SpecError(
            f"{path}.capacity_reservation_id",
            "a capacity-block pool needs the reservation id of the block",
            "copy the cr-... id from the EC2 console or `aws ec2 describe-capacity-reservations`",
        )
    if rid is not None:
        if pool.capacity == "spot":
            raise SpecError(
                f"{path}.capacity_reservation_id",
                "spot capacity cannot use a capacity reservation",
                "use capacity: on-demand or capacity-block",
            )
        if not _RESERVATION_ID.match(rid):
            raise SpecError(
                f"{path}.capacity_reservation_id",
                f"{rid!r} is not a capacity reservation id",
                "it looks like cr-0123456789abcdef0",
            )
        if pool.az is None:
            raise SpecError(
                f"{path}.az",
                "a capacity reservation lives in one AZ",
                "set az: to the reservation's AZ",
            )
    for key, value in pool.labels.items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value) or len(value) > 63:
            raise SpecError(
                f"{path}.labels.{key}",
                "not a valid Kubernetes label",
                "keys like team or example.com/team; values up to 63 of [A-Za-z0-9-_.]",
            )
    for j, taint in enumerate(pool.taints):
        if not _LABEL_KEY.match(taint.key):
            raise SpecError(
                f"{path}.taints[{j}].key",
                f"{taint.key!r} is not a valid taint key",
                "same syntax as label keys",
            )
    if spec.training.max_gpus is not None and instance.gpus > spec.training.max_gpus:
        raise SpecError(
            f"{path}.instance_type",
            f"one {pool.instance_type} node has {instance.gpus} GPUs, more than "
            f"training.max_gpus ({spec.training.max_gpus})",
            "raise training.max_gpus or choose a smaller instance type",
        )


def _check_bucket(spec: EnvironmentSpec, path: str, bucket: BucketSpec) -> None:
    if not _DNS_LABEL.match(bucket.name):
        raise SpecError(
            f"{path}.name",
            f"{bucket.name!r} is not a valid bucket name",
            "lower-case letters, digits and '-'",
        )
    # gpuforge-<env>-<name>- plus the 7-character hash suffix must fit in 63.
    full = names.bucket_name_length(spec.environment, bucket.name)
    if full > 63:
        raise SpecError(
            f"{path}.name",
            f"{bucket.name!r} makes a bucket name of {full} characters",
            "S3 allows 63: shorten the bucket or environment name",
        )


def _check_unique(path: str, names: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise SpecError(
                f"{path}[{i}].name", f"duplicate {what} name {name!r}", "names must be unique"
            )
        seen.add(name)
