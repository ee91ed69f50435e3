"""Node health on GPU nodes: the EKS node monitoring agent, node auto repair, one DCGM owner.

Pure data, read by `components/addons.py` (the agent's add-on), `components/telemetry.py`
(the CloudWatch add-on's configuration), `node_reserve.py` (what then runs on a GPU node),
the emulated account (which checks the agent's configuration against its published schema)
and `gpuforge status` (the condition types a node can report).

The agent (aws/eks-node-monitoring-agent, v1.7.0 =
aws/eks-node-monitoring-agent@c399089dec78cb245306ca2a5f9806b7c32ca093) sets one node
condition per subsystem (pkg/conditions/conditions.go:12-44) and EKS node auto repair
(`nodeRepairConfig` on the managed node group) reboots or replaces a node whose condition
has held: `AcceleratedHardwareReady` after 10 min, Reboot or Replace by reason; the others
after 30 min, Replace (https://docs.aws.amazon.com/eks/latest/userguide/node-repair.html).

One DCGM owner. The agent reads GPU health from an `nv-hostengine` it runs itself (the
chart's `dcgm-server` DaemonSet, hostPort 5555: charts/eks-node-monitoring-agent/templates/
dcgm-daemonset.yaml, README.md:33-50) and cannot use another DCGM
(aws/containers-roadmap#2763, open). Beside the CloudWatch add-on's DCGM exporter, which
starts its own embedded host engine, the agent fails to connect, reports
`AcceleratedHardwareReady=False` (reason `DCGMError`) and auto repair replaces healthy nodes
(aws/containers-roadmap#2555). gpuforge keeps the agent's DCGM, because node repair depends
on it, and turns the CloudWatch add-on's exporter off (`dcgmExporter.enabled: false`,
aws-observability/helm-charts@8de9850f5833993c04d158b634d81b479d4ec88c (#190, chart 4.2.0):
templates/linux/dcgm-exporter-daemonset.yaml:1). Cost: no per-GPU DCGM metrics in
Container Insights; docs/runtime.md says what to use instead.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

NMA = "aws/eks-node-monitoring-agent@c399089dec78cb245306ca2a5f9806b7c32ca093"
"""The agent's repository at tag v1.7.0."""

NODE_MONITORING_ADDON = "eks-node-monitoring-agent"
NODE_MONITORING_VERSION = "v1.7.0-eksbuild.1"
"""The add-on version: the chart's own image tag at v1.7.0
(charts/eks-node-monitoring-agent/values.yaml `nodeAgent.image.tag`)."""

NODE_MONITORING_CONFIG: dict = {
    "dcgmAgent": {"tolerations": [{"operator": "Exists"}]},
}
"""The add-on's configuration values. The `dcgm-server` DaemonSet tolerates nothing by
default (values.yaml:157-158 `dcgmAgent.tolerations: []`), so on a node with the
`nvidia.com/gpu` taint it never runs and the agent reports `DCGMError`
(aws/containers-roadmap#2567); the node agent itself tolerates everything
(values.yaml:93-95)."""

CLOUDWATCH_CONFIG: dict = {"dcgmExporter": {"enabled": False}}
"""The CloudWatch observability add-on's configuration values: no DCGM exporter, so the
agent's host engine is the only DCGM on a GPU node (see the module docstring)."""

CONDITION_TYPES: tuple[str, ...] = (
    "AcceleratedHardwareReady",
    "ContainerRuntimeReady",
    "KernelReady",
    "NetworkingReady",
    "StorageReady",
)
"""The agent's own node conditions, healthy when `True`
(aws/eks-node-monitoring-agent v1.7.0: pkg/conditions/conditions.go:15-43)."""

PRESSURE_CONDITIONS: tuple[str, ...] = ("MemoryPressure", "DiskPressure", "PIDPressure")
"""The kubelet's conditions that are a problem when `True`."""

_SCHEMA = resources.files("gpuforge.model") / "data" / "eks_node_monitoring_agent.schema.json"


@cache
def node_monitoring_schema() -> dict:
    """The add-on's configuration schema: the agent's charts/configuration.schema.json at
    v1.7.0, vendored."""
    return json.loads(_SCHEMA.read_text())


def configuration_json(values: dict) -> str:
    """An add-on's `configurationValues`: JSON, keys sorted (stable across runs)."""
    return json.dumps(values, sort_keys=True)


def problem_conditions(conditions: list[dict]) -> list[dict]:
    """The conditions of a node's `status.conditions` that say the node is unhealthy:
    `Ready` or one of the agent's not `True`, a kubelet pressure `True`."""
    bad = []
    for cond in conditions or []:
        kind, status = cond.get("type"), cond.get("status")
        if kind == "Ready" or kind in CONDITION_TYPES:
            if status in ("False", "Unknown"):
                bad.append(cond)
        elif kind in PRESSURE_CONDITIONS and status == "True":
            bad.append(cond)
    return bad
