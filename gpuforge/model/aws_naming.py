"""The names gpuforge's components give the AWS resources whose names have limits.

`validate` checks these against `aws_limits` before `pulumi up` can meet the limit.
The components name these resources with `child(<component name>, <suffix>)` and the
suffixes below (`Platform` is named `names.cluster_name(env)`, a pool's `GpuNodePool`
`<platform>-<pool>`), so the names validate checks are the names they send;
`tests/test_aws_naming.py` builds the platform under mocks and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model import aws_limits, names

# Suffixes of the limited names, after the component's own name.
CLUSTER_ROLE = "cluster"
NODE_ROLE = "node"
TRAINING_ROLE = "training"
FLOW_LOGS_ROLE = "flow-logs"
AUTOSCALER_ROLE = "cluster-autoscaler"
TELEMETRY_ROLE = "cloudwatch-agent"
FSX_CSI_ROLE = "fsx-csi"
S3_CSI_ROLE = "s3-csi"
"""The CSI drivers' Pod Identity roles (`components.data_drivers`): shorter than
`TELEMETRY_ROLE`, so they fit wherever the environment's other roles fit."""
CNI_ROLE = "vpc-cni"
"""The VPC CNI's own role (the `aws-node` service account, through Pod Identity)."""
SYSTEM_POOL = "system"
"""The system node group and its launch template."""
POOL_NODE_GROUP = "ng"
POOL_LAUNCH_TEMPLATE = "lt"


def child(component: str, suffix: str) -> str:
    """The logical name of a component's child resource."""
    return f"{component}-{suffix}"


@dataclass(frozen=True)
class NamedResource:
    """One resource name that AWS limits, as gpuforge will send it."""

    kind: str
    """What AWS calls it: "EKS node group name", "IAM role name", ..."""
    logical: str
    """The Pulumi logical name (the component's child name)."""
    auto_named: bool
    """True when Pulumi derives the physical name (adds '-' + 7 hex characters)."""
    limit: int

    @property
    def length(self) -> int:
        """Length of the physical name AWS receives."""
        return aws_limits.auto_named_length(self.logical) if self.auto_named else len(self.logical)

    @property
    def shown(self) -> str:
        """The physical name as a reader would recognise it."""
        return f"{self.logical}-xxxxxxx" if self.auto_named else self.logical


def platform_name(environment: str) -> str:
    """Name of the `Platform` component (and prefix of every child's name)."""
    return names.cluster_name(environment)


def pool_component_name(environment: str, pool: str) -> str:
    """Name of a GPU pool's `GpuNodePool` component."""
    return f"{platform_name(environment)}-{pool}"


def environment_resources(environment: str) -> list[NamedResource]:
    """The limited names of the environment's shared resources (roles, system pool, cluster)."""
    base = platform_name(environment)
    role = "IAM role name"
    return [
        NamedResource("EKS cluster name", names.cluster_name(environment), False,
                      aws_limits.CLUSTER_NAME_MAX),
        *(NamedResource(role, child(base, suffix), True, aws_limits.IAM_ROLE_NAME_MAX)
          for suffix in (CLUSTER_ROLE, NODE_ROLE, TRAINING_ROLE, FLOW_LOGS_ROLE,
                         AUTOSCALER_ROLE, TELEMETRY_ROLE, CNI_ROLE)),
        NamedResource("EKS node group name", child(base, SYSTEM_POOL), True,
                      aws_limits.NODE_GROUP_NAME_MAX),
        NamedResource("launch template name", child(base, SYSTEM_POOL), False,
                      aws_limits.LAUNCH_TEMPLATE_NAME_MAX),
    ]  # fmt: skip


def pool_resources(environment: str, pool: str) -> list[NamedResource]:
    """The limited names of one GPU pool's resources (node group, launch template)."""
    base = pool_component_name(environment, pool)
    return [
        NamedResource("EKS node group name", child(base, POOL_NODE_GROUP), True,
                      aws_limits.NODE_GROUP_NAME_MAX),
        NamedResource("launch template name", child(base, POOL_LAUNCH_TEMPLATE), False,
                      aws_limits.LAUNCH_TEMPLATE_NAME_MAX),
    ]  # fmt: skip


MOST_OWN_TAGS = 3
"""Most tags a resource outside the GPU pools carries beside the provider's default tags
(a subnet: `Name`, its ELB role tag and `kubernetes.io/cluster/<name>`). GPU node groups
carry many more and are counted exactly (`checks.pools.node_group_tags`);
`tests/test_aws_naming.py` checks this bound against a build."""


def data_driver_resources(environment: str, lustre: bool, s3_mount: bool) -> list[NamedResource]:
    """The CSI drivers' role names, when the environment has such file systems."""
    base = platform_name(environment)
    suffixes = [FSX_CSI_ROLE] * lustre + [S3_CSI_ROLE] * s3_mount
    return [
        NamedResource("IAM role name", child(base, s), True, aws_limits.IAM_ROLE_NAME_MAX)
        for s in suffixes
    ]
