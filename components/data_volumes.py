"""The PersistentVolumes and claims of `storage.filesystems`, declared in the training runtime.

The objects are `gpuforge.model.data_volumes`' (pure, tested without pulumi); this only
fills in what AWS computes: the FSx file system's id, DNS name and mount name, and the
physical bucket name (it carries a hash of the account).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from gpuforge.components import _aws
from gpuforge.model import data_volumes
from gpuforge.model.filesystem_spec import LUSTRE
from gpuforge.model.names import bucket_name
from gpuforge.model.spec import EnvironmentSpec


def declare(
    parent: pulumi.Resource,
    name: str,
    spec: EnvironmentSpec,
    volumes: dict[str, pulumi.Input[dict]],
    cluster_opts: pulumi.ResourceOptions,
    namespace_opts: pulumi.ResourceOptions,
) -> None:
    """One PV (cluster-scoped) and one PVC per file system and team that may mount it
    (`data_volumes.volumes`: the training namespace's, or each team's namespace).

    A lustre file system whose FSx outputs are not in `volumes` (a runtime applied from a
    second stack) gets none: its PV needs the file system's id.
    """
    account = _aws.account_id(parent)
    for fs, access in data_volumes.volumes(spec):
        if fs.kind == LUSTRE:
            if fs.name not in volumes:
                continue
            source = pulumi.Output.from_input(volumes[fs.name])
        else:
            source = account.apply(
                lambda acct, b=fs.bucket: {
                    "bucket": bucket_name(acct, spec.region, spec.environment, b)
                }
            )
        pv = source.apply(
            lambda s, fs=fs, access=access: data_volumes.persistent_volume(spec, fs, s, access)
        )
        resource_name = f"{name}-data-{fs.name}"
        if access.team is not None:
            resource_name = f"{name}-data-{access.team.name}-{fs.name}"
        volume = k8s.core.v1.PersistentVolume(
            resource_name, metadata=pv["metadata"], spec=pv["spec"], opts=cluster_opts
        )
        pvc = data_volumes.persistent_volume_claim(spec, fs, access)
        k8s.core.v1.PersistentVolumeClaim(
            resource_name,
            metadata=pvc["metadata"],
            spec=pvc["spec"],
            opts=pulumi.ResourceOptions.merge(
                namespace_opts, pulumi.ResourceOptions(depends_on=[volume])
            ),
        )
