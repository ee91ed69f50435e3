"""A small platform built once in an emulated account, then inspected through boto3."""

from __future__ import annotations

import json

import pytest

from gpuforge.emulator import EmulatedAccount, EmulationError, run_program
from tests.emulator import programs


@pytest.fixture(scope="module")
def built():
    """The small platform, built once; the account stays open for inspection."""
    with EmulatedAccount(region="us-east-1") as account:
        yield account, run_program(programs.platform, stack="test", account=account)


def test_network_lands_in_moto(built):
    account, result = built
    ec2 = account.client("ec2")
    vpc_id = result.outputs["vpc_id"]
    subnets = ec2.describe_subnets(SubnetIds=result.outputs["subnet_ids"])["Subnets"]
    assert {s["CidrBlock"] for s in subnets} == {"10.0.0.0/20", "10.0.16.0/20"}
    assert {s["VpcId"] for s in subnets} == {vpc_id}
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    attrs = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert attrs["EnableDnsHostnames"]["Value"] is True
    rtb = result.named("net-private-rt")
    found = ec2.describe_route_tables(RouteTableIds=[rtb.id])["RouteTables"][0]
    assert {a["SubnetId"] for a in found["Associations"]} == set(result.outputs["subnet_ids"])


def test_outputs_merge_inputs_with_real_shaped_computed_values(built):
    _, result = built
    vpc = result.named("net-vpc")
    assert vpc.kind == "emulated"
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"  # camelCase, as Pulumi sends them
    assert vpc.outputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.id.startswith("vpc-")
    assert vpc.outputs["defaultSecurityGroupId"].startswith("sg-")
    assert vpc.outputs["mainRouteTableId"].startswith("rtb-")
    assert vpc.urn == "urn:pulumi:test::gpuforge::aws:ec2/vpc:Vpc::net-vpc"
    bucket = result.named("data")
    assert bucket.outputs["arn"] == f"arn:aws:s3:::{bucket.id}"
    assert bucket.outputs["bucketRegionalDomainName"] == f"{bucket.id}.s3.us-east-1.amazonaws.com"
    role = result.named("cluster-role")
    assert role.outputs["arn"] == f"arn:aws:iam::123456789012:role/{role.id}"
    assert role.outputs["uniqueId"].startswith("AROA")
    cluster = result.named("cluster")
    assert cluster.outputs["endpoint"].startswith("https://")
    assert cluster.outputs["certificateAuthority"]["data"]
    assert cluster.outputs["identities"][0]["oidcs"][0]["issuer"].startswith("https://oidc.eks.")
    assert cluster.outputs["vpcConfig"]["clusterSecurityGroupId"].startswith("sg-")
    template = result.named("gpu-lt")
    assert template.id.startswith("lt-") and template.outputs["latestVersion"] == 1
    group = result.named("gpu")
    assert group.outputs["status"] == "ACTIVE"
    assert group.outputs["arn"].startswith("arn:aws:eks:us-east-1:123456789012:nodegroup/")
    assert result.echoed_types == []
    assert "aws:eks/addon:Addon" in result.emulated_types


def test_stack_exports_resolve_to_plain_python(built):
    _, result = built
    outputs = result.outputs
    assert outputs["cluster"]["name"] == result.named("cluster").id
    assert outputs["cluster"]["endpoint"].startswith("https://")
    assert outputs["bucket"] == result.named("data").id
    assert outputs["key_arn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")


def test_bucket_is_secured_in_s3(built):
    account, result = built
    s3 = account.client("s3")
    bucket = result.outputs["bucket"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": result.outputs["key_arn"]}
    assert rule["BucketKeyEnabled"] is True
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {"Key": "team", "Value": "ml"} in tags


def test_kms_and_iam_in_moto(built):
    account, result = built
    kms, iam = account.client("kms"), account.client("iam")
    key_id = result.named("key").id
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/gpuforge-test"] == key_id
    role_name = result.named("cluster-role").id
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonEKSClusterPolicy"]


def test_cluster_and_node_group_in_eks(built):
    account, result = built
    eks = account.client("eks")
    name = result.outputs["cluster"]["name"]
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert cluster["version"] == "1.31"
    assert cluster["encryptionConfig"][0]["provider"]["keyArn"] == result.outputs["key_arn"]
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert set(cluster["logging"]["clusterLogging"][0]["types"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    group_name = result.named("gpu").id.split(":", 1)[1]
    group = eks.describe_nodegroup(clusterName=name, nodegroupName=group_name)["nodegroup"]
    assert group["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 0}
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["labels"] == {"gpuforge.dev/pool": "gpu"}
    assert group["launchTemplate"]["id"] == result.named("gpu-lt").id
    # moto has no add-on or access-entry API: they live in the emulator's state
    assert account.state.addons[(name, "vpc-cni")].version.startswith("v")
    # kube-proxy's default build follows the cluster's Kubernetes version, as on EKS
    assert account.state.addons[(name, "kube-proxy")].version.startswith("v1.31.")
    principal = result.named("cluster-role").outputs["arn"]
    assert account.state.access_entries[(name, principal)].type == "STANDARD"


def test_node_group_gets_the_auto_scaling_group_eks_would_make_and_its_tags(built):
    account, result = built
    name = result.outputs["cluster"]["name"]
    group_name = result.named("gpu").id.split(":", 1)[1]
    found = account.client("eks").describe_nodegroup(clusterName=name, nodegroupName=group_name)
    (asg_ref,) = found["nodegroup"]["resources"]["autoScalingGroups"]
    autoscaling = account.client("autoscaling")
    (asg,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_ref["name"]])[
        "AutoScalingGroups"
    ]
    assert (asg["MinSize"], asg["MaxSize"], asg["DesiredCapacity"]) == (0, 2, 0)
    assert set(asg["VPCZoneIdentifier"].split(",")) == set(result.outputs["subnet_ids"])
    tags = {t["Key"]: t["Value"] for t in asg["Tags"]}
    assert tags["eks:nodegroup-name"] == group_name
    assert tags[f"k8s.io/cluster-autoscaler/{name}"] == "owned"
    assert "gpuforge.dev/pool" not in tags  # EKS does not copy the node group's labels or tags
    key = "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"
    filters = [{"Name": "auto-scaling-group", "Values": [asg_ref["name"]]}]
    got = autoscaling.describe_tags(Filters=filters)["Tags"]
    assert {t["Key"]: t["Value"] for t in got}[key] == "8"


def test_tagging_a_group_that_does_not_exist_fails_as_in_aws(built):
    account, _ = built
    with pytest.raises(EmulationError) as err:
        run_program(programs.tag_missing_group, stack="orphan", account=account)
    assert err.value.aws_code == "ValidationError"
    assert "eks-does-not-exist" in err.value.message


def test_launch_template_uses_the_seeded_eks_gpu_ami(built):
    account, result = built
    ec2, ssm = account.client("ec2"), account.client("ssm")
    ami = result.outputs["ami"]
    image = ec2.describe_images(ImageIds=[ami])["Images"][0]
    assert "nvidia" in image["Name"]
    release = ssm.get_parameter(Name=f"{programs.NVIDIA_AMI}/release_version")["Parameter"]
    assert release["Value"].startswith("1.31.")
    data = ec2.describe_launch_template_versions(
        LaunchTemplateId=result.named("gpu-lt").id, Versions=["1"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["ImageId"] == ami
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
