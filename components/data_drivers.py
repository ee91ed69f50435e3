"""The CSI drivers that mount `storage.filesystems` into pods, each as an EKS add-on.

- `aws-fsx-csi-driver` (FSx for Lustre) when a lustre file system exists. Its
  controller's service account `fsx-csi-controller-sa` (kube-system) gets its own role
  through Pod Identity, allowed only to describe this environment's file systems: the
  volumes are provisioned statically, so it creates nothing
  (kubernetes-sigs/aws-fsx-csi-driver@5b227125add708cd0b87c76abe1a4c074e71dfc5:
  charts/aws-fsx-csi-driver/values.yaml:91). Mounting itself is the node's Lustre
  client and needs no AWS credentials.
- `aws-mountpoint-s3-csi-driver` (Mountpoint for S3 CSI driver v2) when an s3-mount
  exists. Its node service account `s3-csi-driver-sa` (kube-system;
  awslabs/mountpoint-s3-csi-driver@57c6bedb46e2c1281883b80dad4d5d54b438b0de:
  charts/aws-mountpoint-s3-csi-driver/values.yaml:34) gets its own role, limited to the
  buckets the default team's volumes mount and to what training may do there (read-only
  or read-write, the same statements as the training role), the storage key only
  through S3. A team's volumes sign as the team's pods (pod-level credentials,
  `gpuforge.model.data_volumes`), so with `teams:` the driver gets no role at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import eks, iam

from gpuforge.components import _aws
from gpuforge.components.training_identity import training_statements
from gpuforge.model import aws_naming as rn
from gpuforge.model import data_volumes
from gpuforge.model import filesystems as fsf
from gpuforge.model.filesystem_spec import S3_MOUNT
from gpuforge.model.names import READ_WRITE
from gpuforge.model.spec import EnvironmentSpec

SYSTEM_NAMESPACE = "kube-system"
FSX_ADDON, FSX_SERVICE_ACCOUNT = "aws-fsx-csi-driver", "fsx-csi-controller-sa"
S3_ADDON, S3_SERVICE_ACCOUNT = "aws-mountpoint-s3-csi-driver", "s3-csi-driver-sa"


@dataclass
class DataDriversArgs:
    """Inputs of `DataDrivers`."""

    spec: EnvironmentSpec
    """The environment (`storage.filesystems`, buckets' training access, region)."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster (an output of the cluster resource, so the add-ons wait for it)."""
    bucket_arns: dict[str, pulumi.Input[str]]
    """Bucket ARN by logical name."""
    storage_key_arn: pulumi.Input[str]
    """The storage CMK the buckets are encrypted with."""
    filesystem_arns: dict[str, pulumi.Input[str]]
    """FSx file system ARN by name (the lustre ones)."""


class DataDrivers(pulumi.ComponentResource):
    """FSx CSI and Mountpoint for S3 CSI as EKS add-ons, each with its own Pod Identity role."""

    addons: dict[str, pulumi.Output[str]]
    """Add-on ARN by add-on name (only those the spec needs)."""

    def __init__(
        self, name: str, args: DataDriversArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:data:DataDrivers", name, None, opts)
        spec = args.spec
        self.addons = {}
        if args.filesystem_arns:
            # fsx:DescribeFileSystems takes no resource ARN (the Service Authorization
            # Reference lists no resource type for it; parliament's RESOURCE_MISMATCH), so
            # it is granted on "*", as the driver's own example policy does; it reads
            # metadata only.
            policy = _aws.policy_json(
                {
                    "Sid": "DescribeFileSystems",
                    "Effect": "Allow",
                    "Action": ["fsx:DescribeFileSystems"],
                    "Resource": "*",
                }
            )
            self._driver(name, args, FSX_ADDON, FSX_SERVICE_ACCOUNT, rn.FSX_CSI_ROLE, policy)
        if fsf.s3_mounts(spec):
            access = {b.name: b.training_access for b in spec.storage.buckets}
            # a team's volumes sign as the team's pods (`data_volumes.team_access`): the
            # driver reads only what the default team's volumes mount, with teams nothing
            buckets = sorted(
                {
                    fs.bucket
                    for fs, how in data_volumes.volumes(spec)
                    if fs.kind == S3_MOUNT and fs.bucket and not how.pod_credentials
                }
            )
            policy = None
            if buckets:
                read = [args.bucket_arns[b] for b in buckets if access[b] != READ_WRITE]
                write = [args.bucket_arns[b] for b in buckets if access[b] == READ_WRITE]
                policy = pulumi.Output.all(args.storage_key_arn, read, write).apply(
                    lambda v: _aws.policy_json(*training_statements(v[0], spec.region, v[1], v[2]))
                )
            self._driver(name, args, S3_ADDON, S3_SERVICE_ACCOUNT, rn.S3_CSI_ROLE, policy)
        self.register_outputs({"addons": self.addons})

    def _driver(
        self,
        name: str,
        args: DataDriversArgs,
        addon: str,
        service_account: str,
        suffix: str,
        policy: pulumi.Input[str] | None,
    ) -> None:
        """The add-on, and (unless `policy` is None: it needs no AWS access of its own) its
        service account's role through Pod Identity."""
        child = pulumi.ResourceOptions(parent=self)
        after: list[pulumi.Resource] = []
        if policy is not None:
            role = iam.Role(
                rn.child(name, suffix),
                description=f"{addon} of {args.spec.cluster_name} (EKS Pod Identity)",
                assume_role_policy=_aws.pod_identity_trust(
                    self, args.spec.cluster_name, SYSTEM_NAMESPACE, service_account
                ),
                opts=child,
            )
            iam.RolePolicy(rn.child(name, suffix), role=role.id, policy=policy, opts=child)
            after.append(
                eks.PodIdentityAssociation(
                    rn.child(name, suffix),
                    cluster_name=args.cluster_name,
                    namespace=SYSTEM_NAMESPACE,
                    service_account=service_account,
                    role_arn=role.arn,
                    opts=child,
                )
            )
        found = eks.Addon(
            f"{name}-{addon}",
            cluster_name=args.cluster_name,
            addon_name=addon,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.addons[addon] = found.arn
