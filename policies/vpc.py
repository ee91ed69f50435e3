"""VPC: flow logs, default security group closed, no public IPs in private subnets, and no
security group ingress from anywhere to SSH, RDP or all ports.

VPC companions (FlowLog, DefaultSecurityGroup, VpcEndpoint) are matched by their `vpcId`
against the Vpc's `id` prop, logical name or URN (see `Stack.children`). At preview a new
VPC's id is unknown, so these rules are UNKNOWN there and decided by the emulated plan or
`pulumi up`.
"""

from __future__ import annotations

from typing import Any

from .context import RuleContext
from .declarative import Parent, companion_rule, empty, expect
from .rule import rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN, as_list, get, parse_policy, statements

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"

# service suffix -> endpoint type the baseline asks for: nodes pull images and get
# credentials without crossing the internet (and without paying NAT per GB for it).
BASELINE_ENDPOINTS = {"s3": "Gateway", "ecr.api": "Interface", "ecr.dkr": "Interface",
                      "sts": "Interface"}  # fmt: skip

PRIVATE_SUBNET_TAG = "kubernetes.io/role/internal-elb"
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


VPCS = Parent(VPC, noun="VPC")

companion_rule(
    "GF-VPC-001",
    "Ensure every VPC has flow logs enabled",
    severity="medium",
    parent=VPCS,
    companion=FLOW_LOG,
    ref="vpcId",
    missing="add a FlowLog with vpcId=<vpc>.id, trafficType='ALL'",
    checkov=["CKV2_AWS_11"],
    trivy=["AVD-AWS-0178"],
)


@rule(
    "GF-VPC-002",
    "Ensure private subnets do not assign public IPs on launch",
    severity="high",
    types=[SUBNET],
    checkov=["CKV_AWS_130"],
    trivy=["AVD-AWS-0164"],
)
def private_subnet_no_public_ip(subnet: Resource, ctx: RuleContext):
    public_ip = subnet.get("mapPublicIpOnLaunch")
    if public_ip is MISSING or public_ip is False:
        return
    tags = subnet.get("tags")
    if public_ip is UNKNOWN or tags is UNKNOWN:
        yield UNKNOWN
    elif isinstance(tags, dict) and PRIVATE_SUBNET_TAG in tags:
        yield "this private subnet sets mapPublicIpOnLaunch=True: remove it (default False)"


companion_rule(
    "GF-VPC-003",
    "Ensure every VPC's default security group allows no traffic",
    severity="medium",
    parent=VPCS,
    companion=DEFAULT_SG,
    ref="vpcId",
    condition=expect({"ingress": empty, "egress": empty}),
    missing="adopt it with a DefaultSecurityGroup (vpcId=<vpc>.id) that has no ingress and "
    "no egress rules",
    wrong="its DefaultSecurityGroup has rules: remove every ingress and egress rule",
    checkov=["CKV2_AWS_12"],
)


def _endpoint_service(endpoint: Resource) -> Any:
    """(service suffix such as `ecr.api`, endpoint type) of a VpcEndpoint, or UNKNOWN."""
    name, kind = endpoint.get("serviceName"), endpoint.get("vpcEndpointType")
    if name is UNKNOWN or kind is UNKNOWN:
        return UNKNOWN
    if not isinstance(name, str):
        return None
    parts = name.split(".")  # com.amazonaws.<region>.<service...>
    return ".".join(parts[3:]), kind if isinstance(kind, str) else "Gateway"


@rule(
    "GF-VPC-007",
    "Ensure every VPC has the S3 gateway and the ECR and STS interface endpoints",
    severity="medium",
    enforcement="advisory",
    types=[VPC],
    stack=True,
)
def baseline_endpoints(vpc: Resource, stack: Stack, ctx: RuleContext):
    endpoints, ref_unknown = stack.children(vpc, ENDPOINT, "vpcId")
    found = {_endpoint_service(e) for e in endpoints}
    missing = [
        f"{service} ({kind})"
        for service, kind in BASELINE_ENDPOINTS.items()
        if (service, kind) not in found
    ]
    if not missing:
        return
    if ref_unknown or UNKNOWN in found:
        yield UNKNOWN
        return
    yield (
        f"missing VPC endpoints: {', '.join(missing)}: add them (network.endpoints in the "
        "spec) so image pulls and credentials stay inside the VPC"
    )


