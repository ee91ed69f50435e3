"""What training pods may do in AWS: a role bound to their service account by EKS Pod Identity.

The role is trusted by `pods.eks.amazonaws.com` for this account only
(`aws:SourceAccount`) and only for the session tags Pod Identity sets for the
`training` service account of the training namespace on this cluster. No
`aws:SourceArn`: Pod Identity's source ARN is not documented, and a trust policy
that names one was reported to stop credentials being issued.

Its one policy (`training_statements`, the whole policy in one function) follows
each bucket's `training_access` in the spec: `read-only` buckets get List and
Get, `read-write` buckets also Put, Delete and AbortMultipartUpload, `none`
buckets nothing. The storage key may be used only through S3 in the
environment's region (`kms:ViaService`), and GenerateDataKey only when some
bucket is writable. A PodIdentityAssociation binds the role to the service account.
"""

from __future__ import annotations

import pulumi
from pulumi_aws import eks, iam

from gpuforge.components import _aws
from gpuforge.components.cluster_args import ClusterArgs
from gpuforge.model import aws_naming as rn
from gpuforge.model.grants import (
    LIST_BUCKET_ACTIONS,
    READ_OBJECT_ACTIONS,
    WRITE_OBJECT_ACTIONS,
    storage_key_statement,
)
from gpuforge.model.names import TRAINING_SERVICE_ACCOUNT


def training_identity(
    parent: pulumi.Resource,
    name: str,
    args: ClusterArgs,
    cluster_name: pulumi.Input[str],
    after: list[pulumi.Resource],
) -> iam.Role:
    """The role `<name>-training`, its policy and its Pod Identity association.

    The association refers to `cluster_name` (the cluster resource's output) and
    waits for `after` (the pod identity agent add-on).
    """
    child = pulumi.ResourceOptions(parent=parent)
    role = iam.Role(
        rn.child(name, rn.TRAINING_ROLE),
        description=f"Training pods of {args.cluster_name} (EKS Pod Identity)",
        assume_role_policy=_aws.pod_identity_trust(
            parent, args.cluster_name, args.training_namespace, TRAINING_SERVICE_ACCOUNT
        ),
        opts=child,
    )
    readable, writable = list(args.read_bucket_arns), list(args.write_bucket_arns)
    if readable or writable:  # every bucket `none`: no policy at all (IAM refuses an empty one)
        iam.RolePolicy(
            f"{name}-training-data",
            role=role.id,
            policy=pulumi.Output.all(args.storage_key_arn, readable, writable).apply(
                lambda v: _aws.policy_json(*training_statements(v[0], args.region, v[1], v[2]))
            ),
            opts=child,
        )
    eks.PodIdentityAssociation(
        f"{name}-training",
        cluster_name=cluster_name,
        namespace=args.training_namespace,
        service_account=TRAINING_SERVICE_ACCOUNT,
        role_arn=role.arn,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
    return role


def training_statements(
    key_arn: str, region: str, read_bucket_arns: list[str], write_bucket_arns: list[str]
) -> list[dict]:
    """List/Get on readable buckets, also Put/Delete on writable ones, the key through S3 only.

    `read_bucket_arns` are the read-only buckets, `write_bucket_arns` the read-write ones
    (a bucket is in one list at most; `none` buckets in neither).
    """
    every = [*read_bucket_arns, *write_bucket_arns]
    statements: list[dict] = []
    if every:
        statements += [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": list(LIST_BUCKET_ACTIONS),
                "Resource": every,
            },
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": list(READ_OBJECT_ACTIONS),
                "Resource": [f"{arn}/*" for arn in every],
            },
        ]
    if write_bucket_arns:
        statements.append(
            {
                "Sid": "WriteObjects",
                "Effect": "Allow",
                "Action": list(WRITE_OBJECT_ACTIONS),
                "Resource": [f"{arn}/*" for arn in write_bucket_arns],
            }
        )
    if every:
        statements.append(storage_key_statement(key_arn, region, writes=bool(write_bucket_arns)))
    return statements
