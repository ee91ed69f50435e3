"""IAM: no wildcard actions or write-on-*, no admin policies, pod roles on named buckets only,
service trust policies that name their source, and pod roles that follow each bucket's
training access and use KMS only through S3.

Policy documents are read from `aws:iam/policy:Policy.policy`,
`aws:iam/rolePolicy:RolePolicy.policy` and each `aws:iam/role:Role.inlinePolicies[].policy`
(JSON text or an already-parsed dict). Trust policies (`assumeRolePolicy`) decide which
roles pods assume (EKS Pod Identity or IRSA): GF-IAM-005 holds those to named buckets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gpuforge.model.names import (
    BUCKET_TAG,
    DATASETS_BUCKET,
    NO_ACCESS,
    READ_ONLY,
    READ_WRITE,
    TRAINING_ACCESS_TAG,
)

from .context import RuleContext
from .rule import rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN, as_list, get, parse_policy, statement_list, statements

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_TYPES = [POLICY, ROLE_POLICY, ROLE]

ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "BatchCheck", "View", "Query")


def _documents(res: Resource) -> Iterator[tuple[str, Any]]:
    """(label, parsed document or UNKNOWN) for every permission policy on the resource."""
    if res.type == ROLE:
        inline = as_list(res.get("inlinePolicies"))
        if inline is UNKNOWN:
            yield "inlinePolicies", UNKNOWN
            return
        for i, p in enumerate(inline):
            name = get(p, "name")
            label = f"inline policy {name if isinstance(name, str) else i}"
            doc = parse_policy(get(p, "policy"))
            if doc is not MISSING:
                yield label, UNKNOWN if doc is None else doc
    else:
        doc = parse_policy(res.get("policy"))
        if doc is not MISSING:
            yield "policy", UNKNOWN if doc is None else doc


def _allow_statements(res: Resource) -> Iterator[tuple[str, Any]]:
    """(label, statement) for each Allow statement; (label, UNKNOWN) where unknown."""
    for label, doc in _documents(res):
        if doc is UNKNOWN:
            yield label, UNKNOWN
            continue
        for i, st in enumerate(statements(doc)):
            if st is UNKNOWN or not isinstance(st, dict):
                yield label, UNKNOWN
            elif st.get("Effect") == "Allow":
                yield f"{label} statement {st.get('Sid') or '#' + str(i)}", st


def _wildcard_action(action: Any) -> bool:
    return isinstance(action, str) and (action == "*" or action.endswith(":*"))


def _names_everything(values: Any) -> bool:
    """A known Action or Resource list that holds `*`."""
    return values is not UNKNOWN and "*" in values


def _is_write(action: Any) -> bool:
    if not isinstance(action, str):
        return True
    verb = action.split(":", 1)[-1]
    return "*" in verb or not verb.startswith(_READ_PREFIXES)


@rule(
    "GF-IAM-001",
    "Ensure IAM policies allow no wildcard (*) actions",
    severity="high",
    types=POLICY_TYPES,
    checkov=["CKV_AWS_63"],
    trivy=["AVD-AWS-0057"],
)
def no_wildcard_actions(res: Resource, ctx: RuleContext):
    for label, st in _allow_statements(res):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        if "NotAction" in st:
            yield f"{label} uses NotAction with Allow: list the actions it needs instead"
        actions = statement_list(st, "Action", partial=True)
        if actions is UNKNOWN:
            yield UNKNOWN
            continue
        wild = [a for a in actions if _wildcard_action(a)]
        if wild:
            yield f"{label} allows {wild}: list the exact actions it needs"
        elif UNKNOWN in actions:
            yield UNKNOWN


@rule(
    "GF-IAM-002",
    "Ensure IAM policies do not allow write actions on every resource (*)",
    severity="high",
    types=POLICY_TYPES,
    checkov=["CKV_AWS_290"],
)
def no_wildcard_resource_for_writes(res: Resource, ctx: RuleContext):
    for label, st in _allow_statements(res):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        if "Condition" in st:  # a condition scopes the grant; reviewed by hand
            continue
        resources = statement_list(st, "Resource")
        if resources is UNKNOWN:
            yield UNKNOWN
            continue
        if "*" not in resources and "NotResource" not in st:
            continue
        actions = statement_list(st, "Action")
        if actions is UNKNOWN:
            yield UNKNOWN
            continue
        writes = [a for a in actions if _is_write(a)]
        if writes:
            yield (
                f"{label} allows write actions {writes} on Resource '*': name the buckets, "
                "keys or ARNs they act on"
            )


@rule(
    "GF-IAM-003",
    "Ensure no IAM policy grants full administrative privileges (Action * on Resource *)",
    severity="critical",
    types=POLICY_TYPES,
    checkov=["CKV_AWS_62"],
)
def no_inline_admin(res: Resource, ctx: RuleContext):
    for label, st in _allow_statements(res):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        actions = statement_list(st, "Action", partial=True)
        resources = statement_list(st, "Resource", partial=True)
        if _names_everything(actions) and _names_everything(resources):
            yield f"{label} allows '*' on '*' (administrator): grant only what the role needs"
        elif _may_name_everything(actions) and _may_name_everything(resources):
            yield UNKNOWN  # an unknown item (or list) may still be '*'


def _may_name_everything(values: Any) -> bool:
    """A list that holds `*`, an unknown item, or is itself unknown."""
    return values is UNKNOWN or "*" in values or any(v is UNKNOWN for v in values)


@rule(
    "GF-IAM-004",
    "Ensure no IAM role has the AdministratorAccess managed policy attached",
    severity="critical",
    types=[ATTACHMENT, ROLE],
    checkov=["CKV_AWS_274"],
)
def no_admin_attachment(res: Resource, ctx: RuleContext):
    arns = as_list(res.get("policyArn" if res.type == ATTACHMENT else "managedPolicyArns"))
    if arns is UNKNOWN:
        yield UNKNOWN
        return
    for arn in arns:
        if arn is UNKNOWN:
            yield UNKNOWN
        elif isinstance(arn, str) and arn.endswith(ADMIN_POLICY_SUFFIX):
            yield f"{arn} is attached: attach a policy scoped to what the role needs"


POD_SERVICE_PRINCIPAL = "pods.eks.amazonaws.com"
BROAD_S3_MANAGED = (":policy/AmazonS3FullAccess", ":policy/AmazonS3ReadOnlyAccess")


def _trusts(role: Resource, admits) -> Any:
    """Whether the role's trust policy has an Allow statement whose principal mapping
    `admits` (True, False or UNKNOWN); UNKNOWN where the policy cannot be read."""
    doc = parse_policy(role.get("assumeRolePolicy"))
    if doc is UNKNOWN or doc is None:
        return UNKNOWN
    if doc is MISSING:
        return False
    for st in statements(doc):
        if st is UNKNOWN or not isinstance(st, dict):
            return UNKNOWN
        principal = st.get("Principal")
        if st.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        found = admits(principal)
        if found is UNKNOWN or found:
            return found
    return False


def _pods_principal(principal: dict) -> Any:
    services = statement_list(principal, "Service", partial=True)
    federated = statement_list(principal, "Federated", partial=True)
    if UNKNOWN in (services, federated):
        return UNKNOWN
    return POD_SERVICE_PRINCIPAL in services or any(
        isinstance(f, str) and ":oidc-provider/" in f for f in federated
    )


def _trusts_pods(role: Resource) -> Any:
    """Whether the role's trust policy lets pods assume it (Pod Identity or IRSA)."""
    return _trusts(role, _pods_principal)


