"""Data volumes in team namespaces (GF-DATA-*): one team's claim must not reach another's data.

A PersistentVolume bound to a claim in a team's namespace (a Namespace labelled
`gpuforge.dev/team`) is that team's view of a file system (`gpuforge.model.data_volumes`):

- a Mountpoint for S3 volume signs as the pod, the team's own role
  (`volumeAttributes.authenticationSource: pod`); signed as the driver, it reads with
  the driver's role, whatever the team's IAM says;
- a writable one mounts only the team's prefix (`prefix <team>/`): the bucket root holds
  every team's prefix;
- a Lustre volume is read-only: Lustre has no IAM to keep one team from another's files.

Nothing here imports pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gpuforge.model.names import FSX_CSI_DRIVER, S3_CSI_DRIVER, TEAM_LABEL

from .context import RuleContext
from .rule import rule
from .stack import Resource, Stack
from .values import UNKNOWN, is_unknown

PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume"
NAMESPACE = "kubernetes:core/v1:Namespace"


def _team_namespaces(stack: Stack) -> dict[Any, Any]:
    """Namespace name -> team, for the stack's Namespaces labelled with a team."""
    found = {}
    for namespace in stack.of_type(NAMESPACE):
        labels = namespace.get("metadata.labels")  # the label key has dots: no path
        team = labels.get(TEAM_LABEL) if isinstance(labels, Mapping) else None
        if isinstance(team, str) and team:
            found[namespace.get("metadata.name")] = team
    return found


@rule(
    "GF-DATA-001",
    "Ensure a team's data volumes sign as its pods, write only under its prefix, "
    "and mount Lustre read-only",
    severity="high",
    types=[PERSISTENT_VOLUME],
    stack=True,
)
def team_volume_isolation(pv: Resource, stack: Stack, ctx: RuleContext):
    namespace = pv.get("spec.claimRef.namespace")
    driver = pv.get("spec.csi.driver")
    if UNKNOWN in (namespace, driver):
        yield UNKNOWN
        return
    team = stack.derived("team-namespaces", _team_namespaces).get(namespace)
    if team is None:
        return
    read_only = pv.get("spec.csi.readOnly")
    if is_unknown(read_only):
        yield UNKNOWN
        return
    if driver == FSX_CSI_DRIVER and read_only is not True:
        yield (
            f"Lustre volume of team {team} is writable: Lustre has no IAM to keep one team "
            "out of another's files; mount it read-only (csi.readOnly: true)"
        )
    if driver != S3_CSI_DRIVER:
        return
    source = pv.get("spec.csi.volumeAttributes.authenticationSource")
    if is_unknown(source):
        yield UNKNOWN
    elif source != "pod":
        yield (
            f"Mountpoint volume of team {team} signs as the driver, whose role is not the "
            "team's: set volumeAttributes.authenticationSource: pod"
        )
    options = pv.get("spec.mountOptions")
    if read_only is True:
        return
    if is_unknown(options):
        yield UNKNOWN
    elif f"prefix {team}/" not in (options if isinstance(options, list) else []):
        yield (
            f"writable Mountpoint volume of team {team} mounts the whole bucket, every team's "
            f"prefix: add the mount option 'prefix {team}/'"
        )
