"""The emulated FSx API refuses what FSx refuses, and links only to what exists (checked
through boto3 before the emulator's own state records a data repository association)."""

from __future__ import annotations

import pytest

from gpuforge.emulator import EmulatedAccount, EmulationError, run_program
from tests.emulator import programs


def _link_program(bucket_exists: bool, capacity: int = 1200):
    def program():
        import pulumi_aws as aws

        _, subnets, _ = programs.network()
        fs = aws.fsx.LustreFileSystem(
            "fs",
            storage_capacity=capacity,
            subnet_ids=subnets[0].id,
            deployment_type="PERSISTENT_2",
            per_unit_storage_throughput=250,
        )
        name = aws.s3.Bucket("data").bucket if bucket_exists else "no-such-bucket"
        aws.fsx.DataRepositoryAssociation(
            "link",
            file_system_id=fs.id,
            file_system_path="/data",
            data_repository_path=name.apply(lambda b: f"s3://{b}/") if bucket_exists else
            f"s3://{name}/",
        )  # fmt: skip

    return program


def test_link_to_a_missing_bucket_is_refused():
    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(_link_program(False), stack="link", account=account)
    assert caught.value.resource_type.endswith("DataRepositoryAssociation")
    assert account is not None


def test_file_system_capacity_fsx_refuses():
    with EmulatedAccount() as account, pytest.raises(EmulationError) as caught:
        run_program(_link_program(True, capacity=3000), stack="cap", account=account)
    assert caught.value.resource_type.endswith("LustreFileSystem")
    assert "StorageCapacity 3000" in str(caught.value)
