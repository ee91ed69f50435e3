"""KMS: key rotation, deletion window, no wildcard principal in the key policy."""

from __future__ import annotations

from typing import Any

from .context import RuleContext
from .declarative import key_rule
from .rule import rule
from .stack import Resource
from .values import (
    MISSING,
    UNKNOWN,
    allow_statements,
    everyone,
    parse_policy,
    statement_list,
    statements,
)

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


# KMS operations that carry no encryption context: a `kms:EncryptionContext:*` condition on
# them can never match ("kms:EncryptionContext:context-key" applies to cryptographic
# operations that take an encryption context, and CreateGrant; docs.aws.amazon.com/kms/
# latest/developerguide/conditions-kms.html).
_NO_CONTEXT_PREFIXES = ("kms:describe", "kms:get", "kms:list")


def _context_condition(st: dict) -> Any:
    condition = st.get("Condition", MISSING)
    if condition is MISSING:
        return False
    if condition is UNKNOWN or not isinstance(condition, dict):
        return UNKNOWN
    for block in condition.values():
        if block is UNKNOWN or not isinstance(block, dict):
            return UNKNOWN
        if any(str(k).lower().startswith("kms:encryptioncontext") for k in block):
            return True
    return False


@rule(
    "GF-KMS-004",
    "Ensure key policies do not put Describe/Get/List actions under an encryption-context "
    "condition they can never match",
    severity="low",
    enforcement="advisory",
    types=[KEY],
)
def no_context_condition_on_describe(key: Resource, ctx: RuleContext):
    doc = parse_policy(key.get("policy"))
    if doc is MISSING:
        return
    for i, st in allow_statements(doc):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        actions = statement_list(st, "Action", partial=True)
        if actions is UNKNOWN:
            yield UNKNOWN
            continue
        never = [
            a for a in actions if isinstance(a, str) and a.lower().startswith(_NO_CONTEXT_PREFIXES)
        ]
        if not never:
            continue
        context = _context_condition(st)
        if context is UNKNOWN:
            yield UNKNOWN
        elif context:
            yield (
                f"statement {st.get('Sid') or '#' + str(i)} grants {never} under a "
                "kms:EncryptionContext condition, which those calls never carry: move them to a "
                "statement of their own (e.g. conditioned on aws:SourceAccount)"
            )
