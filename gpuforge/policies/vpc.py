"""VPC: flow logs, default security group closed, no public IPs in private subnets, and no
security group ingress from the internet to SSH, RDP, HTTP or all ports.

Ingress is judged per security group and by the addresses it covers
(`gpuforge.model.cidrs`): the rules of one group (its inline `ingress`, and every
SecurityGroupIngressRule / SecurityGroupRule naming it) are united, so `0.0.0.0/1` in one
rule and `128.0.0.0/1` in another is the whole internet, and more public addresses than
`RuleContext.public_cidr_budget` allows is flagged too. Each resource that contributes a
public range to such a port fails; the others pass.

VPC companions (FlowLog, DefaultSecurityGroup, VpcEndpoint) are matched by their `vpcId`
against the Vpc's `id` prop, logical name or URN (see `Stack.children`). At preview a new
VPC's id is unknown, so these rules are UNKNOWN there and decided by the emulated plan or
`pulumi up`.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model import cidrs as cidr_math
from gpuforge.model.endpoint_policies import ENDPOINT_POLICY_SERVICES, S3_DATA_PLANE_PREFIXES

from .context import RuleContext
from .declarative import Parent, companion_rule, empty, expect
from .rule import rule
from .stack import Resource, Stack
from .values import (
    MISSING,
    UNKNOWN,
    allow_statements,
    as_list,
    get,
    parse_policy,
    statement_list,
    statements,
)

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
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


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
    """[(protocol, from_port, to_port, cidrs)] of a resource's own ingress, or UNKNOWN."""
    if res.type == SG_INGRESS:
        cidrs = [get(res.props, "cidrIpv4"), get(res.props, "cidrIpv6")]
        return [
            (
                res.get("ipProtocol"),
                res.get("fromPort"),
                res.get("toPort"),
                UNKNOWN if UNKNOWN in cidrs else [c for c in cidrs if c is not MISSING],
            )
        ]
    if res.type == SG_RULE:
        kind = res.get("type")
        if kind is UNKNOWN:
            return UNKNOWN
        if kind != "ingress":
            return []
        ingress = [res.props]
    else:
        ingress = as_list(res.get("ingress"))
        if ingress is UNKNOWN:
            return UNKNOWN
    out = []
    for rule_ in ingress:
        cidrs = as_list(get(rule_, "cidrBlocks"))
        v6 = as_list(get(rule_, "ipv6CidrBlocks"))
        all_cidrs = UNKNOWN if UNKNOWN in (cidrs, v6) or UNKNOWN in [*cidrs, *v6] else [*cidrs, *v6]
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
    tcp = str(protocol).lower() in ("tcp", "6")
    if port is None:
        return lo in (0, 1, MISSING) and hi in (65535, MISSING) and tcp
    if not tcp:
        return False
    if lo is MISSING or hi is MISSING:
        return UNKNOWN
    return lo <= port <= hi


def _public(cidrs: list) -> bool:
    """Does any of `cidrs` hold an address an internet host can come from?"""
    try:
        return any(fam.public for fam in cidr_math.exposure(cidrs).values())
    except (ValueError, TypeError, AttributeError):
        return True  # not a CIDR: the provider refuses it; do not call it private


def _group(res: Resource, stack: Stack) -> list[Resource]:
    """Every resource that adds ingress to the security group `res` is (or belongs to)."""
    if res.type in (SG, DEFAULT_SG):
        parent: Any = res
        keys = stack.keys_of(res)
    else:
        ref = res.get("securityGroupId", computed=True)
        parent = stack.find([SG, DEFAULT_SG], ref)
        keys = stack.keys_of(parent) if isinstance(parent, Resource) else {ref} - {UNKNOWN}
    members = [parent] if isinstance(parent, Resource) else []
    for rule_ in stack.of_type(SG_INGRESS, SG_RULE):
        ref = rule_.get("securityGroupId", computed=True)
        if isinstance(ref, str) and ref in keys and rule_ not in members:
            members.append(rule_)
    return members if res in members else [*members, res]


