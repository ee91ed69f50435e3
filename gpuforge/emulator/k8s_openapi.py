"""The OpenAPI v3 documents the emulated Kubernetes API serves, and strict field checks.

kubectl reads OpenAPI v3 (JSON) for `explain`, for the strategic merge patch of
`apply`, and to learn whether the server checks fields itself: for each object it
looks up the PATCH operation of its kind and, when that operation takes the
`fieldValidation` query parameter, sends `fieldValidation=Strict` and leaves the
check to the server (kubernetes/cli-runtime@69e8693b2560484b0b950d56006157200ab67947:
pkg/resource/query_param_verifier_v3.go:70 `HasSupport`, :109 `supportsQueryParamV3`;
the patch: kubernetes/kubectl@dee3483a3d6a64c07fdf746caf80af446dee99ac:
pkg/cmd/apply/patcher.go:246 `gvkSupportsPatchOpenAPIV3`). Without it kubectl falls back
to OpenAPI v2 in protobuf (pkg/validation/validation.go `validateResource`), which
this emulator does not serve.

Schemas come from `kubernetes-validate`, which ships the API's definitions per
Kubernetes minor version as JSON Schema (`_definitions.json`); they are turned back
into OpenAPI 3.0 here (`$ref` under `allOf`, no `null` types), as the API server
publishes them. Custom resources (JobSet, TrainJob, Kueue) get an open object schema
with their group-version-kind: the CRDs' schemas are not vendored, so their unknown
fields are not refused (`unknown_fields` returns None for them).

`/openapi/v3` lists one document per served group-version; `/openapi/v3/<path>`
serves it. `/openapi/v2` (protobuf) is not served.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from gpuforge.emulator.k8s_discovery import ApiResource

_REF = "#/$defs/"
_COMPONENTS = "#/components/schemas/"


# -- the shipped definitions ----------------------------------------------------------


def _schema_root():
    import importlib.resources

    return importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"


@functools.cache
def schema_version(kubernetes_version: str) -> str:
    """The newest shipped schema minor not newer than `kubernetes_version` (`1.35`)."""
    wanted = _minor(kubernetes_version)
    shipped = sorted(
        (_minor(p.name[1:]), p.name[1:].split("-")[0])
        for p in _schema_root().iterdir()
        if re.match(r"^v\d+\.\d+\.\d+-local$", p.name)
    )
    older = [name for minor, name in shipped if minor <= wanted]
    return older[-1] if older else shipped[0][1]


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


@functools.cache
def definitions(kubernetes_version: str, strict: bool = False) -> dict[str, dict]:
    """`$defs` of kubernetes-validate's `_definitions.json` for that version."""
    folder = f"v{schema_version(kubernetes_version)}-local" + ("-strict" if strict else "")
    text = (_schema_root() / folder / "_definitions.json").read_text()
    return json.loads(text)["$defs"]


