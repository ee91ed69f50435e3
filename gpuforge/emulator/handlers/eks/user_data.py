"""What EKS and the node make of a managed node group's launch template user data.

moto stores any user data. A real node group is stricter, in two places:

- EKS merges the template's user data with its own, so for the AL2 and AL2023 AMI
  types it must be a MIME multi-part archive
  (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#launch-template-user-data);
  a template with an AMI of its own, and Bottlerocket's TOML, are not merged.
- On AL2023 the node's nodeadm reads every `application/node.eks.aws` part as a
  NodeConfig (awslabs/amazon-eks-ami@81fec2e895854f599974fe4d3d72f61c0a9aaffa
  :nodeadm/internal/configprovider/mime.go:34-74) and writes
  `containerd.baseRuntimeSpec` over its default through float64
  (`gpuforge.model.nodeadm`). A NodeConfig it cannot decode leaves the node out of the
  cluster; an rlimit that containerd cannot decode into a uint64, or that runc does
  not know (opencontainers/runc@7d84a1282aaab9f106b19511de011df1a4510752
  :libcontainer/specconv/spec_linux.go, `rlimitMap`), fails every pod on it. EKS
  reports those as the node group's `NodeCreationFailure` health issue after the fact;
  the emulator refuses them when the node group is created, with the same code.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import json
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any

from gpuforge.model.nodeadm import DEFAULT_RLIMITS, NODE_CONFIG_MEDIA_TYPE
from gpuforge.model.pools import AL2_AMI_TYPES, AL2023_AMI_TYPES

from ...errors import AwsError

MERGED_AMI_PREFIXES = (AL2_AMI_TYPES, AL2023_AMI_TYPES)
RUNC_RLIMITS = frozenset(
    f"RLIMIT_{name}"
    for name in (
        *("CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK"),
        *("AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"),
    )
)
UINT64_MAX = 2**64 - 1
_NODE_FAILS = "NodeCreationFailure"


def check(ami_type: str | None, image_id: str | None, encoded: str | None) -> None:
    """Raise what a node group of `ami_type` makes of launch template user data
    `encoded` (base64, as EC2 keeps it); nothing for a template with its own AMI."""
    if not encoded or image_id or not (ami_type or "").startswith(MERGED_AMI_PREFIXES):
        return
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise AwsError(
            "InvalidParameterException", "Launch template user data is not base64"
        ) from None
    archive = message_from_bytes(raw)
    if not archive.is_multipart():
        raise AwsError(
            "InvalidParameterException",
            "Launch template user data must be a MIME multi-part archive: EKS merges it "
            "with its own (Content-Type: multipart/mixed; boundary=...)",
        )
    if ami_type and ami_type.startswith(AL2023_AMI_TYPES):
        for part in archive.walk():
            if part.get_content_type() == NODE_CONFIG_MEDIA_TYPE:
                _check_node_config(_part_text(part))


def _part_text(part: Message) -> bytes:
    """The part's payload as nodeadm reads it: base64-decoded if it is, then gunzipped
    if it is (nodeadm/internal/configprovider/mime.go:50-61)."""
    payload = part.get_payload(decode=False)
    data = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
    with contextlib.suppress(binascii.Error, ValueError):
        data = base64.b64decode(data, validate=True)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _check_node_config(text: bytes) -> None:
    import yaml

    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AwsError(_NODE_FAILS, f"nodeadm cannot decode the NodeConfig part: {exc}") from None
    if not isinstance(config, dict):
        raise AwsError(_NODE_FAILS, "nodeadm cannot decode the NodeConfig part: not a mapping")
    group = str(config.get("apiVersion") or "").split("/")[0]
    if config.get("kind") != "NodeConfig" or group != "node.eks.aws":
        raise AwsError(
            _NODE_FAILS,
            "nodeadm decodes only kind NodeConfig of group node.eks.aws, not "
            f"{config.get('kind')!r} of {config.get('apiVersion')!r}",
        )
    spec = config.get("spec") or {}
    base = ((spec.get("containerd") or {}) if isinstance(spec, dict) else {}).get("baseRuntimeSpec")
    process = base.get("process") if isinstance(base, dict) else None
    rlimits = process.get("rlimits") if isinstance(process, dict) else None
    # mergo replaces lists: these are the container's rlimits, DEFAULT_RLIMITS or not
    for rlimit in DEFAULT_RLIMITS if rlimits is None else rlimits:
        _check_rlimit(rlimit)


def _check_rlimit(rlimit: Any) -> None:
    if not isinstance(rlimit, dict) or rlimit.get("type") not in RUNC_RLIMITS:
        kind = rlimit.get("type") if isinstance(rlimit, dict) else rlimit
        raise AwsError(
            _NODE_FAILS,
            f"runc refuses every container on the node: wrong rlimit value: {kind} "
            f"(one of {sorted(RUNC_RLIMITS)})",
        )
    kind = rlimit["type"]
    soft, hard = (_through_nodeadm(kind, rlimit.get(k, 0), k) for k in ("soft", "hard"))
    if soft > hard:
        raise AwsError(
            _NODE_FAILS,
            f"runc cannot set {kind}: soft {soft} is above hard {hard} (setrlimit EINVAL)",
        )


def _through_nodeadm(kind: str, value: Any, field: str) -> int:
    """`value` as containerd reads it after nodeadm's float64 round trip (Go's json
    writes a float64 in the shortest digits, as `repr` does, in plain notation below
    1e21); an AwsError where containerd cannot decode it into a uint64."""
    hint = f"write at most 2**63 = {2**63}, which survives the round trip"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AwsError(_NODE_FAILS, f"{kind} {field} {value!r} is not a number")
    as_float = float(value)
    written = Decimal(repr(as_float))  # the digits Go's shortest float64 formatting gives
    if abs(as_float) >= 1e21 or written != written.to_integral_value():
        text = json.dumps(as_float)  # exponent or fraction: no uint64 either way
    else:
        text = str(int(written))
    if not text.isdigit() or int(text) > UINT64_MAX:
        raise AwsError(
            _NODE_FAILS,
            f"containerd cannot load the base runtime spec nodeadm writes: {kind} {field} "
            f"{value} comes out as {text}, not a uint64 ({hint})",
        )
    return int(text)
