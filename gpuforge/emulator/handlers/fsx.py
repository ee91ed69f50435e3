"""FSx for Lustre: file systems backed by moto's FSx backend, links in the emulator's state.

moto 5.x creates Lustre file systems but checks none of their references or limits:
this handler checks what FSx would before calling it: the subnet (one, existing), the
security groups and the KMS key exist, the capacity steps and throughput values per
deployment type, EFA only on PERSISTENT_2 with a metadata configuration (FSx API
reference, CreateFileSystem and CreateFileSystemLustreConfiguration). Data repository
associations are the emulator's own state (`moto_gaps`), after the file system (moto,
through boto3) and the bucket (S3 `head_bucket`) are checked to exist.

Not modelled: backups, file system updates, the Lustre client side, actual import.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model.checks.filesystems import capacity_ok
from gpuforge.model.filesystems import THROUGHPUTS

from ..errors import AwsError
from ._base import Context, check_kms_key, num, require, tag_list


def _seeded_ids() -> None:
    """moto's FSx draws file system ids from `uuid.uuid4`, not from its seedable
    `mock_random` (moto/fsx/models.py: `f"fs-{uuid4().hex[:8]}"`): point it at the account's
    one seeded source (`emulator.determinism`), so a plan stays byte-identical."""
    import moto.fsx.models as fsx_models
    from moto.moto_api._internal import mock_random

    fsx_models.uuid4 = mock_random.uuid4  # type: ignore[attr-defined]


def lustre_file_system(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    _seeded_ids()
    ec2 = ctx.client("ec2")
    subnet = require(inputs, "subnetIds")
    subnet = subnet[0] if isinstance(subnet, list) else subnet
    found_subnet = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]  # InvalidSubnetID
    groups = list(inputs.get("securityGroupIds") or [])
    if groups:
        ec2.describe_security_groups(GroupIds=groups)  # InvalidGroup.NotFound
    dtype = inputs.get("deploymentType") or "SCRATCH_1"
    capacity = num(require(inputs, "storageCapacity"))
    if not capacity_ok(capacity):
        raise AwsError(
            "BadRequest",
            f"StorageCapacity {capacity} is invalid for {dtype}: use 1200, 2400 or a "
            "multiple of 2400 GiB",
        )
    throughput = inputs.get("perUnitStorageThroughput")
    throughput = num(throughput) if throughput is not None else None
    allowed = THROUGHPUTS.get(dtype)
    if throughput is not None and (allowed is None or throughput not in allowed):
        raise AwsError(
            "BadRequest", f"PerUnitStorageThroughput {throughput} is invalid for {dtype}"
        )
    if allowed is not None and throughput is None:
        raise AwsError("BadRequest", f"PerUnitStorageThroughput is required for {dtype}")
    metadata = inputs.get("metadataConfiguration")
    if metadata and dtype != "PERSISTENT_2":
        raise AwsError("BadRequest", "MetadataConfiguration is only supported on PERSISTENT_2")
    if inputs.get("efaEnabled") and (dtype != "PERSISTENT_2" or not metadata):
        raise AwsError(
            "BadRequest",
            "EfaEnabled requires a PERSISTENT_2 file system with a MetadataConfiguration",
        )
    config: dict[str, Any] = {"DeploymentType": dtype}
    if throughput is not None:
        config["PerUnitStorageThroughput"] = throughput
    kwargs: dict[str, Any] = {
        "FileSystemType": "LUSTRE",
        "StorageCapacity": capacity,
        "StorageType": inputs.get("storageType") or "SSD",
        "SubnetIds": [subnet],
        "SecurityGroupIds": groups,
        "LustreConfiguration": config,
        "FileSystemTypeVersion": inputs.get("fileSystemTypeVersion") or "2.15",
    }
    key = inputs.get("kmsKeyId")
    if key:
        kwargs["KmsKeyId"] = check_kms_key(ctx, key)["Arn"]
    tags = ctx.tags(inputs)
    if tags:
        kwargs["Tags"] = tag_list(tags)
    created = ctx.client("fsx").create_file_system(**kwargs)["FileSystem"]
    fs_id = created["FileSystemId"]
    return fs_id, {
        "arn": created["ResourceARN"],
        "dnsName": created["DNSName"],
        "mountName": fs_id.replace("fs-", "")[:8],
        "vpcId": found_subnet["VpcId"],
        "kmsKeyId": kwargs.get("KmsKeyId", ""),
        "networkInterfaceIds": [],
        "ownerId": ctx.account_id,
        "tagsAll": tags,
    }


def data_repository_association(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    fs_id = require(inputs, "fileSystemId")
    ctx.client("fsx").describe_file_systems(FileSystemIds=[fs_id])  # FileSystemNotFound
    repo = require(inputs, "dataRepositoryPath")
    bucket = repo.removeprefix("s3://").split("/", 1)[0]
    ctx.client("s3").head_bucket(Bucket=bucket)  # 404 when the bucket does not exist
    s3_config = inputs.get("s3") or {}
    events = lambda key: list(((s3_config.get(key) or {}).get("events")) or [])  # noqa: E731
    found = ctx.state.create_data_repository_association(
        fs_id,
        require(inputs, "fileSystemPath"),
        repo,
        events("autoImportPolicy"),
        events("autoExportPolicy"),
    )
    return found.association_id, {
        "arn": found.arn,
        "associationId": found.association_id,
        "tagsAll": ctx.tags(inputs),
    }


HANDLERS = {
    "aws:fsx/lustreFileSystem:LustreFileSystem": lustre_file_system,
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": data_repository_association,
}
STATE_BACKED = {"aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"}
