"""The declarative helpers: three-valued conditions and companion rules' messages."""

from __future__ import annotations

import pytest

from gpuforge import policies
from gpuforge.policies.declarative import Parent, any_item, companion_rule, empty, expect, one_of
from gpuforge.policies.values import UNKNOWN

from .fixtures.common import Scenario


def test_expect_is_true_only_when_every_path_holds() -> None:
    wanted = expect({"a": True, "b.c": "Enabled", "d": one_of("x", "y")})
    assert wanted({"a": True, "b": {"c": "Enabled"}, "d": "y"}) is True
    assert wanted({"a": 1, "b": {"c": "Enabled"}, "d": "y"}) is False  # True is not 1
    assert wanted({"a": True, "b": {"c": "Enabled"}}) is False  # d not set
    assert wanted({"a": UNKNOWN, "b": {"c": "Enabled"}, "d": "x"}) is UNKNOWN
    # a known miss wins over an unknown: the value that is known already fails it
    assert wanted({"a": False, "b": UNKNOWN, "d": "x"}) is False


def test_any_item_needs_one_item_that_holds() -> None:
    enabled = any_item("rules", expect({"status": "Enabled"}))
    assert enabled({"rules": [{"status": "Disabled"}, {"status": "Enabled"}]}) is True
    assert enabled({"rules": [{"status": "Disabled"}]}) is False
    assert enabled({}) is False
    assert enabled({"rules": UNKNOWN}) is UNKNOWN
    assert enabled({"rules": [{"status": "Disabled"}, UNKNOWN]}) is UNKNOWN
    assert enabled({"rules": [UNKNOWN, {"status": "Enabled"}]}) is True


def test_empty_means_no_items() -> None:
    assert empty([]) and empty(None)
    assert not empty([{"protocol": "-1"}])


@pytest.mark.parametrize(
    ("rule_id", "parent", "kind", "noun"),
    [
        ("GF-S3-005", "aws:s3/bucket:Bucket", "BucketPublicAccessBlock", "bucket"),
        ("GF-S3-006", "aws:s3/bucket:Bucket", "BucketServerSideEncryptionConfiguration", "bucket"),
        ("GF-S3-007", "aws:s3/bucket:Bucket", "BucketServerSideEncryptionConfiguration", "bucket"),
        ("GF-S3-008", "aws:s3/bucket:Bucket", "BucketPolicy", "bucket"),
        ("GF-S3-009", "aws:s3/bucket:Bucket", "BucketVersioning", "bucket"),
        ("GF-S3-010", "aws:s3/bucket:Bucket", "BucketLifecycleConfiguration", "bucket"),
        ("GF-S3-011", "aws:s3/bucket:Bucket", "BucketLifecycleConfiguration", "bucket"),
        ("GF-VPC-001", "aws:ec2/vpc:Vpc", "FlowLog", "VPC"),
        ("GF-VPC-003", "aws:ec2/vpc:Vpc", "DefaultSecurityGroup", "VPC"),
    ],
)
def test_a_parent_without_companion_is_told_what_to_add(rule_id, parent, kind, noun) -> None:
    lone = Scenario([("fail", parent, {})]).triples()
    [finding] = [f for f in policies.evaluate(lone) if f.rule == rule_id]
    prefix = f"no {kind} names this {noun}: "
    assert finding.message.startswith(prefix)
    assert len(finding.message) > len(prefix) + 10  # and says what to add


def test_a_condition_needs_a_message_for_a_wrong_companion() -> None:
    with pytest.raises(ValueError, match="needs `wrong`"):
        companion_rule(
            "GF-TEST-001",
            "Ensure nothing",
            severity="low",
            parent=Parent("aws:s3/bucket:Bucket", "bucket", "bucket"),
            companion="aws:s3/bucketVersioning:BucketVersioning",
            ref="bucket",
            condition=expect({"x": 1}),
            missing="add one",
        )
    assert "GF-TEST-001" not in policies.RULES_BY_ID


def test_key_rule_matches_as_expect_does_and_says_what_is_unset() -> None:
    """GF-EKS-006 (equals=False) and GF-KMS-002 (a value test over AWS's default)."""
    cluster, key = "aws:eks/cluster:Cluster", "aws:kms/key:Key"
    path = "bootstrapClusterCreatorAdminPermissions"
    scenario = Scenario(
        [
            ("unset", cluster, {}),
            ("zero", cluster, {"accessConfig": {path: 0}}),  # 0 is not False
            ("off", cluster, {"accessConfig": {path: False}}),
            ("default-window", key, {"enableKeyRotation": True}),
            ("short-window", key, {"enableKeyRotation": True, "deletionWindowInDays": 3}),
        ]
    )
    found = {
        (f.rule, f.urn.rsplit("::", 1)[-1]): f.message
        for f in policies.evaluate(scenario.triples())
    }
    assert found[("GF-EKS-006", "unset")].startswith(
        f"accessConfig.{path} is not set (EKS's default is true): "
    )
    assert ("GF-EKS-006", "zero") in found and ("GF-EKS-006", "off") not in found
    assert ("GF-KMS-002", "default-window") not in found
    assert found[("GF-KMS-002", "short-window")] == (
        "deletionWindowInDays is 3: set it to 7..30 (30 is the default)"
    )
