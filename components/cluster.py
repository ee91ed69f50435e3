"""The EKS cluster: control plane, access, add-ons, system node group and the training role.

- Control plane: secrets envelope encryption with the secrets key, API endpoint
  private (public only with explicit CIDRs), every spec log type enabled into a
  pre-created, KMS-encrypted `/aws/eks/<cluster>/cluster` log group, access
  entries only (`authenticationMode: API`).
- Cluster role: the AmazonEKSClusterPolicy managed policy, plus one inline
  policy that lets it use the secrets key (EKS encrypts secrets as the cluster
  role; the managed policy grants no KMS access).
- Nodes: one node role (AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryReadOnly,
  AmazonEKS_CNI_Policy) shared by the system and GPU node groups. vpc-cni keeps
  the node role's CNI policy rather than a pod-identity role: the CNI must work
  before any pod (the pod identity agent included) can start, and this avoids
  that ordering trap at the cost of the CNI permissions on the node role; with
  IMDSv2 hop limit 1 pods cannot reach those credentials.
- Add-ons vpc-cni, kube-proxy and eks-pod-identity-agent come before the system
  node group; coredns after it (it needs nodes to become active).
- Training pods: a role trusted by `pods.eks.amazonaws.com`, allowed only object
  access to the named buckets and Decrypt/GenerateDataKey on the storage key,
  bound to service account `training` in the training namespace by a
  PodIdentityAssociation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_aws import cloudwatch, ec2, eks, iam

from gpuforge.components import _aws
from gpuforge.model.names import (
    CONTROL_PLANE_LOG_TYPES,
    NODE_ROLE_LABEL,
    NODE_ROLE_TAG,
    SYSTEM_NODE_ROLE,
    TRAINING_SERVICE_ACCOUNT,
)

CORE_ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
CORE_ADDONS_AFTER_NODES = ("coredns",)
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
)


@dataclass
class ClusterArgs:
    """Inputs of `Cluster`."""

    cluster_name: str
    """EKS cluster name (`spec.cluster_name`); also names the control-plane log group."""

    version: str
    """Kubernetes version, e.g. `1.34`."""

    private_subnet_ids: list[pulumi.Input[str]]
    """Private subnets for the control-plane ENIs and the system node group."""

    secrets_key_arn: pulumi.Input[str]
    """KMS key for secrets envelope encryption (`Encryption.secrets_key_arn`)."""

    logs_key_arn: pulumi.Input[str]
    """KMS key for the control-plane log group (`Encryption.logs_key_arn`)."""

    storage_key_arn: pulumi.Input[str]
    """KMS key of the buckets; the training role may Decrypt/GenerateDataKey with it."""

    bucket_arns: list[pulumi.Input[str]] = field(default_factory=list)
    """Buckets the training role may read and write (objects and ListBucket only)."""

    public_endpoint: bool = False
    """Expose the API server publicly. Off by default; needs `public_access_cidrs`."""

    public_access_cidrs: list[str] = field(default_factory=list)
    """CIDRs allowed to reach a public endpoint; ignored while `public_endpoint` is off."""

    log_types: list[str] = field(default_factory=lambda: list(CONTROL_PLANE_LOG_TYPES))
    """Control-plane log types to enable. Default: all five."""

    log_retention_days: int = 365
    """Retention of the control-plane log group in days."""

    admins: list[str] = field(default_factory=list)
    """IAM principal ARNs given AmazonEKSClusterAdminPolicy through access entries."""

    system_instance_type: str = "m7i.large"
    """Instance type of the system node group."""

    system_arch: str = "x86_64"
    """CPU architecture of `system_instance_type` (`x86_64` or `arm64`), picks the AMI type."""

    system_min: int = 2
    """Minimum (and initial) size of the system node group."""

    system_max: int = 4
    """Maximum size of the system node group."""

    system_disk_gib: int = 50
    """Root volume size of system nodes in GiB."""

    training_namespace: str = "training"
    """Namespace of the `training` service account bound to the training role."""

    node_tags: dict[str, str] = field(default_factory=dict)
    """Tags set explicitly on node groups, launch templates and what they launch."""


class Cluster(pulumi.ComponentResource):
    """An EKS cluster with a system node group, core add-ons and a training pod role."""

    cluster_name: pulumi.Output[str]
    """Name of the EKS cluster."""
    endpoint: pulumi.Output[str]
    """HTTPS endpoint of the Kubernetes API server."""
    certificate_authority: pulumi.Output[str]
    """Base64 PEM of the cluster CA."""
    oidc_issuer: pulumi.Output[str]
    """OIDC issuer URL of the cluster."""
    oidc_provider_arn: pulumi.Output[str]
    """ARN of the IAM OIDC provider for the issuer (for IRSA)."""
    cluster_security_group_id: pulumi.Output[str]
    """Security group EKS created for the control plane and nodes."""
    cluster_role_arn: pulumi.Output[str]
    """ARN of the cluster IAM role."""
    node_role_arn: pulumi.Output[str]
    """ARN of the node IAM role (system and GPU node groups)."""
    training_role_arn: pulumi.Output[str]
    """ARN of the role training pods assume through EKS Pod Identity."""
    system_node_group_name: pulumi.Output[str]
    """Name of the system node group."""
    ready: list[pulumi.Resource]
    """Resources node groups should wait for (the add-ons nodes need to join)."""

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        part = _aws.partition(self)

        # -- control plane ------------------------------------------------------
        cluster_role = iam.Role(
            f"{name}-cluster",
            description=f"EKS control plane of {args.cluster_name}",
            assume_role_policy=_aws.assume_role_policy(
                "eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")
            ),
            opts=child,
        )
        cluster_policy = iam.RolePolicyAttachment(
            f"{name}-cluster-AmazonEKSClusterPolicy",
            role=cluster_role.name,
            policy_arn=_aws.managed_policy_arn(part, "AmazonEKSClusterPolicy"),
            opts=child,
        )
        cluster_kms = iam.RolePolicy(
            f"{name}-cluster-secrets-key",
            role=cluster_role.id,
            policy=_aws.policy_output(
                lambda key: [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ListGrants",
                            "kms:DescribeKey",
                        ],
                        "Resource": key,
                    }
                ],
                args.secrets_key_arn,
            ),
            opts=child,
        )
        log_group = cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        cluster = eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": args.private_subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": args.public_endpoint,
                "public_access_cidrs": list(args.public_access_cidrs)
                if args.public_endpoint
                else None,
            },
            encryption_config={
                "provider": {"key_arn": args.secrets_key_arn},
                "resources": ["secrets"],
            },
            enabled_cluster_log_types=list(args.log_types),
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            # The core add-ons are managed below as EKS add-ons.
            bootstrap_self_managed_addons=False,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[cluster_policy, cluster_kms, log_group]
            ),
        )

        issuer = cluster.identities.apply(_issuer)
        oidc = iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child,
        )

        for i, principal in enumerate(args.admins):
            entry = eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                opts=child,
            )
            eks.AccessPolicyAssociation(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=pulumi.Output.concat(
                    "arn:", part, ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
                ),
                access_scope={"type": "cluster"},
                opts=child,
            )

        addons: dict[str, eks.Addon] = {}
        for addon in CORE_ADDONS_BEFORE_NODES:
            addons[addon] = self._addon(name, cluster, addon, [])

        # -- nodes --------------------------------------------------------------
        node_role = iam.Role(
            f"{name}-node",
            description=f"EC2 nodes of {args.cluster_name}",
            assume_role_policy=_aws.assume_role_policy("ec2.amazonaws.com"),
            opts=child,
        )
        node_policies = [
            iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=_aws.managed_policy_arn(part, policy),
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        # No gpuforge.dev/pool tag: that tag marks GPU node groups (docs/contracts.md).
        system_tags = {**args.node_tags, NODE_ROLE_TAG: SYSTEM_NODE_ROLE}
        system_lt = ec2.LaunchTemplate(
            f"{name}-system",
            name=f"{name}-system",  # explicit: node group and policy checks refer by name
            description=f"System nodes of {args.cluster_name}",
            metadata_options=_aws.node_metadata_options(),
            block_device_mappings=[_aws.node_root_volume(args.system_disk_gib)],
            tag_specifications=_aws.node_tag_specifications(system_tags),
            update_default_version=True,
            tags=system_tags,
            opts=child,
        )
        system = eks.NodeGroup(
            f"{name}-system",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=args.private_subnet_ids,
            ami_type="AL2023_ARM_64_STANDARD"
            if args.system_arch == "arm64"
            else "AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            instance_types=[args.system_instance_type],
            scaling_config={
                "min_size": args.system_min,
                "max_size": args.system_max,
                "desired_size": args.system_min,
            },
            update_config={"max_unavailable": 1},
            launch_template={"name": system_lt.name, "version": _aws.version_string(system_lt)},
            labels={NODE_ROLE_LABEL: SYSTEM_NODE_ROLE},
            tags=system_tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*node_policies, *addons.values()],
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )
        for addon in CORE_ADDONS_AFTER_NODES:
            addons[addon] = self._addon(name, cluster, addon, [system])

        # -- training pods ------------------------------------------------------
        training_role = iam.Role(
            f"{name}-training",
            description=f"Training pods of {args.cluster_name} (EKS Pod Identity)",
            assume_role_policy=_aws.assume_role_policy(
                "pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")
            ),
            opts=child,
        )
        iam.RolePolicy(
            f"{name}-training-data",
            role=training_role.id,
            policy=_aws.policy_output(
                _training_statements, args.storage_key_arn, *args.bucket_arns
            ),
            opts=child,
        )
        eks.PodIdentityAssociation(
            f"{name}-training",
            cluster_name=cluster.name,
            namespace=args.training_namespace,
            service_account=TRAINING_SERVICE_ACCOUNT,
            role_arn=training_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[addons["eks-pod-identity-agent"]]),
        )

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(
            lambda ca: getattr(ca, "data", None)
        )
        self.oidc_issuer = issuer
        self.oidc_provider_arn = oidc.arn
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vc: getattr(vc, "cluster_security_group_id", None)
        )
        self.cluster_role_arn = cluster_role.arn
        self.node_role_arn = node_role.arn
        self.training_role_arn = training_role.arn
        self.system_node_group_name = system.node_group_name
        self.ready = [addons[a] for a in CORE_ADDONS_BEFORE_NODES]
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_issuer": self.oidc_issuer,
                "oidc_provider_arn": self.oidc_provider_arn,
                "cluster_security_group_id": self.cluster_security_group_id,
                "cluster_role_arn": self.cluster_role_arn,
                "node_role_arn": self.node_role_arn,
                "training_role_arn": self.training_role_arn,
                "system_node_group_name": self.system_node_group_name,
            }
        )

    def _addon(
        self, name: str, cluster: eks.Cluster, addon: str, after: list[pulumi.Resource]
    ) -> eks.Addon:
        return eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )


def _issuer(identities: list | None) -> str | None:
    """`identities[0].oidcs[0].issuer` of an EKS cluster, or None before it exists."""
    for identity in identities or []:
        for oidc in getattr(identity, "oidcs", None) or []:
            if getattr(oidc, "issuer", None):
                return oidc.issuer
    return None


def _training_statements(key_arn: str, *bucket_arns: str) -> list[dict]:
    """Object access to the named buckets and use of their key; nothing else."""
    statements: list[dict] = []
    if bucket_arns:
        statements += [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": list(bucket_arns),
            },
            {
                "Sid": "ReadWriteObjects",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                "Resource": [f"{arn}/*" for arn in bucket_arns],
            },
        ]
    statements.append(
        {
            "Sid": "UseStorageKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        }
    )
    return statements
