"""What every handler gets: the account, the extra state, and input conversions.

A handler is ``handler(ctx, name, inputs) -> (id, outputs)``: ``inputs`` are the
camelCase Pulumi inputs, ``outputs`` only what the cloud computes (the mocks merge
inputs under them). Handlers raise :class:`~emulator.errors.AwsError` or let botocore's
``ClientError`` through; the mocks name the resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import AwsError


class Emulation:
    """Shared by all calls of one run: the account, its extra state, the stack."""

    def __init__(self, account: Any, state: Any, project: str, stack: str) -> None:
        self.account = account
        self.state = state
        self.project = project
        self.stack = stack
        # Lookups of things that exist. Nothing is deleted during a run, so a reference
        # checked once stays valid; this saves a describe call per repeated reference.
        self.seen: dict[tuple[str, str], Any] = {}


class Context:
    """One handler call: the shared emulation plus this resource's provider default tags."""

    __slots__ = ("emulation", "default_tags")

    def __init__(self, emulation: Emulation, default_tags: Mapping[str, str] | None = None):
        self.emulation = emulation
        self.default_tags = dict(default_tags or {})

    @property
    def state(self) -> Any:
        return self.emulation.state

    @property
    def region(self) -> str:
        return self.emulation.account.region

    @property
    def account_id(self) -> str:
        return self.emulation.account.account_id

    @property
    def partition(self) -> str:
        return self.emulation.account.partition

    def client(self, service: str) -> Any:
        return self.emulation.account.client(service)

    def lookup(self, kind: str, key: str, fetch: Callable[[], Any]) -> Any:
        """``fetch()`` once per run for (kind, key); errors are not remembered."""
        seen = self.emulation.seen
        found = seen.get((kind, key))
        if found is None:
            found = seen[(kind, key)] = fetch()
        return found

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"

    def tags(self, inputs: Mapping[str, Any]) -> dict[str, str]:
        """The tags AWS stores: the provider's default tags under the resource's own."""
        return {**self.default_tags, **(inputs.get("tags") or {})}

    def physical_name(
        self,
        name: str,
        inputs: Mapping[str, Any],
        key: str = "name",
        prefix_key: str | None = "namePrefix",
        *,
        kind: str = "",
    ) -> str:
        """The name Pulumi would give: explicit, prefix + suffix, or ``<name>-<7 hex>``.

        The suffix is a hash of project, stack, kind and logical name, so one stack
        plans the same names every time and two stacks never collide.
        """
        if inputs.get(key):
            return str(inputs[key])
        seed = f"{self.emulation.project}/{self.emulation.stack}/{kind}/{name}"
        suffix = hashlib.sha1(seed.encode()).hexdigest()
        if prefix_key and inputs.get(prefix_key):
            return f"{inputs[prefix_key]}{suffix[:26]}"
        return f"{name}-{suffix[:7]}"


Handler = Callable[[Context, str, dict], tuple[str, dict]]
Invoke = Callable[[Context, dict], dict]
Batch = Callable[[Context, list[dict]], None]
AnswerAhead = Callable[[str, dict], "tuple[str, dict] | None"]


def require(inputs: Mapping[str, Any], key: str) -> Any:
    value = inputs.get(key)
    if value is None or value == "":
        raise AwsError("MissingParameter", f"The request must contain the parameter {key}")
    return value


def num(value: Any) -> Any:
    """Pulumi sends numbers as floats; AWS wants integers where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def boolish(value: Any) -> Any:
    """pulumi-aws models some booleans as strings ("true")."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def tag_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict]:
    return [{key: k, value: v} for k, v in tags.items()]


def tag_specs(resource_type: str, tags: Mapping[str, str]) -> dict:
    if not tags:
        return {}
    return {"TagSpecifications": [{"ResourceType": resource_type, "Tags": tag_list(tags)}]}


def policy_text(value: Any) -> str:
    """A policy document as AWS takes it: JSON text (Pulumi allows a dict too)."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as exc:
            raise AwsError("MalformedPolicyDocument", f"Policy is not valid JSON: {exc}") from None
        return value
    return json.dumps(value)


def pascal(
    value: Any,
    renames: Mapping[str, str] | None = None,
    bools: Iterable[str] = (),
    drop: Iterable[str] = (),
) -> Any:
    """camelCase Pulumi shapes to PascalCase AWS shapes, recursively.

    ``renames`` maps camelCase keys to AWS names where capitalising is not enough
    (``id`` -> ``ID``); keys in ``bools`` (AWS names) take "true"/"false" strings to
    booleans; keys in ``drop`` (camelCase) are left out.
    """
    renames = renames or {}
    bools = frozenset(bools)
    drop = frozenset(drop)

    def convert(v: Any) -> Any:
        if isinstance(v, dict):
            out = {}
            for k, item in v.items():
                if k in drop or item is None:
                    continue
                aws_key = renames.get(k) or (k[:1].upper() + k[1:])
                item = convert(item)
                if aws_key in bools:
                    item = boolish(item)
                out[aws_key] = item
            return out
        if isinstance(v, list):
            return [convert(item) for item in v]
        return num(v)

    return convert(value)


def camel(value: Any) -> Any:
    """PascalCase AWS shapes to camelCase Pulumi shapes, recursively (datetimes to str)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def check_role(ctx: Context, role_arn: str, what: str = "roleArn") -> dict:
    """The IAM role behind ``role_arn``; NoSuchEntity when it does not exist."""
    if not isinstance(role_arn, str) or ":role/" not in role_arn:
        raise AwsError("InvalidParameterException", f"{what} {role_arn!r} is not a role ARN")
    name = name_from_arn(role_arn)
    return ctx.lookup("role", name, lambda: ctx.client("iam").get_role(RoleName=name)["Role"])


def check_kms_key(ctx: Context, key: str) -> dict:
    """The KMS key behind an id, ARN or alias; NotFoundException when it does not exist."""
    return ctx.lookup("kms", key, lambda: ctx.client("kms").describe_key(KeyId=key)["KeyMetadata"])
