"""S3: public access block, SSE-KMS with bucket key, TLS-only policy, versioning, lifecycle.

Per-bucket rules are `companion_rule`s on `aws:s3/bucket:Bucket`: the settings live in
separate resources (BucketPublicAccessBlock, BucketServerSideEncryptionConfiguration, ...)
whose `bucket` property names the bucket, matched as `Stack.children` does. The components
should pass `bucket=<Bucket>.bucket` (known at preview when the bucket has an explicit or
auto-generated name), not `<Bucket>.id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .context import RuleContext
from .declarative import (
    Condition,
    Exemption,
    Parent,
    any_item,
    companion_rule,
    expect,
    key_rule,
    nonempty_string,
    one_of,
)
from .rule import rule
from .stack import Resource, Stack
from .values import (
    MISSING,
    UNKNOWN,
    as_list,
    everyone,
    get,
    parse_policy,
    statement_list,
    statements,
)

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"

BUCKETS = Parent(BUCKET, noun="bucket", name_prop="bucket")
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")

for _id, _flag, _title, _ckv, _avd in (
    ("GF-S3-001", "blockPublicAcls", "blocks public ACLs", "CKV_AWS_53", "AVD-AWS-0086"),
    (
        "GF-S3-002",
        "blockPublicPolicy",
        "blocks public bucket policies",
        "CKV_AWS_54",
        "AVD-AWS-0087",
    ),
    ("GF-S3-003", "ignorePublicAcls", "ignores public ACLs", "CKV_AWS_55", "AVD-AWS-0091"),
    (
        "GF-S3-004",
        "restrictPublicBuckets",
        "restricts public buckets",
        "CKV_AWS_56",
        "AVD-AWS-0093",
    ),
):
    key_rule(
        _id,
        f"Ensure the S3 public access block {_title}",
        severity="high",
        types=[PAB],
        path=_flag,
        equals=True,
        fix=f"set {_flag}=True on the BucketPublicAccessBlock",
        checkov=[_ckv],
        trivy=[_avd],
    )


companion_rule(
    "GF-S3-005",
    "Ensure every S3 bucket has a public access block with all four flags on",
    severity="high",
    parent=BUCKETS,
    companion=PAB,
    ref="bucket",
    condition=expect(dict.fromkeys(PAB_FLAGS, True)),
    missing="add one with all four flags True",
    wrong="its BucketPublicAccessBlock does not set all four flags: set them True",
    checkov=["CKV2_AWS_6"],
    trivy=["AVD-AWS-0094"],
)


def is_access_log_target(bucket: Resource, stack: Stack) -> Any:
    """Does a BucketLogging in the stack deliver server access logs into this bucket?"""
    keys = stack.keys_of(bucket, "bucket")
    unknown = False
    for logging in stack.of_type(LOGGING):
        target = logging.get("targetBucket", computed=True)
        if target is UNKNOWN:
            unknown = True
        elif target in keys:
            return True
    return UNKNOWN if unknown else False


# S3 cannot deliver server access logs into a bucket whose default encryption is SSE-KMS:
# such a target may use SSE-S3 (AES256), and only such a target ("Enabling Amazon S3
# server access logging", S3 User Guide: docs.aws.amazon.com/AmazonS3/latest/userguide/
# enable-server-access-logging.html).
ACCESS_LOG_TARGET_SSE_S3 = Exemption(
    applies=is_access_log_target,
    condition=any_item(
        "rules", expect({"applyServerSideEncryptionByDefault.sseAlgorithm": "AES256"})
    ),
)

companion_rule(
    "GF-S3-006",
    "Ensure every S3 bucket is encrypted by default with SSE-KMS and a customer managed key",
    severity="high",
    parent=BUCKETS,
    companion=SSE,
    ref="bucket",
    condition=any_item(
        "rules",
        expect(
            {
                "applyServerSideEncryptionByDefault.sseAlgorithm": one_of(*KMS_ALGORITHMS),
                "applyServerSideEncryptionByDefault.kmsMasterKeyId": nonempty_string,
            }
        ),
    ),
    exemption=ACCESS_LOG_TARGET_SSE_S3,
    missing="add one with sseAlgorithm='aws:kms' and kmsMasterKeyId=<your CMK>",
    wrong="its default encryption is not SSE-KMS with a key: set "
    "applyServerSideEncryptionByDefault.sseAlgorithm='aws:kms' and kmsMasterKeyId "
    "(SSE-S3 only on a server access log target)",
    checkov=["CKV_AWS_145", "CKV_AWS_19"],
    trivy=["AVD-AWS-0088", "AVD-AWS-0132"],
)

companion_rule(
    "GF-S3-007",
    "Ensure every S3 bucket's SSE-KMS configuration enables the S3 bucket key",
    severity="low",
    enforcement="advisory",
    parent=BUCKETS,
    companion=SSE,
    ref="bucket",
    condition=any_item("rules", expect({"bucketKeyEnabled": True})),
    exemption=ACCESS_LOG_TARGET_SSE_S3,  # a bucket key applies to SSE-KMS only
    missing="add one with bucketKeyEnabled=True",
    wrong="bucketKeyEnabled is not True: set it on the encryption rule (cuts KMS request costs)",
)


def _is_false(value: Any) -> Any:
    if isinstance(value, list):
        return all(_is_false(v) for v in value) and bool(value)
    return value is False or (isinstance(value, str) and value.lower() == "false")


def denies_insecure_transport(props: Mapping[str, Any]) -> Any:
    """Does the `policy` deny s3:* to every principal when aws:SecureTransport is false?"""
    doc = parse_policy(get(props, "policy"))
    if doc is UNKNOWN or doc is None:
        return UNKNOWN
    if doc is MISSING:
        return False
    unknown = False  # a statement that may be the TLS deny once its unknowns resolve
    for st in statements(doc):
        if st is UNKNOWN:
            unknown = True
            continue
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        principal = everyone(st.get("Principal"))
        if principal is False:
            continue
        actions = statement_list(st, "Action", partial=True)
        if actions is UNKNOWN:
            unknown = True
            continue
        if not any(a in ("s3:*", "*") for a in actions):
            unknown = unknown or UNKNOWN in actions
            continue
        cond = st.get("Condition")
        if cond is UNKNOWN:
            unknown = True
            continue
        if not isinstance(cond, dict):
            continue
        for op in ("Bool", "BoolIfExists"):
            block = cond.get(op)
            if isinstance(block, dict) and _is_false(block.get("aws:SecureTransport")):
                if principal is UNKNOWN:
                    unknown = True
                    break
                return True
    return UNKNOWN if unknown else False


companion_rule(
    "GF-S3-008",
    "Ensure every S3 bucket policy denies requests that do not use TLS",
    severity="medium",
    parent=BUCKETS,
    companion=POLICY,
    ref="bucket",
    condition=denies_insecure_transport,
    parent_may_satisfy=True,  # a Bucket's own (legacy) `policy` argument counts too
    missing="add one with a statement Effect=Deny, Principal='*', Action='s3:*', "
    "Condition Bool aws:SecureTransport='false'",
    wrong="its bucket policy has no Deny of s3:* for all principals when "
    "aws:SecureTransport is false: add that statement",
)

companion_rule(
    "GF-S3-009",
    "Ensure every S3 bucket has versioning enabled",
    severity="medium",
    parent=BUCKETS,
    companion=VERSIONING,
    ref="bucket",
    condition=expect({"versioningConfiguration.status": "Enabled"}),
    missing="add one with versioningConfiguration.status='Enabled'",
    wrong="versioningConfiguration.status is not 'Enabled': enable it",
    checkov=["CKV_AWS_21"],
    trivy=["AVD-AWS-0090"],
)


def _days(value: Any) -> bool:
    """A positive whole number of days. Pulumi sends every number as a float (7 -> 7.0);
    bool is an int subclass, not a count."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == int(value)
        and value > 0
    )


