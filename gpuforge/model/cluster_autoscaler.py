"""cluster-autoscaler settings: its image by EKS minor, the tags on GPU pools' groups, the
priority expander's tiers, and its chart values.

Pure functions of an `EnvironmentSpec`; the chart itself is pinned in
`gpuforge.model.helm_charts`.
"""

from __future__ import annotations

import re
from typing import Any

from gpuforge.model import catalog, names, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

IMAGE_TAGS = {
    "1.33": "v1.33.0",
    "1.34": "v1.34.0",
    "1.35": "v1.35.0",
}
"""cluster-autoscaler image tag by EKS minor: its minor must match the cluster's."""


def image_tag(version: str) -> str:
    """The cluster-autoscaler tag for an EKS version; the newest known for a newer one."""
    if version in IMAGE_TAGS:
        return IMAGE_TAGS[version]
    newest = max(IMAGE_TAGS, key=lambda v: catalog.k8s_minor(v) or (0, 0))
    minor = catalog.k8s_minor(version) or (0, 0)
    if minor > (catalog.k8s_minor(newest) or (0, 0)):
        return IMAGE_TAGS[newest]
    return f"v{version}.0"


SCALE_DOWN_OPTION = names.node_template_tag("autoscaling-options", "scaledownunneededtime")
"""Per-group override of `--scale-down-unneeded-time` (cluster-autoscaler's AWS provider)."""

EXPANDER_TIERS = {"reserved": 30, "on-demand": 20, "spot": 10}
"""Priority-expander priority by how a pool's capacity is bought (higher is tried first)."""


def wanted(spec: EnvironmentSpec) -> bool:
    """cluster-autoscaler is installed when the spec enables it."""
    return spec.autoscaling.enabled


def capacity_tier(pool: GpuPoolSpec) -> str:
    """`reserved` (capacity block or a targeted reservation), `on-demand` or `spot`."""
    if pool.capacity == "capacity-block" or pool.capacity_reservation_id is not None:
        return "reserved"
    return pool.capacity


def scale_down_tags(spec: EnvironmentSpec) -> dict[str, str]:
    """Tags on every GPU pool's group: how long an unneeded GPU node lives (none without
    an autoscaler)."""
    if not wanted(spec):
        return {}
    return {SCALE_DOWN_OPTION: pools.go_duration(spec.autoscaling.gpu_scale_down_delay_minutes)}


def expander_priorities(spec: EnvironmentSpec, groups: dict[str, str]) -> str:
    """The priority expander's config (YAML text): each pool's Auto Scaling group, by exact
    name, under its capacity tier; every other group (the system pool) lowest."""
    lines = []
    for tier, priority in EXPANDER_TIERS.items():
        members = [p.name for p in spec.gpu_pools if capacity_tier(p) == tier and p.name in groups]
        if members:
            lines.append(f"{priority}:")
            lines += [f"  - ^{_literal(groups[name])}$" for name in members]
    lines += ["1:", "  - .*"]
    return "\n".join(lines) + "\n"


def chart_values(spec: EnvironmentSpec, groups: dict[str, str]) -> dict[str, Any]:
    """Values of the cluster-autoscaler chart: auto-discovery of this cluster's groups, the
    image whose minor matches the EKS version, the spec's expander and scale-down delay,
    on the system nodes, as the service account the Pod Identity association binds."""
    settings = spec.autoscaling
    extra: dict[str, Any] = {
        "expander": settings.expander,
        "balance-similar-node-groups": settings.balance_similar_node_groups,
        "scale-down-unneeded-time": pools.go_duration(settings.gpu_scale_down_delay_minutes),
        "skip-nodes-with-local-storage": False,
    }
    values: dict[str, Any] = {
        "cloudProvider": "aws",
        "awsRegion": spec.region,
        "autoDiscovery": {
            "clusterName": spec.cluster_name,
            "tags": list(names.autoscaler_discovery_tags(spec.cluster_name)),
        },
        "image": {"tag": image_tag(spec.cluster.version)},
        "rbac": {
            "serviceAccount": {"create": True, "name": names.CLUSTER_AUTOSCALER_SERVICE_ACCOUNT}
        },
        "nodeSelector": {names.NODE_ROLE_KEY: names.SYSTEM_NODE_ROLE},
        "priorityClassName": "system-cluster-critical",
        "extraArgs": extra,
    }
    if settings.expander == "priority":
        values["expanderPriorities"] = expander_priorities(spec, groups)
    return values


def _literal(name: str) -> str:
    """A regex matching exactly `name` (group names are letters, digits, '-' and '_')."""
    return re.escape(name).replace("\\-", "-")
