"""CloudWatch Logs: log groups encrypted with a KMS key, with a retention period of at least
the configured minimum (`RuleContext.min_log_retention_days`, CrossGuard `minLogRetentionDays`)."""

from __future__ import annotations

from .context import RuleContext
from .rule import rule
from .stack import Resource
from .values import MISSING, UNKNOWN

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@rule(
    "GF-LOG-001",
    "Ensure CloudWatch log groups are encrypted with a KMS key",
    severity="medium",
    types=[LOG_GROUP],
    checkov=["CKV_AWS_158"],
    trivy=["AVD-AWS-0017"],
)
def log_group_kms(group: Resource, ctx: RuleContext):
    key = group.get("kmsKeyId")
    if key is UNKNOWN:
        yield UNKNOWN
    elif key is MISSING or key == "":
        yield "kmsKeyId is not set: set it to the environment's CMK ARN"


@rule(
    "GF-LOG-002",
    "Ensure CloudWatch log groups have a retention period",
    severity="low",
    types=[LOG_GROUP],
    checkov=["CKV_AWS_66"],
)
def log_group_retention(group: Resource, ctx: RuleContext):
    days = group.get("retentionInDays")
    if days is UNKNOWN:
        yield UNKNOWN
    elif days is MISSING or days == 0:
        yield "retentionInDays is not set (logs are kept forever): set it, e.g. 90 or 365"


@rule(
    "GF-LOG-003",
    "Ensure CloudWatch log groups keep logs at least the minimum retention (365 days unless "
    "configured)",
    severity="medium",
    types=[LOG_GROUP],
    checkov=["CKV_AWS_338"],
)
def log_group_minimum_retention(group: Resource, ctx: RuleContext):
    """Forever (0 or unset) passes here; GF-LOG-002 asks for a period."""
    days = group.get("retentionInDays")
    least = ctx.min_log_retention_days
    if days is UNKNOWN:
        yield UNKNOWN
    elif isinstance(days, int | float) and not isinstance(days, bool) and 0 < days < least:
        yield (
            f"retentionInDays is {days:g}, below the minimum of {least}: keep logs at least "
            f"{least} days (or configure minLogRetentionDays for GF-LOG-003)"
        )