def _any_bucket(resource: Any) -> bool:
    """`*`, `arn:aws:s3:::*`, `arn:aws:s3:::data-*/*`: a resource naming no single bucket."""
    if not isinstance(resource, str):
        return False
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[2] == "s3" and "*" in parts[5].split("/", 1)[0]


def _broad_s3(label: str, st: Any) -> Iterator[Any]:
    if st is UNKNOWN:
        yield UNKNOWN
        return
    actions, resources = statement_list(st, "Action"), statement_list(st, "Resource")
    if UNKNOWN in (actions, resources):
        yield UNKNOWN
        return
    s3_actions = [a for a in actions if isinstance(a, str) and (a == "*" or a.startswith("s3:"))]
    broad = [r for r in resources if _any_bucket(r)]
    if s3_actions and (broad or "NotResource" in st):
        yield (
            f"{label} lets pods use {s3_actions} on {broad or 'NotResource'}: name the "
            "buckets (arn:aws:s3:::<bucket> and arn:aws:s3:::<bucket>/*)"
        )


@rule(
    "GF-IAM-005",
    "Ensure roles that pods assume reach S3 only in named buckets",
    severity="high",
    types=[ROLE],
    stack=True,
)
def pod_role_named_buckets(role: Resource, stack: Stack, ctx: RuleContext):
    trusted = _trusts_pods(role)
    if trusted is UNKNOWN:
        yield UNKNOWN
    if trusted is not True:
        return
    for label, st in _allow_statements(role):
        yield from _broad_s3(label, st)
    policies, ref_unknown = stack.children(role, ROLE_POLICY, "role", name_prop="name")
    for policy in policies:
        for label, st in _allow_statements(policy):
            yield from _broad_s3(f"RolePolicy {policy.name} {label}", st)
    attachments, attach_unknown = stack.children(role, ATTACHMENT, "role", name_prop="name")
    for attachment in attachments:
        arn = attachment.get("policyArn")
        if arn is UNKNOWN:
            yield UNKNOWN
        elif isinstance(arn, str) and arn.endswith(BROAD_S3_MANAGED):
            yield f"{arn} gives pods every bucket in the account: use a policy naming the buckets"
    if ref_unknown or attach_unknown:
        yield UNKNOWN


