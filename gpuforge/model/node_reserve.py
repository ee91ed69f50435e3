"""What one GPU node really leaves for a training pod: the reserve model, with its sources.

One source for the job check (`gpuforge/jobs/fit.py`), `validate`, the dry run and the
emulated cluster's nodes (`gpuforge/emulator/k8s_scheduler.py`). Pure functions of a
`GpuPoolSpec`; nothing here imports pulumi.

    capacity    = nominal memory - Karpenter's VM overhead (what the kubelet reports)
    allocatable = capacity - kube-reserved - evictionHard      (the kubelet's own sum)
    for pods    = allocatable - requests of every DaemonSet on the node
    default job = for pods - DEFAULT_MARGIN_PERCENT            (what `launch` requests)

Upstream files read (repo@commit:path:line):

- kube-reserved CPU, the tiers 6% / 1% / 0.5% / 0.25% in millicores, each tier rounded
  down: awslabs/amazon-eks-ami@81fec2e895854f599974fe4d3d72f61c0a9aaffa:
  nodeadm/internal/kubelet/config.go:410-440 (`getCPUMillicoresToReserve`).
- kube-reserved memory, 11 MiB x maxPods + 255 MiB: same file :442-444; maxPods from
  the ENI table, default-card ENIs x (IPv4 per ENI - 1) + 2: nodeadm/internal/kubelet/
  eni_max_pods.go:76-78 with instance-info.jsonl (copied for the accelerated types into
  data/eks_instance_info.json by scripts/gen_eks_max_pods.py); 110 when a type is not
  in it (eni_max_pods.go:27, config.go:277-282).
- evictionHard `memory.available: 100Mi`: config.go:110-111. No systemReserved is set
  (only the `/system` cgroup, config.go:275).
- VM memory overhead 7.5%: aws/karpenter-provider-aws@1d927085dd81a9df9301e613f371dac5b4d16bfe:
  pkg/operator/options/options.go:66 (default 0.075), applied as
  `memory - ceil(memory x 0.075)` in pkg/providers/instancetype/types.go:520.
- cluster-autoscaler's AWS template node takes allocatable = capacity
  (kubernetes/autoscaler@55c37cd5eb550756c5ccc5a89e9068d77797e575:
  cluster-autoscaler/cloudprovider/aws/aws_manager.go:296-297, "TODO: use proper
  allocatable!!"): it scales up for a pod the real node then refuses, so the request
  must fit what is computed here, not the nominal size.

The DaemonSets (`DAEMONSETS`) each carry the line their request was read from.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gpuforge.model import pools
from gpuforge.model.gpu_telemetry import GPU_TELEMETRY_ADDON
from gpuforge.model.node_health import NMA, NODE_MONITORING_ADDON, NODE_MONITORING_VERSION
from gpuforge.model.spec import GpuPoolSpec

_INSTANCE_INFO = resources.files("gpuforge.model") / "data" / "eks_instance_info.json"

EKS_AMI = "awslabs/amazon-eks-ami@81fec2e895854f599974fe4d3d72f61c0a9aaffa"
KARPENTER = "aws/karpenter-provider-aws@1d927085dd81a9df9301e613f371dac5b4d16bfe"

DEFAULT_MAX_PODS = 110
"""nodeadm's fallback when a type is not in its table (the kubelet default)."""

EVICTION_HARD_MEMORY_MIB = 100
"""`evictionHard: memory.available: 100Mi` (nodeadm config.go:111)."""

VM_MEMORY_OVERHEAD_PERCENT = 7.5
"""Karpenter's default `vmMemoryOverheadPercent` (0.075): the share of the nominal memory
the kubelet never sees (firmware, kernel); AWS documents no exact figure."""

DEFAULT_MARGIN_PERCENT = 5
"""What a default full-node job leaves unrequested of what DaemonSets leave (CPU and
memory): room for a DaemonSet whose requests grow with a new add-on version, without
re-releasing gpuforge."""


