"""CloudWatch Logs: log groups encrypted with a KMS key, with a retention period of at least
the configured minimum (`RuleContext.min_log_retention_days`, CrossGuard `minLogRetentionDays`)."""

from __future__ import annotations

from gpuforge.model import gpu_telemetry

from .context import RuleContext
from .declarative import is_set, key_rule
from .rule import rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADDON = "aws:eks/addon:Addon"


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


@rule(
    "GF-LOG-004",
    "Ensure the Container Insights log groups are the platform's (encrypted, with a retention), "
    "not created by the CloudWatch observability add-on",
    severity="medium",
    types=[ADDON],
    stack=True,
)
def container_insights_log_groups(addon: Resource, stack: Stack, ctx: RuleContext):
    """The add-on's Fluent Bit creates the groups it writes (`auto_create_group true`) with no
    KMS key and no retention; the stack must declare all four first (see
    `gpuforge.model.gpu_telemetry.CONTAINER_INSIGHTS_LOG_KINDS`)."""
    name = addon.get("addonName")
    if name is UNKNOWN:
        yield UNKNOWN
        return
    if name != gpu_telemetry.GPU_TELEMETRY_ADDON:
        return
    cluster = addon.get("clusterName", computed=True)
    if cluster is UNKNOWN:
        yield UNKNOWN
        return
    groups: dict[str, Resource] = {}
    unknown = False
    for group in stack.of_type(LOG_GROUP):
        group_name = group.get("name")
        if group_name is UNKNOWN:
            unknown = True
        elif isinstance(group_name, str):
            groups[group_name] = group
    missing = []
    for kind in gpu_telemetry.CONTAINER_INSIGHTS_LOG_KINDS:
        wanted = gpu_telemetry.container_insights_log_group(str(cluster), kind)
        group = groups.get(wanted)
        if group is None:
            missing.append(wanted)
        elif group.get("kmsKeyId") is UNKNOWN:
            unknown = True
        elif group.get("kmsKeyId") in (MISSING, ""):
            yield f"{wanted} has no kmsKeyId: encrypt it with the environment's logs key"
    if missing and not unknown:
        yield (
            f"the add-on would create {', '.join(missing)} unencrypted and kept forever: declare "
            "these log groups in the stack with kmsKeyId and retentionInDays"
        )
    elif missing:
        yield UNKNOWN
