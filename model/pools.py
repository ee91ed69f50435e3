"""What a GPU pool's nodes look like to Kubernetes and to the cluster autoscaler.

Pure functions of a `GpuPoolSpec`: the node labels and taints, the devices each
node offers (`nvidia.com/gpu`, `aws.amazon.com/neuron`, `vpc.amazonaws.com/efa`),
the EKS AMI type, and the Auto Scaling group tags that let the cluster
autoscaler scale the pool up from zero. The node-pool component declares them;
the job runner selects, tolerates and requests them; the policy rules check them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpuforge.model.names import GPU_MODEL_LABEL, POOL_LABEL
from gpuforge.model.spec import GpuPoolSpec

NVIDIA_GPU = "nvidia.com/gpu"
NEURON = "aws.amazon.com/neuron"
EFA = "vpc.amazonaws.com/efa"
NVIDIA_PRESENT_LABEL = "nvidia.com/gpu.present"
AUTOSCALER = "k8s.io/cluster-autoscaler"

EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
"""Kubernetes taint effect -> the EKS API's spelling."""

EKS_CAPACITY_TYPES = {"on-demand": "ON_DEMAND", "spot": "SPOT", "capacity-block": "CAPACITY_BLOCK"}


@dataclass(frozen=True)
class NodeShape:
    """What one node of a pool offers pods."""

    accelerator_resource: str
    """Extended resource name of the accelerator: nvidia.com/gpu or aws.amazon.com/neuron."""
    accelerators: int
    """Accelerator devices per node."""
    efa_devices: int
    """EFA devices per node (one per network card on an EFA pool, else 0)."""
    vcpus: int
    memory_mib: int


def is_neuron(pool: GpuPoolSpec) -> bool:
    accel = pool.instance.accelerator
    return accel is not None and accel.kind == "neuron"


def accelerator_resource(pool: GpuPoolSpec) -> str:
    """The Kubernetes extended resource the pool's device plugin advertises."""
    return NEURON if is_neuron(pool) else NVIDIA_GPU


def node_shape(pool: GpuPoolSpec) -> NodeShape:
    instance = pool.instance
    return NodeShape(
        accelerator_resource=accelerator_resource(pool),
        accelerators=instance.gpus,
        efa_devices=instance.network_cards if pool.efa else 0,
        vcpus=instance.vcpus,
        memory_mib=instance.memory_mib,
    )


def ami_type(pool: GpuPoolSpec) -> str:
    """The EKS AL2023 accelerated AMI type for the pool's instance type."""
    if is_neuron(pool):
        return "AL2023_x86_64_NEURON"
    return "AL2023_ARM_64_NVIDIA" if pool.instance.arch == "arm64" else "AL2023_x86_64_NVIDIA"


def gpu_model_label(pool: GpuPoolSpec) -> str:
    """The accelerator model as a label value (H100, A10G, ...)."""
    accel = pool.instance.accelerator
    model = re.sub(r"[^A-Za-z0-9_.-]", "-", accel.model if accel else "none").strip("-_.")
    return model or "unknown"


def builtin_labels(pool: GpuPoolSpec) -> dict[str, str]:
    """The labels gpuforge itself puts on the pool's nodes."""
    labels = {POOL_LABEL: pool.name, GPU_MODEL_LABEL: gpu_model_label(pool)}
    if not is_neuron(pool):
        labels[NVIDIA_PRESENT_LABEL] = "true"
    return labels


def node_labels(pool: GpuPoolSpec) -> dict[str, str]:
    """Kubernetes labels of the pool's nodes (gpuforge's own, then the spec's)."""
    return {**builtin_labels(pool), **pool.labels}


def builtin_taints(pool: GpuPoolSpec) -> list[dict[str, str]]:
    """The taint gpuforge puts on every accelerator node, so only jobs that ask land there."""
    return [{"key": accelerator_resource(pool), "value": "true", "effect": "NoSchedule"}]


def node_taints(pool: GpuPoolSpec) -> list[dict[str, str]]:
    """Taints of the pool's nodes, Kubernetes effect names (NoSchedule, ...)."""
    spec_taints = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints]
    return builtin_taints(pool) + spec_taints


def autoscaler_tags(pool: GpuPoolSpec, cluster_name: str) -> dict[str, str]:
    """Cluster-autoscaler discovery tags and the node-template tags for scale-from-zero.

    EKS does not copy a node group's labels and taints to its Auto Scaling group,
    so an autoscaler looking at a group of zero nodes cannot know that a pending
    GPU pod would fit; these tags tell it (eksctl#1571, terraform-aws-eks#2255).
    The node group carries them, and the GPU pool tags its Auto Scaling group with
    them (`aws.autoscaling.Tag`), which is where the autoscaler reads them. Ephemeral
    storage is the root volume (`disk_gib`), where the kubelet keeps pod scratch space.
    """
    shape = node_shape(pool)
    tags = {f"{AUTOSCALER}/enabled": "true", f"{AUTOSCALER}/{cluster_name}": "owned"}
    template = f"{AUTOSCALER}/node-template"
    for key, value in node_labels(pool).items():
        tags[f"{template}/label/{key}"] = value
    for taint in node_taints(pool):
        tags[f"{template}/taint/{taint['key']}"] = f"{taint['value']}:{taint['effect']}"
    tags[f"{template}/resources/{shape.accelerator_resource}"] = str(shape.accelerators)
    if shape.efa_devices:
        tags[f"{template}/resources/{EFA}"] = str(shape.efa_devices)
    tags[f"{template}/resources/ephemeral-storage"] = f"{pool.disk_gib}Gi"
    return tags
