"""S3 buckets for datasets, checkpoints and artifacts, each with its companion resources.

Bucket naming: the physical name is deterministic,
`gpuforge-<environment>-<bucket>-<suffix>` (`gpuforge.model.names.bucket_name`:
a hash of account, region, environment and bucket), exactly the length the
spec checks against S3's 63-character limit.

Per bucket: public access block (all four), SSE-KMS with the storage key and
an S3 bucket key, a TLS-only bucket policy, versioning (Enabled, or Suspended
when the spec turns it off), lifecycle (abort incomplete multipart uploads,
expire noncurrent versions), BucketOwnerEnforced ownership (ACLs off) and S3
server access logging into the platform's `access-logs` bucket, under the
prefix `<bucket>/`.

The `access-logs` bucket gets the same baseline with two differences AWS
imposes or that fit logs: default encryption is SSE-S3 (AES256), because S3
cannot deliver server access logs to a bucket whose default encryption is
SSE-KMS ("Enabling Amazon S3 server access logging", S3 User Guide:
docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html),
and its lifecycle also expires current objects after
`storage.access_logs_expiration_days`. Its policy lets only the S3 logging
service (`logging.s3.amazonaws.com`) write, only for this account's data
buckets (`aws:SourceAccount`, `aws:SourceArn`). It does not log itself.

On a `protected` environment every bucket is tagged `gpuforge.dev/protected:
true` explicitly (not only through the provider's default tags), so that the
policy sees it at `pulumi preview`, before AWS has computed `tagsAll`.

Each bucket is tagged with its logical name and what training pods may do in
it (`training_access`), so that the policy rules can hold pod roles to it.

Data perimeter: when the VPC has its S3 gateway endpoint (`vpc_id` given), each
data bucket's policy denies object reads, writes and listings
(`PERIMETER_ACTIONS`) that do not come through the VPC (`aws:SourceVpc`, set on
requests through the VPC's endpoints), except for `storage.admin_principals`
(`aws:PrincipalArn`) and AWS service principals. Bucket configuration
(PutBucketPolicy, versioning, ...) is left to IAM on purpose: whoever runs
`pulumi up`, a CI role or an admin's laptop outside the VPC, manages the buckets
without being listed and cannot lock itself out by a policy edit. Emptying a
bucket from outside (`pulumi destroy` with `force_destroy`) needs the deployer in
`storage.admin_principals`. The `access-logs` bucket has no perimeter: only S3's
logging service writes it, and auditors read it from wherever they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_aws import s3

from gpuforge.components import _aws
from gpuforge.model.names import (
    ACCESS_LOGS_BUCKET,
    BUCKET_TAG,
    NO_ACCESS,
    PROTECTED_TAG,
    TRAINING_ACCESS_TAG,
    bucket_name,
)
from gpuforge.model.spec import StorageSpec

LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"


@dataclass
class ObjectStoreArgs:
    """Inputs of `ObjectStore`."""

    environment: str
    """Environment name; part of every bucket name."""

    region: str
    """AWS region; part of the bucket-name hash."""

    storage: StorageSpec
    """The spec's `storage` section: one entry per bucket (logical name, versioning,
    lifecycle days), whether `pulumi destroy` may delete non-empty buckets, and how long
    the server access logs are kept in the `access-logs` bucket."""

    kms_key_arn: pulumi.Input[str]
    """KMS key for SSE-KMS (`Encryption.storage_key_arn`)."""

    protected: bool
    """A production environment (spec `protected`): tag every bucket
    `gpuforge.dev/protected: true`."""

    vpc_id: pulumi.Input[str] | None = None
    """The VPC whose endpoints alone may reach the data buckets' objects; None: no perimeter
    (a VPC without an S3 endpoint reaches S3 through NAT, where `aws:SourceVpc` is absent)."""

    admin_principals: list[str] = field(default_factory=list)
    """IAM principal ARNs exempt from the perimeter (spec `storage.admin_principals`)."""


class ObjectStore(pulumi.ComponentResource):
    """One hardened S3 bucket per `storage.buckets` entry, logging to an `access-logs` bucket."""

    bucket_names: dict[str, pulumi.Output[str]]
    """Physical bucket name by logical name (`datasets` -> `gpuforge-dev-datasets-1a2b3c4`)."""
    bucket_arns: dict[str, pulumi.Output[str]]
    """Bucket ARN by logical name (the data buckets only, not `access-logs`)."""
    access_logs_bucket_name: pulumi.Output[str]
    """Physical name of the bucket receiving the data buckets' server access logs."""

    def __init__(
        self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:storage:ObjectStore", name, None, opts)
        self._name = name
        self._args = args
        self._account = _aws.account_id(self)

        data: dict[str, s3.Bucket] = {}
        for spec in args.storage.buckets:
            bucket = self._bucket(spec.name, {TRAINING_ACCESS_TAG: spec.training_access})
            pab = self._baseline(spec.name, bucket)
            self._encryption(spec.name, bucket, sse_kms=True)
            self._versioning(spec.name, bucket, spec.versioning)
            self._lifecycle(
                spec.name, bucket, spec.abort_multipart_days, spec.noncurrent_expiration_days
            )
            if args.vpc_id is not None:
                self._policy(
                    spec.name,
                    bucket,
                    pab,
                    lambda arn, acct, vpc: [
                        perimeter_statement(arn, acct, vpc, args.admin_principals)
                    ],
                    args.vpc_id,
                )
            else:
                self._policy(spec.name, bucket, pab, lambda arn, acct: [])
            data[spec.name] = bucket

        # Training pods get nothing here: the logs are for auditors, not jobs.
        logs = self._bucket(ACCESS_LOGS_BUCKET, {TRAINING_ACCESS_TAG: NO_ACCESS})
        pab = self._baseline(ACCESS_LOGS_BUCKET, logs)
        self._encryption(ACCESS_LOGS_BUCKET, logs, sse_kms=False)
        self._versioning(ACCESS_LOGS_BUCKET, logs, True)
        self._lifecycle(
            ACCESS_LOGS_BUCKET, logs, 7, 30, expire_days=args.storage.access_logs_expiration_days
        )
        sources = [b.arn for b in data.values()]
        logs_policy = self._policy(
            ACCESS_LOGS_BUCKET,
            logs,
            pab,
            lambda arn, acct, *source_arns: [log_delivery_statement(arn, acct, source_arns)],
            *sources,
        )
        for logical, bucket in data.items():
            s3.BucketLogging(
                f"{name}-{logical}",
                bucket=bucket.bucket,
                target_bucket=logs.bucket,
                target_prefix=f"{logical}/",
                # S3 checks that the target's policy lets the logging service write.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
            )

        self.bucket_names = {logical: b.bucket for logical, b in data.items()}
        self.bucket_arns = {logical: b.arn for logical, b in data.items()}
        self.access_logs_bucket_name = logs.bucket
        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "access_logs_bucket_name": self.access_logs_bucket_name,
            }
        )

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _bucket(self, logical: str, extra_tags: dict[str, str] | None = None) -> s3.Bucket:
        args = self._args
        tags = {BUCKET_TAG: logical, **(extra_tags or {})}
        if args.protected:
            tags[PROTECTED_TAG] = "true"
        return s3.Bucket(
            f"{self._name}-{logical}",
            bucket=self._account.apply(
                lambda acct: bucket_name(acct, args.region, args.environment, logical)
            ),
            force_destroy=args.storage.force_destroy,
            tags=tags,
            opts=self._child(),
        )

    def _baseline(self, logical: str, bucket: s3.Bucket) -> s3.BucketPublicAccessBlock:
        """Public access block (all four flags) and BucketOwnerEnforced ownership."""
        res = f"{self._name}-{logical}"
        pab = s3.BucketPublicAccessBlock(
            res,
            bucket=bucket.bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child(),
        )
        s3.BucketOwnershipControls(
            res,
            bucket=bucket.bucket,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._child(),
        )
        return pab

    def _encryption(self, logical: str, bucket: s3.Bucket, *, sse_kms: bool) -> None:
        """SSE-KMS with the storage key and a bucket key; SSE-S3 where AWS requires it."""
        default: dict = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": self._args.kms_key_arn}
            if sse_kms
            else {"sse_algorithm": "AES256"}
        )
        rule: dict = {"apply_server_side_encryption_by_default": default}
        if sse_kms:
            rule["bucket_key_enabled"] = True
        s3.BucketServerSideEncryptionConfiguration(
            f"{self._name}-{logical}", bucket=bucket.bucket, rules=[rule], opts=self._child()
        )

    def _versioning(self, logical: str, bucket: s3.Bucket, enabled: bool) -> None:
        s3.BucketVersioning(
            f"{self._name}-{logical}",
            bucket=bucket.bucket,
            versioning_configuration={"status": "Enabled" if enabled else "Suspended"},
            opts=self._child(),
        )

    def _lifecycle(
        self,
        logical: str,
        bucket: s3.Bucket,
        abort_days: int,
        noncurrent_days: int,
        expire_days: int | None = None,
    ) -> None:
        rules: list[dict] = [
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "abort_incomplete_multipart_upload": {"days_after_initiation": abort_days},
            },
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
            },
        ]
        if expire_days is not None:
            rules.append(
                {
                    "id": "expire-objects",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": expire_days},
                }
            )
        s3.BucketLifecycleConfiguration(
            f"{self._name}-{logical}", bucket=bucket.bucket, rules=rules, opts=self._child()
        )

    def _policy(
        self,
        logical: str,
        bucket: s3.Bucket,
        pab: s3.BucketPublicAccessBlock,
        more: Any,
        *inputs: pulumi.Input[str],
    ) -> s3.BucketPolicy:
        """`more(bucket arn, account, *inputs)` statements, then the TLS-only one."""
        return s3.BucketPolicy(
            f"{self._name}-{logical}",
            bucket=bucket.bucket,
            policy=_aws.policy_output(
                lambda arn, acct, *rest: [*more(arn, acct, *rest), tls_only_statement(arn)],
                bucket.arn,
                self._account,
                *inputs,
            ),
            # A policy write right after the public access block is created can race it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pab]),
        )


