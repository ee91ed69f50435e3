"""State the emulated account keeps beside moto, for the APIs moto does not implement.

Plain Python: no boto3, no Pulumi, no wire format. Methods validate what AWS would
validate about the state itself (duplicates, missing parents, enum values) and raise
:class:`~emulator.errors.AwsError`; handlers check references into moto (clusters,
roles, VPCs) through boto3 before they call in here.

Kept here: EKS access configuration of each cluster, EKS add-ons, access entries,
access policy associations and pod identity associations, EC2 placement groups, FSx
data repository associations (moto 5.x creates Lustre file systems but answers
`create_data_repository_association` with "not been implemented").
"""

from __future__ import annotations

import random as _random
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from .determinism import timestamp
from .errors import AwsError

# The version an add-on gets when none is given. kube-proxy follows the cluster's
# Kubernetes minor version, as on EKS (`default_addon_version`); the others are one recent
# build each, the same for every Kubernetes version (EKS's defaults differ a little by
# version: not modelled). Any vX.Y.Z-eksbuild.N is accepted as an explicit version.
DEFAULT_ADDON_VERSIONS = {
    "vpc-cni": "v1.19.5-eksbuild.1",
    "coredns": "v1.11.4-eksbuild.2",
    "kube-proxy": "v{kubernetes}.0-eksbuild.1",
    "aws-ebs-csi-driver": "v1.41.0-eksbuild.1",
    "aws-efs-csi-driver": "v2.1.6-eksbuild.1",
    "aws-mountpoint-s3-csi-driver": "v2.7.0-eksbuild.1",
    "aws-fsx-csi-driver": "v1.9.0-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.5-eksbuild.2",
    "eks-node-monitoring-agent": "v1.2.0-eksbuild.1",
    "amazon-cloudwatch-observability": "v3.6.0-eksbuild.1",
    "snapshot-controller": "v8.2.0-eksbuild.1",
    "adot": "v0.117.0-eksbuild.1",
    "aws-guardduty-agent": "v1.9.0-eksbuild.2",
    "aws-network-flow-monitoring-agent": "v1.0.1-eksbuild.2",
    "metrics-server": "v0.7.2-eksbuild.3",
    "cert-manager": "v1.17.2-eksbuild.1",
    "external-dns": "v0.16.1-eksbuild.2",
    "kube-state-metrics": "v2.15.0-eksbuild.4",
    "prometheus-node-exporter": "v1.9.1-eksbuild.2",
    "fluent-bit": "v4.0.1-eksbuild.1",
}
ACCESS_POLICIES = frozenset(
    {
        "AmazonEKSClusterAdminPolicy",
        "AmazonEKSAdminPolicy",
        "AmazonEKSEditPolicy",
        "AmazonEKSViewPolicy",
        "AmazonEKSAdminViewPolicy",
        "AmazonEKSAutoNodePolicy",
        "AmazonEKSBlockStoragePolicy",
        "AmazonEKSComputePolicy",
        "AmazonEKSLoadBalancingPolicy",
        "AmazonEKSNetworkingPolicy",
        "AmazonEKSHybridPolicy",
        "AmazonEKSClusterInsightsPolicy",
    }
)
AUTH_MODES = ("CONFIG_MAP", "API", "API_AND_CONFIG_MAP")
ACCESS_ENTRY_TYPES = (
    "STANDARD",
    "FARGATE_LINUX",
    "EC2_LINUX",
    "EC2_WINDOWS",
    "EC2",
    "HYBRID_LINUX",
)
PLACEMENT_STRATEGIES = ("cluster", "partition", "spread")
_ADDON_VERSION = re.compile(r"v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+")


def default_addon_version(name: str, kubernetes_version: str) -> str:
    """What EKS installs for add-on `name` on a cluster running `kubernetes_version`."""
    return DEFAULT_ADDON_VERSIONS[name].format(kubernetes=kubernetes_version)


