"""Every shipped environment builds as a whole Platform; real properties of what it declares."""

from __future__ import annotations

import json

import pytest

from gpuforge.model.spec import LOG_TYPES
from tests.components.conftest import built

T = {
    "subnet": "aws:ec2/subnet:Subnet",
    "nat": "aws:ec2/natGateway:NatGateway",
    "eip": "aws:ec2/eip:Eip",
    "route": "aws:ec2/route:Route",
    "endpoint": "aws:ec2/vpcEndpoint:VpcEndpoint",
    "sg": "aws:ec2/securityGroup:SecurityGroup",
    "ingress": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "egress": "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "default_sg": "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "flow_log": "aws:ec2/flowLog:FlowLog",
    "log_group": "aws:cloudwatch/logGroup:LogGroup",
    "vpc": "aws:ec2/vpc:Vpc",
    "key": "aws:kms/key:Key",
    "alias": "aws:kms/alias:Alias",
    "bucket": "aws:s3/bucket:Bucket",
    "logging": "aws:s3/bucketLogging:BucketLogging",
    "cluster": "aws:eks/cluster:Cluster",
    "addon": "aws:eks/addon:Addon",
    "node_group": "aws:eks/nodeGroup:NodeGroup",
    "lt": "aws:ec2/launchTemplate:LaunchTemplate",
    "pg": "aws:ec2/placementGroup:PlacementGroup",
    "role": "aws:iam/role:Role",
    "role_policy": "aws:iam/rolePolicy:RolePolicy",
    "attachment": "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "pod_identity": "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "access_entry": "aws:eks/accessEntry:AccessEntry",
}
BUCKET_COMPANIONS = (
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
)
COMPONENTS = {
    "gpuforge:platform:Platform",
    "gpuforge:network:Network",
    "gpuforge:encryption:Encryption",
    "gpuforge:storage:ObjectStore",
    "gpuforge:cluster:Cluster",
    "gpuforge:nodepool:GpuNodePool",
    "gpuforge:telemetry:GpuTelemetry",
    "gpuforge:runtime:TrainingRuntime",
    "gpuforge:autoscaler:ClusterAutoscalerIdentity",
}
DATA_COMPONENTS = {"gpuforge:data:DataFilesystems", "gpuforge:data:DataDrivers"}
"""Only where the spec has `storage.filesystems`."""


def test_platform_builds_and_exports(env):
    spec, b = built(env)
    assert b.exports["clusterName"] == spec.cluster_name
    assert b.exports["clusterEndpoint"].startswith("https://")
    assert b.exports["clusterCertificateAuthority"]
    assert b.exports["oidcIssuer"].startswith("https://")
    assert set(b.exports["bucketNames"]) == {x.name for x in spec.storage.buckets}
    assert set(b.exports["roleArns"]) == {"cluster", "node", "training"}
    assert set(b.exports["nodeGroups"]) == {"system", *(p.name for p in spec.gpu_pools)}
    assert b.exports["trainingNamespace"] == spec.training.namespace
    assert b.exports["teamNamespaces"] == {"default": spec.training.namespace}
    assert b.exports["trainingServiceAccount"] == "training"


def test_with_teams_the_outputs_name_each_teams_namespace_and_no_training_one():
    spec, b = built("shared")
    assert b.exports["teamNamespaces"] == {t.name: t.name for t in spec.teams}
    assert "trainingNamespace" not in b.exports  # no such namespace exists with teams


def test_every_child_has_a_gpuforge_parent(env):
    spec, b = built(env)
    expected = COMPONENTS | (DATA_COMPONENTS if spec.storage.filesystems else set())
    assert {r.type for r in b.resources if r.type.startswith("gpuforge:")} == expected
    for r in b.resources:
        if r.type == "gpuforge:platform:Platform":
            assert r.parent_type == "pulumi:pulumi:Stack"
        elif r.type.startswith("gpuforge:"):
            assert r.parent_type == "gpuforge:platform:Platform", r.urn
        else:
            assert r.parent_type in expected - {"gpuforge:platform:Platform"}, r.urn
            assert r.name.startswith(f"gpuforge-{env}-"), r.name


