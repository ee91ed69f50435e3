"""The statically provisioned PersistentVolumes and claims of `storage.filesystems`, as data.

One cluster-scoped PV per file system, bound by `claimRef` to one PVC in the training
namespace (`names.data_claim_name`), which job pods mount. Read-only (`ReadOnlyMany`,
`csi.readOnly`) unless training may write every bucket behind the file system
(`filesystems.writable`).

Shapes follow the drivers' static-provisioning examples:
- FSx: kubernetes-sigs/aws-fsx-csi-driver@5b227125add708cd0b87c76abe1a4c074e71dfc5:
  examples/kubernetes/static_provisioning/specs/pv.yaml:1-19 (volumeHandle = file system
  id; volumeAttributes dnsname, mountname; mountOptions flock; Retain) and
  specs/claim.yaml:1-12 (storageClassName "", volumeName);
- Mountpoint for S3 v2: awslabs/mountpoint-s3-csi-driver@57c6bedb46e2c1281883b80dad4d5d54b438b0de:
  examples/kubernetes/static_provisioning/static_provisioning.yaml:1-35 (capacity
  "ignored, required", storageClassName "", claimRef, mountOptions `region`,
  volumeAttributes bucketName; ReadWriteMany / ReadOnlyMany).

With `teams:`, a claim lives in one namespace and a PV binds one claim, so each team gets
its own PV and claim `data-<fs>` in its namespace, for the file systems it may see
(`team_access`), and none of another team's data:

- an s3-mount of a bucket the team reads (its `datasets`): read-only;
- an s3-mount of a writable bucket: read-write under the team's prefix only, Mountpoint's
  `prefix <team>/` mount option (the driver's commit above,
  examples/kubernetes/static_provisioning/static_provisioning.yaml:17), without
  `allow-delete` (a team role has no DeleteObject, `model.team_grants`);
- a team's s3-mounts authenticate as the pod, the team's Pod Identity role, not as the
  driver (`authenticationSource: pod`, docs/CONFIGURATION.md:325-396, "Pod-Level
  Credentials": "a multi-tenant architecture is possible using EKS Pod Identity"; the
  driver asks for the pod's `pods.eks.amazonaws.com` token,
  charts/aws-mountpoint-s3-csi-driver/templates/csidriver.yaml:10-14), so IAM, not the
  mount, decides what a team reads;
- a Lustre file system only read-only, and only when every bucket it links is one the
  team reads: Lustre has no IAM, so one that links a writable bucket (every team's
  prefix) or none (shared scratch) is no team's.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model import filesystems as fsf
from gpuforge.model import team_grants
from gpuforge.model.filesystem_spec import LUSTRE, FilesystemSpec
from gpuforge.model.names import (
    FSX_CSI_DRIVER,
    MANAGED_LABELS,
    S3_CSI_DRIVER,
    data_claim_name,
    data_volume_name,
)
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.teams import Team, teams

S3_CAPACITY = "1200Gi"
"""Mountpoint ignores a PV's capacity, but Kubernetes requires one."""


@dataclass(frozen=True)
class DataAccess:
    """How one team's pods see one file system."""

    read_only: bool
    prefix: str | None = None
    """Mountpoint's `prefix`: the team's own keys of a writable bucket."""
    pod_credentials: bool = False
    """Mountpoint signs as the pod's service account (the team's role), not the driver."""
    team: Team | None = None
    """None: the default team (the training namespace, the PV named for the file system)."""


def team_access(spec: EnvironmentSpec, team: Team, fs: FilesystemSpec) -> DataAccess | str:
    """How `team` may mount `fs`, or why it may not (see the module docstring)."""
    if team.spec is None:
        return _default_access(spec, fs)
    readable = team_grants.datasets(spec, team.spec)
    prefixed = team_grants.prefix_buckets(spec)
    behind = fsf.buckets(fs)
    if fs.kind == LUSTRE:
        shared = [b for b in behind if b in prefixed]
        if shared or not behind:
            what = (
                f"links {', '.join(shared)}, every team's prefix" if shared else "links no bucket"
            )
            return (
                f"{fs.name} is Lustre and {what}: Lustre has no IAM to keep teams apart; "
                "teams write through an s3-mount of the bucket, under their own prefix"
            )
        unread = [b for b in behind if b not in readable]
        if unread:
            return f"team {team.name} may not read {', '.join(unread)}, which {fs.name} links"
        return DataAccess(read_only=True, team=team)
    bucket = behind[0]
    if bucket in prefixed:
        return DataAccess(read_only=False, prefix=team.prefix, pod_credentials=True, team=team)
    if bucket in readable:
        return DataAccess(read_only=True, pod_credentials=True, team=team)
    return f"team {team.name} may not read bucket {bucket} (its datasets: {', '.join(readable)})"


