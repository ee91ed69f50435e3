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

from gpuforge.model.names import (
    ACCELERATOR_LABEL,
    GPU_MODEL_LABEL,
    POOL_KEY,
    autoscaler_discovery_tags,
    node_template_tag,
)
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

NVIDIA_GPU = "nvidia.com/gpu"
NEURON = "aws.amazon.com/neuron"
EFA = "vpc.amazonaws.com/efa"
NVIDIA_PRESENT_LABEL = "nvidia.com/gpu.present"

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


EKS_AMI_ARCH = {"x86_64": "x86_64", "arm64": "ARM_64"}
"""EC2 architecture -> how EKS AMI type names spell it (`AL2023_ARM_64_NVIDIA`)."""


AL2023_AMI_TYPES = "AL2023_"
"""How every EKS AL2023 AMI type name starts (the images nodeadm bootstraps)."""
AL2_AMI_TYPES = "AL2_"
"""How every EKS Amazon Linux 2 AMI type name starts."""


def eks_ami_type(arch: str, variant: str) -> str:
    """The EKS AL2023 AMI type `AL2023_<arch>_<variant>` (`STANDARD`, `NVIDIA`, `NEURON`).

    Any architecture other than `arm64` gets the x86_64 image, as EKS offers no other.
    """
    return f"{AL2023_AMI_TYPES}{EKS_AMI_ARCH.get(arch, 'x86_64')}_{variant}"


def ami_type(pool: GpuPoolSpec) -> str:
    """The EKS AL2023 accelerated AMI type for the pool's instance type."""
    if is_neuron(pool):
        return eks_ami_type("x86_64", "NEURON")
    return eks_ami_type(pool.instance.arch, "NVIDIA")


def gpu_model_label(pool: GpuPoolSpec) -> str:
    """The accelerator model as a label value (H100, A10G, ...)."""
    accel = pool.instance.accelerator
    model = re.sub(r"[^A-Za-z0-9_.-]", "-", accel.model if accel else "none").strip("-_.")
    return model or "unknown"


def autoscaler_gpu_type(pool: GpuPoolSpec) -> str:
    """The GPU type as the cluster-autoscaler's AWS README spells it: `<maker>-<model>`,
    lower case (`nvidia-h100`, `nvidia-a10g`; the README's own example is `nvidia-tesla-k80`)."""
    accel = pool.instance.accelerator
    text = f"{accel.manufacturer}-{accel.model}" if accel else "none"
    return re.sub(r"[^a-z0-9_.-]", "-", text.lower()).strip("-_.") or "unknown"


def builtin_labels(pool: GpuPoolSpec) -> dict[str, str]:
    """The labels gpuforge itself puts on the pool's nodes.

    NVIDIA nodes also get `ACCELERATOR_LABEL` (names.py says where upstream reads it), in
    the node group's labels and so in the node-template tags. Neuron nodes do not: the
    autoscaler would take them for GPU nodes and wait for an `nvidia.com/gpu` that never
    comes (kubernetes/autoscaler@5a0b98e4:cluster-autoscaler/utils/gpu/gpu.go:174).
    """
    labels = {POOL_KEY: pool.name, GPU_MODEL_LABEL: gpu_model_label(pool)}
    if not is_neuron(pool):
        labels[NVIDIA_PRESENT_LABEL] = "true"
        labels[ACCELERATOR_LABEL] = autoscaler_gpu_type(pool)
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
    tags = autoscaler_discovery_tags(cluster_name)
    for key, value in node_labels(pool).items():
        tags[node_template_tag("label", key)] = value
    for taint in node_taints(pool):
        tags[node_template_tag("taint", taint["key"])] = f"{taint['value']}:{taint['effect']}"
    tags[node_template_tag("resources", shape.accelerator_resource)] = str(shape.accelerators)
    if shape.efa_devices:
        tags[node_template_tag("resources", EFA)] = str(shape.efa_devices)
    tags[node_template_tag("resources", "ephemeral-storage")] = f"{pool.disk_gib}Gi"
    return tags


def go_duration(minutes: int) -> str:
    """Whole minutes as Go's `time.Duration` prints them (`10m0s`): the form of the
    cluster-autoscaler's `--scale-down-unneeded-time` and of its per-group
    `autoscaling-options/scaledownunneededtime` node-template tag."""
    return f"{minutes}m0s"


# -- EFA transport ---------------------------------------------------------------

EFA_RDMA_READ_FAMILIES = frozenset(
    {"p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6e-gb200", "trn1", "trn1n", "trn2"}
)
"""Instance families whose EFA devices support RDMA read (GPUDirect RDMA), per the
"Supported instance types" list of the EFA user guide
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html). EC2's
DescribeInstanceTypes does not report it, so it is listed here, once."""


EFA_INTERFACE = "efa"
"""EC2 `InterfaceType` of an ENI with an EFA device and an IP address (the primary one)."""
EFA_ONLY_INTERFACE = "efa-only"
"""EC2 `InterfaceType` of an EFA device without an IP address: the other network cards."""


def efa_rdma(pool: GpuPoolSpec) -> bool:
    """Whether the pool's EFA devices do RDMA read (set FI_EFA_USE_DEVICE_RDMA=1)."""
    return pool.efa and pool.instance_type.split(".")[0] in EFA_RDMA_READ_FAMILIES


def reserved_capacity(pool: GpuPoolSpec) -> bool:
    """Whether the pool runs on capacity AWS set aside for it: a capacity block, or an
    on-demand capacity reservation the launch template targets."""
    return pool.capacity == "capacity-block" or pool.capacity_reservation_id is not None


def wants_placement_group(pool: GpuPoolSpec) -> bool:
    """Whether the pool's launch template gets a cluster placement group: EFA pools, but
    not on reserved capacity. The instances of a capacity block are already placed close
    together, and a placement group on top of a reservation constrains EC2 beyond the
    capacity it holds: eksctl#7949 (a 16-instance reservation delivered 11 nodes) and
    terraform-aws-eks#3730 (InsufficientInstanceCapacity). docs/runtime.md, "Reserved
    capacity", has the sources."""
    return pool.efa and not reserved_capacity(pool)


def transport(pool: GpuPoolSpec) -> str:
    """`efa` when the pool's nodes attach EFA devices, else `tcp`."""
    return "efa" if pool.efa else "tcp"


# The node's reserve (kube-reserved, eviction, DaemonSets) lives in node_reserve.py.


def nvidia_pools(spec: EnvironmentSpec) -> list[GpuPoolSpec]:
    """The pools whose nodes have NVIDIA GPUs (they get the NVIDIA device plugin)."""
    return [p for p in spec.gpu_pools if accelerator_resource(p) == NVIDIA_GPU]


def efa_pools(spec: EnvironmentSpec) -> list[GpuPoolSpec]:
    """The pools whose nodes have EFA interfaces (they get the EFA device plugin)."""
    return [p for p in spec.gpu_pools if p.efa]
