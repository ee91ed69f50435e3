"""S3 buckets and their configuration resources, backed by moto's S3 backend.

moto validates bucket names (``InvalidBucketName``), duplicates
(``BucketAlreadyExists``), that every configuration resource's bucket exists
(``NoSuchBucket``), and the shape of lifecycle rules.

The following are not yet implemented:
- BucketServerSideEncryptionConfiguration: a KMS key is checked to exist (stricter
  than AWS, which fails only at the first write); the key policy is not evaluated.
- BucketPolicy: stored, not evaluated (except by BucketLogging, below).
- BucketLogging: moto checks that the target bucket exists in the same region and
  that its policy lets ``logging.s3.amazonaws.com`` put objects under the prefix (or
  its ACL the log-delivery group); ``targetGrants`` and ``targetObjectKeyFormat`` are
  passed through unchecked; the SSE-KMS restriction on targets is not enforced.
  moto reads the target's policy statements in order and fails (``InternalError``)
  on a string ``Principal`` ("*") before the statement that grants the logging
  service; gpuforge's access-log bucket policy puts that grant first.
- Bucket: object lock configuration, CORS, website and replication are not modelled.
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError
from ._base import Context, check_kms_key, pascal, policy_text, require, tag_list

_HOSTED_ZONES = {
    "us-east-1": "Z3AQBSTGFYJSTF",
    "us-east-2": "Z2O1EMRO9K5GLX",
    "us-west-1": "Z2F56UZL2M1ACD",
    "us-west-2": "Z3BJ6K6RIION7M",
    "eu-west-1": "Z1BKCTXD74EZPE",
    "eu-central-1": "Z21DNDUVLTQW6Q",
    "ap-northeast-1": "Z2M4EHUR26P7ZW",
}


def bucket(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    s3 = ctx.client("s3")
    bucket_name = ctx.physical_name(name, inputs, "bucket", "bucketPrefix", kind="bucket")
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {"Bucket": bucket_name}
    if ctx.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    if inputs.get("objectLockEnabled"):
        kwargs["ObjectLockEnabledForBucket"] = True
    s3.create_bucket(**kwargs)
    if tags:
        s3.put_bucket_tagging(Bucket=bucket_name, Tagging={"TagSet": tag_list(tags)})
    return bucket_name, {
        "arn": f"arn:{ctx.partition}:s3:::{bucket_name}",
        "bucket": bucket_name,
        "bucketDomainName": f"{bucket_name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket_name}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": _HOSTED_ZONES.get(ctx.region, ""),
        "region": ctx.region,
        "forceDestroy": bool(inputs.get("forceDestroy", False)),
        "tagsAll": tags,
    }


def public_access_block(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    config = {f[:1].upper() + f[1:]: bool(inputs.get(f, False)) for f in flags}
    ctx.client("s3").put_public_access_block(
        Bucket=bucket_name, PublicAccessBlockConfiguration=config
    )
    return bucket_name, {f: bool(inputs.get(f, False)) for f in flags}


def encryption(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    rules = pascal(
        require(inputs, "rules"),
        renames={"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"},
    )
    for rule in rules:
        key_id = (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")
        if key_id:
            check_kms_key(ctx, key_id)
    ctx.client("s3").put_bucket_encryption(
        Bucket=bucket_name, ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return bucket_name, {}


def versioning(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    config = require(inputs, "versioningConfiguration")
    status = config.get("status")
    if status not in ("Enabled", "Suspended", "Disabled"):
        raise AwsError("MalformedXML", f"versioning status {status!r} is not valid")
    if status != "Disabled":  # "Disabled" means: never enabled, no call (as the provider does)
        body = {"Status": status}
        if config.get("mfaDelete"):
            body["MFADelete"] = config["mfaDelete"]
        ctx.client("s3").put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration=body)
    else:
        ctx.client("s3").head_bucket(Bucket=bucket_name)
    return bucket_name, {}


def _lifecycle_rule(rule: dict) -> dict:
    out = pascal(rule, renames={"id": "ID"}, drop=("filter",))
    rule_filter = rule.get("filter")
    if rule_filter:
        converted = pascal(rule_filter, drop=("and", "tag"))
        if rule_filter.get("tag"):
            converted["Tag"] = pascal(rule_filter["tag"])
        if rule_filter.get("and"):
            both = dict(rule_filter["and"])
            tags = both.pop("tags", None) or {}
            converted["And"] = {**pascal(both), **({"Tags": tag_list(tags)} if tags else {})}
        out["Filter"] = converted
    elif "Prefix" not in out:
        out["Filter"] = {"Prefix": ""}
    return out


def lifecycle(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    rules = [_lifecycle_rule(rule) for rule in require(inputs, "rules")]
    ctx.client("s3").put_bucket_lifecycle_configuration(
        Bucket=bucket_name, LifecycleConfiguration={"Rules": rules}
    )
    return bucket_name, {}


def bucket_policy(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    text = policy_text(require(inputs, "policy"))
    ctx.client("s3").put_bucket_policy(Bucket=bucket_name, Policy=text)
    return bucket_name, {"policy": text}


def ownership_controls(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    ownership = require(inputs, "rule").get("objectOwnership")
    if ownership not in ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"):
        raise AwsError("MalformedXML", f"objectOwnership {ownership!r} is not valid")
    ctx.client("s3").put_bucket_ownership_controls(
        Bucket=bucket_name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    return bucket_name, {}


def logging(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    bucket_name = require(inputs, "bucket")
    enabled: dict[str, Any] = {
        "TargetBucket": require(inputs, "targetBucket"),
        "TargetPrefix": inputs.get("targetPrefix") or "",
    }
    if inputs.get("targetGrants"):
        enabled["TargetGrants"] = pascal(inputs["targetGrants"], renames={"id": "ID"})
    if inputs.get("targetObjectKeyFormat"):
        enabled["TargetObjectKeyFormat"] = pascal(inputs["targetObjectKeyFormat"])
    s3 = ctx.client("s3")
    # InvalidTargetBucketForLogging when the target is missing or does not let S3 write
    s3.put_bucket_logging(Bucket=bucket_name, BucketLoggingStatus={"LoggingEnabled": enabled})
    stored = s3.get_bucket_logging(Bucket=bucket_name).get("LoggingEnabled") or {}
    if stored.get("TargetBucket") != enabled["TargetBucket"]:
        raise AwsError("InternalError", f"logging of {bucket_name} was not stored")
    return bucket_name, {"targetPrefix": enabled["TargetPrefix"]}


HANDLERS = {
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": public_access_block,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        encryption
    ),
    "aws:s3/bucketVersioning:BucketVersioning": versioning,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lifecycle,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ownership_controls,
    "aws:s3/bucketLogging:BucketLogging": logging,
}
STATE_BACKED: set[str] = set()