def tls_only_statement(arn: str) -> dict[str, Any]:
    """Deny every request to the bucket and its objects that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def log_delivery_statement(arn: str, account: str, sources: Any) -> dict[str, Any]:
    """Let S3's logging service write access logs of `sources` (bucket ARNs) into `arn`."""
    return {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": LOG_DELIVERY_SERVICE},
        "Action": "s3:PutObject",
        "Resource": f"{arn}/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": sorted(sources)},
            "StringEquals": {"aws:SourceAccount": account},
        },
    }


# Object-level actions the perimeter denies from outside the VPC (wildcards cover the
# versioned, ACL, tagging and retention variants of each).
PERIMETER_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject*",
    "s3:GetObject*",
    "s3:ListBucket*",
    "s3:ListMultipartUploadParts",
    "s3:PutObject*",
    "s3:RestoreObject",
)


def perimeter_statement(arn: str, account: str, vpc_id: str, admins: list[str]) -> dict[str, Any]:
    """Deny the bucket's objects to requests from outside `vpc_id`, bar admins and AWS services.

    The condition operators are ANDed: the deny applies when the request is not through
    the VPC's endpoints (`aws:SourceVpc`; absent, and so "not equal", on any other path),
    the caller is not a named admin or a service-linked role, and neither an AWS service
    principal nor a service acting for a caller. The shape is AWS's data-perimeter
    example for the network perimeter (aws-samples/data-perimeter-policy-examples
    @08d6ea96:resource_based_policies/s3_bucket_policy.json, "EnforceNetworkPerimeter").
    """
    part = arn.split(":", 2)[1]
    service_linked_roles = f"arn:{part}:iam::{account}:role/aws-service-role/*"
    condition: dict[str, Any] = {
        "StringNotEqualsIfExists": {"aws:SourceVpc": vpc_id},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
        "ArnNotLikeIfExists": {"aws:PrincipalArn": [*sorted(admins), service_linked_roles]},
    }
    return {
        "Sid": "DenyObjectsOutsideVpc",
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(PERIMETER_ACTIONS),
        "Resource": [arn, f"{arn}/*"],
        "Condition": condition,
    }


def planned_bucket_arns(
    parent: pulumi.Resource, environment: str, region: str, logical_names: list[str]
) -> dict[str, pulumi.Output[str]]:
    """The ARNs `ObjectStore` will give its data buckets, before it exists.

    The names are deterministic (`names.bucket_name`), so the network's S3 endpoint can name
    the buckets while the buckets' policies name the network's VPC.
    """
    account, part = _aws.account_id(parent), _aws.partition(parent)
    return {
        logical: pulumi.Output.all(part, account).apply(
            lambda pa, logical=logical: (
                f"arn:{pa[0]}:s3:::{bucket_name(pa[1], region, environment, logical)}"
            )
        )
        for logical in logical_names
    }
