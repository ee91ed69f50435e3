"""parliament and cloudsplaining over every policy document gpuforge writes, per shipped
environment in the emulated account: nothing is flagged that is not justified below.

parliament (duo-labs, 1.6.4) lints a document as an identity policy. Resource policies
(trust, key, bucket and endpoint policies) trip checks written for identity policies; each
such finding is listed in `JUSTIFIED` with why it does not apply. A finding not listed,
or one on an identity policy (RolePolicy), fails the test. cloudsplaining (0.9) checks
the identity policies for privilege escalation, unconstrained writes, permissions
management, credentials exposure and data exfiltration: none may be flagged.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types
from collections import Counter

import pytest

# parliament 1.6.4 still does `import pkg_resources` for two data-file paths; setuptools 81+
# no longer ships that module. A stand-in gives it the paths while parliament imports, and
# is removed again: pytest's monkeypatch.syspath_prepend uses pkg_resources when it is loaded.
_shimmed = importlib.util.find_spec("pkg_resources") is None
if _shimmed:
    _shim = types.ModuleType("pkg_resources")
    _shim.resource_filename = lambda pkg, name: os.path.join(  # type: ignore[attr-defined]
        os.path.dirname(importlib.util.find_spec(pkg).origin), name
    )
    sys.modules["pkg_resources"] = _shim
try:
    from parliament import analyze_policy_string
finally:
    if _shimmed:
        del sys.modules["pkg_resources"]

from cloudsplaining.scan.policy_document import PolicyDocument  # noqa: E402

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
# type token -> the input that holds a policy document
POLICY_INPUTS = {
    ROLE_POLICY: "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "policy",
}

# (type token, parliament issue) -> why it does not apply to that kind of document
JUSTIFIED = {
    ("aws:iam/role:Role", "MALFORMED"): (
        "'Statement contains neither Resource nor NotResource': a trust policy has no Resource "
        "(IAM refuses one there); parliament reads it as an identity policy"
    ),
    ("aws:kms/key:Key", "RESOURCE_STAR"): (
        "in a key policy Resource '*' means this key and nothing else (KMS Developer Guide, "
        "'Key policies': 'the resource is this KMS key')"
    ),
    ("aws:kms/key:Key", "PERMISSIONS_MANAGEMENT_ACTIONS"): (
        "the account root's kms:* statement: AWS's default key policy, which lets IAM "
        "policies of the account grant use of the key; no other principal gets it"
    ),
    ("aws:kms/key:Key", "MISMATCHED_TYPE"): (
        "ArnLike on kms:EncryptionContext:aws:logs:arn, exactly as the CloudWatch Logs guide's "
        "key policy writes it (encrypt-log-data-kms.html); parliament types the key as String"
    ),
    ("aws:s3/bucketPolicy:BucketPolicy", "UNKNOWN_CONDITION_FOR_ACTION"): (
        "aws:ViaAWSService is a global condition key (IAM User Guide, 'AWS global condition "
        "context keys'); parliament 1.6.4's list of global keys predates it"
    ),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "PRIVILEGE_ESCALATION"): (
        "an endpoint policy grants nothing: it bounds what this account's principals "
        "(aws:PrincipalAccount) may do through the endpoint, on top of their IAM policies"
    ),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "PERMISSIONS_MANAGEMENT_ACTIONS"): (
        "as PRIVILEGE_ESCALATION: Action '*' in an endpoint policy is a bound, not a grant"
    ),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "CREDENTIALS_EXPOSURE"): (
        "as PRIVILEGE_ESCALATION: Action '*' in an endpoint policy is a bound, not a grant"
    ),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "RESOURCE_STAR"): (
        "the STS endpoint's web-identity statement: AssumeRoleWithWebIdentity is bounded to "
        "this account's roles by aws:ResourceAccount, as AWS's data-perimeter example does"
    ),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "UNKNOWN_FEDERATION_SOURCE"): (
        "Principal {'Federated': '*'} in the STS endpoint policy: any IdP may call it, and "
        "aws:ResourceAccount keeps it to this account's roles (data-perimeter example)"
    ),
}


def _documents(built):
    for r in built.report.resources:
        prop = POLICY_INPUTS.get(r.type)
        text = (r.inputs or {}).get(prop) if prop else None
        if text:
            yield r, text if isinstance(text, str) else json.dumps(text)


def test_parliament_flags_nothing_unjustified(built):
    seen = Counter()
    unjustified = []
    for r, text in _documents(built):
        for finding in analyze_policy_string(text, include_community_auditors=True).findings:
            seen[(r.type, finding.issue)] += 1
            if (r.type, finding.issue) not in JUSTIFIED:
                unjustified.append((r.type, r.name, finding.issue, finding.detail))
    assert unjustified == []
    # the linter did run over the kinds of document gpuforge writes
    assert {t for t, _ in seen} >= {"aws:iam/role:Role", "aws:kms/key:Key"}


def test_parliament_finds_what_the_old_policies_had():
    """The check is live: the flow-log role as it was (DescribeLogGroups on the log group,
    beside its write actions) draws parliament's RESOURCE_MISMATCH."""
    group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc-flow-logs/x"
    old = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogGroups"],
                "Resource": [group],
            }
        ],
    }
    issues = {f.issue for f in analyze_policy_string(json.dumps(old)).findings}
    assert "RESOURCE_MISMATCH" in issues


@pytest.mark.parametrize(
    "check",
    [
        "allows_privilege_escalation",
        "permissions_management_without_constraints",
        "write_actions_without_constraints",
        "credentials_exposure",
        "infrastructure_modification",
        "allows_data_exfiltration_actions",
    ],
)
def test_cloudsplaining_flags_no_identity_policy(built, check):
    policies = [(r, text) for r, text in _documents(built) if r.type == ROLE_POLICY]
    assert policies
    flagged = {
        r.name: getattr(PolicyDocument(json.loads(text)), check)
        for r, text in policies
        if getattr(PolicyDocument(json.loads(text)), check)
    }
    assert flagged == {}
