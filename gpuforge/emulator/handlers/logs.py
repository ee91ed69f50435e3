"""CloudWatch Logs log groups, backed by moto's Logs backend.

The following are not yet implemented:
- LogGroup: the KMS key policy is not checked for the logs service principal;
  ``logGroupClass`` is echoed, not modelled.
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError
from ._base import Context, check_kms_key, num

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


def log_group(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    logs = ctx.client("logs")
    group_name = ctx.physical_name(name, inputs, kind="loggroup")
    tags = ctx.tags(inputs)
    retention = num(inputs.get("retentionInDays") or 0)
    if retention and retention not in RETENTION_DAYS:
        raise AwsError(
            "InvalidParameterException",
            f"1 validation error detected: Value '{retention}' at 'retentionInDays' failed "
            f"to satisfy constraint: Member must satisfy enum value set: {list(RETENTION_DAYS)}",
        )
    kwargs: dict[str, Any] = {"logGroupName": group_name}
    if inputs.get("kmsKeyId"):
        check_kms_key(ctx, inputs["kmsKeyId"])
        kwargs["kmsKeyId"] = inputs["kmsKeyId"]
    if tags:
        kwargs["tags"] = tags
    logs.create_log_group(**kwargs)
    if retention:
        logs.put_retention_policy(logGroupName=group_name, retentionInDays=retention)
    return group_name, {
        "arn": ctx.arn("logs", f"log-group:{group_name}"),
        "name": group_name,
        "retentionInDays": retention,
        "logGroupClass": inputs.get("logGroupClass") or "STANDARD",
        "tagsAll": tags,
    }


HANDLERS = {"aws:cloudwatch/logGroup:LogGroup": log_group}
STATE_BACKED: set[str] = set()
