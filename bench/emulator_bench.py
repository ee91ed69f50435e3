"""Benchmark: a prod-sized platform (about 200 resources) built in the emulated account.

Method: one cold process per measurement (imports, moto backends and boto3 models
all cold, as in ``gpuforge plan``), then a second run in the same process (warm).
Run: ``.venv/bin/python bench/emulator_bench.py [--pools N]``; prints JSON.
The program is synthetic (plain pulumi_aws resources shaped like the prod stack) so
the benchmark does not depend on the components.
"""

from __future__ import annotations

import argparse
import json
import time

T0 = time.perf_counter()

ASSUME = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"%s"},"Action":"sts:AssumeRole"}]}'
)


def prod_like(pools: int = 4, buckets: int = 3) -> None:  # noqa: PLR0915 (a flat script)
    import pulumi
    import pulumi_aws as aws

    tags = {"gpuforge.dev/environment": "prod", "gpuforge.dev/managed-by": "gpuforge"}
    provider = aws.Provider("aws", region="us-east-1", default_tags={"tags": tags})
    opts = pulumi.ResourceOptions(provider=provider)
    azs = aws.get_availability_zones_output(
        state="available", opts=pulumi.InvokeOptions(provider=provider)
    )
    aws.get_caller_identity_output()
    aws.get_partition_output()
    vpc = aws.ec2.Vpc("net", cidr_block="10.0.0.0/16", enable_dns_hostnames=True, opts=opts)
    aws.ec2.DefaultSecurityGroup("net-default-sg", vpc_id=vpc.id, opts=opts)
    igw = aws.ec2.InternetGateway("net-igw", vpc_id=vpc.id, opts=opts)
    public_rt = aws.ec2.RouteTable("net-public-rt", vpc_id=vpc.id, opts=opts)
    aws.ec2.Route(
        "net-public-default",
        route_table_id=public_rt.id,
        destination_cidr_block="0.0.0.0/0",
        gateway_id=igw.id,
        opts=opts,
    )
    private_subnets, private_rts = [], []
    for i in range(3):
        pub = aws.ec2.Subnet(
            f"net-public-{i}",
            vpc_id=vpc.id,
            cidr_block=f"10.0.{i}.0/24",
            availability_zone=azs.names[i],
            opts=opts,
        )
        aws.ec2.RouteTableAssociation(
            f"net-public-rta-{i}", subnet_id=pub.id, route_table_id=public_rt.id, opts=opts
        )
        priv = aws.ec2.Subnet(
            f"net-private-{i}",
            vpc_id=vpc.id,
            cidr_block=f"10.0.{64 * (i + 1)}.0/18",
            availability_zone=azs.names[i],
            opts=opts,
        )
        eip = aws.ec2.Eip(f"net-nat-eip-{i}", domain="vpc", opts=opts)
        nat = aws.ec2.NatGateway(f"net-nat-{i}", subnet_id=pub.id, allocation_id=eip.id, opts=opts)
        rt = aws.ec2.RouteTable(f"net-private-rt-{i}", vpc_id=vpc.id, opts=opts)
        aws.ec2.Route(
            f"net-private-default-{i}",
            route_table_id=rt.id,
            destination_cidr_block="0.0.0.0/0",
            nat_gateway_id=nat.id,
            opts=opts,
        )
        aws.ec2.RouteTableAssociation(
            f"net-private-rta-{i}", subnet_id=priv.id, route_table_id=rt.id, opts=opts
        )
        private_subnets.append(priv)
        private_rts.append(rt)
    endpoint_sg = aws.ec2.SecurityGroup(
        "net-endpoints-sg", vpc_id=vpc.id, description="endpoints", opts=opts
    )
    aws.vpc.SecurityGroupIngressRule(
        "net-endpoints-https",
        security_group_id=endpoint_sg.id,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="10.0.0.0/16",
        opts=opts,
    )
    aws.ec2.VpcEndpoint(
        "net-s3",
        vpc_id=vpc.id,
        service_name="com.amazonaws.us-east-1.s3",
        vpc_endpoint_type="Gateway",
        route_table_ids=[rt.id for rt in private_rts],
        opts=opts,
    )
    for svc in ("ecr.api", "ecr.dkr", "sts", "logs"):
        aws.ec2.VpcEndpoint(
            f"net-{svc}",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.us-east-1.{svc}",
            vpc_endpoint_type="Interface",
            subnet_ids=[s.id for s in private_subnets],
            security_group_ids=[endpoint_sg.id],
            private_dns_enabled=True,
            opts=opts,
        )
    key = aws.kms.Key("kms", enable_key_rotation=True, deletion_window_in_days=30, opts=opts)
    aws.kms.Alias("kms-alias", name="alias/gpuforge-prod", target_key_id=key.key_id, opts=opts)
    flow_group = aws.cloudwatch.LogGroup(
        "net-flow-logs", retention_in_days=365, kms_key_id=key.arn, opts=opts
    )
    flow_role = aws.iam.Role(
        "net-flow-role", assume_role_policy=ASSUME % "vpc-flow-logs.amazonaws.com", opts=opts
    )
    aws.iam.RolePolicy(
        "net-flow-role-policy",
        role=flow_role.name,
        policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}',
        opts=opts,
    )
    aws.ec2.FlowLog(
        "net-flow-log",
        vpc_id=vpc.id,
        traffic_type="ALL",
        log_destination=flow_group.arn,
        iam_role_arn=flow_role.arn,
        opts=opts,
    )
    for b in range(buckets):
        bucket = aws.s3.Bucket(f"store-{b}", opts=opts)
        aws.s3.BucketPublicAccessBlock(
            f"store-{b}-pab",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=opts,
        )
        aws.s3.BucketOwnershipControls(
            f"store-{b}-own",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=opts,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"store-{b}-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=opts,
        )
        aws.s3.BucketVersioning(
            f"store-{b}-ver",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=opts,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"store-{b}-lc",
            bucket=bucket.id,
            rules=[
                {
                    "id": "mpu",
                    "status": "Enabled",
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                }
            ],
            opts=opts,
        )
        aws.s3.BucketPolicy(
            f"store-{b}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [arn, f"{arn}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                )
            ),
            opts=opts,
        )
    cluster_role = aws.iam.Role(
        "eks-cluster-role", assume_role_policy=ASSUME % "eks.amazonaws.com", opts=opts
    )
    aws.iam.RolePolicyAttachment(
        "eks-cluster-policy",
        role=cluster_role.name,
        policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        opts=opts,
    )
    cluster_log_group = aws.cloudwatch.LogGroup(
        "eks-logs", name="/aws/eks/gpuforge-prod/cluster", retention_in_days=90, opts=opts
    )
    cluster = aws.eks.Cluster(
        "eks",
        name="gpuforge-prod",
        role_arn=cluster_role.arn,
        version="1.31",
        vpc_config={
            "subnet_ids": [s.id for s in private_subnets],
            "endpoint_private_access": True,
            "endpoint_public_access": False,
        },
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
        enabled_cluster_log_types=[
            "api",
            "audit",
            "authenticator",
            "controllerManager",
            "scheduler",
        ],
        access_config={"authentication_mode": "API"},
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[cluster_log_group]),
    )
    aws.iam.OpenIdConnectProvider(
        "eks-oidc",
        url=cluster.identities[0].oidcs[0].issuer,
        client_id_lists=["sts.amazonaws.com"],
        opts=opts,
    )
    for addon in (
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
    ):
        aws.eks.Addon(f"eks-{addon}", cluster_name=cluster.name, addon_name=addon, opts=opts)
    admin = aws.iam.Role("eks-admin", assume_role_policy=ASSUME % "ec2.amazonaws.com", opts=opts)
    entry = aws.eks.AccessEntry(
        "eks-admin-entry", cluster_name=cluster.name, principal_arn=admin.arn, opts=opts
    )
    aws.eks.AccessPolicyAssociation(
        "eks-admin-policy",
        cluster_name=cluster.name,
        principal_arn=entry.principal_arn,
        policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        access_scope={"type": "cluster"},
        opts=opts,
    )
    node_role = aws.iam.Role(
        "nodes-role", assume_role_policy=ASSUME % "ec2.amazonaws.com", opts=opts
    )
    for policy in (
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    ):
        aws.iam.RolePolicyAttachment(
            f"nodes-{policy}",
            role=node_role.name,
            policy_arn=f"arn:aws:iam::aws:policy/{policy}",
            opts=opts,
        )
    ami = aws.ssm.get_parameter_output(
        name="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/nvidia/recommended/image_id"
    )
    node_sg = aws.ec2.SecurityGroup("nodes-sg", vpc_id=vpc.id, description="nodes", opts=opts)
    aws.vpc.SecurityGroupIngressRule(
        "nodes-self",
        security_group_id=node_sg.id,
        ip_protocol="-1",
        referenced_security_group_id=node_sg.id,
        opts=opts,
    )
    aws.vpc.SecurityGroupEgressRule(
        "nodes-egress",
        security_group_id=node_sg.id,
        ip_protocol="-1",
        cidr_ipv4="0.0.0.0/0",
        opts=opts,
    )
    for p in range(pools):
        pg = aws.ec2.PlacementGroup(f"pool-{p}-pg", strategy="cluster", opts=opts)
        lt = aws.ec2.LaunchTemplate(
            f"pool-{p}-lt",
            image_id=ami.value,
            vpc_security_group_ids=[node_sg.id],
            metadata_options={
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
                "http_endpoint": "enabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": 500,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "kms_key_id": key.arn,
                    },
                }
            ],
            network_interfaces=[
                {
                    "device_index": 0,
                    "network_card_index": 0,
                    "interface_type": "efa",
                    "security_groups": [node_sg.id],
                }
            ],
            placement={"group_name": pg.name},
            tag_specifications=[
                {"resource_type": "instance", "tags": {"gpuforge.dev/pool": f"pool-{p}"}}
            ],
            opts=opts,
        )
        aws.eks.NodeGroup(
            f"pool-{p}",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=[private_subnets[0].id],
            instance_types=["p5.48xlarge"],
            scaling_config={"desired_size": 0, "min_size": 0, "max_size": 4},
            launch_template={"id": lt.id, "version": lt.latest_version.apply(str)},
            labels={"gpuforge.dev/pool": f"pool-{p}", "nvidia.com/gpu.present": "true"},
            taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
            tags={"gpuforge.dev/pool": f"pool-{p}", "k8s.io/cluster-autoscaler/enabled": "true"},
            opts=opts,
        )
    for sa in range(6):
        role = aws.iam.Role(
            f"pod-role-{sa}", assume_role_policy=ASSUME % "pods.eks.amazonaws.com", opts=opts
        )
        policy = aws.iam.Policy(
            f"pod-policy-{sa}",
            policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::x/*"}]}',
            opts=opts,
        )
        aws.iam.RolePolicyAttachment(
            f"pod-attach-{sa}", role=role.name, policy_arn=policy.arn, opts=opts
        )
        aws.eks.PodIdentityAssociation(
            f"pod-identity-{sa}",
            cluster_name=cluster.name,
            namespace="training",
            service_account=f"sa-{sa}",
            role_arn=role.arn,
            opts=opts,
        )
    pulumi.export("cluster", cluster.name)
    pulumi.export("endpoint", cluster.endpoint)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pools", type=int, default=4)
    parser.add_argument("--buckets", type=int, default=3)
    parser.add_argument("--mode", default="inprocess")
    args = parser.parse_args()
    from gpuforge.emulator import EmulatedAccount, run_program

    program = lambda: prod_like(args.pools, args.buckets)  # noqa: E731
    with EmulatedAccount(mode=args.mode) as account:
        first = run_program(program, stack="prod", account=account)
    total_cold = time.perf_counter() - T0
    with EmulatedAccount(mode=args.mode) as account:
        second = run_program(program, stack="prod", account=account)
    print(
        json.dumps(
            {
                "resources": len(first.resources),
                "emulated": len([r for r in first.resources if r.kind == "emulated"]),
                "echoed_types": first.echoed_types,
                "cold_process_total_s": round(total_cold, 3),
                "cold_run_s": round(first.seconds, 3),
                "warm_run_s": round(second.seconds, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
