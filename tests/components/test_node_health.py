"""Node health on the built platform: auto repair on every managed node group, the node
monitoring agent add-on configured to run its DCGM on tainted GPU nodes, and the
CloudWatch add-on's DCGM exporter off, so there is one DCGM per GPU node."""

from __future__ import annotations

import json

from gpuforge.model import node_health
from tests.components.conftest import built

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"


def _addon(b, name: str) -> dict:
    (found,) = [a.inputs for a in b.of(ADDON) if a.inputs["addonName"] == name]
    return found


def test_every_managed_node_group_has_auto_repair(env):
    _, b = built(env)
    groups = b.of(NODE_GROUP)
    assert groups
    for group in groups:
        assert group.inputs["nodeRepairConfig"] == {"enabled": True}, group.name


def test_node_monitoring_agent_is_pinned_and_its_dcgm_tolerates_the_gpu_taint(env):
    _, b = built(env)
    agent = _addon(b, "eks-node-monitoring-agent")
    assert agent["addonVersion"] == "v1.7.0-eksbuild.1"
    config = json.loads(agent["configurationValues"])
    assert {"operator": "Exists"} in config["dcgmAgent"]["tolerations"]


def test_cloudwatch_addon_runs_no_dcgm_exporter(env):
    _, b = built(env)
    cloudwatch = _addon(b, "amazon-cloudwatch-observability")
    assert json.loads(cloudwatch["configurationValues"]) == {"dcgmExporter": {"enabled": False}}


def test_node_reserve_lists_one_dcgm():
    from gpuforge.model import node_reserve

    names = [d.name for d in node_reserve.DAEMONSETS]
    assert "dcgm-server" in names and "eks-node-monitoring-agent" in names
    assert "dcgm-exporter" not in names
    agent = next(d for d in node_reserve.DAEMONSETS if d.name == "eks-node-monitoring-agent")
    assert (agent.cpu_milli, agent.memory_mib, agent.runs_on) == (10, 30, "all")
    assert node_health.NODE_MONITORING_VERSION in agent.installed_by
