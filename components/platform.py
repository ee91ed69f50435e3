"""The whole environment from one `EnvironmentSpec`: keys, buckets, network, cluster, GPU pools.

`Platform(name, PlatformArgs(spec=spec))` is everything the Pulumi program
(`gpuforge.program.build`, run by `__main__.py`) builds for the `all` and `aws` layers.
Every sub-component gets the platform's own name (their type tokens keep the
URNs apart), so that children are named `<platform>-<thing>`; the program names
the platform after the cluster, `gpuforge-<env>`.

Each sub-component takes the spec section it builds (`EncryptionSpec`, `StorageSpec`,
`NetworkSpec`, `ClusterSpec`, a `GpuPoolSpec`, the whole spec for the runtime), so
the defaults live only in `gpuforge.model.spec`; its other inputs are what other
components made (keys, subnets, roles) and facts derived from the spec.

Tags: the spec's tags and the gpuforge environment/managed-by tags reach every
taggable resource through the AWS provider's default tags (`aws:defaultTags` in
the rendered stack config). They are also set explicitly on node groups and
launch templates (and what the templates launch), which default tags miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from gpuforge.components.autoscaler import (
    ClusterAutoscalerIdentity,
    ClusterAutoscalerIdentityArgs,
)
from gpuforge.components.cluster import Cluster
from gpuforge.components.cluster_args import ClusterArgs
from gpuforge.components.data_drivers import DataDrivers, DataDriversArgs
from gpuforge.components.data_filesystems import DataFilesystems, DataFilesystemsArgs
from gpuforge.components.encryption import Encryption, EncryptionArgs
from gpuforge.components.gpu_pool import GpuNodePool, GpuNodePoolArgs
from gpuforge.components.network import Network, NetworkArgs
from gpuforge.components.runtime import TrainingRuntime, TrainingRuntimeArgs
from gpuforge.components.storage import ObjectStore, ObjectStoreArgs, planned_bucket_arns
from gpuforge.components.team_access import TeamAccess, TeamAccessArgs
from gpuforge.components.telemetry import GpuTelemetry, GpuTelemetryArgs
from gpuforge.model import catalog, cluster_autoscaler, grants, teams
from gpuforge.model.names import TRAINING_SERVICE_ACCOUNT
from gpuforge.model.resource_tags import default_tags
from gpuforge.model.spec import EnvironmentSpec


@dataclass
class PlatformArgs:
    """Inputs of `Platform`."""

    spec: EnvironmentSpec
    """The validated environment (`gpuforge.model.loader.load_env`, or in the Pulumi program
    `gpuforge.model.stack_config.spec_from_config`)."""

    runtime: bool = True
    """Declare the in-cluster `TrainingRuntime` too. False for the `aws` layer of a private
    cluster, whose runtime a second stack applies from inside the VPC (docs/runtime.md)."""


class Platform(pulumi.ComponentResource):
    """A GPU training platform: what `pulumi up` creates for one environment."""

    cluster_name: pulumi.Output[str]
    """EKS cluster name."""
    cluster_endpoint: pulumi.Output[str]
    """Kubernetes API server endpoint."""
    cluster_certificate_authority: pulumi.Output[str]
    """Base64 PEM of the cluster CA (for kubeconfig)."""
    oidc_issuer: pulumi.Output[str]
    """OIDC issuer URL of the cluster."""
    bucket_names: dict[str, pulumi.Output[str]]
    """Physical bucket name by logical name (`datasets`, `checkpoints`, ...)."""
    role_arns: dict[str, pulumi.Output[str]]
    """IAM role ARNs: `cluster`, `node`, `training` (pods through EKS Pod Identity); with
    `teams:`, `training-<team>` per team instead of `training`."""
    node_groups: dict[str, pulumi.Output[str]]
    """EKS node group name by GPU pool name (plus `system`)."""
    autoscaling_groups: dict[str, pulumi.Output[str]]
    """Auto Scaling group (made by EKS, tagged by gpuforge) by GPU pool name."""
    training_namespace: str
    """Kubernetes namespace for training jobs (without `teams:`; with them, each team's)."""
    team_namespaces: dict[str, str]
    """Namespace by team (`default` without `teams:`)."""
    training_service_account: str
    """Service account in `training_namespace` bound to the training role."""
    vpc_id: pulumi.Output[str]
    """ID of the VPC."""

    def __init__(
        self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:platform:Platform", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        tags = default_tags(spec)

        keys = Encryption(
            name,
            EncryptionArgs(
                environment=spec.environment, region=spec.region, encryption=spec.encryption
            ),
            opts=child,
        )
        network = Network(
            name,
            NetworkArgs(
                network=spec.network,
                subnets=spec.subnets,
                region=spec.region,
                cluster_name=spec.cluster_name,
                logs_key_arn=keys.logs_key_arn,
                s3_bucket_arns=list(
                    planned_bucket_arns(
                        self, spec.environment, spec.region, [b.name for b in spec.storage.buckets]
                    ).values()
                ),
            ),
            opts=child,
        )
        storage = ObjectStore(
            name,
            ObjectStoreArgs(
                environment=spec.environment,
                region=spec.region,
                storage=spec.storage,
                kms_key_arn=keys.storage_key_arn,
                protected=spec.protected,
                vpc_id=network.vpc_id if "s3" in spec.network.endpoints else None,
                admin_principals=spec.storage.admin_principals,
            ),
            opts=child,
        )
        cluster = Cluster(
            name,
            ClusterArgs(
                cluster_name=spec.cluster_name,
                region=spec.region,
                cluster=spec.cluster,
                bootstrap_creator_admin=grants.creator_admin(spec),
                system_arch=_instance_arch(spec.cluster.system_pool.instance_type),
                training_namespace=spec.training.namespace,
                private_subnet_ids=list(network.private_subnet_ids.values()),
                secrets_key_arn=keys.secrets_key_arn,
                logs_key_arn=keys.logs_key_arn,
                storage_key_arn=keys.storage_key_arn,
                volume_key_arn=keys.ebs_key_arn,
                read_bucket_arns=[storage.bucket_arns[b] for b in grants.read_only_buckets(spec)],
                write_bucket_arns=[storage.bucket_arns[b] for b in grants.writable_buckets(spec)],
                node_tags=tags,
                training_role=not spec.teams,
            ),
            opts=child,
        )
        pools = {
            pool.name: GpuNodePool(
                f"{name}-{pool.name}",
                GpuNodePoolArgs(
                    pool=pool,
                    cluster_name=spec.cluster_name,
                    node_role_arn=cluster.node_role_arn,
                    private_subnet_ids=network.private_subnet_ids,
                    volume_key_arn=keys.ebs_key_arn,
                    vpc_id=network.vpc_id,
                    cluster_security_group_id=cluster.cluster_security_group_id,
                    tags=tags,
                    autoscaling_options=cluster_autoscaler.scale_down_tags(spec),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=cluster.ready),
            )
            for pool in spec.gpu_pools
        }

        GpuTelemetry(
            name,
            GpuTelemetryArgs(
                cluster_name=cluster.cluster_name,
                log_group_cluster_name=spec.cluster_name,
                logs_key_arn=keys.logs_key_arn,
                log_retention_days=spec.cluster.log_retention_days,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
        )
        if cluster_autoscaler.wanted(spec):
            ClusterAutoscalerIdentity(
                name,
                ClusterAutoscalerIdentityArgs(
                    cluster_name=cluster.cluster_name,
                    cluster_tag_name=spec.cluster_name,
                    region=spec.region,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
            )
        team_access = None
        if spec.teams:  # the teams' roles replace the one `training` role
            team_access = TeamAccess(
                name,
                TeamAccessArgs(
                    spec=spec,
                    cluster_name=cluster.cluster_name,
                    storage_key_arn=keys.storage_key_arn,
                    bucket_arns=dict(storage.bucket_arns),
                    after=cluster.ready,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
            )
        data_volumes: dict = {}
        if spec.storage.filesystems:
            data = DataFilesystems(
                name,
                DataFilesystemsArgs(
                    spec=spec,
                    vpc_id=network.vpc_id,
                    private_subnet_ids=dict(network.private_subnet_ids),
                    node_security_group_id=cluster.cluster_security_group_id,
                    kms_key_arn=keys.storage_key_arn,
                    bucket_arns=dict(storage.bucket_arns),
                ),
                opts=child,
            )
            DataDrivers(
                name,
                DataDriversArgs(
                    spec=spec,
                    cluster_name=cluster.cluster_name,
                    bucket_arns=dict(storage.bucket_arns),
                    storage_key_arn=keys.storage_key_arn,
                    filesystem_arns=dict(data.arns),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=cluster.ready),
            )
            data_volumes = dict(data.volumes)
        self.runtime = None
        if args.runtime:
            self.runtime = TrainingRuntime(
                name,
                TrainingRuntimeArgs(
                    spec=spec,
                    cluster_name=cluster.cluster_name,
                    endpoint=cluster.endpoint,
                    certificate_authority=cluster.certificate_authority,
                    autoscaling_groups={
                        pool: p.autoscaling_group_name for pool, p in pools.items()
                    },
                    data_volumes=data_volumes,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, *pools.values()]),
            )

        self.cluster_name = cluster.cluster_name
        self.cluster_endpoint = cluster.endpoint
        self.cluster_certificate_authority = cluster.certificate_authority
        self.oidc_issuer = cluster.oidc_issuer
        self.bucket_names = dict(storage.bucket_names)
        self.role_arns = {
            "cluster": cluster.cluster_role_arn,
            "node": cluster.node_role_arn,
            "training": cluster.training_role_arn,
        }
        if team_access is not None:
            del self.role_arns["training"]
            self.role_arns.update({f"training-{t}": a for t, a in team_access.role_arns.items()})
        self.node_groups = {
            "system": cluster.system_node_group_name,
            **{pool: p.node_group_name for pool, p in pools.items()},
        }
        self.autoscaling_groups = {pool: p.autoscaling_group_name for pool, p in pools.items()}
        self.training_namespace = spec.training.namespace
        self.team_namespaces = {t.name: t.namespace for t in teams.teams(spec)}
        self._has_teams = teams.has_teams(spec)
        self.training_service_account = TRAINING_SERVICE_ACCOUNT
        self.vpc_id = network.vpc_id
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, object]:
        """The stack outputs the CLI reads, by export name. With `teams:` there is no
        training namespace: `teamNamespaces` names each team's."""
        found = {
            "clusterName": self.cluster_name,
            "clusterEndpoint": self.cluster_endpoint,
            "clusterCertificateAuthority": self.cluster_certificate_authority,
            "oidcIssuer": self.oidc_issuer,
            "bucketNames": self.bucket_names,
            "roleArns": self.role_arns,
            "nodeGroups": self.node_groups,
            "autoscalingGroups": self.autoscaling_groups,
            "trainingNamespace": self.training_namespace,
            "teamNamespaces": self.team_namespaces,
            "trainingServiceAccount": self.training_service_account,
            "vpcId": self.vpc_id,
        }
        if self._has_teams:
            del found["trainingNamespace"]
        return found


def _instance_arch(instance_type: str) -> str:
    found = catalog.instance_type(instance_type)
    return found.arch if found is not None else "x86_64"
