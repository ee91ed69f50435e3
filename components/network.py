"""The VPC: subnets from the netplan, NAT, route tables, VPC endpoints, flow logs.

Per AZ: one private subnet (nodes, pods, interface endpoints) and one public
subnet (NAT gateways, internet-facing load balancers), CIDRs from
`components.netplan` via `EnvironmentSpec.subnets`. No subnet maps public IPs
on launch. The default security group is adopted and emptied. Flow logs (ALL
traffic) go to a KMS-encrypted CloudWatch log group through a role that may
write to that log group only, and that only this account's flow logs in this
region may assume (`aws:SourceAccount`, `aws:SourceArn`).

The S3 gateway endpoint carries all S3 traffic of the private subnets in the
region (its route beats the NAT default route), so its policy is the data
perimeter: object reads and writes (`S3_DATA_PLANE_ACTIONS`, no bucket
configuration) in the environment's buckets for this account's principals
(`aws:PrincipalAccount`), and read-only the AWS-owned buckets the nodes pull from
(`AWS_READ_BUCKETS`). Nothing else in S3 is reachable from the nodes through it;
S3 in other regions is not routed through it. Every interface endpoint whose
service supports endpoint policies (`ENDPOINT_POLICY_SERVICES`) admits only this
account's principals and AWS services (`interface_endpoint_statements`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import cloudwatch, ec2, iam, vpc

from gpuforge.components import _aws
from gpuforge.model import aws_naming as rn
from gpuforge.model import grants
from gpuforge.model.endpoint_policies import ENDPOINT_POLICY_SERVICES
from gpuforge.model.netplan import ZoneSubnets
from gpuforge.model.spec import NetworkSpec


@dataclass
class NetworkArgs:
    """Inputs of `Network`."""

    network: NetworkSpec
    """The spec's `network` section: the VPC CIDR, NAT gateways (one per AZ, a single one
    in the first AZ, or none), VPC endpoints (`s3` a gateway endpoint, every other entry
    an interface endpoint) and the flow log group's retention."""

    subnets: list[ZoneSubnets]
    """Private/public CIDR per AZ, in AZ order: pass `spec.subnets`, never a hand-made list."""

    region: str
    """AWS region; names the VPC endpoint services (`com.amazonaws.<region>.<service>`)."""

    cluster_name: str
    """EKS cluster name, for the `kubernetes.io/cluster/<name>: shared` subnet tag."""

    logs_key_arn: pulumi.Input[str]
    """KMS key ARN that encrypts the flow log group (`Encryption.logs_key_arn`)."""

    s3_bucket_arns: list[pulumi.Input[str]]
    """Buckets of the environment that nodes and pods may use through the S3 gateway endpoint."""


# AWS-owned buckets nodes read through the S3 gateway endpoint, `{region}` filled in:
# - ECR stores image layers in `prod-<region>-starport-layer-bucket` ("Amazon ECR interface
#   VPC endpoints", ECR User Guide: docs.aws.amazon.com/AmazonECR/latest/userguide/
#   vpc-endpoints.html, "Minimum Amazon S3 bucket permissions for Amazon ECR");
# - Amazon Linux 2023's dnf repositories (`al2023-repos-<region>-de612dc2`, the host the
#   AL2023 mirror list resolves to; AWS's MGN network requirements list the same ARN);
# - registry.k8s.io redirects image layers to `prod-registry-k8s-io-<region>`
#   (kubernetes/registry.k8s.io) for cluster add-ons such as the cluster autoscaler.
AWS_READ_BUCKETS = (
    "prod-{region}-starport-layer-bucket",
    "al2023-repos-{region}-de612dc2",
    "prod-registry-k8s-io-{region}",
)


# What the S3 gateway endpoint lets this account's principals do in the environment's
# buckets: object reads and writes and the listings they need, nothing that changes a
# bucket's configuration (no PutBucketPolicy, no s3:*). The object actions come from
# `gpuforge.model.grants`, the same lists the training role is built from.
S3_DATA_PLANE_ACTIONS = tuple(
    sorted(
        {
            *grants.READ_OBJECT_ACTIONS,
            *grants.WRITE_OBJECT_ACTIONS,
            *grants.LIST_BUCKET_ACTIONS,
            "s3:GetBucketLocation",
            "s3:ListBucketMultipartUploads",
            "s3:ListMultipartUploadParts",
        }
    )
)


