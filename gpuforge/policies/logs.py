"""CloudWatch Logs: log groups encrypted with a KMS key, with a retention period of at least
the configured minimum (`RuleContext.min_log_retention_days`, CrossGuard `minLogRetentionDays`)."""

from __future__ import annotations

from .context import RuleContext
from .declarative import is_set, key_rule
from .rule import rule
from .stack import Resource
from .values import UNKNOWN

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


key_rule(
    "GF-LOG-001",
    "Ensure CloudWatch log groups are encrypted with a KMS key",
    severity="medium",
    types=[LOG_GROUP],
    path="kmsKeyId",
    test=is_set,
    fix="set it to the environment's CMK ARN",
    checkov=["CKV_AWS_158"],
    trivy=["AVD-AWS-0017"],
)

key_rule(
    "GF-LOG-002",
    "Ensure CloudWatch log groups have a retention period",
    severity="low",
    types=[LOG_GROUP],
    path="retentionInDays",
    not_equals=0,
    default=0,  # the provider's default: keep logs forever
    unset="not set (logs are kept forever)",
    fix="set it, e.g. 90 or 365 (0 keeps logs forever)",
    checkov=["CKV_AWS_66"],
)


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
