"""KMS: key rotation, deletion window, no wildcard principal in the key policy."""

from __future__ import annotations

from typing import Any

from .context import RuleContext
from .declarative import key_rule
from .rule import rule
from .stack import Resource
from .values import MISSING, UNKNOWN, everyone, parse_policy, statements

KEY = "aws:kms/key:Key"

key_rule(
    "GF-KMS-001",
    "Ensure KMS keys have automatic rotation enabled",
    severity="medium",
    types=[KEY],
    path="enableKeyRotation",
    equals=True,
    fix="set enableKeyRotation=True",
    checkov=["CKV_AWS_7"],
    trivy=["AVD-AWS-0065"],
)


def _a_week_or_more(days: Any) -> bool:
    return isinstance(days, (int, float)) and days >= 7


key_rule(
    "GF-KMS-002",
    "Ensure KMS keys have a deletion window of at least 7 days",
    severity="medium",
    types=[KEY],
    path="deletionWindowInDays",
    default=30,  # AWS's default
    test=_a_week_or_more,
    fix="set it to 7..30 (30 is the default)",
)


def _is_wildcard(principal) -> Any:
    """True, False or UNKNOWN (a Principal or `Principal.AWS` not known yet)."""
    return everyone(principal)


@rule(
    "GF-KMS-003",
    "Ensure KMS key policies do not allow a wildcard (*) principal",
    severity="critical",
    types=[KEY],
    checkov=["CKV_AWS_33"],
)
def no_wildcard_principal(key: Resource, ctx: RuleContext):
    doc = parse_policy(key.get("policy"))
    if doc is MISSING:  # the default key policy trusts only the account
        return
    if doc is UNKNOWN or doc is None:
        yield UNKNOWN
        return
    for i, st in enumerate(statements(doc)):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        wildcard = _is_wildcard(st.get("Principal"))
        if wildcard is UNKNOWN:
            yield UNKNOWN
        elif wildcard:
            sid = st.get("Sid") or f"#{i}"
            yield (
                f"statement {sid} allows Principal '*': name the account root, roles or "
                "services instead"
            )
