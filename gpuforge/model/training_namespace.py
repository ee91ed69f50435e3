"""The training namespace: its labels, GPU quota, default requests and priority classes.

Pure functions of an `EnvironmentSpec`; the `TrainingRuntime` component declares them.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model import names, namespace_security, pools
from gpuforge.model.spec import EnvironmentSpec

PRIORITY_VALUES = {"high": 100000, "normal": 10000, "low": 1000}
"""PriorityClass value by level (`names.PRIORITY_CLASSES`); below system-* classes."""


GPU_QUOTA_NAME = "gpuforge-gpus"
"""Name of the training namespace's ResourceQuota."""
LIMIT_RANGE_NAME = "gpuforge-defaults"
"""Name of the training namespace's LimitRange."""


def namespace_labels() -> dict[str, str]:
    """Labels of the training namespace: Pod Security `restricted` enforced, audited and
    warned, pinned to a version (`namespace_security.pod_security_labels`)."""
    return {**names.MANAGED_LABELS, **namespace_security.pod_security_labels()}


def gpu_quota(spec: EnvironmentSpec) -> int:
    """GPUs the training namespace may request at once: `training.max_gpus`, else every GPU
    the NVIDIA pools can hold at their max size."""
    if spec.training.max_gpus is not None:
        return spec.training.max_gpus
    return sum(p.max * pools.node_shape(p).accelerators for p in pools.nvidia_pools(spec))


def resource_quota(spec: EnvironmentSpec) -> dict[str, str]:
    """`spec.hard` of the training namespace's ResourceQuota."""
    return {f"requests.{pools.NVIDIA_GPU}": str(gpu_quota(spec))}


def limit_range(spec: EnvironmentSpec) -> list[dict[str, Any]]:
    """`spec.limits` of the LimitRange: default CPU/memory requests, and nothing else.

    No `max` for `nvidia.com/gpu`: the LimitRanger refuses every container without a
    limit for a resource that has a `max` ("maximum nvidia.com/gpu usage per Container
    is 8.  No limit is specified.", kubernetes plugin/pkg/admission/limitranger
    `maxConstraint`), which is every CPU-only pod, init container and Neuron job. GPUs
    are capped instead by the ResourceQuota (`resource_quota`: the namespace's total) and
    by the fit check before a launch (no pod above its node's GPU count). The `spec` is
    kept so the LimitRange stays a function of the environment."""
    del spec
    return [{"type": "Container", "defaultRequest": {"cpu": "500m", "memory": "1Gi"}}]


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
