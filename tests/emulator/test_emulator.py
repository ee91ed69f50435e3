"""The emulated AWS account's errors, gaps, repeated runs and server mode."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from gpuforge.emulator import EmulatedAccount, EmulationError, run_program
from tests.emulator import programs


def test_subnet_outside_the_vpc_raises_invalid_subnet_range():
    def program():
        programs.network(cidr="10.0.0.0/16", subnet_cidrs=("10.1.0.0/24",))

    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(program, stack="bad", account=account)
    error = caught.value
    assert (error.resource_type, error.name) == ("aws:ec2/subnet:Subnet", "net-private-a")
    assert error.aws_code == "InvalidSubnet.Range"
    assert str(error) == (
        'aws:ec2/subnet:Subnet "net-private-a": InvalidSubnet.Range: '
        "The CIDR '10.1.0.0/24' is invalid."
    )


def test_colliding_subnets_raise_invalid_subnet_conflict():
    def program():
        import pulumi_aws as aws

        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        first = aws.ec2.Subnet("first", vpc_id=vpc.id, cidr_block="10.0.0.0/24")
        aws.ec2.Subnet("second", vpc_id=first.vpc_id, cidr_block="10.0.0.0/25")

    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(program, stack="bad", account=account)
    assert (caught.value.name, caught.value.aws_code) == ("second", "InvalidSubnet.Conflict")


def test_node_group_of_a_missing_cluster_raises():
    def program():
        import pulumi_aws as aws

        vpc, subnets, _ = programs.network()
        role = aws.iam.Role("node-role", assume_role_policy=programs.ASSUME_EC2)
        aws.eks.NodeGroup(
            "orphan",
            cluster_name="no-such-cluster",
            node_role_arn=role.arn,
            subnet_ids=[s.id for s in subnets],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=1, min_size=1, max_size=1
            ),
        )

    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(program, stack="bad", account=account)
    assert caught.value.resource_type == "aws:eks/nodeGroup:NodeGroup"
    assert caught.value.aws_code == "ResourceNotFoundException"
    assert "no-such-cluster" in str(caught.value)


def test_cluster_with_subnets_in_one_az_is_refused():
    """EKS needs its subnets in at least two AZs; moto does not check it."""

    def program():
        import pulumi_aws as aws

        azs = aws.get_availability_zones_output(state="available")
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        subnets = [
            aws.ec2.Subnet(
                f"subnet-{i}", vpc_id=vpc.id, cidr_block=block, availability_zone=azs.names[0]
            )
            for i, block in enumerate(("10.0.0.0/20", "10.0.16.0/20"))
        ]
        role = aws.iam.Role("cluster-role", assume_role_policy=programs.ASSUME_EKS)
        aws.eks.Cluster(
            "one-az",
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=[s.id for s in subnets]),
        )

    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(program, stack="bad", account=account)
    error = caught.value
    assert (error.resource_type, error.name) == ("aws:eks/cluster:Cluster", "one-az")
    assert error.aws_code == "InvalidParameterException"
    assert "at least two different AZs" in str(error)


def test_access_policy_needs_its_access_entry():
    def program():
        import pulumi_aws as aws

        aws.eks.AccessPolicyAssociation(
            "admin",
            cluster_name="missing",
            principal_arn="arn:aws:iam::123456789012:role/admin",
            policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
        )

    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(program, stack="bad", account=account)
    assert caught.value.aws_code == "ResourceNotFoundException"


def test_unknown_types_are_echoed_components_recorded_and_default_tags_applied():
    def program():
        import pulumi
        import pulumi_aws as aws

        class Thing(pulumi.ComponentResource):
            def __init__(self, name: str) -> None:
                super().__init__("gpuforge:test:Thing", name, None, None)
                provider = aws.Provider(
                    f"{name}-aws", region="us-east-1", default_tags={"tags": {"env": "t"}}
                )
                opts = pulumi.ResourceOptions(parent=self, provider=provider)
                self.topic = aws.sns.Topic(f"{name}-topic", name="alerts", opts=opts)
                self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.9.0.0/16", opts=opts)
                self.register_outputs({})

        thing = Thing("thing")
        pulumi.export("topic", thing.topic.name)
        pulumi.export("vpc", thing.vpc.id)

    with EmulatedAccount() as account:
        result = run_program(program, stack="echo", account=account)
        vpc = account.client("ec2").describe_vpcs(VpcIds=[result.outputs["vpc"]])["Vpcs"][0]
    assert result.echoed_types == ["aws:sns/topic:Topic"]
    assert result.emulated_types == ["aws:ec2/vpc:Vpc"]
    assert result.outputs["topic"] == "alerts"
    kinds = {r.type: r.kind for r in result.resources}
    assert kinds["gpuforge:test:Thing"] == "component"
    assert kinds["pulumi:providers:aws"] == "provider"
    topic = result.named("thing-topic")
    assert topic.parent.endswith("gpuforge:test:Thing::thing")
    assert {"Key": "env", "Value": "t"} in vpc["Tags"]
    assert result.named("thing-vpc").outputs["tagsAll"] == {"env": "t"}
    assert sorted(t for _, t, _ in result.policy_resources()) == [
        "aws:ec2/vpc:Vpc",
        "aws:sns/topic:Topic",
    ]


def test_runs_repeat_in_one_process_without_leaking_state():
    def program_for(tag: str):
        def program():
            import pulumi
            import pulumi_aws as aws

            config = pulumi.Config("gpuforge").require_object("network")
            vpc = aws.ec2.Vpc("vpc", cidr_block=config["cidr"])
            pulumi.export(f"vpc_{tag}", vpc.id)
            pulumi.export("stack", pulumi.get_stack())

        return program

    with EmulatedAccount() as account:
        first = run_program(
            program_for("a"),
            stack="one",
            config={"gpuforge:network": {"cidr": "10.1.0.0/16"}},
            account=account,
        )
        second = run_program(
            program_for("b"),
            stack="two",
            config={"gpuforge:network": {"cidr": "10.2.0.0/16"}},
            account=account,
        )
        cidrs = {v["VpcId"]: v["CidrBlock"] for v in account.client("ec2").describe_vpcs()["Vpcs"]}
    assert set(first.outputs) == {"vpc_a", "stack"} and first.outputs["stack"] == "one"
    assert set(second.outputs) == {"vpc_b", "stack"} and second.outputs["stack"] == "two"
    assert cidrs[first.outputs["vpc_a"]] == "10.1.0.0/16"
    assert cidrs[second.outputs["vpc_b"]] == "10.2.0.0/16"
    assert [r.urn for r in second.resources if r.type == "aws:ec2/vpc:Vpc"] == [
        "urn:pulumi:two::gpuforge::aws:ec2/vpc:Vpc::vpc"
    ]


def test_program_errors_propagate():
    def program():
        raise ValueError("bad spec")

    with EmulatedAccount() as account, pytest.raises(ValueError, match="bad spec"):
        run_program(program, stack="x", account=account)


def test_server_mode_is_visible_to_another_client_and_restores_the_environment():
    before = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL")}

    def program():
        import pulumi
        import pulumi_aws as aws

        pulumi.export("bucket", aws.s3.Bucket("shared", bucket="gpuforge-shared").bucket)

    with EmulatedAccount(mode="server") as account:
        assert account.endpoint_url.startswith("http://127.0.0.1:")
        env = account.env
        assert env["AWS_ENDPOINT_URL"] == account.endpoint_url
        result = run_program(program, stack="srv", account=account)
        other = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        names = [b["Name"] for b in other.list_buckets()["Buckets"]]
    assert result.outputs["bucket"] == "gpuforge-shared"
    assert names == ["gpuforge-shared"]
    assert {k: os.environ.get(k) for k in before} == before


@pytest.mark.parametrize("fixed_clock", [True, False])
def test_a_live_account_stamps_objects_with_the_time_they_were_written(fixed_clock):
    from datetime import UTC, datetime, timedelta

    from gpuforge.emulator.determinism import EPOCH

    with EmulatedAccount(fixed_clock=fixed_clock) as account:
        s3 = account.client("s3")
        s3.create_bucket(Bucket="stamps")
        s3.put_object(Bucket="stamps", Key="k", Body=b"x")
        written = s3.head_object(Bucket="stamps", Key="k")["LastModified"]
    if fixed_clock:
        assert written == EPOCH  # a plan's reproducible clock
    else:
        assert abs(datetime.now(UTC) - written) < timedelta(minutes=5)


def test_one_open_account_per_process():
    with EmulatedAccount(), pytest.raises(RuntimeError, match="another EmulatedAccount"):
        EmulatedAccount().start()


def test_failed_invoke_raises_emulation_error():
    def program():
        import pulumi
        import pulumi_aws as aws

        pulumi.export("value", aws.ssm.get_parameter_output(name="/gpuforge/missing").value)

    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(program, stack="x", account=account)
    assert caught.value.resource_type == "aws:ssm/getParameter:getParameter"
    assert caught.value.name == "/gpuforge/missing"
    assert caught.value.aws_code == "ParameterNotFound"


def test_resource_in_another_region_is_refused():
    def program():
        import pulumi_aws as aws

        aws.s3.Bucket("elsewhere", region="eu-west-1")

    with EmulatedAccount() as account, pytest.raises(EmulationError, match="InvalidRegion"):
        run_program(program, stack="x", account=account)


def test_network_baseline_resources_in_ec2():
    def program():
        import pulumi
        import pulumi_aws as aws

        vpc, subnets, rtb = programs.network()
        aws.ec2.DefaultSecurityGroup("closed", vpc_id=vpc.id)
        group = aws.ec2.SecurityGroup("nodes", vpc_id=vpc.id, description="nodes")
        aws.vpc.SecurityGroupIngressRule(
            "nodes-https",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="10.0.0.0/16",
        )
        endpoint = aws.ec2.VpcEndpoint(
            "s3",
            vpc_id=vpc.id,
            service_name="com.amazonaws.us-east-1.s3",
            route_table_ids=[rtb.id],
            policy='{"Version":"2012-10-17","Statement":[]}',
        )
        logs = aws.cloudwatch.LogGroup("flow", retention_in_days=365)
        role = aws.iam.Role(
            "flow-role",
            assume_role_policy=programs.ASSUME_EC2.replace("ec2.", "vpc-flow-logs."),
        )
        aws.ec2.FlowLog(
            "flow",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination=logs.arn,
            iam_role_arn=role.arn,
        )
        placement = aws.ec2.PlacementGroup("efa", strategy="cluster")
        pulumi.export("vpc", vpc.id)
        pulumi.export("group", group.id)
        pulumi.export("endpoint", endpoint.id)
        pulumi.export("placement", placement.name)

    with EmulatedAccount() as account:
        result = run_program(program, stack="net", account=account)
        ec2 = account.client("ec2")
        out = result.outputs
        default = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [out["vpc"]]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"][0]
        nodes = ec2.describe_security_groups(GroupIds=[out["group"]])["SecurityGroups"][0]
        endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[out["endpoint"]])["VpcEndpoints"][0]
        flow = ec2.describe_flow_logs()["FlowLogs"]
        retention = account.client("logs").describe_log_groups()["logGroups"][0]
        placement = account.state.placement_groups[out["placement"]]
    assert default["IpPermissions"] == [] and default["IpPermissionsEgress"] == []
    assert nodes["IpPermissionsEgress"] == []  # the provider drops AWS's allow-all egress
    assert nodes["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "10.0.0.0/16"}]
    assert json.loads(endpoint["PolicyDocument"])["Statement"] == []
    assert [(f["ResourceId"], f["TrafficType"]) for f in flow] == [(out["vpc"], "ALL")]
    assert retention["retentionInDays"] == 365
    assert placement.strategy == "cluster"


def test_speedups_patch_moto_only_while_an_account_is_open():
    """The KMS and EKS shortcuts replace moto attributes, and stopping the account restores them."""
    import moto.eks.utils as eks_utils
    import moto.kms.models as kms_models

    from gpuforge.emulator import _speedups

    originals = (kms_models.generate_private_key, eks_utils.Session)
    with EmulatedAccount(region="us-east-1"):
        _speedups.lazy_kms_keys()
        _speedups.cached_eks_partitions()
        assert kms_models.generate_private_key is not originals[0]
        assert eks_utils.Session is not originals[1]
        partitions = originals[1]().get_available_partitions()
        assert eks_utils.Session().get_available_partitions() == partitions
    assert (kms_models.generate_private_key, eks_utils.Session) == originals


def _logging_program(grant: bool):
    def program():
        import pulumi
        import pulumi_aws as aws

        data = aws.s3.Bucket("data", bucket="gf-test-data")
        logs = aws.s3.Bucket("logs", bucket="gf-test-logs")
        after = []
        if grant:
            statement = {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::gf-test-logs/*",
            }
            policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
            after.append(aws.s3.BucketPolicy("logs", bucket=logs.bucket, policy=policy))
        aws.s3.BucketLogging(
            "data",
            bucket=data.bucket,
            target_bucket=logs.bucket,
            target_prefix="data/",
            opts=pulumi.ResourceOptions(depends_on=after),
        )

    return program


def test_bucket_logging_is_created_in_s3_and_needs_the_targets_permission():
    with EmulatedAccount() as account:
        result = run_program(_logging_program(grant=True), stack="ok", account=account)
        assert "aws:s3/bucketLogging:BucketLogging" in result.emulated_types
        stored = account.client("s3").get_bucket_logging(Bucket="gf-test-data")
        assert stored["LoggingEnabled"] == {"TargetBucket": "gf-test-logs", "TargetPrefix": "data/"}
    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(_logging_program(grant=False), stack="bad", account=account)
    assert (caught.value.resource_type, caught.value.aws_code) == (
        "aws:s3/bucketLogging:BucketLogging",
        "InvalidTargetBucketForLogging",
    )
