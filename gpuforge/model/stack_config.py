"""The spec <-> Pulumi stack config mapping, in one place.

`gpuforge render` writes `config_from_spec(spec)` into `Pulumi.<env>.yaml`;
the Pulumi program reads it back with `spec_from_config`, which validates
through the same `EnvironmentSpec` model. Each top-level spec section becomes
one namespaced key (`gpuforge:network`, `gpuforge:gpuPools`, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gpuforge.model.resource_tags import default_tags
from gpuforge.model.spec import EnvironmentSpec

NAMESPACE = "gpuforge"

# spec section -> config key (Pulumi config keys are camelCase by convention)
SECTIONS = {
    "environment": "environment",
    "account_id": "accountId",
    "protected": "protected",
    "tags": "tags",
    "network": "network",
    "cluster": "cluster",
    "gpu_pools": "gpuPools",
    "storage": "storage",
    "encryption": "encryption",
    "training": "training",
    "autoscaling": "autoscaling",
    "cost": "cost",
    "teams": "teams",
}
OMITTED_WHEN_EMPTY = frozenset({"teams"})
"""Sections left out of the stack file when empty, so an environment without them renders
as it did before they existed."""

BOOLEAN_SECTIONS = frozenset({"protected"})
"""Top-level sections whose config value is a boolean (the engine passes "true"/"false")."""


def config_from_spec(spec: EnvironmentSpec) -> dict[str, Any]:
    """Fully-qualified config keys and their values for the environment's stack."""
    data = spec.model_dump(mode="json")
    if not data["storage"]["filesystems"]:  # none: the stack files of such envs stay as they were
        del data["storage"]["filesystems"]
    config: dict[str, Any] = {
        "aws:region": spec.region,
        "aws:defaultTags": {"tags": default_tags(spec)},
    }
    for section, key in SECTIONS.items():
        if data[section] is None:  # an unset optional field (account_id) is left out
            continue
        if section not in OMITTED_WHEN_EMPTY or data[section]:
            config[f"{NAMESPACE}:{key}"] = data[section]
    return config


def spec_from_config(get: Callable[[str], str | None]) -> EnvironmentSpec:
    """Rebuild the spec from stack config; `get(key)` returns a config value or None.

    Values may arrive as JSON strings (how the Pulumi engine passes objects) or
    as plain strings for scalar keys.
    """
    from gpuforge.model.loader import spec_from_data

    data: dict[str, Any] = {}
    for section, key in SECTIONS.items():
        raw = get(f"{NAMESPACE}:{key}")
        if raw is None:
            continue
        data[section] = _decode(raw, boolean=section in BOOLEAN_SECTIONS)
    region = get("aws:region")
    if region is not None:
        data["region"] = region
    return spec_from_data(data, file="Pulumi stack config")


def _decode(raw: Any, *, boolean: bool = False) -> Any:
    # Only objects, lists and boolean sections arrive as JSON: a scalar such as account_id
    # "012345678901" (or an environment named "true") stays the string it is.
    if boolean and raw in ("true", "false"):
        return raw == "true"
    if not isinstance(raw, str) or not raw.lstrip().startswith(("{", "[")):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
