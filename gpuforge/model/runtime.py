"""The in-cluster training runtime as plain data: pinned charts and the Kubernetes objects.

Pure functions of an `EnvironmentSpec` (no pulumi): the `TrainingRuntime` component
declares what they return, the policy rules and `gpuforge plan` read the same values,
and tests check them without a cluster. Pool facts (labels, taints, device counts) come
from `gpuforge.model.pools`; names shared with the job runner from `gpuforge.model.names`.

`CHARTS` is the one place where Helm chart versions are pinned, with where each
version was taken from. Nothing here fetches or renders a chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gpuforge.model import catalog, names, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

KUEUE_API = "kueue.x-k8s.io/v1beta2"
"""Kueue v0.20 serves only v1beta2 (v1beta1 is gone)."""

MANAGED_LABELS = {names.MANAGED_BY_LABEL: names.MANAGED_BY}

GPU_TELEMETRY_ADDON = "amazon-cloudwatch-observability"
"""EKS add-on that ships per-GPU metrics (DCGM) to CloudWatch Container Insights."""
GPU_TELEMETRY_NAMESPACE = "amazon-cloudwatch"
GPU_TELEMETRY_SERVICE_ACCOUNT = "cloudwatch-agent"
GPU_TELEMETRY_POLICY = "CloudWatchAgentServerPolicy"

PRIORITY_VALUES = {"high": 100000, "normal": 10000, "low": 1000}
"""PriorityClass value by level (`names.PRIORITY_CLASSES`); below system-* classes."""


@dataclass(frozen=True)
class Chart:
    """One Helm chart gpuforge installs, pinned."""

    release: str
    """Helm release name (also the chart's key in `CHARTS`)."""
    chart: str
    """Chart name in `repository`, or a full `oci://` reference."""
    version: str
    """Exact chart version (never a range)."""
    repository: str | None
    """HTTPS chart repository; None for an `oci://` chart."""
    namespace: str
    """Namespace the release installs into."""
    source: str
    """Where the version was read (chart index, release notes)."""


# The pinned charts. Versions as recorded in DESIGN.md ("versions seen in late 2026");
# re-check with `helm search repo <repo>/<chart> --versions` (or `helm show chart oci://...`)
# before changing one, and keep `cluster-autoscaler`'s minor in step with the EKS version.
CHARTS: dict[str, Chart] = {
    c.release: c
    for c in (
        Chart(
            release="nvidia-device-plugin",
            chart="nvidia-device-plugin",
            version="0.20.0",
            repository="https://nvidia.github.io/k8s-device-plugin",
            namespace="kube-system",
            source="https://github.com/NVIDIA/k8s-device-plugin/releases",
        ),
        Chart(
            release="aws-efa-k8s-device-plugin",
            chart="aws-efa-k8s-device-plugin",
            version="v0.5.21",
            repository="https://aws.github.io/eks-charts",
            namespace="kube-system",
            source="https://github.com/aws/eks-charts/tree/master/stable/aws-efa-k8s-device-plugin",
        ),
        Chart(
            release="kueue",
            chart="oci://registry.k8s.io/kueue/charts/kueue",
            version="0.20.0",
            repository=None,
            namespace="kueue-system",
            source="https://github.com/kubernetes-sigs/kueue/releases",
        ),
        Chart(
            release="cluster-autoscaler",
            chart="cluster-autoscaler",
            version="9.59.0",
            repository="https://kubernetes.github.io/autoscaler",
            namespace=names.CLUSTER_AUTOSCALER_NAMESPACE,
            source="https://github.com/kubernetes/autoscaler/releases (chart 9.59.x = app 1.35)",
        ),
    )
}

CLUSTER_AUTOSCALER_IMAGES = {
    "1.33": "v1.33.0",
    "1.34": "v1.34.0",
    "1.35": "v1.35.0",
}
"""cluster-autoscaler image tag by EKS minor: its minor must match the cluster's."""


def cluster_autoscaler_image(version: str) -> str:
    """The cluster-autoscaler tag for an EKS version; the newest known for a newer one."""
    if version in CLUSTER_AUTOSCALER_IMAGES:
        return CLUSTER_AUTOSCALER_IMAGES[version]
    newest = max(CLUSTER_AUTOSCALER_IMAGES, key=lambda v: catalog.k8s_minor(v) or (0, 0))
    minor = catalog.k8s_minor(version) or (0, 0)
    if minor > (catalog.k8s_minor(newest) or (0, 0)):
        return CLUSTER_AUTOSCALER_IMAGES[newest]
    return f"v{version}.0"


# -- which pools need what ---------------------------------------------------------------


def nvidia_pools(spec: EnvironmentSpec) -> list[GpuPoolSpec]:
    return [p for p in spec.gpu_pools if pools.accelerator_resource(p) == pools.NVIDIA_GPU]


def efa_pools(spec: EnvironmentSpec) -> list[GpuPoolSpec]:
    return [p for p in spec.gpu_pools if p.efa]


def charts_for(spec: EnvironmentSpec) -> list[Chart]:
    """The charts this environment installs, in install order."""
    wanted = []
    if nvidia_pools(spec):
        wanted.append(CHARTS["nvidia-device-plugin"])
    if efa_pools(spec):
        wanted.append(CHARTS["aws-efa-k8s-device-plugin"])
    if spec.training.queueing == "kueue":
        wanted.append(CHARTS["kueue"])
    if autoscaler_wanted(spec):
        wanted.append(CHARTS["cluster-autoscaler"])
    return wanted


# -- the training namespace -----------------------------------------------------------------


def namespace_labels() -> dict[str, str]:
    """Labels of the training namespace: Pod Security `baseline` enforced, `restricted` warned."""
    return {
        **MANAGED_LABELS,
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def gpu_quota(spec: EnvironmentSpec) -> int:
    """GPUs the training namespace may request at once: `training.max_gpus`, else every GPU
    the NVIDIA pools can hold at their max size."""
    if spec.training.max_gpus is not None:
        return spec.training.max_gpus
    return sum(p.max * pools.node_shape(p).accelerators for p in nvidia_pools(spec))


def resource_quota(spec: EnvironmentSpec) -> dict[str, str]:
    """`spec.hard` of the training namespace's ResourceQuota."""
    return {f"requests.{pools.NVIDIA_GPU}": str(gpu_quota(spec))}


def limit_range(spec: EnvironmentSpec) -> list[dict[str, Any]]:
    """`spec.limits` of the LimitRange: default CPU/memory requests, and no container asking
    for more GPUs than the largest node has (such a pod could never schedule)."""
    limit: dict[str, Any] = {
        "type": "Container",
        "defaultRequest": {"cpu": "500m", "memory": "1Gi"},
    }
    most = max((pools.node_shape(p).accelerators for p in nvidia_pools(spec)), default=0)
    if most:
        limit["max"] = {pools.NVIDIA_GPU: str(most)}
    return [limit]


def priority_classes() -> list[dict[str, Any]]:
    """name, value, description and globalDefault of each PriorityClass."""
    return [
        {
            "name": names.PRIORITY_CLASSES[level],
            "value": PRIORITY_VALUES[level],
            "globalDefault": False,
            "preemptionPolicy": "Never" if level == "low" else "PreemptLowerPriority",
            "description": f"gpuforge training jobs, {level} priority",
        }
        for level in names.PRIORITIES
    ]


# -- device plugins -------------------------------------------------------------------------


def _tolerations(pool_list: list[GpuPoolSpec]) -> list[dict[str, str]]:
    """One `Exists` toleration per taint key/effect the pools carry (their GPU taint first)."""
    seen: list[tuple[str, str]] = []
    for pool in pool_list:
        for taint in pools.node_taints(pool):
            pair = (taint["key"], taint["effect"])
            if pair not in seen:
                seen.append(pair)
    return [{"key": k, "operator": "Exists", "effect": e} for k, e in seen]


def _pool_affinity(pool_list: list[GpuPoolSpec]) -> dict[str, Any]:
    term = {
        "matchExpressions": [
            {"key": names.POOL_KEY, "operator": "In", "values": [p.name for p in pool_list]}
        ]
    }
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [term]
    }}}  # fmt: skip


