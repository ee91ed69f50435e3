"""The NodeConfig an EFA pool's nodes get, and the user data that carries it.

EFA needs an unlimited memlock rlimit in the training container: libfabric's EFA
provider registers (pins) its buffers, and with a 64 KiB limit it aborts with
"Libfabric error: (-12) Cannot allocate memory" (awslabs/awsome-distributed-ai#647).
A pod cannot set an rlimit; the container gets what the node's runtime gives it. On the
AL2023 EKS AMIs, nodeadm writes containerd's base runtime spec, whose only rlimit is
RLIMIT_NOFILE (awslabs/amazon-eks-ami@81fec2e895854f599974fe4d3d72f61c0a9aaffa
:nodeadm/internal/containerd/base-runtime-spec.json:159-165), so memlock is whatever
containerd runs with: its unit sets none (containerd/containerd:containerd.service),
and neither do the AMI's drop-ins (templates/al2023/runtime/rootfs/etc/systemd/system/
containerd.service.d/00-runtime-slice.conf). nodeadm's `containerd.baseRuntimeSpec`
sets it (nodeadm/doc/examples.md:198-215, "Modifying container RLIMITs").

Two facts about nodeadm shape what gpuforge writes:

- The base runtime spec is merged with mergo, which replaces lists
  (nodeadm/internal/util/merge.go:16-54, mergo.WithOverride without WithAppendSlice):
  a `rlimits` list that named only RLIMIT_MEMLOCK would drop RLIMIT_NOFILE, so the
  default one is restated.
- The merge round-trips the spec through `map[string]interface{}`
  (nodeadm/internal/containerd/base_runtime_spec.go:21-35, util/merge.go:41-46), so
  every number becomes a float64, written back in its shortest digits. RLIM_INFINITY
  (2^64 - 1) comes out as 18446744073709552000, which containerd's CRI cannot decode
  into the spec's uint64 (`loadBaseOCISpecs`: "failed to load base OCI spec"), so the
  node runs no pod. 2^63 comes out as 9223372036854776000: a uint64 and, in bytes,
  unlimited in practice; gpuforge writes that.

EKS merges a launch template's user data with its own (the NodeConfig naming the
cluster), so it must be a MIME multi-part archive
(https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#launch-template-user-data);
nodeadm reads every part of type `application/node.eks.aws` and merges them
(nodeadm/internal/configprovider/mime.go:34-74, userdata.go:18-23). The part is JSON,
which nodeadm decodes as it does YAML (nodeadm/internal/api/bridge/decode.go:17-20),
with no YAML number resolution in between.
"""

from __future__ import annotations

import base64
import json
from typing import Any

NODE_CONFIG_API_VERSION = "node.eks.aws/v1alpha1"
NODE_CONFIG_MEDIA_TYPE = "application/node.eks.aws"

DEFAULT_RLIMITS: tuple[dict[str, Any], ...] = (
    {"type": "RLIMIT_NOFILE", "soft": 65536, "hard": 1048576},
)
"""The rlimits of nodeadm's default base runtime spec (base-runtime-spec.json:159-165)."""

MEMLOCK_UNLIMITED = 2**63
"""Locked memory for EFA: effectively unlimited, and still a uint64 after nodeadm's float64."""

MIME_BOUNDARY = "==GPUFORGE=="


def efa_node_config() -> dict[str, Any]:
    """The NodeConfig part of an EFA pool: containerd's base runtime spec with an
    unlimited memlock rlimit beside nodeadm's own RLIMIT_NOFILE."""
    memlock = {"type": "RLIMIT_MEMLOCK", "soft": MEMLOCK_UNLIMITED, "hard": MEMLOCK_UNLIMITED}
    return {
        "apiVersion": NODE_CONFIG_API_VERSION,
        "kind": "NodeConfig",
        "spec": {
            "containerd": {"baseRuntimeSpec": {"process": {"rlimits": [*DEFAULT_RLIMITS, memlock]}}}
        },
    }


def user_data(node_config: dict[str, Any]) -> str:
    """`node_config` as launch template user data: a MIME multi-part archive with one
    `application/node.eks.aws` part, base64-encoded as EC2 takes it."""
    archive = "\n".join(
        [
            "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed; boundary="{MIME_BOUNDARY}"',
            "",
            f"--{MIME_BOUNDARY}",
            f"Content-Type: {NODE_CONFIG_MEDIA_TYPE}",
            "",
            json.dumps(node_config, sort_keys=True),
            "",
            f"--{MIME_BOUNDARY}--",
            "",
        ]
    )
    return base64.b64encode(archive.encode()).decode()
