"""Strategic merge patch, as kube-apiserver applies it to a built-in kind.

kubectl's `apply`, `edit`, `set image` and `patch` (its default `--type strategic`) send
`application/strategic-merge-patch+json`. kmock merges a patch body as JSON (dicts merge,
lists replace), which turns the second `kubectl apply` of a Deployment into a container
list holding only the changed fields, plus a literal `$setElementOrder/containers` key.
This applies the patch the way kubernetes/apimachinery's `pkg/util/strategicpatch`
(`patch.go`, `mergeMap` and `mergeSlice`) does, driven by the same schema extensions the
API server reads (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`, from
kubernetes-validate's definitions: `k8s_openapi.definitions`):

- a list whose strategy is `merge` merges by its merge key (a list of scalars: union);
  `{"$patch": "delete", <key>: v}` removes an element, `{"$patch": "replace"}` replaces
  the whole list; any other list or scalar is replaced;
- `$setElementOrder/<field>` orders the merged list (elements it does not name keep
  their order, after it); `$deleteFromPrimitiveList/<field>` removes scalars;
- `$retainKeys` (strategy `retainKeys`) drops the keys it does not list; a `null` value
  deletes a key; `$patch: replace` on a map replaces it, `$patch: delete` removes it.

`merge_patch(original, merged)` is the JSON merge patch that takes `original` to
`merged` (what kmock then applies). Kinds without a schema (custom resources) are not
strategic-patched: the API server answers 415 for them, as `_check_media_type` does.
"""

from __future__ import annotations

import copy
from typing import Any

from gpuforge.emulator import k8s_openapi

_REF = "#/$defs/"
_ORDER, _DELETE_PRIMITIVES = "$setElementOrder/", "$deleteFromPrimitiveList/"
_PATCH, _RETAIN = "$patch", "$retainKeys"


def apply(
    original: dict, patch: dict, kubernetes_version: str, group: str, version: str, kind: str
) -> dict:
    """`original` with the strategic merge `patch` applied (for a kind with a schema)."""
    defs = k8s_openapi.definitions(kubernetes_version)
    name = k8s_openapi.definition_name(kubernetes_version, group, version, kind)
    schema = defs.get(name, {}) if name else {}
    merged = _merge_map(copy.deepcopy(original), patch, schema, defs)
    return merged if merged is not None else {}


def supports(kubernetes_version: str, group: str, version: str, kind: str) -> bool:
    """Whether the kind is built in (has a schema), so a strategic merge patch applies."""
    return k8s_openapi.definition_name(kubernetes_version, group, version, kind) is not None


def merge_patch(original: Any, merged: Any) -> Any:
    """The JSON merge patch (RFC 7386) taking `original` to `merged`."""
    if not isinstance(original, dict) or not isinstance(merged, dict):
        return merged
    out: dict = {}
    for key in original:
        if key not in merged:
            out[key] = None
    for key, value in merged.items():
        if key not in original:
            out[key] = value
        elif isinstance(value, dict) and isinstance(original[key], dict):
            sub = merge_patch(original[key], value)
            if sub:
                out[key] = sub
        elif value != original[key]:
            out[key] = value
    return out


def _resolve(schema: dict, defs: dict) -> dict:
    ref = schema.get("$ref")
    while isinstance(ref, str) and ref.startswith(_REF):
        schema = defs.get(ref[len(_REF) :], {})
        ref = schema.get("$ref")
    return schema


def _field(schema: dict, key: str, defs: dict) -> dict:
    """The field's own schema (where the patch extensions are), unresolved."""
    resolved = _resolve(schema, defs)
    found = (resolved.get("properties") or {}).get(key)
    if found is None and isinstance(resolved.get("additionalProperties"), dict):
        found = resolved["additionalProperties"]
    return found or {}


def _strategies(field: dict) -> set[str]:
    return set(str(field.get("x-kubernetes-patch-strategy") or "").split(","))


def _strip(value: Any) -> Any:
    """`value` without patch directives (what a new element or a replaced map stores)."""
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        k: _strip(v)
        for k, v in value.items()
        if not (k in (_PATCH, _RETAIN) or k.startswith((_ORDER, _DELETE_PRIMITIVES)))
    }


def _merge_map(original: Any, patch: dict, schema: dict, defs: dict) -> Any:
    directive = patch.get(_PATCH)
    if directive == "replace":
        return _strip(patch)
    if directive == "delete":
        return None
    result = dict(original) if isinstance(original, dict) else {}
    retain = patch.get(_RETAIN)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for key, value in patch.items():
        if key.startswith(_DELETE_PRIMITIVES):
            target = key[len(_DELETE_PRIMITIVES) :]
            if isinstance(result.get(target), list) and isinstance(value, list):
                result[target] = [v for v in result[target] if v not in value]
    for key, value in patch.items():
        if key in (_PATCH, _RETAIN) or key.startswith((_ORDER, _DELETE_PRIMITIVES)):
            continue
        if value is None:
            result.pop(key, None)
            continue
        field = _field(schema, key, defs)
        if isinstance(value, dict):
            merged = _merge_map(result.get(key), value, field, defs)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and "merge" in _strategies(field):
            result[key] = _merge_list(
                result.get(key) or [],
                value,
                field.get("items") or {},
                field.get("x-kubernetes-patch-merge-key"),
                defs,
            )
        else:
            result[key] = _strip(value)
    for key, order in patch.items():
        if key.startswith(_ORDER) and isinstance(order, list):
            target = key[len(_ORDER) :]
            if isinstance(result.get(target), list):
                merge_key = _field(schema, target, defs).get("x-kubernetes-patch-merge-key")
                result[target] = _ordered(result[target], order, merge_key)
    return result


def _merge_list(original: list, patch: list, item: dict, merge_key: str | None, defs: dict) -> list:
    if any(isinstance(p, dict) and p.get(_PATCH) == "replace" for p in patch):
        return [_strip(p) for p in patch if not (isinstance(p, dict) and _PATCH in p)]
    if merge_key is None:  # scalars: union, in order
        return [*original, *(_strip(p) for p in patch if p not in original)]
    result = list(original)
    for element in patch:
        if not isinstance(element, dict):
            continue
        at = next(
            (
                i
                for i, o in enumerate(result)
                if isinstance(o, dict) and o.get(merge_key) == element.get(merge_key)
            ),
            None,
        )
        if element.get(_PATCH) == "delete":
            if at is not None:
                del result[at]
        elif at is None:
            result.append(_strip(element))
        else:
            merged = _merge_map(result[at], element, item, defs)
            if merged is None:
                del result[at]
            else:
                result[at] = merged
    return result


def _ordered(values: list, order: list, merge_key: str | None) -> list:
    def ident(value: Any) -> Any:
        return value.get(merge_key) if merge_key and isinstance(value, dict) else value

    wanted = [ident(o) for o in order]
    listed = sorted((v for v in values if ident(v) in wanted), key=lambda v: wanted.index(ident(v)))
    return [*listed, *(v for v in values if ident(v) not in wanted)]
