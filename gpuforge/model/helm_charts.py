"""The Helm charts gpuforge installs in a cluster, pinned, and the values it gives each.

`CHARTS` is the one place where chart versions are pinned, with where each version was
read; docs/runtime.md's chart table is generated from it (`scripts/gen_runtime_docs.py`).
Re-check a version with `helm search repo <repo>/<chart> --versions` (or `helm show chart
oci://...`) before changing it, and keep `cluster-autoscaler`'s minor in step with the EKS
version. Pure functions of an `EnvironmentSpec`: nothing here fetches or renders a chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpuforge.model import cluster_autoscaler, kueue, names, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec


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
            release="jobset",
            chart="oci://registry.k8s.io/jobset/charts/jobset",
            version="0.12.0",
            repository=None,
            namespace="jobset-system",
            source="https://github.com/kubernetes-sigs/jobset/releases/tag/v0.12.0 "
            "(f22e565; kubeflow-trainer 2.3.0 pins the same)",
        ),
        Chart(
            release="kubeflow-trainer",
            chart="oci://ghcr.io/kubeflow/charts/kubeflow-trainer",
            version="2.3.0",
            repository=None,
            namespace="kubeflow-system",
            source="https://github.com/kubeflow/trainer/releases/tag/v2.3.0 (658725b)",
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


def charts_for(spec: EnvironmentSpec) -> list[Chart]:
    """The charts this environment installs, in install order."""
    wanted = []
    if pools.nvidia_pools(spec):
        wanted.append(CHARTS["nvidia-device-plugin"])
    if pools.efa_pools(spec):
        wanted.append(CHARTS["aws-efa-k8s-device-plugin"])
    if spec.training.queueing == "kueue":
        wanted.append(CHARTS["kueue"])
    offered = backends_installed(spec)
    if "jobset" in offered or "trainjob" in offered:
        wanted.append(CHARTS["jobset"])
    if "trainjob" in offered:
        wanted.append(CHARTS["kubeflow-trainer"])
    if cluster_autoscaler.wanted(spec):
        wanted.append(CHARTS["cluster-autoscaler"])
    return wanted


def backends_installed(spec: EnvironmentSpec) -> list[str]:
    """The job backends whose controllers the runtime installs: those the environment
    offers (`training.backends`). JobSet comes with either `jobset` or `trainjob`
    (Trainer runs every TrainJob as a JobSet)."""
    return list(spec.training.backends)


def jobset_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """JobSet's controller on the system nodes (`controller.nodeSelector`,
    charts/jobset/values.yaml:70 at v0.12.0)."""
    return {"controller": {"nodeSelector": {names.NODE_ROLE_KEY: names.SYSTEM_NODE_ROLE}}}


def trainer_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """Kubeflow Trainer without its bundled JobSet (gpuforge installs JobSet itself, pinned
    once: `jobset.install`, values.yaml:34) and with the `torch-distributed`
    ClusterTrainingRuntime the trainjob backend references, which the chart ships
    disabled (`runtimes.torchDistributed.enabled`, values.yaml:227; kubeflow/trainer@658725b);
    the manager on the system nodes (`manager.nodeSelector`, values.yaml:79)."""
    return {
        "jobset": {"install": False},
        "runtimes": {"torchDistributed": {"enabled": True}},
        "manager": {"nodeSelector": {names.NODE_ROLE_KEY: names.SYSTEM_NODE_ROLE}},
    }


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
    selected = pools.nvidia_pools(spec)
    return {
        "affinity": _pool_affinity(selected),
        "tolerations": _tolerations(selected),
        "gfd": {"enabled": False},
        "nfd": {"enabled": False},
    }


def efa_plugin_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """EFA device plugin: on the EFA pools' nodes only, tolerating their taints.

    The chart has no `affinity` value: its DaemonSet writes the node affinity itself, one
    `In` term per key of `supportedInstanceLabels.keys` matching
    `supportedInstanceLabels.values` (aws/eks-charts@d5fd92a:stable/aws-efa-k8s-device-plugin/
    templates/daemonset.yaml:49-63, chart v0.5.21; default: every EFA instance type,
    values.yaml:10). Pointing it at the pool label keeps it to the EFA pools' nodes.
    """
    selected = pools.efa_pools(spec)
    return {
        "supportedInstanceLabels": {
            "keys": [names.POOL_KEY],
            "values": [p.name for p in selected],
        },
        "tolerations": _tolerations(selected),
    }


def chart_values(
    spec: EnvironmentSpec, chart: Chart, groups: dict[str, str] | None = None
) -> dict[str, Any]:
    """The values gpuforge gives `chart` for this environment (`groups`: each GPU pool's
    Auto Scaling group name, which the cluster-autoscaler's values name)."""
    if chart.release == "cluster-autoscaler":
        return cluster_autoscaler.chart_values(spec, groups or {})
    builders = {
        "nvidia-device-plugin": nvidia_plugin_values,
        "aws-efa-k8s-device-plugin": efa_plugin_values,
        "kueue": kueue.controller_values,
        "jobset": jobset_values,
        "kubeflow-trainer": trainer_values,
    }
    return builders[chart.release](spec)