def _pod_role_statements(role: Resource, stack: Stack) -> Iterator[tuple[str, Any]]:
    """(label, Allow statement or UNKNOWN) of a role's inline policies and its RolePolicies."""
    yield from _allow_statements(role)
    policies, ref_unknown = stack.children(role, ROLE_POLICY, "role", name_prop="name")
    for policy in policies:
        for label, st in _allow_statements(policy):
            yield f"RolePolicy {policy.name} {label}", st
    if ref_unknown:
        yield "RolePolicy", UNKNOWN


# -- confused deputy ---------------------------------------------------------------------

# Services that set aws:SourceAccount / aws:SourceArn when they assume a role, for the roles
# gpuforge creates (EKS: "Cross-service confused deputy prevention in Amazon EKS" for cluster
# roles; Pod Identity's documented trust policy; VPC flow logs' IAM role page). EC2 instance
# roles are left out on purpose: EC2 sets neither key, so such a condition breaks the role.
SOURCE_KEY_SERVICES = ("eks.amazonaws.com", POD_SERVICE_PRINCIPAL, "vpc-flow-logs.amazonaws.com")
SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths")


def _condition_keys(st: dict) -> Any:
    condition = st.get("Condition", MISSING)
    if condition is MISSING:
        return set()
    if condition is UNKNOWN or not isinstance(condition, dict):
        return UNKNOWN
    keys: set[str] = set()
    for block in condition.values():
        if block is UNKNOWN or not isinstance(block, dict):
            return UNKNOWN
        keys |= {str(k).lower() for k in block}
    return keys


@rule(
    "GF-IAM-006",
    "Ensure roles trusted by AWS services name the source account or resource "
    "(aws:SourceAccount / aws:SourceArn) against the confused deputy",
    severity="medium",
    types=[ROLE],
)
def service_trust_names_source(role: Resource, ctx: RuleContext):
    doc = parse_policy(role.get("assumeRolePolicy"))
    if doc is MISSING:
        return
    if doc is UNKNOWN or doc is None:
        yield UNKNOWN
        return
    for st in statements(doc):
        if st is UNKNOWN or not isinstance(st, dict):
            yield UNKNOWN
            continue
        principal = st.get("Principal")
        if st.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        services = statement_list(principal, "Service")
        if services is UNKNOWN:
            yield UNKNOWN
            continue
        guarded = [s for s in services if s in SOURCE_KEY_SERVICES]
        if not guarded:
            continue
        keys = _condition_keys(st)
        if keys is UNKNOWN:
            yield UNKNOWN
        elif not keys & set(SOURCE_KEYS):
            yield (
                f"the trust policy lets {guarded} assume the role for any account's resources: "
                "add Condition StringEquals aws:SourceAccount=<account> (and ArnLike "
                "aws:SourceArn=<the cluster or flow-log ARN> where the service sets it)"
            )