def _is_any(value: Any) -> bool:
    """A wildcard principal, action or resource: `*`, `{"AWS": "*"}`, `s3:*`, `arn:aws:s3:::*`."""
    if isinstance(value, dict):
        return any(_is_any(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_any(v) for v in value)
    return isinstance(value, str) and (
        value == "*" or value.endswith(":*") and value.count(":") <= 1 or value.endswith(":::*")
    )


def _full_access_statements(policy: Any) -> Any:
    """Sids of Allow statements with `*` principal, action and resource and no condition."""
    doc = parse_policy(policy)
    if doc is UNKNOWN or doc is None:
        return UNKNOWN
    found = []
    for i, st in enumerate(statements(doc)):
        if (
            isinstance(st, dict)
            and st.get("Effect") == "Allow"
            and not st.get("Condition")
            and _is_any(st.get("Principal"))
            and _is_any(st.get("Action"))
            and _is_any(st.get("Resource"))
        ):
            found.append(str(st.get("Sid") or f"#{i}"))
    return found


@rule(
    "GF-VPC-008",
    "Ensure gateway VPC endpoints have a policy that limits what they reach",
    severity="high",
    types=[ENDPOINT],
)
def gateway_endpoint_policy(endpoint: Resource, ctx: RuleContext):
    """Gateway endpoints only: their route carries every request of the subnets to the
    service, so without a policy nodes reach any bucket (or table) in the world through
    them. Interface endpoints are reached only by name and only for their API, whose
    access IAM governs; their policies are not checked here."""
    kind = endpoint.get("vpcEndpointType")
    if kind is UNKNOWN:
        yield UNKNOWN
        return
    if kind not in (MISSING, "Gateway"):  # the provider's default type is Gateway
        return
    policy = endpoint.get("policy")
    if policy is MISSING or policy == "":
        yield (
            "this gateway endpoint has no policy (AWS then allows full access to the "
            "service): give it one that allows only the buckets the VPC needs"
        )
        return
    found = _full_access_statements(policy)
    if found is UNKNOWN:
        yield UNKNOWN
    elif found:
        yield (
            f"statement {', '.join(found)} allows every principal every action on every "
            "resource: allow only the buckets the VPC needs"
        )


def _ingress_entries(res: Resource) -> Any:
    """[(protocol, from_port, to_port, cidrs)] of a resource's ingress, or UNKNOWN."""
    if res.type == SG_INGRESS:
        cidrs = [get(res.props, "cidrIpv4"), get(res.props, "cidrIpv6")]
        return [
            (
                res.get("ipProtocol"),
                res.get("fromPort"),
                res.get("toPort"),
                [c for c in cidrs if c is not MISSING],
            )
        ]
    ingress = as_list(res.get("ingress"))
    if ingress is UNKNOWN:
        return UNKNOWN
    out = []
    for rule_ in ingress:
        cidrs = as_list(get(rule_, "cidrBlocks"))
        v6 = as_list(get(rule_, "ipv6CidrBlocks"))
        all_cidrs = UNKNOWN if UNKNOWN in (cidrs, v6) else [*cidrs, *v6]
        out.append(
            (get(rule_, "protocol"), get(rule_, "fromPort"), get(rule_, "toPort"), all_cidrs)
        )
    return out


def _all_protocols(protocol: Any) -> bool:
    return str(protocol).lower() in ("-1", "all")


def _covers(protocol: Any, lo: Any, hi: Any, port: int | None) -> Any:
    """Does the entry cover `port` over TCP (None: every port of every protocol)?"""
    if UNKNOWN in (protocol, lo, hi):
        return UNKNOWN
    if _all_protocols(protocol):
        return True
    if port is None:
        return (
            lo in (0, 1, MISSING)
            and hi in (65535, MISSING)
            and str(protocol).lower()
            in (
                "tcp",
                "6",
            )
        )
    if str(protocol).lower() not in ("tcp", "6"):
        return False
    if lo is MISSING or hi is MISSING:
        return UNKNOWN
    return lo <= port <= hi


def _open_ingress(res: Resource, port: int | None, what: str):
    entries = _ingress_entries(res)
    if entries is UNKNOWN:
        yield UNKNOWN
        return
    for protocol, lo, hi, cidrs in entries:
        open_ = (
            UNKNOWN if cidrs is UNKNOWN or UNKNOWN in cidrs else any(c in OPEN_CIDRS for c in cidrs)
        )
        if open_ is False:
            continue
        covers = _covers(protocol, lo, hi, port)
        if covers is True and open_ is True:
            yield (
                f"ingress from {'/'.join(c for c in cidrs if c in OPEN_CIDRS)} reaches {what}: "
                "allow only the CIDRs or security groups that need it"
            )
        elif covers is not False:
            yield UNKNOWN


_SG_TYPES = [SG, DEFAULT_SG, SG_INGRESS]

for _id, _port, _what, _title, _ckv in (
    ("GF-VPC-004", 22, "port 22 (SSH)", "port 22", "CKV_AWS_24"),
    ("GF-VPC-005", 3389, "port 3389 (RDP)", "port 3389", "CKV_AWS_25"),
    ("GF-VPC-006", None, "all ports", "all ports", "CKV_AWS_277"),
):

    def _check(res: Resource, ctx: RuleContext, _port=_port, _what=_what):
        yield from _open_ingress(res, _port, _what)

    rule(
        _id,
        f"Ensure no security group allows ingress from 0.0.0.0/0 or ::/0 to {_title}",
        severity="critical" if _port is None else "high",
        types=_SG_TYPES,
        checkov=[_ckv],
    )(_check)
