"""S3: public access block, SSE-KMS with bucket key, TLS-only policy, versioning, lifecycle.

Per-bucket rules are stack rules on `aws:s3/bucket:Bucket`: the settings live in separate
resources (BucketPublicAccessBlock, BucketServerSideEncryptionConfiguration, ...) whose
`bucket` property names the bucket. See `Stack.children` for how they are matched; the
components should pass `bucket=<Bucket>.bucket` (known at preview when the bucket has an
explicit or auto-generated name), not `<Bucket>.id`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .rule import (
    MISSING,
    UNKNOWN,
    Resource,
    RuleContext,
    Stack,
    as_list,
    get,
    key_rule,
    parse_policy,
    rule,
    statements,
)

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"

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


def _per_bucket(
    bucket: Resource, stack: Stack, child_type: str, ok, missing: str, wrong: str
) -> Iterator[Any]:
    yield from stack.check_children(bucket, child_type, "bucket", ok, missing, wrong, "bucket")


def _pab_ok(pab: Resource) -> Any:
    flags = [
        pab.get(f)
        for f in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    ]
    if all(f is True for f in flags):
        return True
    return UNKNOWN if any(f is UNKNOWN for f in flags) else False


@rule(
    "GF-S3-005",
    "Ensure every S3 bucket has a public access block with all four flags on",
    severity="high",
    types=[BUCKET],
    stack=True,
    checkov=["CKV2_AWS_6"],
    trivy=["AVD-AWS-0094"],
)
def bucket_has_public_access_block(bucket: Resource, stack: Stack, ctx: RuleContext):
    yield from _per_bucket(
        bucket,
        stack,
        PAB,
        _pab_ok,
        "no BucketPublicAccessBlock names this bucket: add one with all four flags True",
        "its BucketPublicAccessBlock does not set all four flags: set them True",
    )


def _sse_rules(sse: Resource) -> Any:
    return as_list(sse.get("rules"))


def _sse_kms_ok(sse: Resource) -> Any:
    rules = _sse_rules(sse)
    if rules is UNKNOWN:
        return UNKNOWN
    verdict: Any = False
    for r in rules:
        algo = get(r, "applyServerSideEncryptionByDefault.sseAlgorithm")
        key = get(r, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
        if algo in ("aws:kms", "aws:kms:dsse") and isinstance(key, str) and key:
            return True
        if algo is UNKNOWN or (algo in ("aws:kms", "aws:kms:dsse") and key is UNKNOWN):
            verdict = UNKNOWN
    return verdict


@rule(
    "GF-S3-006",
    "Ensure every S3 bucket is encrypted by default with SSE-KMS and a customer managed key",
    severity="high",
    types=[BUCKET],
    stack=True,
    checkov=["CKV_AWS_145", "CKV_AWS_19"],
    trivy=["AVD-AWS-0088", "AVD-AWS-0132"],
)
def bucket_sse_kms(bucket: Resource, stack: Stack, ctx: RuleContext):
    yield from _per_bucket(
        bucket,
        stack,
        SSE,
        _sse_kms_ok,
        "no BucketServerSideEncryptionConfiguration names this bucket: add one with "
        "sseAlgorithm='aws:kms' and kmsMasterKeyId=<your CMK>",
        "its default encryption is not SSE-KMS with a key: set "
        "applyServerSideEncryptionByDefault.sseAlgorithm='aws:kms' and kmsMasterKeyId",
    )


def _bucket_key_ok(sse: Resource) -> Any:
    rules = _sse_rules(sse)
    if rules is UNKNOWN:
        return UNKNOWN
    values = [get(r, "bucketKeyEnabled") for r in rules]
    if any(v is True for v in values):
        return True
    return UNKNOWN if any(v is UNKNOWN for v in values) else False


@rule(
    "GF-S3-007",
    "Ensure every S3 bucket's SSE-KMS configuration enables the S3 bucket key",
    severity="low",
    enforcement="advisory",
    types=[BUCKET],
    stack=True,
)
def bucket_key_enabled(bucket: Resource, stack: Stack, ctx: RuleContext):
    yield from _per_bucket(
        bucket,
        stack,
        SSE,
        _bucket_key_ok,
        "no BucketServerSideEncryptionConfiguration names this bucket: add one with "
        "bucketKeyEnabled=True",
        "bucketKeyEnabled is not True: set it on the encryption rule (cuts KMS request costs)",
    )


def _is_false(value: Any) -> Any:
    if isinstance(value, list):
        return all(_is_false(v) for v in value) and bool(value)
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _denies_insecure_transport(policy: Resource) -> Any:
    doc = parse_policy(policy.get("policy"))
    if doc is UNKNOWN or doc is None:
        return UNKNOWN
    if doc is MISSING:
        return False
    for st in statements(doc):
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        principal = st.get("Principal")
        if principal not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
            continue
        actions = as_list(st.get("Action", MISSING))
        if not any(a in ("s3:*", "*") for a in actions):
            continue
        cond = st.get("Condition")
        if not isinstance(cond, dict):
            continue
        for op in ("Bool", "BoolIfExists"):
            block = cond.get(op)
            if isinstance(block, dict) and _is_false(block.get("aws:SecureTransport")):
                return True
    return False


@rule(
    "GF-S3-008",
    "Ensure every S3 bucket policy denies requests that do not use TLS",
    severity="medium",
    types=[BUCKET],
    stack=True,
)
def bucket_tls_only(bucket: Resource, stack: Stack, ctx: RuleContext):
    inline = bucket.get("policy")
    if inline is not MISSING:  # a Bucket's own (legacy) policy argument counts too
        verdict = _denies_insecure_transport(bucket)
        if verdict is True:
            return
    yield from _per_bucket(
        bucket,
        stack,
        POLICY,
        _denies_insecure_transport,
        "no BucketPolicy names this bucket: add one with a statement Effect=Deny, "
        "Principal='*', Action='s3:*', Condition Bool aws:SecureTransport='false'",
        "its bucket policy has no Deny of s3:* for all principals when "
        "aws:SecureTransport is false: add that statement",
    )


def _versioning_ok(v: Resource) -> Any:
    status = v.get("versioningConfiguration.status")
    if status is UNKNOWN:
        return UNKNOWN
    return status == "Enabled"


@rule(
    "GF-S3-009",
    "Ensure every S3 bucket has versioning enabled",
    severity="medium",
    types=[BUCKET],
    stack=True,
    checkov=["CKV_AWS_21"],
    trivy=["AVD-AWS-0090"],
)
def bucket_versioning(bucket: Resource, stack: Stack, ctx: RuleContext):
    yield from _per_bucket(
        bucket,
        stack,
        VERSIONING,
        _versioning_ok,
        "no BucketVersioning names this bucket: add one with versioningConfiguration.status="
        "'Enabled'",
        "versioningConfiguration.status is not 'Enabled': enable it",
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)


def _lifecycle_has(lc: Resource, path: str) -> Any:
    rules = as_list(lc.get("rules"))
    if rules is UNKNOWN:
        return UNKNOWN
    verdict: Any = False
    for r in rules:
        status, value = get(r, "status"), get(r, path)
        if status is UNKNOWN or value is UNKNOWN:
            verdict = UNKNOWN
        # Pulumi sends every number as a float (7 -> 7.0); bool is an int subclass, not a count.
        elif status == "Enabled" and _is_count(value) and value > 0:
            return True
    return verdict


@rule(
    "GF-S3-010",
    "Ensure every S3 bucket's lifecycle aborts incomplete multipart uploads",
    severity="low",
    types=[BUCKET],
    stack=True,
    checkov=["CKV_AWS_300", "CKV2_AWS_61"],
)
def bucket_abort_multipart(bucket: Resource, stack: Stack, ctx: RuleContext):
    yield from _per_bucket(
        bucket,
        stack,
        LIFECYCLE,
        lambda lc: _lifecycle_has(lc, "abortIncompleteMultipartUpload.daysAfterInitiation"),
        "no BucketLifecycleConfiguration names this bucket: add one with an Enabled rule "
        "setting abortIncompleteMultipartUpload.daysAfterInitiation",
        "no Enabled lifecycle rule sets abortIncompleteMultipartUpload.daysAfterInitiation: "
        "add one (for example 7 days)",
    )


@rule(
    "GF-S3-011",
    "Ensure every S3 bucket's lifecycle expires noncurrent object versions",
    severity="low",
    enforcement="advisory",
    types=[BUCKET],
    stack=True,
)
def bucket_noncurrent_expiry(bucket: Resource, stack: Stack, ctx: RuleContext):
    yield from _per_bucket(
        bucket,
        stack,
        LIFECYCLE,
        lambda lc: _lifecycle_has(lc, "noncurrentVersionExpiration.noncurrentDays"),
        "no BucketLifecycleConfiguration names this bucket: add one with an Enabled rule "
        "setting noncurrentVersionExpiration.noncurrentDays",
        "no Enabled lifecycle rule sets noncurrentVersionExpiration.noncurrentDays: add one "
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
