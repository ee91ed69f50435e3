"""KMS customer-managed keys: cluster secrets, storage (S3), logs (CloudWatch Logs), EBS.

Every key has an explicit key policy with no `*` principal: the account root
(so that IAM policies in the account can grant use of the key, the AWS default)
plus, for the logs key, the regional CloudWatch Logs service principal limited
by an `kms:EncryptionContext:aws:logs:arn` condition to this account's log
groups, and for the EBS key, the EC2 Auto Scaling service-linked role
(`AWSServiceRoleForAutoScaling`), which launches the managed node groups'
instances and so creates their encrypted root volumes. Rotation and the
deletion window come from the spec.

The EBS key is a key of its own rather than the storage key: the Auto Scaling
role gets Encrypt/Decrypt and grant creation on it, and that should not reach
the key that protects the training data in S3.

Prerequisite of the EBS key policy: KMS refuses a policy that names a role that
does not exist, and the Auto Scaling service-linked role exists only once the
account has used Auto Scaling (any EKS managed node group creates it). In a
fresh account create it first:
`aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import kms

from gpuforge.components import _aws
from gpuforge.model.spec import EncryptionSpec

PURPOSES = ("secrets", "storage", "logs", "ebs")


@dataclass
class EncryptionArgs:
    """Inputs of `Encryption`."""

    environment: str
    """Environment name; aliases are `alias/gpuforge-<environment>-<purpose>`."""

    region: str
    """AWS region of the keys; names the CloudWatch Logs service principal."""

    encryption: EncryptionSpec
    """The spec's `encryption` section: automatic rotation (`enableKeyRotation`), its
    period (`rotationPeriodInDays`, used only with rotation) and the deletion window
    (`deletionWindowInDays`)."""


class Encryption(pulumi.ComponentResource):
    """Four KMS keys with aliases: `secrets` (EKS envelope encryption), `storage`, `logs`, `ebs`."""

    secrets_key_arn: pulumi.Output[str]
    """ARN of the key for EKS secrets envelope encryption."""
    storage_key_arn: pulumi.Output[str]
    """ARN of the key for S3 SSE-KMS."""
    logs_key_arn: pulumi.Output[str]
    """ARN of the key for CloudWatch log groups (flow logs, EKS control plane)."""
    ebs_key_arn: pulumi.Output[str]
    """ARN of the key for the nodes' EBS volumes (system and GPU pools)."""

    def __init__(
        self, name: str, args: EncryptionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:encryption:Encryption", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = _aws.account_id(self)
        part = _aws.partition(self)

        keys: dict[str, kms.Key] = {}
        for purpose in PURPOSES:
            policy = _aws.policy_output(
                lambda acct, p, purpose=purpose: _key_statements(purpose, acct, p, args.region),
                account,
                part,
            )
            key = kms.Key(
                f"{name}-{purpose}",
                description=f"gpuforge {args.environment}: {_DESCRIPTIONS[purpose]}",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=args.encryption.rotation,
                rotation_period_in_days=(
                    args.encryption.rotation_period_days if args.encryption.rotation else None
                ),
                deletion_window_in_days=args.encryption.key_deletion_window_days,
                policy=policy,
                opts=child,
            )
            kms.Alias(
                f"{name}-{purpose}",
                name=f"alias/gpuforge-{args.environment}-{purpose}",
                target_key_id=key.key_id,
                opts=child,
            )
            keys[purpose] = key

        self.secrets_key_arn = keys["secrets"].arn
        self.storage_key_arn = keys["storage"].arn
        self.logs_key_arn = keys["logs"].arn
        self.ebs_key_arn = keys["ebs"].arn
        self.register_outputs(
            {
                "secrets_key_arn": self.secrets_key_arn,
                "storage_key_arn": self.storage_key_arn,
                "logs_key_arn": self.logs_key_arn,
                "ebs_key_arn": self.ebs_key_arn,
            }
        )


_DESCRIPTIONS = {
    "secrets": "EKS secrets envelope encryption",
    "storage": "S3 buckets (SSE-KMS)",
    "logs": "CloudWatch Logs (VPC flow logs, EKS control plane logs)",
    "ebs": "EBS volumes of the EKS nodes",
}

# The actions AWS documents for the Auto Scaling service-linked role on a customer
# managed key ("Required AWS KMS key policy for use with encrypted volumes",
# docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
AUTOSCALING_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)


def autoscaling_role_arn(account: str, part: str) -> str:
    """ARN of the EC2 Auto Scaling service-linked role of an account."""
    return (
        f"arn:{part}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )


def _key_statements(purpose: str, account: str, part: str, region: str) -> list[dict]:
    """The key policy statements for one key (no wildcard principal anywhere)."""
    statements: list[dict] = [
        {
            "Sid": "AccountRootManagesKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{part}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if purpose == "logs":
        statements.append(
            {
                "Sid": "CloudWatchLogsUsesKey",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{part}:logs:{region}:{account}:log-group:*"
                        )
                    }
                },
            }
        )
        # DescribeKey carries no encryption context, so under the condition above it could
        # never match ("kms:EncryptionContext:context-key": only for cryptographic
        # operations that take an encryption context; docs.aws.amazon.com/kms/latest/
        # developerguide/conditions-kms.html). CloudWatch Logs calls it when a log group is
        # associated with the key: its own statement, limited to this account by
        # `aws:SourceAccount`, as the CloudWatch Logs guide's key policy does
        # (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
        statements.append(
            {
                "Sid": "CloudWatchLogsDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    if purpose == "ebs":
        role = {"AWS": autoscaling_role_arn(account, part)}
        statements += [
            {
                "Sid": "AutoScalingUsesKeyForNodeVolumes",
                "Effect": "Allow",
                "Principal": role,
                "Action": list(AUTOSCALING_KEY_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrantsKeyToEc2",
                "Effect": "Allow",
                "Principal": role,
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return statements
