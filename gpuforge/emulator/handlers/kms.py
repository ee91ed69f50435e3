"""KMS keys and aliases, backed by moto's KMS backend.

moto validates alias names (``alias/`` prefix, reserved ``alias/aws/``), duplicate
aliases and that an alias target exists.

The following are not yet implemented:
- Key: the key policy is stored, not evaluated; ``deletionWindowInDays`` is checked
  (7–30) but nothing is ever deleted; custom key stores are not modelled.
"""

from __future__ import annotations

from typing import Any

from .. import _speedups
from ..errors import AwsError
from ._base import Context, num, policy_text, require, tag_list


def key(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    _speedups.lazy_kms_keys()
    kms = ctx.client("kms")
    tags = ctx.tags(inputs)
    window = num(inputs.get("deletionWindowInDays", 30))
    if not 7 <= window <= 30:
        raise AwsError(
            "ValidationException",
            f"deletionWindowInDays must be between 7 and 30, got {window}",
        )
    kwargs: dict[str, Any] = {
        "KeyUsage": inputs.get("keyUsage") or "ENCRYPT_DECRYPT",
        "KeySpec": inputs.get("customerMasterKeySpec")
        or inputs.get("keySpec")
        or "SYMMETRIC_DEFAULT",
        "MultiRegion": bool(inputs.get("multiRegion", False)),
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("policy"):
        kwargs["Policy"] = policy_text(inputs["policy"])
    if inputs.get("bypassPolicyLockoutSafetyCheck"):
        kwargs["BypassPolicyLockoutSafetyCheck"] = True
    if tags:
        kwargs["Tags"] = tag_list(tags, "TagKey", "TagValue")
    meta = kms.create_key(**kwargs)["KeyMetadata"]
    key_id = meta["KeyId"]
    rotation = bool(inputs.get("enableKeyRotation", False))
    if rotation:
        period = inputs.get("rotationPeriodInDays")
        extra = {"RotationPeriodInDays": num(period)} if period else {}
        kms.enable_key_rotation(KeyId=key_id, **extra)
    if inputs.get("isEnabled") is False:
        kms.disable_key(KeyId=key_id)
    return key_id, {
        "arn": meta["Arn"],
        "keyId": key_id,
        "keyUsage": kwargs["KeyUsage"],
        "customerMasterKeySpec": kwargs["KeySpec"],
        "deletionWindowInDays": window,
        "enableKeyRotation": rotation,
        "rotationPeriodInDays": num(inputs.get("rotationPeriodInDays", 365 if rotation else 0)),
        "isEnabled": inputs.get("isEnabled", True),
        "multiRegion": kwargs["MultiRegion"],
        "policy": kwargs.get("Policy")
        or kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
        "tagsAll": tags,
    }


def alias(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    kms = ctx.client("kms")
    alias_name = inputs.get("name") or ctx.physical_name(
        name, {"namePrefix": inputs.get("namePrefix") or f"alias/{name}-"}, kind="alias"
    )
    target = require(inputs, "targetKeyId")
    target_arn = kms.describe_key(KeyId=target)["KeyMetadata"]["Arn"]  # NotFoundException
    kms.create_alias(AliasName=alias_name, TargetKeyId=target)
    return alias_name, {
        "arn": ctx.arn("kms", alias_name),
        "name": alias_name,
        "targetKeyArn": target_arn,
    }


HANDLERS = {"aws:kms/key:Key": key, "aws:kms/alias:Alias": alias}
STATE_BACKED: set[str] = set()
