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
"""

from __future__ import annotations

from gpuforge.model import filesystems as fsf
from gpuforge.model.filesystem_spec import LUSTRE, FilesystemSpec
from gpuforge.model.names import (
    FSX_CSI_DRIVER,
    MANAGED_LABELS,
    S3_CSI_DRIVER,
    data_claim_name,
    data_volume_name,
)
from gpuforge.model.spec import EnvironmentSpec

S3_CAPACITY = "1200Gi"
"""Mountpoint ignores a PV's capacity, but Kubernetes requires one."""


def access_mode(spec: EnvironmentSpec, fs: FilesystemSpec) -> str:
    return "ReadWriteMany" if fsf.writable(spec, fs) else "ReadOnlyMany"


def persistent_volume(spec: EnvironmentSpec, fs: FilesystemSpec, source: dict) -> dict:
    """The PV; `source` is `{id, dns_name, mount_name}` (lustre) or `{bucket}` (s3-mount)."""
    read_only = not fsf.writable(spec, fs)
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
        options = [f"region {spec.region}"] + ([] if read_only else ["allow-delete"])
        csi = {
            "driver": S3_CSI_DRIVER,
            "volumeHandle": data_volume_name(spec.environment, fs.name),
            "volumeAttributes": {"bucketName": source["bucket"]},
        }
    csi["readOnly"] = read_only
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": data_volume_name(spec.environment, fs.name), "labels": MANAGED_LABELS},
        "spec": {
            "capacity": {"storage": capacity},
            "volumeMode": "Filesystem",
            "accessModes": [access_mode(spec, fs)],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "claimRef": {"namespace": spec.training.namespace, "name": data_claim_name(fs.name)},
            "mountOptions": options,
            "csi": csi,
        },
    }


def persistent_volume_claim(spec: EnvironmentSpec, fs: FilesystemSpec) -> dict:
    capacity = f"{fs.storage_gib}Gi" if fs.kind == LUSTRE else S3_CAPACITY
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": data_claim_name(fs.name),
            "namespace": spec.training.namespace,
            "labels": MANAGED_LABELS,
        },
        "spec": {
            "accessModes": [access_mode(spec, fs)],
            "storageClassName": "",
            "resources": {"requests": {"storage": capacity}},
            "volumeName": data_volume_name(spec.environment, fs.name),
        },
    }