def nvidia_plugin_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """NVIDIA device plugin: on the NVIDIA GPU pools' nodes only, tolerating their taints."""
    selected = nvidia_pools(spec)
    return {
        "affinity": _pool_affinity(selected),
        "tolerations": _tolerations(selected),
        "gfd": {"enabled": False},
        "nfd": {"enabled": False},
    }


def efa_plugin_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """EFA device plugin: on the EFA pools' nodes only, tolerating their taints."""
    selected = efa_pools(spec)
    return {"affinity": _pool_affinity(selected), "tolerations": _tolerations(selected)}


def kueue_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """Kueue's controller on the system nodes; it only manages jobs that name a queue."""
    return {
        "controllerManager": {
            "manager": {"priorityClassName": "system-cluster-critical"},
            "nodeSelector": {names.NODE_ROLE_KEY: names.SYSTEM_NODE_ROLE},
        },
        "managerConfig": {"manageJobsWithoutQueueName": False},
    }


def chart_values(
    spec: EnvironmentSpec, chart: Chart, groups: dict[str, str] | None = None
) -> dict[str, Any]:
    """The values gpuforge gives `chart` for this environment (`groups`: each GPU pool's
    Auto Scaling group name, which the cluster-autoscaler's values name)."""
    if chart.release == "cluster-autoscaler":
        return cluster_autoscaler_values(spec, groups or {})
    builders = {
        "nvidia-device-plugin": nvidia_plugin_values,
        "aws-efa-k8s-device-plugin": efa_plugin_values,
        "kueue": kueue_values,
    }
    return builders[chart.release](spec)


