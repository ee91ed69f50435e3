"""The shipped environments, built in the emulated account, inspected through boto3.

Nothing here reads the mocks' memory: every assertion asks the (moto) AWS APIs,
as an operator would ask the real ones.
"""

from __future__ import annotations

import ipaddress
import json

LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}


def _vpc(built):
    ec2 = built.client("ec2")
    vpc_id = built.report.outputs["vpcId"]
    return ec2, vpc_id, ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]


def test_everything_is_emulated_and_policy_clean(built):
    assert built.report.echoed_types == []
    assert built.report.findings == [], [f.as_dict() for f in built.report.findings]


def test_subnets_inside_the_vpc_and_spread_over_the_azs(built):
    ec2, vpc_id, vpc = _vpc(built)
    assert vpc["CidrBlock"] == built.spec.network.cidr
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    network = ipaddress.ip_network(vpc["CidrBlock"])
    assert all(ipaddress.ip_network(s["CidrBlock"]).subnet_of(network) for s in subnets)
    by_zone: dict[str, set[str]] = {}
    for s in subnets:
        by_zone.setdefault(s["AvailabilityZone"], set()).add(s["CidrBlock"])
        assert s["MapPublicIpOnLaunch"] is False
    expected = {z.zone: {z.private, z.public} for z in built.spec.subnets}
    assert by_zone == expected
    private = [
        s for s in subnets if {"Key": "kubernetes.io/role/internal-elb", "Value": "1"} in s["Tags"]
    ]
    assert len(private) == len(built.spec.zones)


def test_nat_gateways_match_the_spec(built):
    ec2, vpc_id, _ = _vpc(built)
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NatGateways"
    ]
    expected = {"single": 1, "per-az": len(built.spec.zones), "none": 0}[built.spec.network.nat]
    assert len(nats) == expected


def test_vpc_endpoints_flow_logs_and_closed_default_sg(built):
    ec2, vpc_id, _ = _vpc(built)
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    services = {
        e["ServiceName"].rsplit(".", 1 if "." not in e["ServiceName"][14:] else 0)[-1]
        for e in endpoints["VpcEndpoints"]
    }
    names = {e["ServiceName"] for e in endpoints["VpcEndpoints"]}
    region = built.spec.region
    assert names == {f"com.amazonaws.{region}.{e}" for e in built.spec.network.endpoints}, services
    types = {e["ServiceName"]: e["VpcEndpointType"] for e in endpoints["VpcEndpoints"]}
    assert types[f"com.amazonaws.{region}.s3"] == "Gateway"
    flow = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert len(flow) == 1 and flow[0]["TrafficType"] == "ALL"
    default = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]
    assert default["IpPermissions"] == [] and default["IpPermissionsEgress"] == []


def test_buckets_are_private_encrypted_versioned_and_tls_only(built):
    s3 = built.client("s3")
    names = built.report.outputs["bucketNames"]
    assert set(names) == {b.name for b in built.spec.storage.buckets}
    for bucket_spec in built.spec.storage.buckets:
        bucket = names[bucket_spec.name]
        pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert pab == {
            k: True
            for k in (
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            )
        }
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].startswith(
            "arn:aws:kms:"
        )
        assert rule["BucketKeyEnabled"] is True
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        deny = [
            st
            for st in policy["Statement"]
            if st["Effect"] == "Deny"
            and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert deny, policy
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert any(
            r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation")
            == bucket_spec.abort_multipart_days
            for r in rules
        )
        assert any(
            r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
            == bucket_spec.noncurrent_expiration_days
            for r in rules
        )


def test_kms_keys_rotate_and_keep_a_deletion_window(built):
    kms = built.client("kms")
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert len(keys) == 4
    for key in keys:
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        principals = [st.get("Principal") for st in policy["Statement"]]
        assert "*" not in principals and {"AWS": "*"} not in principals
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    env = built.env
    purposes = ("secrets", "storage", "logs", "ebs")
    assert {f"alias/gpuforge-{env}-{p}" for p in purposes} <= aliases


def test_cluster_encrypts_secrets_logs_everything_and_is_private(built):
    eks = built.client("eks")
    cluster = eks.describe_cluster(name=built.report.outputs["clusterName"])["cluster"]
    assert cluster["version"] == built.spec.cluster.version
    enc = cluster["encryptionConfig"][0]
    assert enc["resources"] == ["secrets"]
    key_arn = enc["provider"]["keyArn"]
    assert (
        built.client("kms").describe_key(KeyId=key_arn)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    )
    enabled = {
        t
        for entry in cluster["logging"]["clusterLogging"]
        if entry["enabled"]
        for t in entry["types"]
    }
    assert enabled == LOG_TYPES
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    assert (
        cluster["resourcesVpcConfig"]["endpointPublicAccess"] is built.spec.cluster.public_endpoint
    )


def test_gpu_node_groups(built):
    eks = built.client("eks")
    cluster = built.report.outputs["clusterName"]
    groups = built.report.outputs["nodeGroups"]
    ec2 = built.client("ec2")
    for pool in built.spec.gpu_pools:
        ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=groups[pool.name])[
            "nodegroup"
        ]
        assert ng["amiType"] == "AL2023_x86_64_NVIDIA"
        assert ng["scalingConfig"]["minSize"] == pool.min == 0
        assert ng["scalingConfig"]["maxSize"] == pool.max
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in ng["taints"]
        assert ng["labels"]["gpuforge.dev/pool"] == pool.name
        assert ng["labels"]["gpuforge.dev/gpu-model"] == pool.instance.accelerator.model
        gpu_type = f"nvidia-{pool.instance.accelerator.model.lower()}"
        assert ng["labels"]["k8s.amazonaws.com/accelerator"] == gpu_type
        lt_ref = ng["launchTemplate"]
        version = ec2.describe_launch_template_versions(
            LaunchTemplateName=lt_ref["name"], Versions=[str(lt_ref["version"])]
        )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        assert version["MetadataOptions"]["HttpTokens"] == "required"
        assert version["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
        if pool.efa:
            interfaces = version["NetworkInterfaces"]
            assert len(interfaces) == pool.instance.network_cards
            by_card = sorted(interfaces, key=lambda i: i["NetworkCardIndex"])
            assert [i["InterfaceType"] for i in by_card] == ["efa"] + ["efa-only"] * (
                len(interfaces) - 1
            )
            reserved = pool.capacity == "capacity-block" or pool.capacity_reservation_id
            if reserved:
                assert "Placement" not in version
            else:
                group = version["Placement"]["GroupName"]
                # moto has no placement-group API: the emulator keeps them in its own state
                assert built.account.state.placement_groups[group].strategy == "cluster"
            assert len(ng["subnets"]) == 1
            subnet = ec2.describe_subnets(SubnetIds=ng["subnets"])["Subnets"][0]
            assert subnet["AvailabilityZone"] == pool.az
        else:
            assert "NetworkInterfaces" not in version


def test_default_tags_reach_the_account(built):
    """The spec's tags and gpuforge's own arrive through the provider's default tags."""
    expected = {
        **built.spec.tags,
        "gpuforge.dev/environment": built.env,
        "gpuforge.dev/managed-by": "gpuforge",
    }
    _, vpc_id, vpc = _vpc(built)
    assert expected.items() <= {t["Key"]: t["Value"] for t in vpc["Tags"]}.items()
    s3 = built.client("s3")
    for bucket in built.report.outputs["bucketNames"].values():
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert expected.items() <= tags.items()
    cluster = built.client("eks").describe_cluster(name=built.report.outputs["clusterName"])
    assert expected.items() <= cluster["cluster"]["tags"].items()
