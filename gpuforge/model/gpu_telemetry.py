"""GPU telemetry: the EKS add-on that ships per-GPU metrics, and the identity it runs as."""

from __future__ import annotations

GPU_TELEMETRY_ADDON = "amazon-cloudwatch-observability"
"""EKS add-on that ships per-GPU metrics (DCGM) to CloudWatch Container Insights."""
GPU_TELEMETRY_NAMESPACE = "amazon-cloudwatch"
GPU_TELEMETRY_SERVICE_ACCOUNT = "cloudwatch-agent"
GPU_TELEMETRY_POLICY = "CloudWatchAgentServerPolicy"
