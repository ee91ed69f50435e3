"""The `gpuforge.dev/*` annotations on a job's objects: written by rendering, read back later.

- On the primary object (the one whose status is the job's): the launch facts the
  cluster does not keep (nodes, GPUs per node, pool, instance type, backend), so
  `gpuforge jobs` and `status` show size and cost without the job file, also for
  manifests applied by hand from `launch --dry-run`. The launch time is not one of
  them: it is the object's `creationTimestamp`, which the API server sets (a time
  written at rendering would make the dry run differ from what is sent).
- On every object: the launch id (`LAUNCH_ID`), a digest of the launch's manifests.
  After a create whose response was lost, the client finds the object stored under
  that name and claims it only if it carries the same id (`gpuforge.jobs.kube_client`).

Pure: a digest of the rendered dicts, so what the dry run prints is what is sent.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from gpuforge.model.names import POOL_KEY, TAG_PREFIX

if TYPE_CHECKING:  # the cluster client reads LAUNCH_ID without loading the fit check
    from gpuforge.jobs.fit import Fit

LAUNCH_ID = f"{TAG_PREFIX}/launch-id"
NODES = f"{TAG_PREFIX}/nodes"
GPUS_PER_NODE = f"{TAG_PREFIX}/gpus-per-node"
POOL = POOL_KEY
INSTANCE_TYPE = f"{TAG_PREFIX}/instance-type"
BACKEND = f"{TAG_PREFIX}/backend"


def facts(fit: Fit) -> dict[str, str]:
    """The launch facts, as the primary object's annotations."""
    return {
        NODES: str(fit.nodes),
        GPUS_PER_NODE: str(fit.gpus_per_node),
        POOL: fit.pool.name,
        INSTANCE_TYPE: fit.instance_type,
        BACKEND: fit.backend,
    }


def with_launch_id(manifests: list[dict]) -> list[dict]:
    """The manifests, each annotated with the digest of them all (`LAUNCH_ID`); in place."""
    for manifest in manifests:
        (manifest["metadata"].get("annotations") or {}).pop(LAUNCH_ID, None)
    text = json.dumps(manifests, sort_keys=True, separators=(",", ":"))
    launch_id = hashlib.sha256(text.encode()).hexdigest()[:32]
    for manifest in manifests:
        manifest["metadata"].setdefault("annotations", {})[LAUNCH_ID] = launch_id
    return manifests


def launch_id(obj: dict) -> str | None:
    return (obj.get("metadata", {}).get("annotations") or {}).get(LAUNCH_ID)
