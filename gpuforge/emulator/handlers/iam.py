"""IAM resources, backed by moto's IAM backend (global, like IAM).

moto validates policy documents (``MalformedPolicyDocument``), duplicate names,
and that attached policies exist; AWS-managed policies are loaded into the account.

The following are not yet implemented:
- Role: ``permissionsBoundary`` is passed through, not enforced.
- OpenIdConnectProvider: the issuer URL is not fetched; thumbprints are not checked.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from typing import Any

from ._base import Context, num, policy_text, require, tag_list

_AWS_POLICY_PREFIX = ":iam::aws:policy/"
_load_lock = threading.Lock()


@cache
def _aws_managed_policy_data(name: str) -> dict[str, Any] | None:
    """One entry of moto's catalogue, decoded alone (parsing all 4.7 MB costs ~0.7 s)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data as catalogue

    key = f'\n "{name}":'
    at = catalogue.find(key)
    if at < 0:
        return None
    return json.JSONDecoder().raw_decode(catalogue, at + len(key))[0]


def ensure_aws_managed_policy(ctx: Context, policy_arn: str) -> None:
    """Load one AWS-managed policy (from moto's copy of AWS's catalogue) into the account.

    A real account has all of them; loading all ~1300 into moto costs ~1 s per account,
    so the emulator loads each one the first time a program attaches it. An ARN that
    is not in the catalogue stays missing, and the attach fails as it would on AWS.
    """
    if _AWS_POLICY_PREFIX not in policy_arn:
        return
    backend = ctx.emulation.account.backend("iam", "global")
    if policy_arn in backend.managed_policies:
        return
    data = _aws_managed_policy_data(policy_arn.rsplit("/", 1)[-1])
    if data is None:
        return
    from moto.iam.models import AWSManagedPolicy

    with _load_lock:
        if policy_arn not in backend.managed_policies:
            policy = AWSManagedPolicy.from_data(
                policy_arn.rsplit("/", 1)[-1], ctx.account_id, "global", data
            )
            if policy.arn == policy_arn:
                backend.aws_managed_policies.append(policy)
                backend.managed_policies[policy.arn] = policy


def role(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    iam = ctx.client("iam")
    role_name = ctx.physical_name(name, inputs, kind="role")
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {
        "RoleName": role_name,
        "AssumeRolePolicyDocument": policy_text(require(inputs, "assumeRolePolicy")),
        "Path": inputs.get("path") or "/",
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("maxSessionDuration"):
        kwargs["MaxSessionDuration"] = num(inputs["maxSessionDuration"])
    if inputs.get("permissionsBoundary"):
        kwargs["PermissionsBoundary"] = inputs["permissionsBoundary"]
    if tags:
        kwargs["Tags"] = tag_list(tags)
    created = iam.create_role(**kwargs)["Role"]
    for policy_arn in inputs.get("managedPolicyArns") or []:
        ensure_aws_managed_policy(ctx, policy_arn)
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
    for inline in inputs.get("inlinePolicies") or []:
        if inline.get("name") and inline.get("policy"):
            iam.put_role_policy(
                RoleName=role_name,
                PolicyName=inline["name"],
                PolicyDocument=policy_text(inline["policy"]),
            )
    return role_name, {
        "arn": created["Arn"],
        "name": role_name,
        "uniqueId": created["RoleId"],
        "createDate": created["CreateDate"].isoformat(),
        "path": kwargs["Path"],
        "maxSessionDuration": kwargs.get("MaxSessionDuration", 3600),
        "tagsAll": tags,
    }


def role_policy(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    role_name = require(inputs, "role")
    policy_name = ctx.physical_name(name, inputs, kind="rolepolicy")
    ctx.client("iam").put_role_policy(
        RoleName=role_name,
        PolicyName=policy_name,
        PolicyDocument=policy_text(require(inputs, "policy")),
    )
    return f"{role_name}:{policy_name}", {"name": policy_name}


def role_policy_attachment(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    role_name = require(inputs, "role")
    policy_arn = require(inputs, "policyArn")
    ensure_aws_managed_policy(ctx, policy_arn)
    ctx.client("iam").attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
    digest = hashlib.sha1(policy_arn.encode()).hexdigest()[:20]
    return f"{role_name}-{digest}", {}


def policy(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    policy_name = ctx.physical_name(name, inputs, kind="policy")
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {
        "PolicyName": policy_name,
        "PolicyDocument": policy_text(require(inputs, "policy")),
        "Path": inputs.get("path") or "/",
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if tags:
        kwargs["Tags"] = tag_list(tags)
    created = ctx.client("iam").create_policy(**kwargs)["Policy"]
    return created["Arn"], {
        "arn": created["Arn"],
        "name": policy_name,
        "policyId": created["PolicyId"],
        "path": kwargs["Path"],
        "attachmentCount": 0,
        "tagsAll": tags,
    }


def openid_connect_provider(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    tags = ctx.tags(inputs)
    url = require(inputs, "url")
    kwargs: dict[str, Any] = {
        "Url": url,
        "ClientIDList": inputs.get("clientIdLists") or [],
        "ThumbprintList": inputs.get("thumbprintLists") or [],
    }
    if tags:
        kwargs["Tags"] = tag_list(tags)
    arn = ctx.client("iam").create_open_id_connect_provider(**kwargs)["OpenIDConnectProviderArn"]
    return arn, {"arn": arn, "tagsAll": tags, "thumbprintLists": kwargs["ThumbprintList"]}


HANDLERS = {
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": role_policy_attachment,
    "aws:iam/policy:Policy": policy,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": openid_connect_provider,
}
STATE_BACKED: set[str] = set()
