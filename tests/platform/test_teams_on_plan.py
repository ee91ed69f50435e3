"""The two-team example (`stacks/shared.yaml`) built in an emulated account: each team's
role, judged by evaluating the IAM policies gpuforge wrote (read back through boto3) with
`tests.iam_eval`, its EKS access, and the per-team objects of the runtime."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from tests.conftest import ROOT
from tests.iam_eval import ALLOW, IMPLICIT_DENY, evaluate


@pytest.fixture(scope="module")
def shared():
    from gpuforge.emulator import EmulatedAccount
    from gpuforge.model.loader import load_env
    from gpuforge.planning import plan

    _, spec = load_env("shared", ROOT)
    with EmulatedAccount(region=spec.region) as account:
        yield spec, plan(spec, account=account), account


def _doc(raw) -> dict:
    return raw if isinstance(raw, dict) else json.loads(unquote(raw))


def _role(account, team: str) -> tuple[dict, list[dict]]:
    """The team role's trust policy and its identity policies, as IAM holds them."""
    iam = account.client("iam")
    (role,) = [
        r
        for r in iam.list_roles()["Roles"]
        if r["RoleName"].startswith(f"gpuforge-shared-training-{team}-")
    ]
    name = role["RoleName"]
    policies = [
        _doc(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == []  # the inline policy is the whole grant
    return _doc(role["AssumeRolePolicyDocument"]), policies


def _buckets(report) -> dict[str, str]:
    return report.outputs["bucketNames"]


def test_the_plan_is_policy_clean_and_has_no_shared_training_role(shared):
    spec, report, account = shared
    assert report.findings == [], [f.as_dict() for f in report.findings]
    roles = {r["RoleName"] for r in account.client("iam").list_roles()["Roles"]}
    assert not any(r.startswith("gpuforge-shared-training-") and r.count("-") == 3 for r in roles)
    assert set(report.outputs["roleArns"]) >= {"training-vision", "training-nlp"}
    assert "training" not in report.outputs["roleArns"]


@pytest.mark.parametrize(("team", "other"), [("vision", "nlp"), ("nlp", "vision")])
def test_a_team_writes_only_its_own_prefix_and_never_deletes(shared, team, other):
    spec, report, account = shared
    _, policies = _role(account, team)
    buckets = _buckets(report)
    for logical in ("checkpoints", "artifacts"):
        arn = f"arn:aws:s3:::{buckets[logical]}"
        mine, theirs = f"{arn}/{team}/run-1/shard-0.pt", f"{arn}/{other}/run-1/shard-0.pt"
        assert evaluate(policies, "s3:PutObject", mine) == ALLOW
        assert evaluate(policies, "s3:GetObject", mine) == ALLOW
        assert evaluate(policies, "s3:AbortMultipartUpload", mine) == ALLOW
        assert evaluate(policies, "s3:PutObject", theirs) == IMPLICIT_DENY
        assert evaluate(policies, "s3:GetObject", theirs) == IMPLICIT_DENY
        assert evaluate(policies, "s3:PutObject", f"{arn}/{team}") == IMPLICIT_DENY
        assert evaluate(policies, "s3:PutObject", f"{arn}/{team}-evil/x") == IMPLICIT_DENY
        for target in (mine, theirs):
            assert evaluate(policies, "s3:DeleteObject", target) == IMPLICIT_DENY
            assert evaluate(policies, "s3:DeleteObjectVersion", target) == IMPLICIT_DENY
        assert evaluate(policies, "s3:ListBucket", arn, {"s3:prefix": f"{team}/run-1/"}) == ALLOW
        assert evaluate(policies, "s3:ListBucket", arn, {"s3:prefix": f"{other}/"}) == IMPLICIT_DENY
        assert evaluate(policies, "s3:ListBucket", arn) == IMPLICIT_DENY  # the whole bucket
    datasets = f"arn:aws:s3:::{buckets['datasets']}"
    assert evaluate(policies, "s3:GetObject", f"{datasets}/imagenet/train-0.tar") == ALLOW
    assert evaluate(policies, "s3:ListBucket", datasets) == ALLOW
    assert evaluate(policies, "s3:PutObject", f"{datasets}/imagenet/x") == IMPLICIT_DENY
    assert evaluate(policies, "s3:PutBucketPolicy", datasets) == IMPLICIT_DENY


def test_the_storage_key_only_through_s3(shared):
    spec, report, account = shared
    _, policies = _role(account, "vision")
    kms = account.client("kms")
    keys = [
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Arn"] for k in kms.list_keys()["Keys"]
    ]
    via = {"kms:ViaService": f"s3.{spec.region}.amazonaws.com"}
    allowed = [k for k in keys if evaluate(policies, "kms:GenerateDataKey", k, via) == ALLOW]
    assert len(allowed) == 1
    assert evaluate(policies, "kms:Decrypt", allowed[0]) == IMPLICIT_DENY  # not through S3
    assert evaluate(policies, "kms:Decrypt", allowed[0], via) == ALLOW


def test_old_checkpoint_versions_are_pruned_by_lifecycle_not_by_pods(shared):
    spec, report, account = shared
    s3 = account.client("s3")
    bucket = _buckets(report)["checkpoints"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    days = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in rules
        if "NoncurrentVersionExpiration" in r
    ]
    assert days == [spec.storage.buckets[1].noncurrent_expiration_days]


@pytest.mark.parametrize("team", ["vision", "nlp"])
def test_the_role_trusts_pod_identity_for_the_team_namespace_only(shared, team):
    _, _, account = shared
    trust, _ = _role(account, team)
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    tags = statement["Condition"]["StringEquals"]
    assert tags["aws:RequestTag/kubernetes-namespace"] == team
    assert tags["aws:RequestTag/kubernetes-service-account"] == "training"


def _inputs(report, token: str) -> list[dict]:
    return [r.inputs for r in report.resources if r.type == token]


def test_pod_identity_binds_each_team_namespace_and_no_training_namespace(shared):
    _, report, _ = shared
    associations = _inputs(report, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    bound = {(a["namespace"], a["serviceAccount"]) for a in associations}
    assert {("vision", "training"), ("nlp", "training")} <= bound
    assert not any(a["namespace"] == "training" for a in associations)


def test_members_get_edit_in_their_namespace_only(shared):
    _, report, _ = shared
    entries = _inputs(report, "aws:eks/accessEntry:AccessEntry")
    team_people = {
        "arn:aws:iam::123456789012:role/vision-lead",
        "arn:aws:iam::123456789012:role/vision-engineers",
        "arn:aws:iam::123456789012:role/nlp-engineers",
    }
    assert team_people <= {e["principalArn"] for e in entries}
    scopes = {
        (a["principalArn"].rsplit("/", 1)[-1], a["policyArn"].rsplit("/", 1)[-1]): a["accessScope"]
        for a in _inputs(report, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if a["principalArn"] in team_people
    }
    assert scopes == {
        ("vision-lead", "AmazonEKSAdminPolicy"): {"type": "namespace", "namespaces": ["vision"]},
        ("vision-engineers", "AmazonEKSEditPolicy"): {
            "type": "namespace",
            "namespaces": ["vision"],
        },
        ("nlp-engineers", "AmazonEKSEditPolicy"): {"type": "namespace", "namespaces": ["nlp"]},
    }


def test_the_runtime_has_each_teams_objects(shared):
    spec, report, _ = shared
    declared = {
        (
            r.type.rsplit(":", 1)[-1],
            r.inputs.get("metadata", {}).get("namespace"),
            r.inputs.get("metadata", {}).get("name"),
        )
        for r in report.resources
        if r.type.startswith("kubernetes:")
    }
    for team in ("vision", "nlp"):
        assert ("Namespace", None, team) in declared
        assert ("ServiceAccount", team, "training") in declared
        assert ("ResourceQuota", team, "gpuforge-gpus") in declared
        assert ("LocalQueue", team, "training") in declared
        assert ("ClusterQueue", None, f"gpuforge-shared-{team}") in declared
    assert not any(ns == "training" for _, ns, _ in declared)
