"""Kubernetes network policy in the training namespaces (GF-NETPOL-*).

A training namespace starts from default deny (`gpuforge.model.network_policy`); egress to
the internet is opt-in (`training.internet_egress`) and flagged here, so a reviewer sees
every namespace whose pods can send data anywhere. Nothing here imports pulumi.
"""

from __future__ import annotations

import ipaddress

from .context import RuleContext
from .rule import rule
from .stack import Resource
from .values import UNKNOWN, is_unknown

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _to_anywhere(peer: object) -> object:
    """True when `peer` (an egress `to` entry) is an ipBlock covering every address."""
    if is_unknown(peer):
        return UNKNOWN
    if not isinstance(peer, dict) or "ipBlock" not in peer:
        return False
    cidr = (peer.get("ipBlock") or {}).get("cidr") if isinstance(peer["ipBlock"], dict) else None
    if is_unknown(cidr):
        return UNKNOWN
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


@rule(
    "GF-NETPOL-001",
    "Ensure training namespaces do not allow egress to the internet",
    severity="medium",
    enforcement="advisory",
    types=[NETWORK_POLICY],
)
def no_internet_egress(res: Resource, ctx: RuleContext):
    egress = res.get("spec.egress")
    if is_unknown(egress):
        yield UNKNOWN
        return
    where = res.get("metadata.namespace")
    for i, rule_ in enumerate(egress if isinstance(egress, list) else []):
        if is_unknown(rule_):
            yield UNKNOWN
            continue
        peers = rule_.get("to") if isinstance(rule_, dict) else None
        if is_unknown(peers):
            yield UNKNOWN
            continue
        if not peers:
            yield (
                f"egress rule {i} in namespace {where} has no `to`: pods may reach any address, "
                "the internet included; name the destinations (or set "
                "training.internet_egress: true knowingly)"
            )
            continue
        verdicts = [_to_anywhere(p) for p in peers]
        if True in verdicts:
            yield (
                f"egress rule {i} in namespace {where} allows 0.0.0.0/0 or ::/0: job pods can "
                "send data to the internet (training.internet_egress); keep it off unless the "
                "team needs it"
            )
        elif UNKNOWN in verdicts:
            yield UNKNOWN