@dataclass
class Addon:
    cluster: str
    name: str
    version: str
    arn: str
    service_account_role_arn: str | None = None
    configuration_values: str | None = None
    status: str = "ACTIVE"
    created_at: str = field(default_factory=timestamp)


@dataclass
class AccessEntry:
    cluster: str
    principal_arn: str
    type: str
    username: str
    kubernetes_groups: list[str]
    arn: str
    created_at: str = field(default_factory=timestamp)


@dataclass
class AccessPolicyAssociation:
    cluster: str
    principal_arn: str
    policy_arn: str
    scope_type: str
    namespaces: list[str]
    associated_at: str = field(default_factory=timestamp)


@dataclass
class PodIdentityAssociation:
    cluster: str
    namespace: str
    service_account: str
    role_arn: str
    association_id: str
    arn: str
    created_at: str = field(default_factory=timestamp)


@dataclass
class PlacementGroup:
    name: str
    strategy: str
    group_id: str
    arn: str
    partition_count: int | None = None
    spread_level: str | None = None


@dataclass
class DataRepositoryAssociation:
    association_id: str
    arn: str
    file_system_id: str
    file_system_path: str
    data_repository_path: str
    import_events: list[str]
    export_events: list[str]
    lifecycle: str = "AVAILABLE"
    created_at: str = field(default_factory=timestamp)


DRA_EVENTS = ("NEW", "CHANGED", "DELETED")
MAX_DRAS_PER_FILE_SYSTEM = 8