def volumes(spec: EnvironmentSpec) -> list[tuple[FilesystemSpec, DataAccess]]:
    """Every PV and claim the runtime declares: per file system, one per team that may
    mount it (one for the default team without `teams:`)."""
    out = []
    for fs in spec.storage.filesystems:
        for team in teams(spec):
            access = team_access(spec, team, fs)
            if isinstance(access, DataAccess):
                out.append((fs, access))
    return out


def _namespace(spec: EnvironmentSpec, access: DataAccess) -> str:
    return access.team.namespace if access.team else spec.training.namespace


def volume_name(spec: EnvironmentSpec, fs: FilesystemSpec, access: DataAccess) -> str:
    """The PV's name: the file system's, and the team's with teams."""
    team = access.team.name if access.team else None
    return data_volume_name(spec.environment, fs.name, team)


def _default_access(spec: EnvironmentSpec, fs: FilesystemSpec) -> DataAccess:
    return DataAccess(read_only=not fsf.writable(spec, fs))


def access_mode(spec: EnvironmentSpec, fs: FilesystemSpec, access: DataAccess | None = None) -> str:
    read_only = (access or _default_access(spec, fs)).read_only
    return "ReadOnlyMany" if read_only else "ReadWriteMany"


def persistent_volume(
    spec: EnvironmentSpec, fs: FilesystemSpec, source: dict, access: DataAccess | None = None
) -> dict:
    """The PV; `source` is `{id, dns_name, mount_name}` (lustre) or `{bucket}` (s3-mount);
    `access` the team's (`team_access`), the default team's when None."""
    access = access or _default_access(spec, fs)
    read_only = access.read_only
    name = volume_name(spec, fs, access)
    if fs.kind == LUSTRE:
        capacity = f"{fs.storage_gib}Gi"
        options = ["flock"]
        csi = {
            "driver": FSX_CSI_DRIVER,
            "volumeHandle": source["id"],
            "volumeAttributes": {"dnsname": source["dns_name"], "mountname": source["mount_name"]},
        }
    else:
        capacity = S3_CAPACITY
        options = [f"region {spec.region}"]
        if access.prefix:
            options.append(f"prefix {access.prefix}")
        elif not read_only:
            options.append("allow-delete")
        attributes = {"bucketName": source["bucket"]}
        if access.pod_credentials:
            attributes["authenticationSource"] = "pod"
        csi = {"driver": S3_CSI_DRIVER, "volumeHandle": name, "volumeAttributes": attributes}
    csi["readOnly"] = read_only
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": MANAGED_LABELS},
        "spec": {
            "capacity": {"storage": capacity},
            "volumeMode": "Filesystem",
            "accessModes": [access_mode(spec, fs, access)],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "claimRef": {"namespace": _namespace(spec, access), "name": data_claim_name(fs.name)},
            "mountOptions": options,
            "csi": csi,
        },
    }


def persistent_volume_claim(
    spec: EnvironmentSpec, fs: FilesystemSpec, access: DataAccess | None = None
) -> dict:
    """The claim `data-<fs>` in the team's namespace (the training one when `access` is
    None), bound to its PV by name."""
    access = access or _default_access(spec, fs)
    capacity = f"{fs.storage_gib}Gi" if fs.kind == LUSTRE else S3_CAPACITY
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": data_claim_name(fs.name),
            "namespace": _namespace(spec, access),
            "labels": MANAGED_LABELS,
        },
        "spec": {
            "accessModes": [access_mode(spec, fs, access)],
            "storageClassName": "",
            "resources": {"requests": {"storage": capacity}},
            "volumeName": volume_name(spec, fs, access),
        },
    }
