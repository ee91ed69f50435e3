"""GPU telemetry: the `amazon-cloudwatch-observability` EKS add-on with its own pod role.

Per-GPU utilisation, memory, power, temperature and health reach CloudWatch Container
Insights (the add-on runs NVIDIA's DCGM exporter on GPU nodes and the CloudWatch agent
that ships its metrics). Chosen over a self-managed DCGM exporter chart because:

- it is installed through the EKS API, so a private cluster gets it from the same
  `aws` layer as the rest of the AWS side (docs/runtime.md), with no API-server access;
- the metrics land where AWS users already look (CloudWatch, alarms), with no
  Prometheus to run and size;
- EKS picks an add-on version compatible with the cluster: nothing more to pin.

Its DCGM exporter is off (`node_health.CLOUDWATCH_CONFIG`): the EKS node monitoring
agent owns DCGM on GPU nodes, since two host engines make the agent mark healthy nodes
unhealthy and auto repair replace them (`gpuforge/model/node_health.py`, docs/runtime.md).
The key exists from chart 4.2.0 on (aws-observability/helm-charts#190).

The agent's role is trusted by `pods.eks.amazonaws.com` only, has the AWS managed
`CloudWatchAgentServerPolicy` and nothing else, and is bound to the add-on's service
account through the add-on's own Pod Identity association.

The four Container Insights log groups (`gpu_telemetry.CONTAINER_INSIGHTS_LOG_KINDS`)
are created here, before the add-on, with the logs key and the cluster's log
retention (`cluster.log_retention_days`, which GF-LOG-003 holds to its floor), so the
add-on's `auto_create_group` finds them and never creates one unencrypted and kept
forever.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import cloudwatch, eks, iam

from gpuforge.components import _aws
from gpuforge.model import aws_naming as rn
from gpuforge.model import gpu_telemetry, node_health


@dataclass
class GpuTelemetryArgs:
    """Inputs of `GpuTelemetry`."""

    cluster_name: pulumi.Input[str]
    """EKS cluster the add-on is installed in."""

    log_group_cluster_name: str | None = None
    """The cluster's name as the spec knows it (`spec.cluster_name`), for the Container
    Insights log group names; None: the add-on creates them itself (not recommended)."""

    logs_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts the Container Insights log groups (`Encryption.logs_key_arn`)."""

    log_retention_days: int = 365
    """Retention of the Container Insights log groups (a CloudWatch Logs period)."""


class GpuTelemetry(pulumi.ComponentResource):
    """The CloudWatch observability add-on (Container Insights with GPU metrics)."""

    addon_name: str
    """Name of the EKS add-on."""
    role_arn: pulumi.Output[str]
    """ARN of the CloudWatch agent's pod role."""

    def __init__(
        self, name: str, args: GpuTelemetryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:telemetry:GpuTelemetry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = iam.Role(
            rn.child(name, rn.TELEMETRY_ROLE),
            description=f"CloudWatch agent of {name} (EKS Pod Identity)",
            assume_role_policy=_aws.pod_identity_trust(
                self,
                args.cluster_name,
                gpu_telemetry.GPU_TELEMETRY_NAMESPACE,
                gpu_telemetry.GPU_TELEMETRY_SERVICE_ACCOUNT,
            ),
            opts=child,
        )
        attachment = iam.RolePolicyAttachment(
            f"{name}-cloudwatch-agent-policy",
            role=role.name,
            policy_arn=_aws.managed_policy_arn(
                _aws.partition(self), gpu_telemetry.GPU_TELEMETRY_POLICY
            ),
            opts=child,
        )
        log_groups = [
            cloudwatch.LogGroup(
                f"{name}-container-insights-{kind}",
                name=gpu_telemetry.container_insights_log_group(args.log_group_cluster_name, kind),
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=child,
            )
            for kind in gpu_telemetry.CONTAINER_INSIGHTS_LOG_KINDS
            if args.log_group_cluster_name
        ]
        eks.Addon(
            f"{name}-{gpu_telemetry.GPU_TELEMETRY_ADDON}",
            cluster_name=args.cluster_name,
            addon_name=gpu_telemetry.GPU_TELEMETRY_ADDON,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            configuration_values=node_health.configuration_json(node_health.CLOUDWATCH_CONFIG),
            pod_identity_associations=[
                {
                    "role_arn": role.arn,
                    "service_account": gpu_telemetry.GPU_TELEMETRY_SERVICE_ACCOUNT,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, *log_groups]),
        )
        self.addon_name = gpu_telemetry.GPU_TELEMETRY_ADDON
        self.role_arn = role.arn
        self.register_outputs({"addon_name": self.addon_name, "role_arn": self.role_arn})