# -- Kueue -------------------------------------------------------------------------------------


def covered_resources(spec: EnvironmentSpec) -> list[str]:
    """What the ClusterQueue accounts for: CPU, memory, the accelerators, EFA if any pool has it.

    A pod requesting a resource no flavor covers is never admitted, so every device a
    job on some pool requests must be listed here.
    """
    accelerators = sorted({pools.accelerator_resource(p) for p in spec.gpu_pools})
    extra = [pools.EFA] if efa_pools(spec) else []
    return ["cpu", "memory", *accelerators, *extra]


def resource_flavor(pool: GpuPoolSpec) -> dict[str, Any]:
    """`metadata.name` and `spec` of the pool's ResourceFlavor: its node labels and taints."""
    taints = pools.node_taints(pool)
    return {
        "name": names.resource_flavor(pool.name),
        "spec": {
            "nodeLabels": pools.node_labels(pool),
            "nodeTaints": taints,
            "tolerations": [
                {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}
                for t in taints
            ],
        },
    }


def flavor_quota(pool: GpuPoolSpec, covered: list[str]) -> dict[str, Any]:
    """The pool's flavor in the ClusterQueue: max nodes x what one node offers."""
    shape = pools.node_shape(pool)
    per_node = {
        "cpu": shape.vcpus,
        shape.accelerator_resource: shape.accelerators,
        pools.EFA: shape.efa_devices,
    }
    resources: list[dict[str, Any]] = []
    for name in covered:
        if name == "memory":
            quota: Any = f"{shape.memory_mib * pool.max}Mi"
        else:
            quota = per_node.get(name, 0) * pool.max
        resources.append({"name": name, "nominalQuota": quota})
    return {"name": names.resource_flavor(pool.name), "resources": resources}


def cluster_queue(spec: EnvironmentSpec) -> dict[str, Any]:
    """`metadata.name` and `spec` of the environment's ClusterQueue."""
    covered = covered_resources(spec)
    return {
        "name": names.cluster_queue(spec.environment),
        "spec": {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": spec.training.namespace}
            },
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [
                {
                    "coveredResources": covered,
                    "flavors": [flavor_quota(p, covered) for p in spec.gpu_pools],
                }
            ],
        },
    }


def local_queue(spec: EnvironmentSpec) -> dict[str, Any]:
    """`metadata` and `spec` of the LocalQueue jobs are submitted to."""
    return {
        "name": names.LOCAL_QUEUE,
        "namespace": spec.training.namespace,
        "spec": {"clusterQueue": names.cluster_queue(spec.environment)},
    }


# -- how Pulumi reaches the cluster ---------------------------------------------------------


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig for the Kubernetes provider: the cluster's endpoint and CA, and an exec
    credential (`aws eks get-token`) run by the provider each time, so no token is stored
    and nothing is written to disk."""
    cluster = {"server": endpoint, "certificate-authority-data": ca_data}
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
        "interactiveMode": "Never",
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "contexts": [
            {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
        ],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": credential}}],
    }


# -- cluster-autoscaler ---------------------------------------------------------------------

SCALE_DOWN_OPTION = names.node_template_tag("autoscaling-options", "scaledownunneededtime")
"""Per-group override of `--scale-down-unneeded-time` (cluster-autoscaler's AWS provider)."""

EXPANDER_TIERS = {"reserved": 30, "on-demand": 20, "spot": 10}
"""Priority-expander priority by how a pool's capacity is bought (higher is tried first)."""


def autoscaler_wanted(spec: EnvironmentSpec) -> bool:
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
    if not autoscaler_wanted(spec):
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


def cluster_autoscaler_values(spec: EnvironmentSpec, groups: dict[str, str]) -> dict[str, Any]:
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
        "image": {"tag": cluster_autoscaler_image(spec.cluster.version)},
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
