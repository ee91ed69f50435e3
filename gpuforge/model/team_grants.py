"""What a team's pods may do in AWS, and who may use its namespace. Pure: no pulumi.

A team's role (EKS Pod Identity, the `training` service account of its namespace) may:

- list and read the datasets it is granted (`TeamSpec.datasets`, else every `read-only`
  bucket);
- list, read and write only under its own prefix (`<team>/`) of the writable buckets
  (checkpoints, artifacts): `s3:ListBucket` with an `s3:prefix` condition, `GetObject`,
  `PutObject` and `AbortMultipartUpload` on `<bucket>/<team>/*`;
- never `s3:DeleteObject`: an overwritten checkpoint becomes a noncurrent version that
  the bucket's lifecycle rule expires (`storage.buckets[].noncurrent_expiration_days`,
  rule `expire-noncurrent-versions` in `components/storage.py`; versioning is on by
  default), so pruning needs no delete right and one team cannot destroy another's data;
- use the storage key only through S3 in the environment's region.

Its admins and members get EKS access entries scoped to its namespace:
AmazonEKSAdminPolicy and AmazonEKSEditPolicy with `accessScope: {type: namespace,
namespaces: [<team>]}` ("A value is required if you specified namespace for Type",
https://docs.aws.amazon.com/eks/latest/APIReference/API_AccessScope.html; the policies'
permissions: https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
EKS takes one access entry per principal, and "you can only associate each policy to an
access entry once" (https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html),
so a principal in several teams gets one entry and one association per policy naming all
its namespaces (`access_grants`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model.grants import (
    LIST_BUCKET_ACTIONS,
    READ_OBJECT_ACTIONS,
    read_only_buckets,
    storage_key_statement,
)
from gpuforge.model.grants import writable_buckets as writable
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.team_spec import TeamSpec

TEAM_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
"""What a team may do to objects under its prefix beside reading: never DeleteObject."""
TEAM_ADMIN_POLICY = "AmazonEKSAdminPolicy"
TEAM_MEMBER_POLICY = "AmazonEKSEditPolicy"


def datasets(spec: EnvironmentSpec, team: TeamSpec) -> list[str]:
    """The logical names of the read-only buckets the team may read."""
    return list(team.datasets) if team.datasets is not None else read_only_buckets(spec)


def prefix_buckets(spec: EnvironmentSpec) -> list[str]:
    """The logical names of the buckets teams write, each under its own prefix."""
    return writable(spec)


def team_statements(
    team: str,
    key_arn: str,
    region: str,
    dataset_arns: list[str],
    prefix_bucket_arns: list[str],
) -> list[dict]:
    """The team role's whole policy (see the module docstring)."""
    statements: list[dict] = []
    if dataset_arns:
        statements += [
            {
                "Sid": "ListDatasets",
                "Effect": "Allow",
                "Action": list(LIST_BUCKET_ACTIONS),
                "Resource": list(dataset_arns),
            },
            {
                "Sid": "ReadDatasets",
                "Effect": "Allow",
                "Action": list(READ_OBJECT_ACTIONS),
                "Resource": [f"{arn}/*" for arn in dataset_arns],
            },
        ]
    if prefix_bucket_arns:
        statements += [
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": list(LIST_BUCKET_ACTIONS),
                "Resource": list(prefix_bucket_arns),
                "Condition": {"StringLike": {"s3:prefix": [f"{team}/*"]}},
            },
            {
                "Sid": "ReadWriteOwnPrefix",
                "Effect": "Allow",
                "Action": [*READ_OBJECT_ACTIONS, *TEAM_WRITE_ACTIONS],
                "Resource": [f"{arn}/{team}/*" for arn in prefix_bucket_arns],
            },
        ]
    if statements:
        statements.append(storage_key_statement(key_arn, region, writes=bool(prefix_bucket_arns)))
    return statements


@dataclass(frozen=True)
class AccessGrant:
    """One principal's EKS access: its policies, each with the namespaces it applies to."""

    principal: str
    policies: dict[str, list[str]]
    """Access policy name -> namespaces."""


def access_grants(spec: EnvironmentSpec) -> list[AccessGrant]:
    """Every team principal's namespace-scoped access, one grant per principal, in spec order."""
    found: dict[str, dict[str, list[str]]] = {}
    for team in spec.teams:
        for policy, principals in (
            (TEAM_ADMIN_POLICY, team.admins),
            (TEAM_MEMBER_POLICY, team.members),
        ):
            for principal in principals:
                namespaces = found.setdefault(principal, {}).setdefault(policy, [])
                if team.name not in namespaces:
                    namespaces.append(team.name)
    return [AccessGrant(principal=p, policies=pol) for p, pol in found.items()]
