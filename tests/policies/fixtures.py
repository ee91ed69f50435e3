"""Per-rule fixtures, checkov style: resources named `pass*`, `fail*` and `unknown*`.

Every rule has one or more scenarios (a whole mini-stack plus an optional RuleContext).
In each scenario the resources the rule applies to are named `pass...`, `fail...` or
`unknown...`, and the tests assert that the rule's verdicts are exactly those sets.
Helper resources (the PublicAccessBlock of a bucket, a FlowLog, a LaunchTemplate a node
group points at) carry any other name and must not be of the rule's types.

Unknown values use pulumi-policy's real sentinel strings, as CrossGuard passes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from gpuforge.policies.rule import RuleContext

U = UNKNOWN_STRING_VALUE
UB = UNKNOWN_BOOLEAN_VALUE
UN = UNKNOWN_NUMBER_VALUE
UA = UNKNOWN_ARRAY_VALUE
UO = UNKNOWN_OBJECT_VALUE

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY = "aws:kms/key:Key"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
PG = "aws:ec2/placementGroup:PlacementGroup"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DSG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
PRIVATE = {"kubernetes.io/role/internal-elb": "1"}
POD_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
)
IRSA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {
                    "Federated": "arn:aws:iam::111122223333:oidc-provider/"
                    "oidc.eks.us-east-1.amazonaws.com/id/ABC"
                },
            }
        ],
    }
)


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::gpuforge::{type_}::{name}"


@dataclass
class Scenario:
    resources: list[tuple[str, str, dict[str, Any]]]  # (name, type, props)
    context: RuleContext = field(default_factory=RuleContext)

    def triples(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(urn(t, n), t, p) for n, t, p in self.resources]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "arn:aws:s3:::data/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


TLS_DENY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def sse(bucket: str, algo: Any = "aws:kms", key: Any = KEY_ARN, bucket_key: Any = True):
    default: dict[str, Any] = {"sseAlgorithm": algo}
    if key is not None:
        default["kmsMasterKeyId"] = key
    return {
        "bucket": bucket,
        "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}],
    }


def pab(bucket: str, **overrides: Any) -> dict[str, Any]:
    flags = dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
    )
    return {"bucket": bucket, **flags, **overrides}


def lifecycle(bucket: str, **rule: Any) -> dict[str, Any]:
    return {"bucket": bucket, "rules": [{"id": "r", "status": "Enabled", **rule}]}


def ng(**props: Any) -> dict[str, Any]:
    base = {
        "clusterName": "c",
        "nodeRoleArn": "arn:aws:iam::111122223333:role/node",
        "subnetIds": ["subnet-a"],
        "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
    }
    return {**base, **props}


def ingress(protocol: Any, lo: Any, hi: Any, cidrs: Any = ("0.0.0.0/0",), v6: Any = ()) -> dict:
    return {
        "ingress": [
            {
                "protocol": protocol,
                "fromPort": lo,
                "toPort": hi,
                "cidrBlocks": list(cidrs) if isinstance(cidrs, tuple) else cidrs,
                "ipv6CidrBlocks": list(v6),
            }
        ]
    }


def sg_rule(protocol: str, lo: Any, hi: Any, cidr4: Any = "0.0.0.0/0") -> dict[str, Any]:
    return {
        "securityGroupId": "sg-1",
        "ipProtocol": protocol,
        "fromPort": lo,
        "toPort": hi,
        "cidrIpv4": cidr4,
    }


def _pab_flag(flag: str) -> list[Scenario]:
    return [
        Scenario(
            [
                ("pass", PAB, pab("b1")),
                ("fail", PAB, pab("b2", **{flag: False})),
                ("fail-unset", PAB, {k: v for k, v in pab("b3").items() if k != flag}),
                ("unknown", PAB, pab("b4", **{flag: UB})),
            ]
        )
    ]


def _per_bucket(child_type: str, good: Any, bad: Any, unknown: Any) -> list[Scenario]:
    """pass / fail (wrong child) / fail-none (no child) / unknown, plus an unknown reference."""
    return [
        Scenario(
            [
                ("pass", BUCKET, {"bucket": "b-pass"}),
                ("c-pass", child_type, good("b-pass")),
                # matched by logical name: no explicit bucket name on the Bucket
                ("pass-by-name", BUCKET, {}),
                ("c-pass-by-name", child_type, good("pass-by-name")),
                ("fail", BUCKET, {"bucket": "b-fail"}),
                ("c-fail", child_type, bad("b-fail")),
                ("fail-none", BUCKET, {"bucket": "b-none"}),
                ("unknown", BUCKET, {"bucket": "b-unknown"}),
                ("c-unknown", child_type, unknown("b-unknown")),
            ]
        ),
        # A child whose `bucket` is unknown (absent: Pulumi mocks drop unknown inputs) may
        # be the one for any bucket without its own match: those buckets are unknown.
        Scenario(
            [
                ("pass", BUCKET, {"bucket": "b-pass"}),
                ("c-pass", child_type, good("b-pass")),
                ("unknown-unmatched", BUCKET, {"bucket": "b-other"}),
                (
                    "c-unknown-ref",
                    child_type,
                    {k: v for k, v in good("x").items() if k != "bucket"},
                ),
                ("unknown-ref", BUCKET, {"bucket": "b-third"}),
                ("c-unknown-ref2", child_type, {**good("x"), "bucket": U}),
            ]
        ),
    ]


def _eks(**props: Any) -> dict[str, Any]:
    base = {
        "roleArn": "arn:aws:iam::111122223333:role/eks",
        "vpcConfig": {"subnetIds": ["subnet-a", "subnet-b"]},
    }
    return {**base, **props}


LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
EFA_NICS = [{"deviceIndex": 0, "networkCardIndex": 0, "interfaceType": "efa"}]
GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
POOL = {"gpuforge.dev/pool": "train"}

CASES: dict[str, list[Scenario]] = {
    "GF-S3-001": _pab_flag("blockPublicAcls"),
    "GF-S3-002": _pab_flag("blockPublicPolicy"),
    "GF-S3-003": _pab_flag("ignorePublicAcls"),
    "GF-S3-004": _pab_flag("restrictPublicBuckets"),
    "GF-S3-005": _per_bucket(
        PAB,
        pab,
        lambda b: pab(b, restrictPublicBuckets=False),
        lambda b: pab(b, blockPublicAcls=UB),
    ),
    "GF-S3-006": _per_bucket(
        SSE, sse, lambda b: sse(b, algo="AES256", key=None), lambda b: sse(b, key=U)
    ),
    "GF-S3-007": _per_bucket(
        SSE, sse, lambda b: sse(b, bucket_key=False), lambda b: sse(b, bucket_key=UB)
    ),
    "GF-S3-008": [
        *_per_bucket(
            BUCKET_POLICY,
            lambda b: {"bucket": b, "policy": doc(TLS_DENY)},
            lambda b: {"bucket": b, "policy": doc({**TLS_DENY, "Effect": "Allow"})},
            lambda b: {"bucket": b, "policy": U},
        ),
        Scenario([("pass-inline", BUCKET, {"bucket": "b", "policy": doc(TLS_DENY)})]),
    ],
    "GF-S3-009": _per_bucket(
        VERSIONING,
        lambda b: {"bucket": b, "versioningConfiguration": {"status": "Enabled"}},
        lambda b: {"bucket": b, "versioningConfiguration": {"status": "Suspended"}},
        lambda b: {"bucket": b, "versioningConfiguration": {"status": U}},
    ),
    "GF-S3-010": _per_bucket(
        LIFECYCLE,
        # numbers arrive as floats from the Pulumi engine
        lambda b: lifecycle(b, abortIncompleteMultipartUpload={"daysAfterInitiation": 7.0}),
        lambda b: lifecycle(b, expiration={"days": 30}),
        lambda b: {"bucket": b, "rules": UA},
    ),
    "GF-S3-011": _per_bucket(
        LIFECYCLE,
        lambda b: lifecycle(b, noncurrentVersionExpiration={"noncurrentDays": 30.0}),
        lambda b: lifecycle(b, abortIncompleteMultipartUpload={"daysAfterInitiation": 7}),
        lambda b: lifecycle(b, noncurrentVersionExpiration={"noncurrentDays": UN}),
    ),
    "GF-S3-012": [
        Scenario(
            [
                ("pass", BUCKET, {"bucket": "a", "acl": "private"}),
                ("pass-unset", BUCKET, {"bucket": "b"}),
                ("fail", BUCKET, {"bucket": "c", "acl": "public-read"}),
                ("fail-write", BUCKET, {"bucket": "d", "acl": "public-read-write"}),
                ("unknown", BUCKET, {"bucket": "e", "acl": U}),
            ]
        )
    ],
    "GF-KMS-001": [
        Scenario(
            [
                ("pass", KEY, {"enableKeyRotation": True}),
                ("fail", KEY, {"enableKeyRotation": False}),
                ("fail-unset", KEY, {}),
                ("unknown", KEY, {"enableKeyRotation": UB}),
            ]
        )
    ],
    "GF-KMS-002": [
        Scenario(
            [
                ("pass", KEY, {"deletionWindowInDays": 30}),
                ("pass-default", KEY, {}),
                ("fail", KEY, {"deletionWindowInDays": 5}),
                ("unknown", KEY, {"deletionWindowInDays": UN}),
            ]
        )
    ],
    "GF-KMS-003": [
        Scenario(
            [
                (
                    "pass",
                    KEY,
                    {
                        "policy": doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        )
                    },
                ),
                ("pass-default", KEY, {}),
                (
                    "fail",
                    KEY,
                    {
                        "policy": doc(
                            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}
                        )
                    },
                ),
                (
                    "fail-star",
                    KEY,
                    {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"})},
                ),
                ("unknown", KEY, {"policy": U}),
            ]
        )
    ],
    "GF-EKS-001": [
        Scenario(
            [
                (
                    "pass",
                    CLUSTER,
                    _eks(
                        encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}
                    ),
                ),
                ("fail", CLUSTER, _eks()),
                ("fail-empty", CLUSTER, _eks(encryptionConfig={"resources": []})),
                (
                    "unknown",
                    CLUSTER,
                    _eks(encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": U}}),
                ),
            ]
        )
    ],
    "GF-EKS-002": [
        Scenario(
            [
                ("pass", CLUSTER, _eks(vpcConfig={"endpointPublicAccess": False})),
                (
                    "pass-cidrs",
                    CLUSTER,
                    _eks(
                        vpcConfig={
                            "endpointPublicAccess": True,
                            "publicAccessCidrs": ["203.0.113.0/24"],
                        }
                    ),
                ),
                ("fail-default", CLUSTER, _eks()),
                (
                    "fail-world",
                    CLUSTER,
                    _eks(
                        vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}
                    ),
                ),
                (
                    "unknown",
                    CLUSTER,
                    _eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": UA}),
                ),
                ("unknown-flag", CLUSTER, _eks(vpcConfig={"endpointPublicAccess": UB})),
            ]
        )
    ],
    "GF-EKS-003": [
        Scenario(
            [
                ("pass", CLUSTER, _eks(vpcConfig={"endpointPrivateAccess": True})),
                ("fail", CLUSTER, _eks(vpcConfig={"endpointPrivateAccess": False})),
                ("fail-unset", CLUSTER, _eks()),
                ("unknown", CLUSTER, _eks(vpcConfig={"endpointPrivateAccess": UB})),
            ]
        )
    ],
    "GF-EKS-004": [
        Scenario(
            [
                ("pass", CLUSTER, _eks(enabledClusterLogTypes=LOG_TYPES)),
                ("fail", CLUSTER, _eks(enabledClusterLogTypes=["api", "audit"])),
                ("fail-unset", CLUSTER, _eks()),
                ("unknown", CLUSTER, _eks(enabledClusterLogTypes=UA)),
            ]
        )
    ],
    "GF-EKS-005": [
        Scenario(
            [
                ("pass", CLUSTER, _eks(version="1.35")),
                ("pass-unset", CLUSTER, _eks()),
                ("pass-newer", CLUSTER, _eks(version="1.37")),
                ("fail-extended", CLUSTER, _eks(version="1.33")),
                ("fail-old", CLUSTER, _eks(version="1.27")),
                ("unknown", CLUSTER, _eks(version=U)),
            ],
            RuleContext(today=date(2026, 11, 22)),
        )
    ],
    "GF-NODE-001": [
        Scenario(
            [
                ("pass", LT, {"metadataOptions": {"httpTokens": "required"}}),
                ("fail", LT, {"metadataOptions": {"httpTokens": "optional"}}),
                ("fail-unset", LT, {}),
                ("unknown", LT, {"metadataOptions": {"httpTokens": U}}),
            ]
        )
    ],
    "GF-NODE-002": [
        Scenario(
            [
                ("pass", LT, {"metadataOptions": {"httpPutResponseHopLimit": 1}}),
                ("fail", LT, {"metadataOptions": {"httpPutResponseHopLimit": 2}}),
                ("fail-unset", LT, {"metadataOptions": {"httpTokens": "required"}}),
                ("unknown", LT, {"metadataOptions": UO}),
            ]
        )
    ],
    "GF-NODE-003": [
        Scenario(
            [
                ("pass", NODE_GROUP, ng()),
                ("pass-lt", LT, {"metadataOptions": {"httpTokens": "required"}}),
                ("fail", NODE_GROUP, ng(remoteAccess={"ec2SshKey": "ops"})),
                ("fail-lt", LT, {"keyName": "ops"}),
                ("unknown", NODE_GROUP, ng(remoteAccess=UO)),
                ("unknown-lt", LT, {"keyName": U}),
            ]
        )
    ],
    "GF-NODE-004": [
        Scenario(
            [
                (
                    "pass",
                    NODE_GROUP,
                    ng(tags=POOL, instanceTypes=["p5.48xlarge"], taints=GPU_TAINT),
                ),
                ("pass-cpu", NODE_GROUP, ng(instanceTypes=["m7i.xlarge"])),
                ("fail", NODE_GROUP, ng(instanceTypes=["p5.48xlarge"])),
                ("fail-pool-tag", NODE_GROUP, ng(tags=POOL, taints=[])),
                ("fail-via-lt", NODE_GROUP, ng(launchTemplate={"name": "lt-g6", "version": "1"})),
                ("lt", LT, {"name": "lt-g6", "instanceType": "g6.12xlarge"}),
                ("unknown", NODE_GROUP, ng(instanceTypes=UA)),
                ("unknown-lt", NODE_GROUP, ng(launchTemplate={"id": U, "version": "1"})),
            ]
        )
    ],
    "GF-NODE-005": [
        Scenario(
            [
                (
                    "pass",
                    LT,
                    {"networkInterfaces": EFA_NICS, "placement": {"groupName": "pg-efa"}},
                ),
                ("pg", PG, {"name": "pg-efa", "strategy": "cluster"}),
                ("pass-no-efa", LT, {"instanceType": "m7i.large"}),
                ("fail", LT, {"networkInterfaces": EFA_NICS}),
                (
                    "fail-spread",
                    LT,
                    {"networkInterfaces": EFA_NICS, "placement": {"groupName": "pg-spread"}},
                ),
                ("pg-spread", PG, {"name": "pg-spread", "strategy": "spread"}),
                ("unknown", LT, {"networkInterfaces": EFA_NICS, "placement": {"groupName": U}}),
            ]
        )
    ],
    "GF-NODE-006": [
        Scenario(
            [
                ("lt-efa", LT, {"name": "lt-efa", "networkInterfaces": EFA_NICS}),
                ("lt-plain", LT, {"name": "lt-plain"}),
                ("pass", NODE_GROUP, ng(launchTemplate={"name": "lt-efa", "version": "1"})),
                ("pass-no-lt", NODE_GROUP, ng(subnetIds=["subnet-a", "subnet-b"])),
                (
                    "pass-no-efa",
                    NODE_GROUP,
                    ng(launchTemplate={"name": "lt-plain"}, subnetIds=["subnet-a", "subnet-b"]),
                ),
                (
                    "fail",
                    NODE_GROUP,
                    ng(launchTemplate={"name": "lt-efa"}, subnetIds=["subnet-a", "subnet-b"]),
                ),
                ("unknown", NODE_GROUP, ng(launchTemplate={"id": U, "version": "1"})),
            ]
        )
    ],
    "GF-NODE-007": [
        Scenario(
            [
                ("pass", NODE_GROUP, ng(launchTemplate={"name": "lt", "version": "1"})),
                ("fail", NODE_GROUP, ng()),
                ("unknown", NODE_GROUP, ng(launchTemplate=UO)),
            ]
        )
    ],
    "GF-VPC-001": [
        Scenario(
            [
                ("pass", VPC, {"cidrBlock": "10.0.0.0/16"}),
                ("fl", FLOW_LOG, {"vpcId": "pass", "trafficType": "ALL"}),
                ("pass-by-id", VPC, {"cidrBlock": "10.1.0.0/16", "id": "vpc-0123"}),
                ("fl2", FLOW_LOG, {"vpcId": "vpc-0123", "trafficType": "ALL"}),
                ("fail", VPC, {"cidrBlock": "10.2.0.0/16"}),
            ]
        ),
        Scenario(
            [
                ("unknown", VPC, {"cidrBlock": "10.0.0.0/16"}),
                ("fl", FLOW_LOG, {"vpcId": U, "trafficType": "ALL"}),
            ]
        ),
    ],
    "GF-VPC-007": [
        Scenario(
            [
                ("pass", VPC, {"cidrBlock": "10.0.0.0/16"}),
                *[
                    (
                        f"ep-{svc}",
                        ENDPOINT,
                        {
                            "vpcId": "pass",
                            "vpcEndpointType": kind,
                            "serviceName": f"com.amazonaws.us-east-1.{svc}",
                        },
                    )
                    for svc, kind in [
                        ("s3", "Gateway"),
                        ("ecr.api", "Interface"),
                        ("ecr.dkr", "Interface"),
                        ("sts", "Interface"),
                    ]
                ],
                ("fail", VPC, {"cidrBlock": "10.1.0.0/16"}),
                (
                    "ep-fail-s3",
                    ENDPOINT,
                    {
                        "vpcId": "fail",
                        "vpcEndpointType": "Interface",
                        "serviceName": "com.amazonaws.us-east-1.s3",
                    },
                ),
                ("fail-none", VPC, {"cidrBlock": "10.2.0.0/16"}),
            ]
        ),
        Scenario(
            [
                ("unknown", VPC, {"cidrBlock": "10.0.0.0/16"}),
                ("ep", ENDPOINT, {"vpcId": U, "serviceName": "com.amazonaws.us-east-1.sts"}),
            ]
        ),
    ],
    "GF-IAM-005": [
        Scenario(
            [
                ("pass", ROLE, {"assumeRolePolicy": POD_TRUST}),
                (
                    "data",
                    ROLE_POLICY,
                    {
                        "role": "pass",
                        "policy": doc(
                            allow(
                                ["s3:GetObject"],
                                [
                                    "arn:aws:s3:::gpuforge-dev-data-1a2b3c4",
                                    "arn:aws:s3:::gpuforge-dev-data-1a2b3c4/*",
                                ],
                            )
                        ),
                    },
                ),
                (
                    "pass-not-a-pod-role",
                    ROLE,
                    {
                        "assumeRolePolicy": doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        )
                    },
                ),
                (
                    "broad-ec2",
                    ROLE_POLICY,
                    {"role": "pass-not-a-pod-role", "policy": doc(allow("s3:*", "*"))},
                ),
                ("fail", ROLE, {"assumeRolePolicy": POD_TRUST}),
                (
                    "all-buckets",
                    ROLE_POLICY,
                    {"role": "fail", "policy": doc(allow(["s3:GetObject"], "arn:aws:s3:::*/*"))},
                ),
                ("fail-irsa", ROLE, {"assumeRolePolicy": IRSA_TRUST}),
                (
                    "prefix",
                    ROLE_POLICY,
                    {
                        "role": "fail-irsa",
                        "policy": doc(allow("s3:PutObject", "arn:aws:s3:::data-*/*")),
                    },
                ),
                ("fail-managed", ROLE, {"assumeRolePolicy": POD_TRUST}),
                (
                    "s3-full",
                    ATTACH,
                    {
                        "role": "fail-managed",
                        "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                    },
                ),
            ]
        ),
        Scenario([("unknown", ROLE, {"assumeRolePolicy": U})]),
    ],
    "GF-VPC-002": [
        Scenario(
            [
                ("pass", SUBNET, {"vpcId": "v", "tags": PRIVATE, "mapPublicIpOnLaunch": False}),
                ("pass-unset", SUBNET, {"vpcId": "v", "tags": PRIVATE}),
                ("pass-public", SUBNET, {"vpcId": "v", "mapPublicIpOnLaunch": True}),
                ("fail", SUBNET, {"vpcId": "v", "tags": PRIVATE, "mapPublicIpOnLaunch": True}),
                ("unknown", SUBNET, {"vpcId": "v", "tags": PRIVATE, "mapPublicIpOnLaunch": UB}),
            ]
        )
    ],
    "GF-VPC-003": [
        Scenario(
            [
                ("pass", VPC, {}),
                ("dsg-pass", DSG, {"vpcId": "pass"}),
                ("fail", VPC, {}),
                ("dsg-fail", DSG, {"vpcId": "fail", **ingress("-1", 0, 0, ["10.0.0.0/8"])}),
                ("fail-none", VPC, {}),
                ("unknown", VPC, {}),
                ("dsg-unknown", DSG, {"vpcId": "unknown", "ingress": UA}),
            ]
        )
    ],
    "GF-VPC-004": [
        Scenario(
            [
                ("pass", SG, ingress("tcp", 22, 22, ["10.0.0.0/8"])),
                ("pass-443", SG, ingress("tcp", 443, 443)),
                ("pass-rule", SG_IN, sg_rule("tcp", 443, 443)),
                ("fail", SG_IN, sg_rule("tcp", 22, 22)),
                ("fail-range-v6", SG, ingress("tcp", 0, 65535, [], ["::/0"])),
                ("fail-all", SG, ingress("-1", 0, 0)),
                ("unknown", SG, ingress("tcp", 22, 22, UA)),
                ("unknown-port", SG_IN, sg_rule("tcp", UN, UN)),
            ]
        )
    ],
    "GF-VPC-005": [
        Scenario(
            [
                ("pass", SG, ingress("tcp", 3389, 3389, ["10.0.0.0/8"])),
                ("pass-22", SG_IN, sg_rule("tcp", 22, 22, "10.0.0.0/8")),
                ("fail", SG_IN, sg_rule("tcp", 3389, 3389)),
                ("fail-range", SG, ingress("tcp", 3000, 4000)),
                ("unknown", SG_IN, sg_rule("tcp", 3389, 3389, U)),
            ]
        )
    ],
    "GF-VPC-006": [
        Scenario(
            [
                ("pass", SG, ingress("tcp", 443, 443)),
                ("pass-private", SG, ingress("-1", 0, 0, ["10.0.0.0/8"])),
                ("pass-dsg", DSG, {"vpcId": "v"}),
                ("fail", SG, ingress("-1", 0, 0)),
                ("fail-rule", SG_IN, sg_rule("-1", None, None)),
                ("fail-dsg", DSG, {"vpcId": "v", **ingress("tcp", 0, 65535)}),
                ("unknown", SG, {"ingress": UA}),
            ]
        )
    ],
    "GF-IAM-001": [
        Scenario(
            [
                ("pass", IAM_POLICY, {"policy": doc(allow(["s3:GetObject", "s3:PutObject"]))}),
                (
                    "pass-role",
                    ROLE,
                    {
                        "assumeRolePolicy": doc({"Effect": "Allow", "Action": "sts:AssumeRole"}),
                        "inlinePolicies": [{"name": "s3", "policy": doc(allow("s3:GetObject"))}],
                    },
                ),
                ("fail", IAM_POLICY, {"policy": doc(allow("*"))}),
                ("fail-service", ROLE_POLICY, {"role": "r", "policy": doc(allow("s3:*"))}),
                (
                    "fail-notaction",
                    ROLE_POLICY,
                    {
                        "role": "r",
                        "policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
                    },
                ),
                ("unknown", IAM_POLICY, {"policy": U}),
                ("unknown-role", ROLE, {"assumeRolePolicy": "{}", "inlinePolicies": UA}),
            ]
        )
    ],
    "GF-IAM-002": [
        Scenario(
            [
                ("pass", IAM_POLICY, {"policy": doc(allow("s3:PutObject"))}),
                ("pass-read", IAM_POLICY, {"policy": doc(allow("ecr:GetAuthorizationToken", "*"))}),
                (
                    "pass-condition",
                    IAM_POLICY,
                    {
                        "policy": doc(
                            allow(
                                "ec2:CreateTags",
                                "*",
                                Condition={"StringEquals": {"ec2:CreateAction": "RunInstances"}},
                            )
                        )
                    },
                ),
                ("fail", IAM_POLICY, {"policy": doc(allow(["s3:GetObject", "s3:PutObject"], "*"))}),
                ("unknown", ROLE_POLICY, {"role": "r", "policy": doc(allow("s3:PutObject", [U]))}),
            ]
        )
    ],
    "GF-IAM-003": [
        Scenario(
            [
                ("pass", IAM_POLICY, {"policy": doc(allow("s3:GetObject"))}),
                (
                    "pass-deny",
                    IAM_POLICY,
                    {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})},
                ),
                ("fail", IAM_POLICY, {"policy": doc(allow("*", "*"))}),
                (
                    "fail-role",
                    ROLE,
                    {
                        "assumeRolePolicy": "{}",
                        "inlinePolicies": [{"name": "admin", "policy": doc(allow(["*"], ["*"]))}],
                    },
                ),
                ("unknown", IAM_POLICY, {"policy": U}),
            ]
        )
    ],
    "GF-IAM-004": [
        Scenario(
            [
                (
                    "pass",
                    ATTACH,
                    {
                        "role": "r",
                        "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                    },
                ),
                ("pass-role", ROLE, {"assumeRolePolicy": "{}"}),
                ("fail", ATTACH, {"role": "r", "policyArn": ADMIN_ARN}),
                ("fail-role", ROLE, {"assumeRolePolicy": "{}", "managedPolicyArns": [ADMIN_ARN]}),
                ("unknown", ATTACH, {"role": "r", "policyArn": U}),
            ]
        )
    ],
    "GF-LOG-001": [
        Scenario(
            [
                ("pass", LOG_GROUP, {"kmsKeyId": KEY_ARN, "retentionInDays": 90}),
                ("fail", LOG_GROUP, {"retentionInDays": 90}),
                ("unknown", LOG_GROUP, {"kmsKeyId": U}),
            ]
        )
    ],
    "GF-LOG-002": [
        Scenario(
            [
                ("pass", LOG_GROUP, {"kmsKeyId": KEY_ARN, "retentionInDays": 90}),
                ("fail", LOG_GROUP, {"kmsKeyId": KEY_ARN}),
                ("unknown", LOG_GROUP, {"retentionInDays": UN}),
            ]
        )
    ],
    "GF-COST-001": [
        Scenario(
            [
                ("pass", NODE_GROUP, ng(tags=POOL, instanceTypes=["p5.48xlarge"])),
                (
                    "pass-cpu",
                    NODE_GROUP,
                    ng(
                        instanceTypes=["m7i.xlarge"],
                        scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 2},
                    ),
                ),
                (
                    "pass-prod-tag",
                    NODE_GROUP,
                    ng(
                        tags={**POOL, "gpuforge.dev/environment": "prod"},
                        scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 1},
                    ),
                ),
                (
                    "fail",
                    NODE_GROUP,
                    ng(
                        instanceTypes=["g6e.12xlarge"],
                        scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 1},
                    ),
                ),
                (
                    "unknown",
                    NODE_GROUP,
                    ng(tags=POOL, scalingConfig={"minSize": UN, "maxSize": 4, "desiredSize": 0}),
                ),
            ],
            RuleContext(environment="dev"),
        ),
        Scenario(
            [
                (
                    "pass-prod",
                    NODE_GROUP,
                    ng(tags=POOL, scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 2}),
                )
            ],
            RuleContext(environment="prod"),
        ),
    ],
    "GF-COST-002": [
        Scenario(
            [
                # 1 x p5.48xlarge at $55.04/h x 730 h = $40,179 <= $50,000
                (
                    "pass",
                    NODE_GROUP,
                    ng(
                        instanceTypes=["p5.48xlarge"],
                        scalingConfig={"minSize": 0, "maxSize": 1, "desiredSize": 0},
                    ),
                ),
                (
                    "pass-lt",
                    NODE_GROUP,
                    ng(
                        launchTemplate={"name": "lt-g5"},
                        scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": 0},
                    ),
                ),
                ("lt", LT, {"name": "lt-g5", "instanceType": "g5.xlarge"}),
                # 2 x p5.48xlarge = $80,358 > $50,000
                (
                    "fail",
                    NODE_GROUP,
                    ng(
                        instanceTypes=["p5.48xlarge"],
                        scalingConfig={"minSize": 0, "maxSize": 2, "desiredSize": 0},
                    ),
                ),
                (
                    "unknown",
                    NODE_GROUP,
                    ng(
                        instanceTypes=["p5.48xlarge"],
                        scalingConfig={"minSize": 0, "maxSize": UN, "desiredSize": 0},
                    ),
                ),
                ("unknown-price", NODE_GROUP, ng(instanceTypes=["x9.unpriced"])),
            ],
            RuleContext(environment="dev", monthly_budget_usd=50_000),
        ),
        Scenario(
            [
                (
                    "pass-no-budget",
                    NODE_GROUP,
                    ng(
                        instanceTypes=["p5.48xlarge"],
                        scalingConfig={"minSize": 0, "maxSize": 64, "desiredSize": 0},
                    ),
                )
            ],
            RuleContext(environment="dev"),
        ),
    ],
}