class EmulatorState:
    """The emulator's own records, one instance per emulated account."""

    def __init__(
        self, account_id: str, region: str, partition: str = "aws", random: Any = None
    ) -> None:
        """`random`: the account's seeded generator (moto's `mock_random`); a fresh
        unseeded one when the state is used on its own."""
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.cluster_auth_modes: dict[str, str] = {}
        self.addons: dict[tuple[str, str], Addon] = {}
        self.access_entries: dict[tuple[str, str], AccessEntry] = {}
        self.access_policies: dict[tuple[str, str, str], AccessPolicyAssociation] = {}
        self.pod_identities: dict[str, PodIdentityAssociation] = {}
        self.placement_groups: dict[str, PlacementGroup] = {}
        self.data_repository_associations: dict[str, DataRepositoryAssociation] = {}
        self._lock = threading.RLock()
        self._random = random or _random.Random()

    def _hex(self, n: int) -> str:
        return "".join(self._random.choice("0123456789abcdef") for _ in range(n))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _eks_arn(self, kind: str, path: str) -> str:
        return f"arn:{self.partition}:eks:{self.region}:{self.account_id}:{kind}/{path}"

    # -- EKS cluster access configuration (moto drops accessConfig) ----------------

    def set_cluster_auth_mode(self, cluster: str, mode: str | None) -> str:
        mode = mode or "CONFIG_MAP"
        if mode not in AUTH_MODES:
            raise AwsError(
                "InvalidParameterException",
                f"authenticationMode {mode!r} is not one of {', '.join(AUTH_MODES)}",
            )
        with self._lock:
            self.cluster_auth_modes[cluster] = mode
        return mode

    # -- EKS add-ons -----------------------------------------------------------------

    def create_addon(
        self,
        cluster: str,
        name: str,
        version: str | None,
        service_account_role_arn: str | None,
        configuration_values: str | None,
        kubernetes_version: str,
    ) -> Addon:
        if name not in DEFAULT_ADDON_VERSIONS:
            raise AwsError(
                "InvalidParameterException",
                f"Addon {name} specified is not supported in the emulated account "
                f"(known: {', '.join(sorted(DEFAULT_ADDON_VERSIONS))})",
            )
        if version is not None and not _ADDON_VERSION.fullmatch(version):
            raise AwsError(
                "InvalidParameterException",
                f"Addon version {version} specified is not supported for addon {name}",
            )
        with self._lock:
            if (cluster, name) in self.addons:
                raise AwsError("ResourceInUseException", f"Addon already exists with name: {name}")
            addon = Addon(
                cluster=cluster,
                name=name,
                version=version or default_addon_version(name, kubernetes_version),
                arn=self._eks_arn("addon", f"{cluster}/{name}/{self._uuid()}"),
                service_account_role_arn=service_account_role_arn,
                configuration_values=configuration_values,
            )
            self.addons[(cluster, name)] = addon
        return addon

    # -- EKS access entries and policies ------------------------------------------------

    def create_access_entry(
        self,
        cluster: str,
        principal_arn: str,
        entry_type: str | None,
        username: str | None,
        kubernetes_groups: list[str] | None,
    ) -> AccessEntry:
        entry_type = entry_type or "STANDARD"
        if entry_type not in ACCESS_ENTRY_TYPES:
            raise AwsError(
                "InvalidParameterException", f"The access entry type {entry_type} is invalid."
            )
        with self._lock:
            mode = self.cluster_auth_modes.get(cluster, "CONFIG_MAP")
            if mode == "CONFIG_MAP":
                raise AwsError(
                    "InvalidRequestException",
                    "The cluster's authentication mode must be set to one of "
                    "[API, API_AND_CONFIG_MAP] to perform this operation.",
                )
            if (cluster, principal_arn) in self.access_entries:
                raise AwsError(
                    "ResourceInUseException",
                    f"The specified access entry resource is already in use on this "
                    f"cluster: {principal_arn}",
                )
            role = principal_arn.rsplit("/", 1)[-1]
            if username is None:
                username = (
                    f"arn:{self.partition}:sts::{self.account_id}:assumed-role/{role}"
                    "/{{SessionName}}"
                    if entry_type == "STANDARD"
                    else "system:node:{{EC2PrivateDNSName}}"
                )
            entry = AccessEntry(
                cluster=cluster,
                principal_arn=principal_arn,
                type=entry_type,
                username=username,
                kubernetes_groups=list(kubernetes_groups or []),
                arn=self._eks_arn(
                    "access-entry", f"{cluster}/role/{self.account_id}/{role}/{self._hex(8)}"
                ),
            )
            self.access_entries[(cluster, principal_arn)] = entry
        return entry

    def associate_access_policy(
        self,
        cluster: str,
        principal_arn: str,
        policy_arn: str,
        scope_type: str,
        namespaces: list[str] | None,
    ) -> AccessPolicyAssociation:
        prefix = f"arn:{self.partition}:eks::aws:cluster-access-policy/"
        if not policy_arn.startswith(prefix) or policy_arn[len(prefix) :] not in ACCESS_POLICIES:
            raise AwsError(
                "ResourceNotFoundException", f"The specified policyArn {policy_arn} was not found."
            )
        if scope_type not in ("cluster", "namespace"):
            raise AwsError(
                "InvalidParameterException", f"accessScope type {scope_type!r} is invalid."
            )
        if scope_type == "namespace" and not namespaces:
            raise AwsError(
                "InvalidParameterException",
                "accessScope of type namespace requires at least one namespace.",
            )
        with self._lock:
            if (cluster, principal_arn) not in self.access_entries:
                raise AwsError(
                    "ResourceNotFoundException",
                    f"The specified principalArn could not be found: {principal_arn}",
                )
            assoc = AccessPolicyAssociation(
                cluster=cluster,
                principal_arn=principal_arn,
                policy_arn=policy_arn,
                scope_type=scope_type,
                namespaces=list(namespaces or []),
            )
            self.access_policies[(cluster, principal_arn, policy_arn)] = assoc
        return assoc

    # -- EKS pod identity -------------------------------------------------------------

    def create_pod_identity_association(
        self, cluster: str, namespace: str, service_account: str, role_arn: str
    ) -> PodIdentityAssociation:
        with self._lock:
            for existing in self.pod_identities.values():
                if (existing.cluster, existing.namespace, existing.service_account) == (
                    cluster,
                    namespace,
                    service_account,
                ):
                    raise AwsError(
                        "ResourceInUseException",
                        f"Association already exists for namespace {namespace} and service "
                        f"account {service_account}",
                    )
            assoc_id = f"a-{self._hex(17)}"
            assoc = PodIdentityAssociation(
                cluster=cluster,
                namespace=namespace,
                service_account=service_account,
                role_arn=role_arn,
                association_id=assoc_id,
                arn=self._eks_arn("podidentityassociation", f"{cluster}/{assoc_id}"),
            )
            self.pod_identities[assoc_id] = assoc
        return assoc

    # -- EC2 placement groups -----------------------------------------------------------

    def create_placement_group(
        self, name: str, strategy: str, partition_count: int | None, spread_level: str | None
    ) -> PlacementGroup:
        if strategy not in PLACEMENT_STRATEGIES:
            raise AwsError(
                "InvalidParameterValue",
                f"Value ({strategy}) for parameter strategy is invalid. "
                f"Valid values: {', '.join(PLACEMENT_STRATEGIES)}",
            )
        if partition_count is not None and strategy != "partition":
            raise AwsError(
                "InvalidParameterCombination",
                "PartitionCount is only valid with the partition strategy.",
            )
        if (
            strategy == "partition"
            and partition_count is not None
            and not 1 <= partition_count <= 7
        ):
            raise AwsError("InvalidParameterValue", "PartitionCount must be between 1 and 7.")
        with self._lock:
            if name in self.placement_groups:
                raise AwsError(
                    "InvalidPlacementGroup.Duplicate",
                    f"The placement group '{name}' already exists.",
                )
            group_id = f"pg-{self._hex(17)}"
            group = PlacementGroup(
                name=name,
                strategy=strategy,
                group_id=group_id,
                arn=f"arn:{self.partition}:ec2:{self.region}:{self.account_id}:placement-group/{name}",
                partition_count=partition_count if strategy == "partition" else None,
                spread_level=spread_level if strategy == "spread" else None,
            )
            self.placement_groups[name] = group
        return group

    # -- FSx data repository associations (moto lacks them) ------------------------

    def create_data_repository_association(
        self,
        file_system_id: str,
        file_system_path: str,
        data_repository_path: str,
        import_events: list[str],
        export_events: list[str],
    ) -> DataRepositoryAssociation:
        """What FSx checks of the association itself; the handler checks the file system and
        the bucket exist (FSx API reference, CreateDataRepositoryAssociation)."""
        if not file_system_path.startswith("/"):
            raise AwsError("BadRequest", f"FileSystemPath {file_system_path!r} must start with /")
        if not data_repository_path.startswith("s3://"):
            raise AwsError(
                "BadRequest", f"DataRepositoryPath {data_repository_path!r} must be s3://..."
            )
        bad = sorted({*import_events, *export_events} - set(DRA_EVENTS))
        if bad:
            raise AwsError("BadRequest", f"Events {bad} are not among {list(DRA_EVENTS)}")
        with self._lock:
            same_fs = [
                a
                for a in self.data_repository_associations.values()
                if a.file_system_id == file_system_id
            ]
            if len(same_fs) >= MAX_DRAS_PER_FILE_SYSTEM:
                raise AwsError(
                    "ServiceLimitExceeded",
                    f"File system {file_system_id} has {MAX_DRAS_PER_FILE_SYSTEM} data "
                    "repository associations already",
                )
            if any(a.file_system_path == file_system_path for a in same_fs):
                raise AwsError(
                    "BadRequest",
                    f"FileSystemPath {file_system_path} is already linked on {file_system_id}",
                )
            association_id = f"dra-{self._hex(17)}"
            found = DataRepositoryAssociation(
                association_id=association_id,
                arn=f"arn:{self.partition}:fsx:{self.region}:{self.account_id}:association/"
                f"{file_system_id}/{association_id}",
                file_system_id=file_system_id,
                file_system_path=file_system_path,
                data_repository_path=data_repository_path,
                import_events=list(import_events),
                export_events=list(export_events),
            )
            self.data_repository_associations[association_id] = found
        return found