@functools.cache
def _by_gvk(kubernetes_version: str) -> dict[tuple[str, str, str], str]:
    index = {}
    for name, schema in definitions(kubernetes_version).items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            index[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return index


def definition_name(kubernetes_version: str, group: str, version: str, kind: str) -> str | None:
    """`io.k8s.api.batch.v1.Job` for ("batch", "v1", "Job"), or None (custom resources)."""
    return _by_gvk(kubernetes_version).get((group, version, kind))


# -- JSON Schema -> OpenAPI 3.0 ---------------------------------------------------------


def _openapi(node: Any) -> Any:
    if isinstance(node, list):
        return [_openapi(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict = {}
    for key, value in node.items():
        if key == "$ref":
            continue
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            value = types[0] if len(types) == 1 else types
        elif key in ("properties", "patternProperties"):
            value = {k: _openapi(v) for k, v in value.items()}
        else:
            value = _openapi(value)
        out[key] = value
    if "$ref" in node:
        ref = {"$ref": node["$ref"].replace(_REF, _COMPONENTS)}
        if len(out) == 0:
            return ref
        out["allOf"] = [ref]
    return out


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            found.add(ref[len(_REF) :])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(defs: dict[str, dict], roots: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r in defs]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(defs[name], found)
        todo.extend(n for n in found if n in defs and n not in seen)
    return sorted(seen)


_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _custom_schema(r: ApiResource) -> dict:
    """An open object schema for a custom resource whose CRD schema is not vendored."""
    return {
        "description": f"{r.kind} ({r.group_version}): a custom resource; its schema is "
        "not published by this emulated API.",
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": _COMPONENTS + _OBJECT_META}], "default": {}},
        },
        "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-group-version-kind": [
            {"group": r.group, "version": r.version, "kind": r.kind}
        ],
    }


def _custom_name(r: ApiResource) -> str:
    return ".".join(reversed(r.group.split("."))) + f".{r.version}.{r.kind}"


# -- the documents --------------------------------------------------------------------


def gv_path(group: str, version: str) -> str:
    """`api/v1`, `apis/batch/v1`: a group-version's key in `/openapi/v3`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _param(name: str, where: str = "query") -> dict:
    param: dict = {"name": name, "in": where, "schema": {"type": "string", "uniqueItems": True}}
    if where == "path":
        param["required"] = True
    return param


_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)


def _paths(r: ApiResource, schema_name: str, builtin: bool) -> dict:
    prefix = f"/{gv_path(r.group, r.version)}"
    scope = "/namespaces/{namespace}" if r.namespaced else ""
    collection = f"{prefix}{scope}/{r.plural}"
    gvk = {"group": r.group, "version": r.version, "kind": r.kind}
    body_ref = {"schema": {"$ref": _COMPONENTS + schema_name}}
    ok = {"200": {"description": "OK", "content": {"application/json": body_ref}}}
    path_params = [_param("namespace", "path")] if r.namespaced else []

    def op(action: str, verb: str, params: tuple[str, ...] = (), body: dict | None = None):
        doc: dict = {
            "operationId": f"{action}{r.kind}",
            "parameters": [_param(p) for p in params],
            "responses": ok,
            "x-kubernetes-action": verb,
            "x-kubernetes-group-version-kind": gvk,
        }
        if body is not None:
            doc["requestBody"] = {"content": body, "required": True}
        return doc

    types = _PATCH_TYPES if builtin else tuple(t for t in _PATCH_TYPES if "strategic" not in t)
    patch_body = {t: {"schema": {"type": "object"}} for t in types}
    verbs = set(r.verbs)
    on_collection: dict = {"parameters": path_params}
    on_object: dict = {"parameters": [_param("name", "path"), *path_params]}
    if "list" in verbs:
        on_collection["get"] = op("list", "list")
    if "create" in verbs:
        on_collection["post"] = op("create", "post", _WRITE_PARAMS, {"application/json": body_ref})
    if "get" in verbs:
        on_object["get"] = op("read", "get")
    if "patch" in verbs:
        on_object["patch"] = op("patch", "patch", _WRITE_PARAMS, patch_body)
    if "update" in verbs:
        on_object["put"] = op("replace", "put", _WRITE_PARAMS, {"application/json": body_ref})
    if "delete" in verbs:
        on_object["delete"] = op("delete", "delete", ("dryRun", "propagationPolicy"))
    return {collection: on_collection, f"{collection}/{{name}}": on_object}


def group_version_document(
    resources: Iterable[ApiResource], group: str, version: str, kubernetes_version: str
) -> dict | None:
    """The OpenAPI v3 document of one served group-version, or None."""
    served = [r for r in resources if (r.group, r.version) == (group, version)]
    if not served:
        return None
    defs = definitions(kubernetes_version)
    paths: dict = {}
    custom: dict[str, dict] = {}
    roots = []
    for r in sorted(served, key=lambda r: r.plural):
        name = definition_name(kubernetes_version, r.group, r.version, r.kind)
        if name is None:
            name = _custom_name(r)
            custom[name] = _custom_schema(r)
            roots.append(_OBJECT_META)
        roots.append(name)
        paths.update(_paths(r, name, builtin=name not in custom))
    schemas = {n: _openapi(defs[n]) for n in _closure(defs, roots)}
    schemas.update(custom)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": f"v{kubernetes_version}"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def document_hash(document: dict) -> str:
    """The `hash` query kubectl caches a document by (upper-case hex, as the server's)."""
    text = json.dumps(document, sort_keys=True).encode()
    return hashlib.sha512(text).hexdigest()[:128].upper()


def index(paths: dict[str, str]) -> dict:
    """`/openapi/v3`: each group-version's document URL, given their hashes."""
    return {
        "paths": {
            gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
            for gv, digest in sorted(paths.items())
        }
    }


# -- strict field validation -----------------------------------------------------------


@functools.cache
def _validator(kubernetes_version: str, name: str):
    import jsonschema

    root = {"$defs": definitions(kubernetes_version, strict=True), "$ref": _REF + name}
    return jsonschema.Draft202012Validator(root)


def unknown_fields(obj: dict, kubernetes_version: str, group: str, version: str) -> list[str]:
    """Paths of the fields of `obj` that its kind does not have (`spec.template.foo`),
    as the API server's strict decoding names them; empty for a custom resource."""
    name = definition_name(kubernetes_version, group, version, str(obj.get("kind")))
    if name is None:
        return []
    found = []
    for error in _validator(kubernetes_version, name).iter_errors(obj):
        found.extend(_unknown(error))
    return sorted(set(found))


def _unknown(error: Any) -> list[str]:
    if error.validator != "additionalProperties":
        return [p for sub in error.context or () for p in _unknown(sub)]
    allowed = set(error.schema.get("properties") or {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    extra = [k for k in instance if k not in allowed]
    return [_field_path([*error.absolute_path, k]) for k in extra]


def _field_path(parts: list) -> str:
    """`spec.template.spec.containers[0].foo`, as the API server writes a field path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