def _reaching(res: Resource, port: int | None) -> tuple[list[str], bool]:
    """(CIDRs of `res`'s own entries that surely reach `port`, anything unknown?)"""
    entries = _ingress_entries(res)
    if entries is UNKNOWN:
        return [], True
    cidrs: list[str] = []
    unknown = False
    for protocol, lo, hi, entry_cidrs in entries:
        covers = _covers(protocol, lo, hi, port)
        if covers is False:
            continue
        if entry_cidrs is UNKNOWN or covers is UNKNOWN:
            unknown = unknown or entry_cidrs is UNKNOWN or _public(entry_cidrs)
            continue
        cidrs.extend(entry_cidrs)
    return cidrs, unknown


def _open_ingress(res: Resource, stack: Stack, ctx: RuleContext, port: int | None, what: str):
    own, own_unknown = _reaching(res, port)
    if not _public(own):
        if own_unknown:
            yield UNKNOWN
        return
    cidrs: list[str] = []
    group_unknown = False
    for member in _group(res, stack):
        member_cidrs, member_unknown = _reaching(member, port)
        cidrs.extend(c for c in member_cidrs if c not in cidrs)
        group_unknown = group_unknown or member_unknown
    try:
        problems = cidr_math.problems(cidrs, ctx.public_cidr_budget)
    except (ValueError, TypeError, AttributeError):
        problems = [f"{', '.join(map(repr, cidrs))} holds something that is not a CIDR"]
    for problem in problems:
        yield (
            f"ingress to {what} from {problem}: allow only the CIDRs or security groups "
            "that need it"
        )
    if not problems and (group_unknown or own_unknown):
        yield UNKNOWN


_SG_TYPES = [SG, DEFAULT_SG, SG_INGRESS, SG_RULE]

for _id, _port, _what, _title, _ckv in (
    ("GF-VPC-004", 22, "port 22 (SSH)", "port 22", "CKV_AWS_24"),
    ("GF-VPC-005", 3389, "port 3389 (RDP)", "port 3389", "CKV_AWS_25"),
    ("GF-VPC-006", None, "all ports", "all ports", "CKV_AWS_277"),
    ("GF-VPC-009", 80, "port 80 (HTTP)", "port 80", "CKV_AWS_260"),
):

    def _check(res: Resource, stack: Stack, ctx: RuleContext, _port=_port, _what=_what):
        yield from _open_ingress(res, stack, ctx, _port, _what)

    rule(
        _id,
        f"Ensure no security group lets the internet reach {_title} (0.0.0.0/0 or ::/0 in "
        "any split, or more public addresses than the budget)",
        severity="critical" if _port is None else "medium" if _port == 80 else "high",
        types=_SG_TYPES,
        stack=True,
        checkov=[_ckv],
    )(_check)


# -- endpoint policies: the data perimeter ------------------------------------------------

_ACCOUNT_KEYS = ("aws:principalaccount", "aws:principalorgid")


def _scoped_to_account(st: dict) -> Any:
    """Does the statement's condition pin the caller to an account or organization
    (`aws:PrincipalAccount` / `aws:PrincipalOrgID`, or AWS service principals only)?"""
    condition = st.get("Condition", MISSING)
    if condition is MISSING:
        return False
    if condition is UNKNOWN or not isinstance(condition, dict):
        return UNKNOWN
    for op, block in condition.items():
        if block is UNKNOWN or not isinstance(block, dict):
            return UNKNOWN
        if not str(op).startswith(("StringEquals", "Bool", "ArnEquals", "ArnLike", "StringLike")):
            continue
        for key, value in block.items():
            key = str(key).lower()
            if value is UNKNOWN:
                return UNKNOWN
            if key in _ACCOUNT_KEYS or key == "aws:resourceaccount":
                return True
            if key == "aws:principalisawsservice" and str(value).lower() == "true":
                return True
    return False


