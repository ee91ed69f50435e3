"""A small IAM policy evaluator for the identity policies gpuforge writes (moto evaluates none).

It decides one request (action, resource, context keys) against a list of policy
documents as IAM's policy evaluation logic does for identity-based policies in one
account: an explicit Deny wins, else an Allow, else the implicit deny
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).

Supported, as the IAM JSON policy reference describes them:
- `Effect` Allow/Deny; `Action`/`NotAction` and `Resource`/`NotResource`, a string or a
  list, with `*` and `?` wildcards (actions case-insensitive, resources case-sensitive);
- `Condition` blocks: every operator and every key in a block must match (AND); a key
  matches when any of its policy values matches (OR); operators StringEquals,
  StringNotEquals, StringLike, StringNotLike, StringEqualsIgnoreCase, ArnEquals, ArnLike,
  ArnNotEquals, ArnNotLike, Bool, each also with `IfExists`; a missing key fails a
  positive operator and passes a negated one or an `...IfExists`
  (reference_policies_elements_condition_operators.html).
Anything else (NumericX, DateX, IpAddress, ForAllValues/ForAnyValue, policy variables)
raises, so a policy this cannot judge never passes silently.
"""

from __future__ import annotations

import re
from typing import Any

ALLOW, DENY, IMPLICIT_DENY = "Allow", "Deny", "ImplicitDeny"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards: `*` any run of characters (also `/` and `:`), `?` one character."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _action_matches(patterns: list[str], action: str) -> bool:
    return any(_glob(p, action, ignore_case=True) for p in patterns)


def _resource_matches(patterns: list[str], resource: str) -> bool:
    return any(_glob(p, resource) for p in patterns)


_POSITIVE = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _glob(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": lambda p, v: _glob(p, v),
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_matches(block: dict, context: dict[str, Any]) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}  # condition keys are case-insensitive
    for operator, keys in block.items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        if base not in _POSITIVE and base not in _NEGATED:
            raise NotImplementedError(f"condition operator {operator}")
        for key, wanted in keys.items():
            if "${" in key or any("${" in str(w) for w in _list(wanted)):
                raise NotImplementedError("policy variables")
            present = key.lower() in lowered
            if not present:
                if if_exists or base in _NEGATED:
                    continue
                return False
            values = [str(v) for v in _list(lowered[key.lower()])]
            test = _POSITIVE[_NEGATED.get(base, base)]
            hit = any(test(str(w), v) for w in _list(wanted) for v in values)
            if hit == (base in _NEGATED):
                return False
    return True


def statement_applies(statement: dict, action: str, resource: str, context: dict[str, Any]) -> bool:
    """Whether `statement` covers this request (its effect aside)."""
    if "Principal" in statement or "NotPrincipal" in statement:
        raise NotImplementedError("resource-based policies")
    if "Action" in statement:
        if not _action_matches(_list(statement["Action"]), action):
            return False
    elif _action_matches(_list(statement["NotAction"]), action):
        return False
    if "Resource" in statement:
        if not _resource_matches(_list(statement["Resource"]), resource):
            return False
    elif _resource_matches(_list(statement["NotResource"]), resource):
        return False
    return _condition_matches(statement.get("Condition") or {}, context)


def evaluate(
    policies: list[dict], action: str, resource: str, context: dict[str, Any] | None = None
) -> str:
    """`Allow`, `Deny` (explicit) or `ImplicitDeny` for one request against these policies."""
    context = context or {}
    allowed = False
    for policy in policies:
        for statement in _list(policy["Statement"]):
            if not statement_applies(statement, action, resource, context):
                continue
            if statement["Effect"] == DENY:
                return DENY
            if statement["Effect"] == ALLOW:
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


__all__ = ["ALLOW", "DENY", "IMPLICIT_DENY", "evaluate"]
