"""The emulated EKS API checks node auto repair and the node monitoring agent's
configuration as EKS does (botocore's EKS model; the agent's published schema)."""

from __future__ import annotations

import json

import pytest

from gpuforge.emulator.errors import AwsError
from gpuforge.emulator.handlers.eks import checks
from gpuforge.model import node_health


def test_node_repair_is_echoed_and_checked():
    assert checks.node_repair({}) is None
    assert checks.node_repair({"nodeRepairConfig": {"enabled": True}}) == {"enabled": True}
    with pytest.raises(AwsError, match="cannot both be set"):
        checks.node_repair(
            {
                "nodeRepairConfig": {
                    "enabled": True,
                    "maxUnhealthyNodeThresholdCount": 2,
                    "maxUnhealthyNodeThresholdPercentage": 20,
                }
            }
        )
    with pytest.raises(AwsError, match="between 1 and 100"):
        checks.node_repair({"nodeRepairConfig": {"maxParallelNodesRepairedPercentage": 0}})
    override = {
        "nodeMonitoringCondition": "AcceleratedHardwareReady",
        "nodeUnhealthyReason": "NvidiaXID79Error",
        "minRepairWaitTimeMins": 10,
        "repairAction": "Restart",
    }
    with pytest.raises(AwsError, match="repairAction 'Restart'"):
        checks.node_repair({"nodeRepairConfig": {"nodeRepairConfigOverrides": [override]}})
    override["repairAction"] = "Reboot"
    checks.node_repair({"nodeRepairConfig": {"nodeRepairConfigOverrides": [override]}})


def test_node_monitoring_agent_configuration_is_checked_against_its_schema():
    addon = node_health.NODE_MONITORING_ADDON
    checks.addon_configuration(addon, node_health.NODE_MONITORING_CONFIG)
    with pytest.raises(AwsError, match="not supported"):
        checks.addon_configuration(addon, {"dcgmExporter": {"enabled": False}})
    with pytest.raises(AwsError, match="dcgmAgent"):
        checks.addon_configuration(addon, {"dcgmAgent": {"tolerations": "all"}})
    # the CloudWatch add-on's schema is not vendored: anything parseable passes
    checks.addon_configuration("amazon-cloudwatch-observability", node_health.CLOUDWATCH_CONFIG)
    assert json.loads(node_health.configuration_json(node_health.NODE_MONITORING_CONFIG))
