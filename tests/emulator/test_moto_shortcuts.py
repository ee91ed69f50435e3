"""moto's request parser and EC2 tag reads give the same answers with gpuforge's shortcuts.

gpuforge/emulator/_speedups.py replaces two of moto's hot paths while an account is
open; each answer is compared here with moto's own code on the same input.
"""

from __future__ import annotations

import moto.core.parse as moto_parse
import moto.ec2.models.core as ec2_core
import pytest

from gpuforge.emulator import EmulatedAccount, _speedups


def _moto_gonna_recurse(query_params, prefix):
    # moto 5.2's QueryParser._gonna_recurse, verbatim
    if prefix == "":
        return False
    return not any(param_key.startswith(prefix) for param_key in query_params)


PARAMS = {
    "Action": "CreateLaunchTemplate",
    "LaunchTemplateName": "lt",
    "LaunchTemplateData.BlockDeviceMapping.1.DeviceName": "/dev/xvda",
    "LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize": "200",
    "LaunchTemplateData.MetadataOptions.HttpTokens": "required",
    "LaunchTemplateData.TagSpecification.1.ResourceType": "instance",
    "LaunchTemplateData.TagSpecification.10.Tag.1.Key": "k",
}


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "LaunchTemplateData",
        "LaunchTemplateData.",
        "LaunchTemplateData.BlockDeviceMapping.1",
        "LaunchTemplateData.BlockDeviceMapping.2",
        "LaunchTemplateData.BlockDeviceMapping.1.Ebs",
        "LaunchTemplateData.Placement",
        "LaunchTemplateData.TagSpecification.1",  # a prefix of ...TagSpecification.10 too
        "LaunchTemplateData.TagSpecification.2",
        "LaunchTemplateDat",
        "Launch",
        "Zzz",
        "A",
        "Action",
        "Actio",
        "Actions",
    ],
)
def test_the_prefix_check_answers_as_moto_does(prefix):
    with EmulatedAccount(region="us-east-1"):
        parser = moto_parse.QueryParser.__new__(moto_parse.QueryParser)
        assert moto_parse.QueryParser._gonna_recurse is _speedups._has_no_parameter_under
        ours = parser._gonna_recurse(PARAMS, prefix)
    assert ours == _moto_gonna_recurse(PARAMS, prefix)


def test_the_prefix_check_resorts_when_the_request_changes():
    with EmulatedAccount(region="us-east-1"):
        parser = moto_parse.QueryParser.__new__(moto_parse.QueryParser)
        assert parser._gonna_recurse({"A.B": "1"}, "A") is False
        assert parser._gonna_recurse({"C.D": "1"}, "A") is True  # not the last request's names


def test_ec2_tags_read_as_moto_reads_them_and_moto_gets_its_own_back():
    original = ec2_core.TaggedEC2Resource.get_tags
    with EmulatedAccount(region="us-east-1") as account:
        ec2 = account.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        ec2.create_tags(
            Resources=[vpc], Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]
        )
        ec2.create_tags(Resources=[other], Tags=[{"Key": "a", "Value": "x"}])
        backend = account.backend("ec2")
        assert ec2_core.TaggedEC2Resource.get_tags is not original
        for vpc_id in (vpc, other):
            model = backend.vpcs[vpc_id]
            assert model.get_tags() == original(model)
            assert [t["key"] for t in model.get_tags()] == [
                t["Key"]
                for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])[
                    "Tags"
                ]
            ]
        untagged = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
        assert backend.groups[vpc][untagged].get_tags() == []
    assert ec2_core.TaggedEC2Resource.get_tags is original
    assert moto_parse.QueryParser._gonna_recurse is not _speedups._has_no_parameter_under


def _offerings_file(location_type, region):
    import gzip
    import json
    from pathlib import Path

    import moto.ec2

    path = Path(moto.ec2.__file__).parent / "resources/instance_type_offerings" / location_type
    data = json.loads(gzip.decompress((path / f"{region}.json.gz").read_bytes()))
    return [{**entry, "LocationType": location_type} for entry in data]


def test_deferred_offerings_skip_the_import_pass_then_read_the_file_stamped():
    resource = "ec2/resources/instance_type_offerings/availability-zone/eu-west-1.json.gz"
    with EmulatedAccount(region="us-east-1"):
        deferred = _speedups._orjson_load_resource(resource)
    assert isinstance(deferred, _speedups._DeferredOfferings)
    assert list(deferred) == []  # the import loop's pass: nothing to stamp
    expected = _offerings_file("availability-zone", "eu-west-1")
    assert len(deferred) == len(expected) > 100
    assert list(deferred) == expected
    assert deferred[0] == expected[0] and bool(deferred)


def test_moto_answers_offerings_queries_from_the_real_data():
    with EmulatedAccount(region="us-east-1") as account:
        ec2 = account.client("ec2")
        found = ec2.describe_instance_type_offerings(
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": ["p5.48xlarge"]}],
        )["InstanceTypeOfferings"]
    expected = [
        o["Location"]
        for o in _offerings_file("availability-zone", "us-east-1")
        if o["InstanceType"] == "p5.48xlarge"
    ]
    assert sorted(o["Location"] for o in found) == sorted(expected) and expected


def test_random_strings_and_hex_ids_draw_what_moto_draws():
    from moto.moto_api._internal.moto_random import MotoRandom

    original_string, original_hex = MotoRandom.get_random_string, MotoRandom.get_random_hex
    ours, theirs = MotoRandom(), MotoRandom()
    with EmulatedAccount(region="us-east-1"):
        assert MotoRandom.get_random_string is not original_string
        for seed in (1, 7, 2026):
            ours.seed(seed)
            theirs.seed(seed)
            for kwargs in ({}, {"length": 52}, {"include_digits": False}, {"lower_case": True}):
                assert ours.get_random_string(**kwargs) == original_string(theirs, **kwargs)
            assert ours.get_random_hex(17) == original_hex(theirs, 17)
            assert ours.getrandbits(64) == theirs.getrandbits(64)  # the states stayed in step
    assert MotoRandom.get_random_string is original_string


def test_a_request_is_routed_once_and_answers_with_its_uri_parameters():
    import moto.core.responses as responses

    original = responses.BaseResponse._get_action
    calls = []

    def counting(self):
        calls.append(self.normalized_request)
        return original(self)

    with EmulatedAccount(region="us-east-1") as account:
        assert responses.BaseResponse._get_action is _speedups._action_once_per_request
        _speedups._patched[_speedups._MOTO_ACTION] = counting
        try:
            eks = account.client("eks")
            with pytest.raises(eks.exceptions.ResourceNotFoundException) as refused:
                eks.describe_cluster(name="absent-cluster")  # the name is a URI parameter
        finally:
            _speedups._patched[_speedups._MOTO_ACTION] = original
    assert "absent-cluster" in str(refused.value)
    assert len(calls) == 1  # one request, routed once however often it was asked
    assert responses.BaseResponse._get_action is original