# -- what pods may do ----------------------------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
_S3_WRITE_VERBS = ("put", "delete", "abort", "restore", "replicate", "create", "update")


def _bucket_of(resource: Any) -> Any:
    """The bucket name of an S3 ARN (`arn:aws:s3:::b` or `.../key`), else None."""
    if not isinstance(resource, str):
        return None
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[2] != "s3":
        return None
    return parts[5].split("/", 1)[0] or None


def _s3_writes(actions: list) -> list:
    out = []
    for a in actions:
        if not isinstance(a, str):
            continue
        service, _, verb = a.lower().partition(":")
        if a == "*" or (service == "s3" and ("*" in verb or verb.startswith(_S3_WRITE_VERBS))):
            out.append(a)
    return out


@rule(
    "GF-IAM-007",
    "Ensure roles that pods assume write only to buckets whose training access is read-write, "
    "and never to the datasets bucket",
    severity="high",
    types=[ROLE],
    stack=True,
)
def pod_role_follows_bucket_access(role: Resource, stack: Stack, ctx: RuleContext):
    trusted = _trusts_pods(role)
    if trusted is not True:
        if trusted is UNKNOWN:
            yield UNKNOWN
        return
    access: dict[str, Any] = {}
    datasets: set[str] = set()
    for bucket in stack.of_type(BUCKET):
        name, tags = bucket.get("bucket"), bucket.get("tags")
        if name is UNKNOWN or tags is UNKNOWN:
            yield UNKNOWN
        elif isinstance(name, str) and isinstance(tags, dict) and TRAINING_ACCESS_TAG in tags:
            access[name] = tags[TRAINING_ACCESS_TAG]
            if tags.get(BUCKET_TAG) == DATASETS_BUCKET:
                datasets.add(name)
    for label, st in _pod_role_statements(role, stack):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        actions, resources = statement_list(st, "Action"), statement_list(st, "Resource")
        if UNKNOWN in (actions, resources):
            yield UNKNOWN
            continue
        s3_any = [a for a in actions if isinstance(a, str) and (a == "*" or a.startswith("s3:"))]
        writes = _s3_writes(actions)
        for resource in resources:
            mode = access.get(_bucket_of(resource))
            if mode == NO_ACCESS and s3_any:
                yield (
                    f"{label} lets pods use {s3_any} on {resource}, a bucket tagged "
                    f"{TRAINING_ACCESS_TAG}=none: remove it from the pod role"
                )
            elif mode == READ_ONLY and writes:
                yield (
                    f"{label} lets pods {writes} on {resource}, a bucket tagged "
                    f"{TRAINING_ACCESS_TAG}=read-only: grant only Get/List there, or make the "
                    "bucket read-write in the spec (storage.buckets[].training_access)"
                )
            elif mode == READ_WRITE and writes and _bucket_of(resource) in datasets:
                yield (
                    f"{label} lets pods {writes} on {resource}, the {DATASETS_BUCKET} bucket: "
                    "every job reads it, so a job that can write it can poison the others' "
                    f"training data: make it read-only (storage.buckets[].training_access) and "
                    "write derived data to the artifacts bucket"
                )


_KMS_USE = ("kms:decrypt", "kms:generatedatakey", "kms:encrypt", "kms:reencrypt")


@rule(
    "GF-IAM-008",
    "Ensure roles that pods assume use KMS keys only through an AWS service (kms:ViaService)",
    severity="medium",
    types=[ROLE],
    stack=True,
)
def pod_role_kms_via_service(role: Resource, stack: Stack, ctx: RuleContext):
    trusted = _trusts_pods(role)
    if trusted is not True:
        if trusted is UNKNOWN:
            yield UNKNOWN
        return
    for label, st in _pod_role_statements(role, stack):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        actions = statement_list(st, "Action")
        if actions is UNKNOWN:
            yield UNKNOWN
            continue
        kms = [
            a
            for a in actions
            if isinstance(a, str)
            and (a == "*" or a.lower() == "kms:*" or a.lower().startswith(_KMS_USE))
        ]
        if not kms:
            continue
        keys = _condition_keys(st)
        if keys is UNKNOWN:
            yield UNKNOWN
        elif "kms:viaservice" not in keys:
            yield (
                f"{label} lets pods call {kms} directly: add Condition StringEquals "
                "kms:ViaService=s3.<region>.amazonaws.com so the key works only through S3"
            )


