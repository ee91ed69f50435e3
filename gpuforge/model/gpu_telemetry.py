"""GPU telemetry: the EKS add-on that ships per-GPU metrics, and the identity it runs as."""

from __future__ import annotations

GPU_TELEMETRY_ADDON = "amazon-cloudwatch-observability"
"""EKS add-on that ships per-GPU metrics (DCGM) to CloudWatch Container Insights."""
GPU_TELEMETRY_NAMESPACE = "amazon-cloudwatch"
GPU_TELEMETRY_SERVICE_ACCOUNT = "cloudwatch-agent"
GPU_TELEMETRY_POLICY = "CloudWatchAgentServerPolicy"

CONTAINER_INSIGHTS_LOG_KINDS = ("application", "dataplane", "host", "performance")
"""The log groups Container Insights writes for a cluster. Fluent Bit in the add-on's chart
sends container, data-plane and host logs to `/aws/containerinsights/<cluster>/{application,
dataplane,host}` with `auto_create_group true` (aws-observability/helm-charts@71a298ff:
charts/amazon-cloudwatch-observability/values.yaml:156,205,266); the CloudWatch agent sends
its performance log events to `/aws/containerinsights/<cluster>/performance` ("Container
Insights performance log events", docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
Container-Insights-reference-performance-logs-EKS.html). gpuforge creates all four first,
with the logs key and a retention, so the add-on never makes them unencrypted and kept
forever."""


def container_insights_log_group(cluster_name: str, kind: str) -> str:
    """The name of one Container Insights log group of a cluster."""
    return f"/aws/containerinsights/{cluster_name}/{kind}"