@dataclass(frozen=True)
class DaemonSet:
    """One DaemonSet that runs on a GPU node, with the requests its chart or add-on sets."""

    name: str
    installed_by: str
    """The chart or EKS add-on (and version) that creates it."""
    cpu_milli: int
    memory_mib: int
    source: str
    """repo@commit:path:line where the request (or its absence) was read."""
    runs_on: str
    """`all` nodes, `nvidia` GPU nodes, `neuron` nodes, or `efa` nodes."""


_CWO = "aws-observability/helm-charts@98fc229ed9d7caca99bb765836fdc6d80157fd0f"
_CWO_VALUES = f"{_CWO}:charts/amazon-cloudwatch-observability/values.yaml"
_NMA_VALUES = f"{NMA}:charts/eks-node-monitoring-agent/values.yaml"
_CNI = (
    "aws/amazon-vpc-cni-k8s@2c223fbd2ab60447261c76a956fd87ba5cb3f0fb:config/master/aws-k8s-cni.yaml"
)

DAEMONSETS: tuple[DaemonSet, ...] = (
    DaemonSet(
        "aws-node",
        "EKS add-on vpc-cni v1.19.5",
        50,
        0,
        f"{_CNI}:522-524 (aws-node 25m) + :562-564 (aws-eks-nodeagent 25m); "
        "the init container's 25m (:430-432) is below their sum",
        "all",
    ),
    DaemonSet(
        "kube-proxy",
        "EKS add-on kube-proxy",
        100,
        0,
        "the EKS kube-proxy DaemonSet (`kubectl -n kube-system get ds kube-proxy -o yaml`: "
        "requests cpu 100m, no memory); EKS publishes no manifest repository for it",
        "all",
    ),
    DaemonSet(
        "eks-pod-identity-agent",
        "EKS add-on eks-pod-identity-agent",
        0,
        0,
        "aws/eks-pod-identity-agent@d4dc0f3fedd795b26ac88755238867a2110c7460:"
        "charts/eks-pod-identity-agent/values.yaml:165 (`resources: {}`: no request)",
        "all",
    ),
    DaemonSet(
        "cloudwatch-agent",
        f"EKS add-on {GPU_TELEMETRY_ADDON} v3.6.0",
        250,
        128,
        f"{_CWO_VALUES}:1218-1221 (agent.resources.requests)",
        "all",
    ),
    DaemonSet(
        "fluent-bit",
        f"EKS add-on {GPU_TELEMETRY_ADDON} v3.6.0",
        50,
        25,
        f"{_CWO_VALUES}:31-37 (containerLogs.fluentBit.resources.requests)",
        "all",
    ),
    DaemonSet(
        "eks-node-monitoring-agent",
        f"EKS add-on {NODE_MONITORING_ADDON} {NODE_MONITORING_VERSION}",
        10,
        30,
        f"{_NMA_VALUES}:78-81 (nodeAgent.resources.requests)",
        "all",
    ),
    DaemonSet(
        "dcgm-server",
        f"EKS add-on {NODE_MONITORING_ADDON} {NODE_MONITORING_VERSION}",
        0,
        0,
        f"{_NMA_VALUES}:154 (`dcgmAgent.resources: {{}}`: no request); the only DCGM on a "
        "GPU node: the CloudWatch add-on's dcgm-exporter is off (node_health.py)",
        "nvidia",
    ),
    DaemonSet(
        "neuron-monitor",
        f"EKS add-on {GPU_TELEMETRY_ADDON} v3.6.0",
        256,
        128,
        f"{_CWO_VALUES}:1453-1459 (neuronMonitor.resources.requests)",
        "neuron",
    ),
    DaemonSet(
        "nvidia-device-plugin",
        "chart nvidia-device-plugin 0.20.0",
        0,
        0,
        "NVIDIA/k8s-device-plugin@1b826acc6af3079d8923bac395c3124b8861a9a6 (v0.20.0):"
        "deployments/helm/nvidia-device-plugin/values.yaml:62 (`resources: {}`: no request)",
        "nvidia",
    ),
    DaemonSet(
        "aws-efa-k8s-device-plugin",
        "chart aws-efa-k8s-device-plugin v0.5.21",
        10,
        20,
        "aws/eks-charts@d5fd92acd904185b6af5a14b5696aa8731e3f96c (v0.5.21):"
        "stable/aws-efa-k8s-device-plugin/values.yaml:180-182",
        "efa",
    ),
)
"""Every DaemonSet that lands on a GPU node of this platform: the core EKS add-ons
(components/addons.py) with the node monitoring agent and its DCGM host engine, the
CloudWatch observability add-on (components/telemetry.py; its dcgm-exporter is turned off
and so not listed) and the device-plugin charts (helm_charts.py). Each tolerates the GPU taint. The
observability chart's node-exporter is left out: it renders only with
`otelContainerInsights.enabled`, false by default (values.yaml:1160 at 6.4.0)."""


