"""FSx for Lustre file systems for training data, with their security group and S3 links.

Per `storage.filesystems` entry of kind `lustre` (`gpuforge.model.filesystems` holds the
facts: AZ, throughput, metadata configuration):

- a security group that lets Lustre's ports (TCP 988 and 1018-1023) in only from the
  cluster's nodes (the EKS cluster security group every node group carries) and from
  itself, and out only to itself and the nodes: FSx requires the file system's group to
  reach itself on those ports (FSx for Lustre User Guide, "File system access control
  with Amazon VPC": docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html);
- the file system in the private subnet of its AZ, encrypted with the environment's
  storage CMK (`kms_key_id`), Lustre 2.15, LZ4 compression, with its metadata
  configuration and EFA as the spec says;
- one data repository association per link: the bucket (and prefix) under a directory,
  auto-import of the events the spec lists (new, changed, deleted by default),
  auto-export only where the spec asks (FSx API reference, S3DataRepositoryConfiguration:
  docs.aws.amazon.com/fsx/latest/APIReference/API_S3DataRepositoryConfiguration.html).

Each resource is tagged `gpuforge.dev/filesystem: <name>` so the policy rules can tell
which spec entry it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import ec2, fsx, vpc

from gpuforge.model import filesystems as fsf
from gpuforge.model.names import FILESYSTEM_TAG
from gpuforge.model.spec import EnvironmentSpec

LUSTRE_VERSION = "2.15"


@dataclass
class DataFilesystemsArgs:
    """Inputs of `DataFilesystems`."""

    spec: EnvironmentSpec
    """The environment (`storage.filesystems`, its pools for the default AZ, its zones)."""
    vpc_id: pulumi.Input[str]
    """The VPC the security groups belong to."""
    private_subnet_ids: dict[str, pulumi.Input[str]]
    """Private subnet id by AZ (`Network.private_subnet_ids`)."""
    node_security_group_id: pulumi.Input[str]
    """The EKS cluster security group, which every node carries: the only Lustre clients."""
    kms_key_arn: pulumi.Input[str]
    """The storage CMK (`Encryption.storage_key_arn`)."""
    bucket_arns: dict[str, pulumi.Input[str]]
    """Bucket ARN by logical name (`ObjectStore.bucket_arns`)."""


class DataFilesystems(pulumi.ComponentResource):
    """One FSx for Lustre file system per `storage.filesystems` lustre entry, linked to S3."""

    volumes: dict[str, pulumi.Output[dict]]
    """What a PersistentVolume needs, by file system name: `id`, `dns_name`, `mount_name`."""
    security_group_ids: dict[str, pulumi.Output[str]]
    """The Lustre security group by file system name."""
    arns: dict[str, pulumi.Output[str]]
    """The file system ARN by name."""

    def __init__(
        self, name: str, args: DataFilesystemsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:data:DataFilesystems", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.volumes = {}
        self.security_group_ids = {}
        self.arns = {}
        for fs in fsf.lustre(args.spec):
            res = f"{name}-{fs.name}"
            tags = {FILESYSTEM_TAG: fs.name}
            sg = ec2.SecurityGroup(
                f"{res}-lustre",
                vpc_id=args.vpc_id,
                description=f"Lustre traffic of file system {fs.name}: nodes and itself only",
                tags={"Name": f"{res}-lustre", **tags},
                opts=child,
            )
            for low, high in fsf.LUSTRE_PORTS:
                ports = f"{low}" if low == high else f"{low}-{high}"
                for peer, ref in (("self", sg.id), ("nodes", args.node_security_group_id)):
                    vpc.SecurityGroupIngressRule(
                        f"{res}-in-{peer}-{ports}",
                        security_group_id=sg.id,
                        referenced_security_group_id=ref,
                        ip_protocol="tcp",
                        from_port=low,
                        to_port=high,
                        description=f"Lustre {ports} from {peer}",
                        opts=child,
                    )
                    vpc.SecurityGroupEgressRule(
                        f"{res}-out-{peer}-{ports}",
                        security_group_id=sg.id,
                        referenced_security_group_id=ref,
                        ip_protocol="tcp",
                        from_port=low,
                        to_port=high,
                        description=f"Lustre {ports} to {peer}",
                        opts=child,
                    )
            lustre_fs = fsx.LustreFileSystem(
                res,
                storage_capacity=fs.storage_gib,
                storage_type="SSD",
                subnet_ids=args.private_subnet_ids[fsf.zone(args.spec, fs)],
                security_group_ids=[sg.id],
                deployment_type=fs.deployment_type,
                per_unit_storage_throughput=(
                    fsf.throughput_per_tib(fs) if fs.deployment_type != "SCRATCH_2" else None
                ),
                kms_key_id=args.kms_key_arn if fs.deployment_type != "SCRATCH_2" else None,
                file_system_type_version=LUSTRE_VERSION,
                data_compression_type="LZ4",
                metadata_configuration=fsf.metadata_configuration(fs),
                efa_enabled=fs.efa or None,
                tags=tags,
                opts=child,
            )
            for link in fs.links:
                suffix = link.path.strip("/").replace("/", "-") or "root"
                s3_config: dict = {"auto_import_policy": {"events": list(link.import_events)}}
                if link.export_events:
                    s3_config["auto_export_policy"] = {"events": list(link.export_events)}
                fsx.DataRepositoryAssociation(
                    f"{res}-{suffix}",
                    file_system_id=lustre_fs.id,
                    file_system_path=link.path,
                    data_repository_path=pulumi.Output.from_input(
                        args.bucket_arns[link.bucket]
                    ).apply(lambda arn, p=link.prefix: f"s3://{arn.rsplit(':', 1)[-1]}/{p}"),
                    batch_import_meta_data_on_create=True,
                    s3=s3_config,
                    tags=tags,
                    opts=child,
                )
            self.volumes[fs.name] = pulumi.Output.all(
                lustre_fs.id, lustre_fs.dns_name, lustre_fs.mount_name
            ).apply(lambda v: {"id": v[0], "dns_name": v[1], "mount_name": v[2]})
            self.security_group_ids[fs.name] = sg.id
            self.arns[fs.name] = lustre_fs.arn
        self.register_outputs(
            {"volumes": self.volumes, "security_group_ids": self.security_group_ids}
        )