# -- the node role and resource-less actions -----------------------------------------------

EC2_SERVICE_PRINCIPAL = "ec2.amazonaws.com"
CNI_POLICY_SUFFIX = ":policy/AmazonEKS_CNI_Policy"


def _ec2_principal(principal: dict) -> Any:
    services = statement_list(principal, "Service", partial=True)
    return UNKNOWN if services is UNKNOWN else EC2_SERVICE_PRINCIPAL in services


def _trusts_ec2(role: Resource) -> Any:
    """Whether the role's trust policy lets EC2 instances assume it (a node role)."""
    return _trusts(role, _ec2_principal)


@rule(
    "GF-IAM-009",
    "Ensure the node role does not carry AmazonEKS_CNI_Policy (the VPC CNI gets it through "
    "its aws-node service account)",
    severity="medium",
    types=[ROLE],
    stack=True,
)
def cni_policy_not_on_node_role(role: Resource, stack: Stack, ctx: RuleContext):
    """On the node role the CNI's network-interface permissions are every node process's;
    the EKS guide recommends a separate role for aws-node (docs.aws.amazon.com/eks/latest/
    userguide/cni-iam-role.html), which the vpc-cni add-on binds through Pod Identity."""
    trusted = _trusts_ec2(role)
    if trusted is not True:
        if trusted is UNKNOWN:
            yield UNKNOWN
        return
    managed = as_list(role.get("managedPolicyArns"))
    attachments, ref_unknown = stack.children(role, ATTACHMENT, "role", name_prop="name")
    arns = [] if managed is UNKNOWN else list(managed)
    arns += [a.get("policyArn") for a in attachments]
    if any(isinstance(a, str) and a.endswith(CNI_POLICY_SUFFIX) for a in arns):
        yield (
            "AmazonEKS_CNI_Policy is attached to the node role: give it to a role for the "
            "aws-node service account (the vpc-cni add-on's podIdentityAssociations) instead"
        )
    elif managed is UNKNOWN or ref_unknown or UNKNOWN in arns:
        yield UNKNOWN


# Actions whose Service Authorization Reference entry has no resource type: a statement
# can grant them only on Resource "*", and naming an ARN grants nothing
# (docs.aws.amazon.com/service-authorization/latest/reference/: list_amazoncloudwatchlogs.html
# for DescribeLogGroups, list_amazonelasticcontainerregistry.html for GetAuthorizationToken,
# list_awssecuritytokenservice.html for GetCallerIdentity).
RESOURCELESS_ACTIONS = ("logs:describeloggroups", "ecr:getauthorizationtoken", "sts:getcallerid")


@rule(
    "GF-IAM-010",
    "Ensure actions that take no resource ARN (logs:DescribeLogGroups, ...) are granted on "
    "Resource '*'",
    severity="low",
    enforcement="advisory",
    types=POLICY_TYPES,
)
def resourceless_actions_on_star(res: Resource, ctx: RuleContext):
    for label, st in _allow_statements(res):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        actions = statement_list(st, "Action", partial=True)
        resources = statement_list(st, "Resource", partial=True)
        if actions is UNKNOWN:
            yield UNKNOWN
            continue
        named = [
            a for a in actions if isinstance(a, str) and a.lower().startswith(RESOURCELESS_ACTIONS)
        ]
        if not named:
            if UNKNOWN in actions:
                yield UNKNOWN
            continue
        if resources is UNKNOWN or UNKNOWN in resources:
            yield UNKNOWN
        elif "*" not in resources:
            yield (
                f"{label} grants {named} on {resources}, but they take no resource ARN, so "
                "that grants nothing: move them to a statement with Resource '*'"
            )