def _enabled_lifecycle_rule_sets(path: str) -> Condition:
    return any_item("rules", expect({"status": "Enabled", path: _days}))


companion_rule(
    "GF-S3-010",
    "Ensure every S3 bucket's lifecycle aborts incomplete multipart uploads",
    severity="low",
    parent=BUCKETS,
    companion=LIFECYCLE,
    ref="bucket",
    condition=_enabled_lifecycle_rule_sets("abortIncompleteMultipartUpload.daysAfterInitiation"),
    missing="add one with an Enabled rule setting "
    "abortIncompleteMultipartUpload.daysAfterInitiation",
    wrong="no Enabled lifecycle rule sets abortIncompleteMultipartUpload.daysAfterInitiation: "
    "add one (for example 7 days)",
    checkov=["CKV_AWS_300", "CKV2_AWS_61"],
)

companion_rule(
    "GF-S3-011",
    "Ensure every S3 bucket's lifecycle expires noncurrent object versions",
    severity="low",
    enforcement="advisory",
    parent=BUCKETS,
    companion=LIFECYCLE,
    ref="bucket",
    condition=_enabled_lifecycle_rule_sets("noncurrentVersionExpiration.noncurrentDays"),
    missing="add one with an Enabled rule setting noncurrentVersionExpiration.noncurrentDays",
    wrong="no Enabled lifecycle rule sets noncurrentVersionExpiration.noncurrentDays: add one "
    "so old checkpoint versions do not pile up",
)