def principal_condition(account: str) -> dict[str, dict[str, str]]:
    """Only principals of this account (`aws:PrincipalAccount`, a global condition key).

    Endpoint policies cannot name principals for a gateway endpoint ("Principals for
    gateway endpoints": Principal must be `*`, scope it with a condition key;
    docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
    """
    return {"StringEquals": {"aws:PrincipalAccount": account}}


def s3_endpoint_statements(
    part: str, region: str, account: str, bucket_arns: list[str]
) -> list[dict]:
    """The S3 gateway endpoint policy: data-plane actions on the environment's buckets for
    this account's principals, and read-only the AWS-owned buckets the nodes pull from.

    The AWS-owned buckets carry no account condition: ECR hands out layer URLs that ECR
    itself signed, and the AL2023 and registry.k8s.io mirrors are read anonymously, so
    `aws:PrincipalAccount` is not this account's there (or absent).
    """
    statements: list[dict] = []
    if bucket_arns:
        statements.append(
            {
                "Sid": "EnvironmentBuckets",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(S3_DATA_PLANE_ACTIONS),
                "Resource": [r for arn in sorted(bucket_arns) for r in (arn, f"{arn}/*")],
                "Condition": principal_condition(account),
            }
        )
    statements.append(
        {
            "Sid": "AwsOwnedBucketsNodesRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": [
                f"arn:{part}:s3:::{name.format(region=region)}/*" for name in AWS_READ_BUCKETS
            ],
        }
    )
    return statements