@rule(
    "GF-VPC-010",
    "Ensure interface VPC endpoints have a policy that admits only the account's (or "
    "organization's) principals",
    severity="medium",
    types=[ENDPOINT],
)
def interface_endpoint_policy(endpoint: Resource, ctx: RuleContext):
    """Services without endpoint-policy support (`ENDPOINT_POLICY_SERVICES` lists those that
    have it) allow full access whatever is written, so they are not judged."""
    found = _endpoint_service(endpoint)
    if found is UNKNOWN:
        yield UNKNOWN
        return
    if found is None or found[1] != "Interface" or found[0] not in ENDPOINT_POLICY_SERVICES:
        return
    doc = parse_policy(endpoint.get("policy"))
    if doc is MISSING or endpoint.get("policy") == "":
        yield (
            f"this {found[0]} interface endpoint has no policy (AWS then allows every principal "
            "of any account full access through it): allow only aws:PrincipalAccount=<account>"
        )
        return
    for i, st in allow_statements(doc):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        scoped = _scoped_to_account(st)
        if scoped is UNKNOWN:
            yield UNKNOWN
        elif not scoped and _is_any(st.get("Principal")):
            yield (
                f"statement {st.get('Sid') or '#' + str(i)} allows any principal through the "
                f"{found[0]} endpoint: add Condition StringEquals aws:PrincipalAccount=<account> "
                "(or aws:PrincipalOrgID)"
            )


def _data_plane(action: Any) -> bool:
    return isinstance(action, str) and action.lower().startswith(S3_DATA_PLANE_PREFIXES)


def _read_only(action: Any) -> bool:
    return isinstance(action, str) and action.lower().startswith(("s3:get", "s3:list"))


@rule(
    "GF-VPC-011",
    "Ensure the S3 gateway endpoint allows only object (data-plane) actions, and writes only "
    "to the account's (or organization's) principals",
    severity="high",
    types=[ENDPOINT],
)
def s3_gateway_data_plane(endpoint: Resource, ctx: RuleContext):
    """Bucket configuration (PutBucketPolicy, s3:*) through the endpoint lets a workload in
    the VPC reopen a bucket; writes by other accounts' principals are the exfiltration path
    (a foreign bucket, foreign credentials). Reads without the account condition pass: ECR's
    layer URLs are signed by ECR, and AWS's package mirrors are read anonymously."""
    found = _endpoint_service(endpoint)
    if found is UNKNOWN:
        yield UNKNOWN
        return
    if found is None or found != ("s3", "Gateway"):
        return
    doc = parse_policy(endpoint.get("policy"))
    if doc is MISSING:
        return  # no policy at all: GF-VPC-008's finding
    for i, st in allow_statements(doc):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        sid = st.get("Sid") or f"#{i}"
        actions = statement_list(st, "Action", partial=True)
        if actions is UNKNOWN or "NotAction" in st:
            yield (
                UNKNOWN
                if actions is UNKNOWN
                else (f"statement {sid} uses NotAction: list the object actions it allows")
            )
            continue
        config = [a for a in actions if a is not UNKNOWN and not _data_plane(a)]
        if config:
            yield (
                f"statement {sid} allows {config} through the S3 endpoint: allow only object "
                "actions (GetObject, PutObject, ListBucket, ...), never bucket configuration"
            )
            continue
        if UNKNOWN in actions:
            yield UNKNOWN
            continue
        if all(_read_only(a) for a in actions):
            continue
        scoped = _scoped_to_account(st)
        if scoped is UNKNOWN:
            yield UNKNOWN
        elif not scoped:
            yield (
                f"statement {sid} lets any account's principals write through the S3 endpoint: "
                "add Condition StringEquals aws:PrincipalAccount=<account> (or aws:PrincipalOrgID)"
            )