def daemonsets_on(pool: GpuPoolSpec) -> list[DaemonSet]:
    """The DaemonSets whose pods run on one node of `pool`."""
    kinds = {"all", "neuron" if pools.is_neuron(pool) else "nvidia"}
    if pool.efa:
        kinds.add("efa")
    return [d for d in DAEMONSETS if d.runs_on in kinds]


@cache
def _instance_info() -> dict:
    return json.loads(_INSTANCE_INFO.read_text())["instance_types"]


def max_pods(instance_type: str) -> int:
    """nodeadm's max pods: default-card ENIs x (IPv4 per ENI - 1) + 2, else 110."""
    info = _instance_info().get(instance_type)
    if info is None:
        return DEFAULT_MAX_PODS
    return info["default_max_enis"] * (info["ipv4_per_eni"] - 1) + 2


def kube_reserved_cpu_milli(vcpus: int) -> int:
    """nodeadm's `getCPUMillicoresToReserve`: per tier, (cores in tier in millicores) x
    basis points / 10000, each rounded down (600, 100, 50, 25 basis points)."""
    total = vcpus * 1000
    ranges = (0, 1000, 2000, 4000, total)
    points = (600, 100, 50, 25)
    reserved = 0
    for i, bp in enumerate(points):
        start, end = ranges[i], ranges[i + 1]
        if total > start:
            reserved += (min(total, end) - start) * bp // 10000
    return reserved


def kube_reserved_memory_mib(instance_type: str) -> int:
    """nodeadm's `getMemoryMebibytesToReserve`: 11 MiB x max pods + 255 MiB."""
    return 11 * max_pods(instance_type) + 255


def vm_overhead_mib(nominal_mib: int) -> int:
    """Karpenter's `ceil(memory x vmMemoryOverheadPercent)`, in MiB."""
    return math.ceil(nominal_mib * VM_MEMORY_OVERHEAD_PERCENT / 100)


