"""prod's file system, links, drivers and volumes, built in the emulated account and read back.

The file system, its security group and the drivers' roles are read through boto3, as an
operator would read the real account; data repository associations, which moto lacks,
are the emulator's own state, created only after boto3 found the file system and bucket.
"""

from __future__ import annotations

import json

import pytest

from gpuforge.emulator import EmulatedAccount
from gpuforge.model.loader import load_spec
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def prod():
    from gpuforge.planning import plan

    spec = load_spec(ROOT / "stacks" / "prod.yaml")
    with EmulatedAccount(region=spec.region) as account:
        yield spec, plan(spec, account=account), account


def _of(report, token):
    return [r for r in report.resources if r.type == token]


def test_prod_file_system_in_fsx(prod):
    spec, report, account = prod
    (fs,) = account.client("fsx").describe_file_systems()["FileSystems"]
    assert fs["FileSystemType"] == "LUSTRE" and fs["StorageCapacity"] == 4800
    assert fs["LustreConfiguration"]["DeploymentType"] == "PERSISTENT_2"
    assert fs["LustreConfiguration"]["PerUnitStorageThroughput"] == 500
    (subnet,) = account.client("ec2").describe_subnets(SubnetIds=fs["SubnetIds"])["Subnets"]
    assert subnet["AvailabilityZone"] == spec.pool("h100").az  # the EFA pool's AZ
    keys = account.client("kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in keys.list_aliases()["Aliases"]}
    assert fs["KmsKeyId"].rsplit("/", 1)[-1] in aliases.values()  # a CMK of the environment


def test_lustre_security_group_opens_only_lustre_ports_to_nodes_and_itself(prod):
    _, report, account = prod
    ec2 = account.client("ec2")
    (group_id,) = [
        r.id
        for r in _of(report, "aws:ec2/securityGroup:SecurityGroup")
        if r.name.endswith("-lustre")
    ]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]
    refs = {r["ReferencedGroupInfo"]["GroupId"] for r in rules} - {group_id}
    (nodes_sg,) = refs  # the cluster security group every node carries
    ec2.describe_security_groups(GroupIds=[nodes_sg])  # exists in the account
    ingress = {(r["FromPort"], r["ToPort"], r["ReferencedGroupInfo"]["GroupId"])
               for r in rules if not r["IsEgress"]}  # fmt: skip
    assert ingress == {
        (988, 988, group_id), (1018, 1023, group_id), (988, 988, nodes_sg), (1018, 1023, nodes_sg)
    }  # fmt: skip
    assert all("CidrIpv4" not in r and r["IpProtocol"] == "tcp" for r in rules)


def test_link_to_datasets_is_in_the_emulated_state(prod):
    _, report, account = prod
    (fs,) = account.client("fsx").describe_file_systems()["FileSystems"]
    (link,) = account.state.data_repository_associations.values()
    bucket = report.outputs["bucketNames"]["datasets"]
    assert link.file_system_id == fs["FileSystemId"]
    assert (link.file_system_path, link.data_repository_path) == ("/datasets", f"s3://{bucket}/")
    assert link.import_events == ["NEW", "CHANGED", "DELETED"] and link.export_events == []


def test_fsx_driver_addon_with_its_own_role(prod):
    spec, report, account = prod
    addon = account.state.addons[(spec.cluster_name, "aws-fsx-csi-driver")]
    assert addon.status == "ACTIVE"
    (assoc,) = [
        a
        for a in account.state.pod_identities.values()
        if a.service_account == "fsx-csi-controller-sa"
    ]
    assert assoc.service_account == "fsx-csi-controller-sa"
    iam = account.client("iam")
    role = assoc.role_arn.rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    doc = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    # DescribeFileSystems takes no resource ARN: "*" is the only scope it has, and the
    # role can do nothing else (no write, no other service)
    assert doc["Statement"] == [
        {
            "Sid": "DescribeFileSystems",
            "Effect": "Allow",
            "Action": ["fsx:DescribeFileSystems"],
            "Resource": "*",
        }
    ]


def test_plan_records_pv_and_pvc(prod):
    _, report, _ = prod
    (pv,) = _of(report, "kubernetes:core/v1:PersistentVolume")
    (pvc,) = _of(report, "kubernetes:core/v1:PersistentVolumeClaim")
    assert pv.inputs["spec"]["csi"]["driver"] == "fsx.csi.aws.com"
    assert pv.inputs["spec"]["accessModes"] == ["ReadOnlyMany"]
    assert pvc.inputs["metadata"]["namespace"] == "training"
