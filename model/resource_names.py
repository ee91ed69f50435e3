"""The names gpuforge's components give the AWS resources whose names have limits.

`validate` checks these against `aws_limits` before `pulumi up` can meet the limit.
The components build the same names from their component name (`Platform` is
named `names.cluster_name(env)`, a pool's `GpuNodePool` `<platform>-<pool>`);
`tests/test_resource_names.py` builds the platform under mocks and checks that every
name here is one the components really use, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model import aws_limits, names


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
        NamedResource(role, f"{base}-cluster", True, aws_limits.IAM_ROLE_NAME_MAX),
        NamedResource(role, f"{base}-node", True, aws_limits.IAM_ROLE_NAME_MAX),
        NamedResource(role, f"{base}-training", True, aws_limits.IAM_ROLE_NAME_MAX),
        NamedResource(role, f"{base}-flow-logs", True, aws_limits.IAM_ROLE_NAME_MAX),
        NamedResource(role, f"{base}-cluster-autoscaler", True, aws_limits.IAM_ROLE_NAME_MAX),
        NamedResource(role, f"{base}-cloudwatch-agent", True, aws_limits.IAM_ROLE_NAME_MAX),
        NamedResource("EKS node group name", f"{base}-system", True,
                      aws_limits.NODE_GROUP_NAME_MAX),
        NamedResource("launch template name", f"{base}-system", False,
                      aws_limits.LAUNCH_TEMPLATE_NAME_MAX),
    ]  # fmt: skip


def pool_resources(environment: str, pool: str) -> list[NamedResource]:
    """The limited names of one GPU pool's resources (node group, launch template)."""
    base = pool_component_name(environment, pool)
    return [
        NamedResource("EKS node group name", f"{base}-ng", True, aws_limits.NODE_GROUP_NAME_MAX),
        NamedResource("launch template name", f"{base}-lt", False,
                      aws_limits.LAUNCH_TEMPLATE_NAME_MAX),
    ]  # fmt: skip


MOST_OWN_TAGS = 3
"""Most tags a resource outside the GPU pools carries beside the provider's default tags
(a subnet: `Name`, its ELB role tag and `kubernetes.io/cluster/<name>`). GPU node groups
carry many more and are counted exactly (`checks.pools.node_group_tags`);
`tests/test_resource_names.py` checks this bound against a build."""