def test_subnets_follow_the_netplan(env):
    spec, b = built(env)
    got = {(s.inputs["availabilityZone"], s.inputs["cidrBlock"]) for s in b.of(T["subnet"])}
    want = {(z.zone, z.private) for z in spec.subnets} | {(z.zone, z.public) for z in spec.subnets}
    assert got == want
    for s in b.of(T["subnet"]):
        assert s.inputs["mapPublicIpOnLaunch"] is False
        assert s.inputs["tags"][f"kubernetes.io/cluster/{spec.cluster_name}"] == "shared"
        role = (
            "elb" if s.inputs["cidrBlock"] in {z.public for z in spec.subnets} else "internal-elb"
        )
        assert s.inputs["tags"][f"kubernetes.io/role/{role}"] == "1"
    vpc = b.of(T["vpc"])[0].inputs
    assert vpc["cidrBlock"] == spec.network.cidr
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True


@pytest.mark.parametrize("env_name,nats", [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateways_per_spec(env_name, nats):
    spec, b = built(env_name)
    assert len(b.of(T["nat"])) == nats
    assert len(b.of(T["eip"])) == nats
    nat_ids = {n.id for n in b.of(T["nat"])}
    private_defaults = [r for r in b.of(T["route"]) if r.inputs.get("natGatewayId")]
    assert len(private_defaults) == len(spec.zones)
    assert {r.inputs["natGatewayId"] for r in private_defaults} == nat_ids
    public_subnets = {s.id for s in b.of(T["subnet"]) if "-public-" in s.name}
    assert {n.inputs["subnetId"] for n in b.of(T["nat"])} <= public_subnets


def test_endpoints_default_sg_and_flow_logs(env):
    spec, b = built(env)
    endpoints = {
        e.inputs["serviceName"].removeprefix(f"com.amazonaws.{spec.region}."): e.inputs
        for e in b.of(T["endpoint"])
    }
    assert set(endpoints) == set(spec.network.endpoints)
    assert endpoints["s3"]["vpcEndpointType"] == "Gateway"
    assert len(endpoints["s3"]["routeTableIds"]) == len(spec.zones)
    endpoint_sg = b.named(T["sg"], f"gpuforge-{env}-endpoints")
    for name, ep in endpoints.items():
        if name != "s3":
            assert ep["vpcEndpointType"] == "Interface"
            assert ep["privateDnsEnabled"] is True
            assert len(ep["subnetIds"]) == len(spec.zones)
            assert ep["securityGroupIds"] == [endpoint_sg.id]
    rules = [r.inputs for r in b.of(T["ingress"]) if r.inputs["securityGroupId"] == endpoint_sg.id]
    assert rules == [
        {
            "securityGroupId": endpoint_sg.id,
            "description": "HTTPS from the VPC",
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": spec.network.cidr,
        }
    ]
    default_sg = b.of(T["default_sg"])[0].inputs
    assert default_sg["ingress"] == [] and default_sg["egress"] == []
    flow = b.of(T["flow_log"])[0].inputs
    assert flow["trafficType"] == "ALL" and flow["vpcId"] == b.of(T["vpc"])[0].id
    group = b.named(T["log_group"], f"gpuforge-{env}-flow-logs").inputs
    assert group["retentionInDays"] == spec.network.flow_logs_retention_days
    assert group["kmsKeyId"].endswith(f"gpuforge-{env}-logs")
    role_policy = json.loads(
        b.named(T["role_policy"], f"gpuforge-{env}-flow-logs").inputs["policy"]
    )
    by_sid = {st["Sid"]: st for st in role_policy["Statement"]}
    assert set(by_sid) == {"WriteFlowLogs", "ListLogGroups"}
    write = by_sid["WriteFlowLogs"]
    assert all(res.startswith("arn:aws:cloudwatch:") for res in write["Resource"])
    assert "logs:DescribeLogGroups" not in write["Action"]
    # DescribeLogGroups takes no resource ARN (Service Authorization Reference): `*` only
    assert by_sid["ListLogGroups"]["Action"] == "logs:DescribeLogGroups"
    assert by_sid["ListLogGroups"]["Resource"] == "*"
    # interface endpoints: this account's principals and AWS services, never full access
    for name, ep in endpoints.items():
        policy = json.loads(ep["policy"]) if ep.get("policy") else None
        if name == "s3":
            first = policy["Statement"][0]
            assert first["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}
            assert "s3:*" not in first["Action"] and "s3:PutBucketPolicy" not in first["Action"]
        elif name != "eks-auth":
            assert all(st.get("Condition") for st in policy["Statement"]), name


def test_keys_rotate_with_windows_and_no_wildcard_principal(env):
    spec, b = built(env)
    keys = b.of(T["key"])
    assert len(keys) == 4
    slr = (
        "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["rotationPeriodInDays"] == spec.encryption.rotation_period_days
        assert key.inputs["deletionWindowInDays"] == spec.encryption.key_deletion_window_days
        policy = json.loads(key.inputs["policy"])
        for statement in policy["Statement"]:
            assert statement["Principal"] not in ("*", {"AWS": "*"})
            aws = statement["Principal"].get("AWS", "arn:aws:iam::123456789012:root")
            if key.name == f"gpuforge-{env}-ebs":
                assert aws in ("arn:aws:iam::123456789012:root", slr)
            else:
                assert aws == "arn:aws:iam::123456789012:root"
    logs = json.loads(b.named(T["key"], f"gpuforge-{env}-logs").inputs["policy"])
    service = [s for s in logs["Statement"] if "Service" in s["Principal"]]
    assert service[0]["Principal"]["Service"] == f"logs.{spec.region}.amazonaws.com"
    assert "kms:EncryptionContext:aws:logs:arn" in service[0]["Condition"]["ArnLike"]
    assert not any(a.startswith("kms:Describe") for a in service[0]["Action"])
    assert service[1]["Action"] == "kms:DescribeKey"
    assert service[1]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    aliases = {a.inputs["name"] for a in b.of(T["alias"])}
    assert aliases == {f"alias/gpuforge-{env}-{p}" for p in ("secrets", "storage", "logs", "ebs")}
    # the EBS key: what AWS documents for the Auto Scaling service-linked role, no more
    ebs = json.loads(b.named(T["key"], f"gpuforge-{env}-ebs").inputs["policy"])
    by_sid = {st["Sid"]: st for st in ebs["Statement"]}
    use = by_sid["AutoScalingUsesKeyForNodeVolumes"]
    assert use["Principal"] == {"AWS": slr} and "Condition" not in use
    assert sorted(use["Action"]) == sorted(
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    )
    grant = by_sid["AutoScalingGrantsKeyToEc2"]
    assert grant["Principal"] == {"AWS": slr} and grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    others = {k.name: json.loads(k.inputs["policy"]) for k in keys if not k.name.endswith("-ebs")}
    assert slr not in json.dumps(others), "only the EBS key lets Auto Scaling use it"


def test_every_bucket_gets_its_five_companions(env):
    spec, b = built(env)
    buckets = {r.name.removeprefix(f"gpuforge-{env}-"): r for r in b.of(T["bucket"])}
    assert set(buckets) == {x.name for x in spec.storage.buckets} | {"access-logs"}
    logs_bucket = buckets["access-logs"].inputs["bucket"]
    for bucket_spec in spec.storage.buckets:
        bucket = buckets[bucket_spec.name]
        assert bucket.inputs["bucket"].startswith(f"gpuforge-{env}-{bucket_spec.name}-")
        assert len(bucket.inputs["bucket"]) <= 63
        assert bucket.inputs["forceDestroy"] is spec.storage.force_destroy
        companions = {
            t: [r.inputs for r in b.of(t) if r.inputs["bucket"] == bucket.id]
            for t in BUCKET_COMPANIONS
        }
        assert all(len(found) == 1 for found in companions.values()), companions
        pab, sse, ver, life, pol, own = (companions[t][0] for t in BUCKET_COMPANIONS)
        assert all(
            pab[f] is True
            for f in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        rule = sse["rules"][0]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].endswith(
            f"gpuforge-{env}-storage"
        )
        assert rule["bucketKeyEnabled"] is True
        status = "Enabled" if bucket_spec.versioning else "Suspended"
        assert ver["versioningConfiguration"]["status"] == status
        by_id = {r["id"]: r for r in life["rules"]}
        assert by_id["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {
            "daysAfterInitiation": bucket_spec.abort_multipart_days
        }
        assert by_id["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {
            "noncurrentDays": bucket_spec.noncurrent_expiration_days
        }
        by_sid = {st["Sid"]: st for st in json.loads(pol["policy"])["Statement"]}
        deny = by_sid["DenyInsecureTransport"]
        assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*"
        # the data perimeter: objects only through the VPC's endpoints, bar named admins
        perimeter = by_sid["DenyObjectsOutsideVpc"]
        assert perimeter["Effect"] == "Deny" and perimeter["Principal"] == "*"
        assert perimeter["Condition"]["StringNotEqualsIfExists"] == {
            "aws:SourceVpc": b.of(T["vpc"])[0].id
        }
        exempt = perimeter["Condition"]["ArnNotLikeIfExists"]["aws:PrincipalArn"]
        assert [*spec.storage.admin_principals] == exempt[:-1]
        assert exempt[-1].endswith(":role/aws-service-role/*")
        assert not any(a.startswith("s3:PutBucket") or a == "s3:*" for a in perimeter["Action"])
        assert set(by_sid) == {"DenyInsecureTransport", "DenyObjectsOutsideVpc"}
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        arn = f"arn:aws:s3:::{bucket.inputs['bucket']}"
        assert deny["Resource"] == [arn, f"{arn}/*"]
        assert own["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        [logging] = [r.inputs for r in b.of(T["logging"]) if r.inputs["bucket"] == bucket.id]
        assert logging["targetBucket"] == logs_bucket
        assert logging["targetPrefix"] == f"{bucket_spec.name}/"


def test_access_log_bucket_has_the_baseline_with_sse_s3_and_takes_only_s3_logs(env):
    spec, b = built(env)
    logs = b.named(T["bucket"], f"gpuforge-{env}-access-logs")
    assert logs.inputs["forceDestroy"] is spec.storage.force_destroy
    data_arns = sorted(f"arn:aws:s3:::{r.inputs['bucket']}" for r in b.of(T["bucket"]) if r != logs)

    def companion(kind: str) -> dict:
        [found] = [r.inputs for r in b.of(kind) if r.inputs["bucket"] == logs.id]
        return found

    pab = companion(BUCKET_COMPANIONS[0])
    assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy"))
    assert all(pab[f] is True for f in ("ignorePublicAcls", "restrictPublicBuckets"))
    # S3 cannot deliver access logs into an SSE-KMS bucket: SSE-S3 here, and nowhere else
    [rule] = companion(BUCKET_COMPANIONS[1])["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert companion(BUCKET_COMPANIONS[2])["versioningConfiguration"]["status"] == "Enabled"
    by_id = {r["id"]: r for r in companion(BUCKET_COMPANIONS[3])["rules"]}
    assert by_id["expire-objects"]["expiration"] == {
        "days": spec.storage.access_logs_expiration_days
    }
    assert "abort-incomplete-multipart-uploads" in by_id
    assert companion(BUCKET_COMPANIONS[5])["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    policy = json.loads(companion(BUCKET_COMPANIONS[4])["policy"])
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    arn = f"arn:aws:s3:::{logs.inputs['bucket']}"
    assert by_sid["DenyInsecureTransport"]["Resource"] == [arn, f"{arn}/*"]
    delivery = by_sid["S3ServerAccessLogDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject" and delivery["Resource"] == f"{arn}/*"
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": data_arns},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    assert not [r for r in b.of(T["logging"]) if r.inputs["bucket"] == logs.id]


def test_s3_gateway_endpoint_reaches_only_the_environments_and_the_nodes_aws_buckets(env):
    spec, b = built(env)
    [gateway] = [e.inputs for e in b.of(T["endpoint"]) if e.inputs["vpcEndpointType"] == "Gateway"]
    policy = json.loads(gateway["policy"])
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    data = sorted(
        f"arn:aws:s3:::{r.inputs['bucket']}"
        for r in b.of(T["bucket"])
        if not r.name.endswith("-access-logs")
    )
    assert by_sid["EnvironmentBuckets"]["Resource"] == [
        r for arn in data for r in (arn, f"{arn}/*")
    ]
    aws = by_sid["AwsOwnedBucketsNodesRead"]
    assert aws["Action"] == "s3:GetObject"
    region = spec.region
    assert aws["Resource"] == [
        f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*",
        f"arn:aws:s3:::al2023-repos-{region}-de612dc2/*",
        f"arn:aws:s3:::prod-registry-k8s-io-{region}/*",
    ]
    assert set(by_sid) == {"EnvironmentBuckets", "AwsOwnedBucketsNodesRead"}


def test_cluster_is_encrypted_private_and_logs_everything(env):
    spec, b = built(env)
    cluster = b.of(T["cluster"])[0].inputs
    assert cluster["name"] == spec.cluster_name
    assert cluster["version"] == spec.cluster.version
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"]["provider"]["keyArn"].endswith(f"gpuforge-{env}-secrets")
    assert sorted(cluster["enabledClusterLogTypes"]) == sorted(LOG_TYPES)
    vpc_config = cluster["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc_config
    private = {s.id for s in b.of(T["subnet"]) if "-private-" in s.name}
    assert set(vpc_config["subnetIds"]) == private
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    log_group = b.named(T["log_group"], f"gpuforge-{env}-control-plane").inputs
    assert log_group["name"] == f"/aws/eks/{spec.cluster_name}/cluster"
    assert log_group["kmsKeyId"].endswith(f"gpuforge-{env}-logs")
    addons = {
        a.inputs["addonName"]
        for a in b.of(T["addon"])
        if a.parent_type == "gpuforge:cluster:Cluster"
    }
    assert addons == {
        "vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "eks-node-monitoring-agent",
    }  # fmt: skip
    assert len(b.of(T["access_entry"])) == len(spec.cluster.admins)


def test_roles_are_scoped(env):
    spec, b = built(env)
    attached = {}
    for a in b.of(T["attachment"]):
        attached.setdefault(a.inputs["role"], set()).add(a.inputs["policyArn"].rsplit("/", 1)[1])
    assert attached[f"gpuforge-{env}-cluster"] == {"AmazonEKSClusterPolicy"}
    assert attached[f"gpuforge-{env}-node"] == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
    }
    # the CNI policy is aws-node's alone, through the vpc-cni add-on's Pod Identity association
    assert attached[f"gpuforge-{env}-vpc-cni"] == {"AmazonEKS_CNI_Policy"}
    cni_trust = json.loads(b.named(T["role"], f"gpuforge-{env}-vpc-cni").inputs["assumeRolePolicy"])
    tags = cni_trust["Statement"][0]["Condition"]["StringEquals"]
    assert tags["aws:RequestTag/kubernetes-namespace"] == "kube-system"
    assert tags["aws:RequestTag/kubernetes-service-account"] == "aws-node"
    (cni,) = [a.inputs for a in b.of(T["addon"]) if a.inputs["addonName"] == "vpc-cni"]
    (association,) = cni["podIdentityAssociations"]
    assert association["serviceAccount"] == "aws-node"
    assert f"gpuforge-{env}-vpc-cni" in association["roleArn"]
    training = b.named(T["role"], f"gpuforge-{env}-training").inputs
    trust = json.loads(training["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    data = json.loads(b.named(T["role_policy"], f"gpuforge-{env}-training-data").inputs["policy"])
    buckets = {f"arn:aws:s3:::{r.inputs['bucket']}" for r in b.of(T["bucket"])}
    for statement in data["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in a for a in actions)
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        assert all(r.rstrip("/*") in buckets or r.endswith(f"-{env}-storage") for r in resources)
    for r in b.of(T["role_policy"]):
        for statement in json.loads(r.inputs["policy"])["Statement"]:
            if "*" not in statement["Resource"]:
                continue
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            # The flow-log role lists log groups (an action with no resource type), nothing else
            if r.name == f"gpuforge-{env}-flow-logs":
                assert statement["Action"] == "logs:DescribeLogGroups"
                continue
            # The FSx CSI driver's role describes file systems (no resource type), nothing else
            if r.name == f"gpuforge-{env}-fsx-csi":
                assert statement["Action"] == ["fsx:DescribeFileSystems"]
                continue
            # Only cluster-autoscaler's role: describe calls (which take no resource-level
            # scope), and writes on this account's groups that carry this cluster's tag.
            assert r.name == f"gpuforge-{env}-cluster-autoscaler-scaling", r.name
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            writes = [a for a in actions if not a.split(":", 1)[1].startswith(("Describe", "Get"))]
            if writes:
                assert "*" not in resources
                tag = f"aws:ResourceTag/k8s.io/cluster-autoscaler/{spec.cluster_name}"
                assert statement["Condition"]["StringEquals"] == {tag: "owned"}
    (association,) = [
        p.inputs for p in b.of(T["pod_identity"]) if p.inputs["serviceAccount"] == "training"
    ]
    assert association["namespace"] == spec.training.namespace
    assert association["serviceAccount"] == "training"
    assert association["roleArn"].endswith(f"gpuforge-{env}-training")


def test_node_launch_templates_require_imdsv2_and_encrypt_root(env):
    spec, b = built(env)
    for lt in b.of(T["lt"]):
        md = lt.inputs["metadataOptions"]
        assert md["httpTokens"] == "required" and md["httpPutResponseHopLimit"] == 1
        root = lt.inputs["blockDeviceMappings"][0]
        assert root["ebs"]["encrypted"] == "true" and root["ebs"]["volumeType"] == "gp3"
        assert "keyName" not in lt.inputs
        assert lt.inputs["tags"]["gpuforge.dev/environment"] == env
    system = b.named(T["node_group"], f"gpuforge-{env}-system").inputs
    assert system["amiType"] == "AL2023_x86_64_STANDARD"
    assert system["capacityType"] == "ON_DEMAND"
    assert "remoteAccess" not in system
    assert system["scalingConfig"]["minSize"] == spec.cluster.system_pool.min


def test_gpu_node_groups(env):
    spec, b = built(env)
    for pool in spec.gpu_pools:
        ng = b.named(T["node_group"], f"gpuforge-{env}-{pool.name}-ng").inputs
        assert ng["amiType"] == "AL2023_x86_64_NVIDIA"
        assert ng["instanceTypes"] == [pool.instance_type]
        assert ng["scalingConfig"] == {"minSize": 0, "maxSize": pool.max, "desiredSize": 0}
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in ng["taints"]
        assert ng["labels"]["gpuforge.dev/pool"] == pool.name
        assert ng["labels"]["gpuforge.dev/gpu-model"] == pool.instance.accelerator.model
        assert ng["labels"]["nvidia.com/gpu.present"] == "true"
        assert ng["labels"].items() >= pool.labels.items()
        assert (
            ng["capacityType"]
            == {
                "spot": "SPOT",
                "on-demand": "ON_DEMAND",
                "capacity-block": "CAPACITY_BLOCK",
            }[pool.capacity]
        )
        tags = ng["tags"]
        assert tags["gpuforge.dev/pool"] == pool.name
        assert tags["gpuforge.dev/environment"] == env
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert tags[f"k8s.io/cluster-autoscaler/{spec.cluster_name}"] == "owned"
        template = "k8s.io/cluster-autoscaler/node-template"
        assert tags[f"{template}/label/gpuforge.dev/pool"] == pool.name
        assert tags[f"{template}/taint/nvidia.com/gpu"] == "true:NoSchedule"
        assert tags[f"{template}/resources/nvidia.com/gpu"] == str(pool.instance.gpus)


def test_prod_efa_capacity_block_pool():
    spec, b = built("prod")
    pool = spec.pool("h100")
    ng = b.named(T["node_group"], "gpuforge-prod-h100-ng").inputs
    subnet = b.named(T["subnet"], f"gpuforge-prod-private-{pool.az}")
    assert ng["subnetIds"] == [subnet.id]
    # a capacity block is placed already: no placement group (eksctl#7949, terraform-aws-eks#3730)
    assert not list(b.of(T["pg"]))
    lt = b.named(T["lt"], "gpuforge-prod-h100-lt").inputs
    assert ng["launchTemplate"]["name"] == lt["name"] == "gpuforge-prod-h100-lt"
    assert "placement" not in lt
    nics = lt["networkInterfaces"]
    assert len(nics) == pool.instance.network_cards == 32
    assert [n["networkCardIndex"] for n in nics] == list(range(32))
    # the primary ENI keeps an IP; the 31 other cards get EFA-only interfaces, no IP
    assert [n["interfaceType"] for n in nics] == ["efa"] + ["efa-only"] * 31
    assert [n["deviceIndex"] for n in nics] == [0] + [1] * 31
    efa_sg = b.named(T["sg"], "gpuforge-prod-h100-efa")
    assert all(n["securityGroups"] == ["sg-cluster", efa_sg.id] for n in nics)
    for kind in ("ingress", "egress"):
        rule = [r.inputs for r in b.of(T[kind]) if r.inputs["securityGroupId"] == efa_sg.id]
        assert rule == [
            {
                "securityGroupId": efa_sg.id,
                "referencedSecurityGroupId": efa_sg.id,
                "ipProtocol": "-1",
                "description": rule[0]["description"],
            }
        ]
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"}
    target = lt["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target == {"capacityReservationId": pool.capacity_reservation_id}
    assert ng["tags"]["k8s.io/cluster-autoscaler/node-template/resources/vpc.amazonaws.com/efa"]
    # containers on EFA nodes get an unlimited memlock rlimit (model/nodeadm.py)
    assert _container_rlimits(lt["userData"]) == {
        "RLIMIT_NOFILE": (65536, 1048576),  # nodeadm's own, restated: mergo replaces lists
        "RLIMIT_MEMLOCK": (2**63, 2**63),
    }
    # the non-EFA pool spans every private subnet and has no EFA parts
    l40s = b.named(T["node_group"], "gpuforge-prod-l40s-ng").inputs
    assert len(l40s["subnetIds"]) == 3
    l40s_lt = b.named(T["lt"], "gpuforge-prod-l40s-lt").inputs
    assert "networkInterfaces" not in l40s_lt and "userData" not in l40s_lt


def _container_rlimits(user_data: str) -> dict[str, tuple[int, int]]:
    """The rlimits of the NodeConfig parts of base64 MIME user data, as nodeadm finds them."""
    import base64
    from email import message_from_bytes

    archive = message_from_bytes(base64.b64decode(user_data))
    assert archive.get_content_type() == "multipart/mixed"
    (part,) = [p for p in archive.walk() if p.get_content_type() == "application/node.eks.aws"]
    config = json.loads(part.get_payload())
    assert (config["apiVersion"], config["kind"]) == ("node.eks.aws/v1alpha1", "NodeConfig")
    rlimits = config["spec"]["containerd"]["baseRuntimeSpec"]["process"]["rlimits"]
    return {r["type"]: (r["soft"], r["hard"]) for r in rlimits}


def test_on_demand_efa_pool_gets_a_cluster_placement_group():
    """An EFA pool on plain on-demand capacity (staging's p4d) still gets one."""
    spec, b = built("staging")
    pool = spec.pool("a100")
    assert pool.efa and pool.capacity == "on-demand" and pool.capacity_reservation_id is None
    pg = b.named(T["pg"], "gpuforge-staging-a100-pg")
    assert pg.inputs["strategy"] == "cluster"
    lt = b.named(T["lt"], "gpuforge-staging-a100-lt").inputs
    assert lt["placement"]["groupName"] == pg.name
    nics = lt["networkInterfaces"]
    assert [n["interfaceType"] for n in nics] == ["efa"] + ["efa-only"] * (len(nics) - 1)
    assert _container_rlimits(lt["userData"])["RLIMIT_MEMLOCK"] == (2**63, 2**63)


def test_gpu_nodes_carry_the_autoscaler_gpu_label():
    """cluster-autoscaler's AWS GPU label, in the node group and its node-template tag."""
    spec, b = built("prod")
    for pool, value in (("h100", "nvidia-h100"), ("l40s", "nvidia-l40s")):
        ng = b.named(T["node_group"], f"gpuforge-prod-{pool}-ng").inputs
        assert ng["labels"]["k8s.amazonaws.com/accelerator"] == value
        tag = "k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator"
        assert ng["tags"][tag] == value


def test_policy_rules_find_nothing_else(env):
    """The policy rules (policies/) see nothing wrong in what the Platform declares."""
    from gpuforge import policies

    _, b = built(env)
    resources = [(r.urn, r.type, {**r.inputs, "id": r.id}) for r in b.resources]
    findings = policies.evaluate(resources, {"environment": env})
    assert findings == []


def _statements(doc: str) -> list[dict]:
    return json.loads(doc)["Statement"]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_training_role_follows_each_buckets_access(env):
    spec, b = built(env)
    arn = {
        r.inputs["tags"]["gpuforge.dev/bucket"]: f"arn:aws:s3:::{r.inputs['bucket']}"
        for r in b.of(T["bucket"])
    }
    modes = {bucket.name: bucket.training_access for bucket in spec.storage.buckets}
    modes["access-logs"] = "none"  # the platform's log bucket: never the pods'
    for r in b.of(T["bucket"]):
        name = r.inputs["tags"]["gpuforge.dev/bucket"]
        assert r.inputs["tags"]["gpuforge.dev/training-access"] == modes[name]
    policy = b.named(T["role_policy"], f"gpuforge-{env}-training-data").inputs["policy"]
    writes, reads, kms = set(), set(), []
    for st in _statements(policy):
        actions = set(_as_list(st["Action"]))
        for resource in _as_list(st["Resource"]):
            if actions & {"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}:
                writes.add(resource.removesuffix("/*"))
            if "s3:GetObject" in actions:
                reads.add(resource.removesuffix("/*"))
        if any(a.startswith("kms:") for a in actions):
            kms.append(st)
    assert writes == {arn["checkpoints"]} | ({arn["artifacts"]} if "artifacts" in arn else set())
    assert arn["datasets"] in reads and arn["datasets"] not in writes
    assert arn["access-logs"] not in reads | writes
    assert [st["Condition"] for st in kms] == [
        {"StringEquals": {"kms:ViaService": f"s3.{spec.region}.amazonaws.com"}}
    ]


def test_service_trust_policies_name_the_account_and_source(env):
    spec, b = built(env)
    roles = {r.name: _statements(r.inputs["assumeRolePolicy"])[0] for r in b.of(T["role"])}
    account = roles[f"gpuforge-{env}-cluster"]["Condition"]["StringEquals"]["aws:SourceAccount"]
    assert account.isdigit() and len(account) == 12
    cluster = roles[f"gpuforge-{env}-cluster"]["Condition"]
    assert cluster["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:eks:{spec.region}:{account}:cluster/gpuforge-{env}"
    }
    pods = roles[f"gpuforge-{env}-training"]["Condition"]["StringEquals"]
    assert pods == {
        "aws:SourceAccount": account,
        "aws:RequestTag/eks-cluster-name": f"gpuforge-{env}",
        "aws:RequestTag/kubernetes-namespace": spec.training.namespace,
        "aws:RequestTag/kubernetes-service-account": "training",
    }
    flow = roles[f"gpuforge-{env}-flow-logs"]["Condition"]
    assert flow["StringEquals"] == {"aws:SourceAccount": account}
    assert flow["ArnLike"]["aws:SourceArn"].endswith(f":{account}:vpc-flow-log/*")
    # EC2 sets neither key when it hands an instance profile's role to a node.
    assert "Condition" not in roles[f"gpuforge-{env}-node"]


def test_no_oidc_provider_and_the_deployer_keeps_no_admin(env):
    spec, b = built(env)
    assert not b.of("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    cluster = b.of(T["cluster"])[0].inputs
    assert cluster["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }


def test_written_access_modes_shape_the_training_policy():
    from gpuforge.model.spec import EnvironmentSpec
    from tests.components.mocks import build_platform
    from tests.conftest import shipped_spec

    data = shipped_spec("dev")
    data["cluster"] = {**data["cluster"], "admins": [], "bootstrap_creator_admin": True}
    data["storage"]["buckets"] = [
        {"name": "datasets", "training_access": "none"},
        {"name": "checkpoints", "training_access": "read-only"},
    ]
    b = build_platform(EnvironmentSpec.model_validate(data))
    assert (
        b.of(T["cluster"])[0].inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"]
        is True
    )
    policy = _statements(b.named(T["role_policy"], "gpuforge-dev-training-data").inputs["policy"])
    text = json.dumps(policy)
    assert "datasets" not in text
    assert "s3:PutObject" not in text and "kms:GenerateDataKey" not in text
    data["storage"]["buckets"][1]["training_access"] = "none"
    b = build_platform(EnvironmentSpec.model_validate(data))
    assert not b.of(T["role_policy"]) or all(
        not r.name.endswith("-training-data") for r in b.of(T["role_policy"])
    )


def test_container_insights_log_groups_are_the_platforms(env):
    """The four groups the add-on writes exist before it, encrypted, with a retention."""
    spec, b = built(env)
    groups = {
        g.inputs["name"]: g.inputs
        for g in b.of(T["log_group"])
        if g.inputs["name"].startswith("/aws/containerinsights/")
    }
    assert set(groups) == {
        f"/aws/containerinsights/{spec.cluster_name}/{kind}"
        for kind in ("application", "dataplane", "host", "performance")
    }
    for group in groups.values():
        assert group["kmsKeyId"].endswith(f"gpuforge-{env}-logs")
        assert group["retentionInDays"] == spec.cluster.log_retention_days
