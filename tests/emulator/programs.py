"""Small hand-built Pulumi programs (real pulumi_aws resources) for the emulator tests."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

ASSUME_EKS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "eks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ASSUME_EC2 = ASSUME_EKS.replace("eks.amazonaws.com", "ec2.amazonaws.com")
NVIDIA_AMI = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/nvidia/recommended"


def network(
    cidr: str = "10.0.0.0/16", subnet_cidrs: tuple[str, ...] = ("10.0.0.0/20", "10.0.16.0/20")
):
    azs = aws.get_availability_zones_output(state="available")
    vpc = aws.ec2.Vpc("net-vpc", cidr_block=cidr, enable_dns_hostnames=True, tags={"Name": "net"})
    subnets = [
        aws.ec2.Subnet(
            f"net-private-{'abc'[i]}",
            vpc_id=vpc.id,
            cidr_block=block,
            availability_zone=azs.names[i],
        )
        for i, block in enumerate(subnet_cidrs)
    ]
    rtb = aws.ec2.RouteTable("net-private-rt", vpc_id=vpc.id)
    for i, subnet in enumerate(subnets):
        aws.ec2.RouteTableAssociation(
            f"net-private-rta-{i}", subnet_id=subnet.id, route_table_id=rtb.id
        )
    return vpc, subnets, rtb


def storage(key: aws.kms.Key):
    bucket = aws.s3.Bucket("data", tags={"team": "ml"})
    aws.s3.BucketPublicAccessBlock(
        "data-pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        "data-sse",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    aws.s3.BucketVersioning(
        "data-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
    )
    aws.s3.BucketLifecycleConfiguration(
        "data-lifecycle",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-mpu",
                status="Enabled",
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=30
                ),
            )
        ],
    )
    policy = bucket.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn, f"{arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        )
    )
    aws.s3.BucketPolicy("data-policy", bucket=bucket.id, policy=policy)
    return bucket


def platform(user_data: str | None = None) -> None:
    """VPC + subnets + route table, KMS key + alias, a secure bucket, IAM roles, an EKS
    cluster with a node group, two add-ons and an access entry; exports a few outputs.

    The node group's template names the NVIDIA AMI; with `user_data` it names none and
    carries that user data instead, for EKS to merge (AL2023_x86_64_NVIDIA)."""
    vpc, subnets, rtb = network()
    key = aws.kms.Key(
        "key", description="gpuforge", enable_key_rotation=True, deletion_window_in_days=7
    )
    aws.kms.Alias("key-alias", name="alias/gpuforge-test", target_key_id=key.key_id)
    bucket = storage(key)
    cluster_role = aws.iam.Role("cluster-role", assume_role_policy=ASSUME_EKS)
    aws.iam.RolePolicyAttachment(
        "cluster-role-eks",
        role=cluster_role.name,
        policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    )
    node_role = aws.iam.Role("node-role", assume_role_policy=ASSUME_EC2)
    cluster = aws.eks.Cluster(
        "cluster",
        role_arn=cluster_role.arn,
        version="1.31",
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=[s.id for s in subnets],
            endpoint_private_access=True,
            endpoint_public_access=False,
        ),
        encryption_config=aws.eks.ClusterEncryptionConfigArgs(
            provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
            resources=["secrets"],
        ),
        enabled_cluster_log_types=[
            "api",
            "audit",
            "authenticator",
            "controllerManager",
            "scheduler",
        ],
        access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API"),
    )
    ami = aws.ssm.get_parameter_output(name=f"{NVIDIA_AMI}/image_id")
    own_ami = {"image_id": ami.value} if user_data is None else {"user_data": user_data}
    template = aws.ec2.LaunchTemplate(
        "gpu-lt",
        **own_ami,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_tokens="required", http_put_response_hop_limit=1, http_endpoint="enabled"
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=200, volume_type="gp3", encrypted="true"
                ),
            )
        ],
    )
    group = aws.eks.NodeGroup(
        "gpu",
        cluster_name=cluster.name,
        node_role_arn=node_role.arn,
        subnet_ids=[s.id for s in subnets],
        instance_types=["p5.48xlarge"],
        ami_type=None if user_data is None else "AL2023_x86_64_NVIDIA",
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=0, min_size=0, max_size=2),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
            id=template.id, version=template.latest_version.apply(str)
        ),
        labels={"gpuforge.dev/pool": "gpu"},
        taints=[
            aws.eks.NodeGroupTaintArgs(key="nvidia.com/gpu", value="true", effect="NO_SCHEDULE")
        ],
    )
    aws.autoscaling.Tag(
        "gpu-template-gpus",
        autoscaling_group_name=group.resources[0].autoscaling_groups[0].name,
        tag=aws.autoscaling.TagTagArgs(
            key="k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu",
            value="8",
            propagate_at_launch=False,
        ),
    )
    aws.eks.Addon("vpc-cni", cluster_name=cluster.name, addon_name="vpc-cni")
    aws.eks.Addon("kube-proxy", cluster_name=cluster.name, addon_name="kube-proxy")
    aws.eks.AccessEntry("admin", cluster_name=cluster.name, principal_arn=cluster_role.arn)
    pulumi.export("vpc_id", vpc.id)
    pulumi.export("subnet_ids", [s.id for s in subnets])
    pulumi.export("bucket", bucket.bucket)
    pulumi.export("key_arn", key.arn)
    pulumi.export("cluster", {"name": cluster.name, "endpoint": cluster.endpoint})
    pulumi.export("node_group_arn", group.arn)
    pulumi.export("ami", ami.value)


def tag_missing_group():
    """A tag on an Auto Scaling group that does not exist."""
    aws.autoscaling.Tag(
        "orphan",
        autoscaling_group_name="eks-does-not-exist",
        tag=aws.autoscaling.TagTagArgs(key="k", value="v", propagate_at_launch=False),
    )