@dataclass(frozen=True)
class NodeReserve:
    """One node of a pool: capacity, allocatable and what DaemonSets leave, CPU and memory."""

    instance_type: str
    vcpus: int
    nominal_memory_mib: int
    capacity_cpu_milli: int
    capacity_memory_mib: int
    """Nominal memory less the VM overhead: what the kubelet reports as capacity."""
    kube_reserved_cpu_milli: int
    kube_reserved_memory_mib: int
    max_pods: int
    eviction_memory_mib: int
    allocatable_cpu_milli: int
    allocatable_memory_mib: int
    """The node's `status.allocatable`."""
    daemonsets: tuple[DaemonSet, ...]
    daemonset_cpu_milli: int
    daemonset_memory_mib: int
    free_cpu_milli: int
    free_memory_mib: int
    """Allocatable less the DaemonSets' requests: the most one pod can request."""
    default_cpu_milli: int
    default_memory_mib: int
    """What a default full-node job requests: `free` less DEFAULT_MARGIN_PERCENT."""

    @property
    def reserved_cpu_milli(self) -> int:
        """Everything not left for pods: kube-reserved plus DaemonSets."""
        return self.capacity_cpu_milli - self.free_cpu_milli

    @property
    def reserved_memory_mib(self) -> int:
        """Everything not left for pods, from the nominal size: VM overhead, kube-reserved,
        eviction, DaemonSets."""
        return self.nominal_memory_mib - self.free_memory_mib

    def summary(self) -> dict:
        """Plain data, for `validate -o json` and the dry run's summary."""
        return {
            "instance_type": self.instance_type,
            "capacity": {
                "cpu_milli": self.capacity_cpu_milli,
                "memory_mib": self.capacity_memory_mib,
            },
            "nominal_memory_mib": self.nominal_memory_mib,
            "vm_overhead_mib": self.nominal_memory_mib - self.capacity_memory_mib,
            "kube_reserved": {
                "cpu_milli": self.kube_reserved_cpu_milli,
                "memory_mib": self.kube_reserved_memory_mib,
                "max_pods": self.max_pods,
            },
            "eviction_memory_mib": self.eviction_memory_mib,
            "allocatable": {
                "cpu_milli": self.allocatable_cpu_milli,
                "memory_mib": self.allocatable_memory_mib,
            },
            "daemonsets": {
                d.name: {"cpu_milli": d.cpu_milli, "memory_mib": d.memory_mib}
                for d in self.daemonsets
            },
            "for_pods": {"cpu_milli": self.free_cpu_milli, "memory_mib": self.free_memory_mib},
            "default_request": {
                "cpu_milli": self.default_cpu_milli,
                "memory_mib": self.default_memory_mib,
            },
        }

    def line(self) -> str:
        """One line for humans: where the node's CPU and memory go."""
        return (
            f"{self.instance_type}: {self.vcpus} vCPU, {self.nominal_memory_mib} MiB; "
            f"kubelet allocatable {self.allocatable_cpu_milli}m, {self.allocatable_memory_mib} MiB "
            f"(kube-reserved {self.kube_reserved_cpu_milli}m/{self.kube_reserved_memory_mib} MiB, "
            f"eviction {self.eviction_memory_mib} MiB, VM overhead "
            f"{self.nominal_memory_mib - self.capacity_memory_mib} MiB); "
            f"{len(self.daemonsets)} DaemonSets {self.daemonset_cpu_milli}m/"
            f"{self.daemonset_memory_mib} MiB; a pod gets up to {self.free_cpu_milli}m, "
            f"{self.free_memory_mib} MiB"
        )


def _less_margin(value: int) -> int:
    return value * (100 - DEFAULT_MARGIN_PERCENT) // 100


def node_reserve(pool: GpuPoolSpec) -> NodeReserve:
    """The reserve model for one node of `pool` (see the module docstring)."""
    inst = pool.instance
    cap_cpu = inst.vcpus * 1000
    cap_mem = inst.memory_mib - vm_overhead_mib(inst.memory_mib)
    kr_cpu = kube_reserved_cpu_milli(inst.vcpus)
    kr_mem = kube_reserved_memory_mib(inst.name)
    alloc_cpu = cap_cpu - kr_cpu
    alloc_mem = cap_mem - kr_mem - EVICTION_HARD_MEMORY_MIB
    ds = tuple(daemonsets_on(pool))
    ds_cpu = sum(d.cpu_milli for d in ds)
    ds_mem = sum(d.memory_mib for d in ds)
    free_cpu, free_mem = alloc_cpu - ds_cpu, alloc_mem - ds_mem
    return NodeReserve(
        instance_type=inst.name,
        vcpus=inst.vcpus,
        nominal_memory_mib=inst.memory_mib,
        capacity_cpu_milli=cap_cpu,
        capacity_memory_mib=cap_mem,
        kube_reserved_cpu_milli=kr_cpu,
        kube_reserved_memory_mib=kr_mem,
        max_pods=max_pods(inst.name),
        eviction_memory_mib=EVICTION_HARD_MEMORY_MIB,
        allocatable_cpu_milli=alloc_cpu,
        allocatable_memory_mib=alloc_mem,
        daemonsets=ds,
        daemonset_cpu_milli=ds_cpu,
        daemonset_memory_mib=ds_mem,
        free_cpu_milli=free_cpu,
        free_memory_mib=free_mem,
        default_cpu_milli=_less_margin(free_cpu),
        default_memory_mib=_less_margin(free_mem),
    )