def interface_endpoint_statements(service: str, account: str) -> list[dict]:
    """An interface endpoint's policy: this account's principals and AWS services only.

    The shape is AWS's data-perimeter example (aws-samples/data-perimeter-policy-examples
    @4bc433ff:vpc_endpoint_policies/default_endpoint_policy.json), with the account in
    place of the organization. STS also lets web-identity federation (IRSA) assume this
    account's roles: AssumeRoleWithWebIdentity is not signed by a principal of any account
    (same repository @3f37002e:vpc_endpoint_policies/sts_endpoint_policy.json).
    """
    statements: list[dict] = [
        {
            "Sid": "AccountPrincipals",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": principal_condition(account),
        },
        {
            "Sid": "AwsServicePrincipals",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}},
        },
    ]
    if service == "sts":
        statements.append(
            {
                "Sid": "WebIdentityToAccountRoles",
                "Effect": "Allow",
                "Principal": {"Federated": "*"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": account}},
            }
        )
    return statements


class Network(pulumi.ComponentResource):
    """A VPC with private/public subnets per AZ, NAT, endpoints and flow logs."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    private_subnet_ids: dict[str, pulumi.Output[str]]
    """Private subnet ID by AZ name (node groups, EKS control-plane ENIs)."""
    public_subnet_ids: dict[str, pulumi.Output[str]]
    """Public subnet ID by AZ name."""
    flow_log_group_name: pulumi.Output[str]
    """Name of the CloudWatch log group receiving VPC flow logs."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}

        the_vpc = ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.network.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        # Adopt the VPC's default security group and remove every rule from it.
        ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=the_vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-closed"},
            opts=child,
        )

        def subnet(kind: str, zone: str, cidr: str, role_tag: str) -> ec2.Subnet:
            return ec2.Subnet(
                f"{name}-{kind}-{zone}",
                vpc_id=the_vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-{kind}-{zone}", role_tag: "1", **cluster_tag},
                opts=child,
            )

        public: dict[str, ec2.Subnet] = {}
        private: dict[str, ec2.Subnet] = {}
        for zs in args.subnets:
            public[zs.zone] = subnet("public", zs.zone, zs.public, "kubernetes.io/role/elb")
            private[zs.zone] = subnet(
                "private", zs.zone, zs.private, "kubernetes.io/role/internal-elb"
            )

        igw = ec2.InternetGateway(
            f"{name}-igw", vpc_id=the_vpc.id, tags={"Name": f"{name}-igw"}, opts=child
        )
        public_rt = ec2.RouteTable(
            f"{name}-public", vpc_id=the_vpc.id, tags={"Name": f"{name}-public"}, opts=child
        )
        ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for zone, subnet in public.items():
            ec2.RouteTableAssociation(
                f"{name}-public-{zone}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )

        zones = [zs.zone for zs in args.subnets]
        nat_zones = {"per-az": zones, "single": zones[:1], "none": []}[args.network.nat]
        nats: dict[str, ec2.NatGateway] = {}
        for zone in nat_zones:
            eip = ec2.Eip(
                f"{name}-nat-{zone}", domain="vpc", tags={"Name": f"{name}-nat-{zone}"}, opts=child
            )
            nats[zone] = ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=eip.allocation_id,
                subnet_id=public[zone].id,
                connectivity_type="public",
                tags={"Name": f"{name}-nat-{zone}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

        private_rts: list[ec2.RouteTable] = []
        for zone, subnet in private.items():
            rt = ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=the_vpc.id,
                tags={"Name": f"{name}-private-{zone}"},
                opts=child,
            )
            nat = nats.get(zone) or (nats[nat_zones[0]] if nat_zones else None)
            if nat is not None:
                ec2.Route(
                    f"{name}-private-{zone}-default",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=child,
                )
            ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            private_rts.append(rt)

        interface = [e for e in args.network.endpoints if e != "s3"]
        if "s3" in args.network.endpoints:
            ec2.VpcEndpoint(
                f"{name}-s3",
                vpc_id=the_vpc.id,
                service_name=f"com.amazonaws.{args.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in private_rts],
                policy=_aws.policy_output(
                    lambda p, acct, *arns: s3_endpoint_statements(p, args.region, acct, list(arns)),
                    _aws.partition(self),
                    _aws.account_id(self),
                    *args.s3_bucket_arns,
                ),
                tags={"Name": f"{name}-s3"},
                opts=child,
            )
        if interface:
            endpoint_sg = ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=the_vpc.id,
                description="VPC interface endpoints: HTTPS from inside the VPC only",
                tags={"Name": f"{name}-endpoints"},
                opts=child,
            )
            vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-https",
                security_group_id=endpoint_sg.id,
                description="HTTPS from the VPC",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=args.network.cidr,
                opts=child,
            )
            for service in interface:
                ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=the_vpc.id,
                    service_name=f"com.amazonaws.{args.region}.{service}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in private.values()],
                    security_group_ids=[endpoint_sg.id],
                    policy=(
                        _aws.policy_output(
                            lambda acct, service=service: interface_endpoint_statements(
                                service, acct
                            ),
                            _aws.account_id(self),
                        )
                        if service in ENDPOINT_POLICY_SERVICES
                        else None
                    ),
                    tags={"Name": f"{name}-{service}"},
                    opts=child,
                )

        log_group = cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/aws/vpc-flow-logs/{name}",
            retention_in_days=args.network.flow_logs_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        # Confused-deputy guard: only flow logs of this account, in this region.
        flow_role = iam.Role(
            rn.child(name, rn.FLOW_LOGS_ROLE),
            description=f"VPC flow logs of {name} write to their log group",
            assume_role_policy=pulumi.Output.all(_aws.partition(self), _aws.account_id(self)).apply(
                lambda pa: _aws.assume_role_policy(
                    "vpc-flow-logs.amazonaws.com",
                    condition=_aws.source_condition(
                        pa[1], f"arn:{pa[0]}:ec2:{args.region}:{pa[1]}:vpc-flow-log/*"
                    ),
                )
            ),
            opts=child,
        )
        iam.RolePolicy(
            f"{name}-flow-logs",
            role=flow_role.id,
            policy=_aws.policy_output(
                lambda arn: flow_log_statements(arn),
                log_group.arn,
            ),
            opts=child,
        )
        ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=the_vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-logs"},
            opts=child,
        )

        self.vpc_id = the_vpc.id
        self.private_subnet_ids = {zone: s.id for zone, s in private.items()}
        self.public_subnet_ids = {zone: s.id for zone, s in public.items()}
        self.flow_log_group_name = log_group.name
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )


def flow_log_statements(log_group_arn: str) -> list[dict]:
    """The flow-log role's permissions: write to its log group; list log groups on `*`.

    `logs:DescribeLogGroups` takes no resource ARN: the Service Authorization Reference
    lists it with an empty resource type column, so it is granted only on `*`
    (docs.aws.amazon.com/service-authorization/latest/reference/
    list_amazoncloudwatchlogs.html); naming the log group there grants nothing.
    """
    return [
        {
            "Sid": "WriteFlowLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        },
        {
            "Sid": "ListLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        },
    ]