key_rule(
    "GF-S3-012",
    "Ensure S3 buckets do not grant public access through a canned ACL",
    severity="critical",
    types=[BUCKET],
    path="acl",
    not_in=["public-read", "public-read-write", "authenticated-read"],
    fix="remove the acl argument (or use 'private'); share data through IAM instead",
    checkov=["CKV_AWS_20", "CKV_AWS_57"],
    trivy=["AVD-AWS-0092"],
)


@rule(
    "GF-S3-013",
    "Ensure buckets of a protected environment do not set forceDestroy",
    severity="high",
    types=[BUCKET],
)
def protected_bucket_not_force_destroy(bucket: Resource, ctx: RuleContext):
    """Protected: the bucket's `gpuforge.dev/protected` tag, else the context (spec `protected`)."""
    force = bucket.get("forceDestroy")
    if force is MISSING or force is False:
        return
    protected = ctx.protected_of(bucket.props)
    if force is UNKNOWN or (protected is UNKNOWN and force is True):
        yield UNKNOWN
    elif force is True and protected is True:
        yield (
            "forceDestroy is True on a protected environment: `pulumi destroy` would delete "
            "every object; set storage.force_destroy: false"
        )


@rule(
    "GF-S3-014",
    "Ensure every S3 data bucket has server access logging",
    severity="medium",
    types=[BUCKET],
    stack=True,
    checkov=["CKV_AWS_18"],
    trivy=["AVD-AWS-0089"],
)
def bucket_access_logging(bucket: Resource, stack: Stack, ctx: RuleContext):
    """A bucket that receives access logs is not a data bucket: it does not log itself."""
    target = is_access_log_target(bucket, stack)
    if target is True:
        return
    inline = as_list(bucket.get("loggings"))
    if inline is not UNKNOWN and any(
        isinstance(x, Mapping) and get(x, "targetBucket") is not MISSING for x in inline
    ):
        return
    loggings, ref_unknown = stack.children(bucket, LOGGING, "bucket", "bucket")
    targets = [lg.get("targetBucket") for lg in loggings]
    if any(isinstance(t, str) and t for t in targets):
        return
    if target is UNKNOWN or ref_unknown or inline is UNKNOWN or UNKNOWN in targets:
        yield UNKNOWN
        return
    yield (
        "no BucketLogging names this bucket: add one (bucket=<bucket>, targetBucket=<a log "
        "bucket>, targetPrefix='<bucket>/') so every request to its data is recorded"
    )


_PERIMETER_KEYS = ("aws:sourcevpc", "aws:sourcevpce")


def _perimeter_deny(st: Any) -> Any:
    """Is the statement a Deny, to everyone, of object access from outside a VPC or
    endpoint (`StringNotEquals[IfExists]` on aws:SourceVpc / aws:SourceVpce)?"""
    if st is UNKNOWN:
        return UNKNOWN
    if not isinstance(st, dict) or st.get("Effect") != "Deny":
        return False
    condition = st.get("Condition")
    if condition is UNKNOWN:
        return UNKNOWN
    if not isinstance(condition, dict):
        return False
    for op, block in condition.items():
        if not str(op).startswith("StringNotEquals"):
            continue
        if block is UNKNOWN:
            return UNKNOWN
        if isinstance(block, dict) and any(str(k).lower() in _PERIMETER_KEYS for k in block):
            return everyone(st.get("Principal"))
    return False


@rule(
    "GF-S3-015",
    "Ensure data bucket policies deny object access from outside the VPC's endpoints "
    "(aws:SourceVpc / aws:SourceVpce), except to named admin principals",
    severity="medium",
    enforcement="advisory",
    types=[BUCKET],
    stack=True,
)
def bucket_network_perimeter(bucket: Resource, stack: Stack, ctx: RuleContext):
    """Server access log targets are exempt: S3's logging service writes them and auditors
    read them from anywhere. Advisory: a VPC without an S3 endpoint reaches S3 through NAT,
    where no request carries aws:SourceVpc, so the perimeter needs `network.endpoints: [s3]`."""
    target = is_access_log_target(bucket, stack)
    if target is True:
        return
    policies, ref_unknown = stack.children(bucket, POLICY, "bucket", "bucket")
    verdicts = []
    for policy in policies:
        doc = parse_policy(policy.get("policy"))
        if doc is UNKNOWN or doc is None:
            verdicts.append(UNKNOWN)
        elif doc is not MISSING:
            verdicts += [_perimeter_deny(st) for st in statements(doc)]
    if True in verdicts:
        return
    if UNKNOWN in verdicts or ref_unknown or target is UNKNOWN:
        yield UNKNOWN
        return
    yield (
        "no bucket policy denies object access from outside the VPC: add a Deny of s3:GetObject*, "
        "s3:PutObject*, s3:DeleteObject*, s3:ListBucket* with StringNotEqualsIfExists "
        "aws:SourceVpc=<vpc> (exempting admins with ArnNotLikeIfExists aws:PrincipalArn)"
    )
