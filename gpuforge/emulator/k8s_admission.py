"""Admission as the EKS API server runs it, for pods: LimitRanger, PodSecurity, ResourceQuota.

Pure functions on plain dicts (no kmock): the emulated API calls `admit_pod` on a
direct pod create, and the emulated controllers call it when they make a Job's pods,
as the real API server admits the pods a controller creates. `warn_pod_template`
gives the warnings PodSecurity attaches to a Job create (it never refuses one:
LimitRange and ResourceQuota apply to Pods, not to Jobs).

Upstream, read at the version EKS 1.35 runs (cited `repo@commit:path:line`):

- LimitRanger: kubernetes/kubernetes plugin/pkg/admission/limitranger/admission.go
  (stored version 8f672ecf2088fe8504495748577c0ab537999ab7): `defaultContainerResourceRequirements`,
  `mergePodResourceRequirements` (containers and init containers), `minConstraint`,
  `maxConstraint` ("maximum %s usage per %s is %s.  No limit is specified."),
  `limitRequestRatioConstraint`, errors joined by `utilerrors.NewAggregate`
  (kubernetes/apimachinery@72d71eac265e06713c6d83d7034aac609450243f:pkg/util/errors/errors.go:70-96:
  one error as is, several as "[a, b]").
- ResourceQuota: kubernetes/apiserver@5c93bee068027068364c6b373496ac7d83508c7c (v0.35.0)
  :pkg/admission/plugin/resourcequota/controller.go:598-628 ("exceeded quota: %s,
  requested: %s, used: %s, limited: %s", `prettyPrint` at 741: sorted `k=v` joined by ",").
- PodSecurity: kubernetes/pod-security-admission@10e6c1c6e18a2981bab6b401583650caf6b10164
  (v0.35.0): admission/admission.go:329-395 (pods: enforce), 390-450 (pod controllers:
  warn and audit only), 455-528 (`violates PodSecurity %q: %s` / `would violate
  PodSecurity %q: %s`); policy/check_*.go for each check's reason and detail;
  policy/registry.go:166-168 (baseline checks first, then restricted, each sorted by ID);
  policy/checks.go:106-121 (`ForbiddenDetail`: "reason (detail), ...");
  api/helpers.go:181-236 (namespace labels to a policy; warn defaults to a stricter enforce).
- Status shapes: kubernetes/apimachinery@72d71eac:pkg/api/errors/errors.go:209-229
  (`NewForbidden`: `pods "NAME" is forbidden: ...`, 403, reason Forbidden) and
  kubernetes/apiserver@5c93bee0:pkg/admission/errors.go (`NewForbidden` names the object).

PodSecurity runs every check of the 1.35 policy, baseline and restricted (policy/check_*.go,
each at its newest `VersionedCheck`); the `*-version` labels name the policy in the
messages (`"restricted:v1.35"`), and any version is judged by the 1.35 checks.

Not emulated: LimitRange `Pod` and `PersistentVolumeClaim` types, quota scopes and
`Constraints` (requests.cpu/memory quotas requiring every container to set them),
PodSecurity's exemptions and the older checks of versions before 1.35.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from gpuforge.emulator.k8s_quantity import Quantity

PSA_PREFIX = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"


@dataclass
class NamespaceObjects:
    """What admission reads in one namespace: its labels, LimitRanges, ResourceQuotas
    (each `{"metadata": {"name"}, "spec": {...}}`) and its live pods (quota usage)."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    limit_ranges: list[dict[str, Any]] = field(default_factory=list)
    resource_quotas: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Refusal:
    """A refused request: the API server's Status object."""

    status: dict[str, Any]

    @property
    def code(self) -> int:
        return self.status["code"]

    @property
    def message(self) -> str:
        return self.status["message"]


@dataclass
class Admitted:
    """An admitted pod, with the defaults admission set, and the warnings to send back."""

    pod: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def forbidden(resource: str, name: str, message: str, group: str = "") -> Refusal:
    """`apierrors.NewForbidden` as a Status object."""
    qualified = f"{resource}.{group}" if group else resource
    return Refusal(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f'{qualified} "{name}" is forbidden: {message}',
            "reason": "Forbidden",
            "details": {"name": name, "group": group, "kind": resource} if group else
            {"name": name, "kind": resource},
            "code": 403,
        }
    )  # fmt: skip


def training_namespace_objects(
    spec: Any, pods: list[dict[str, Any]] | None = None
) -> NamespaceObjects:
    """The training namespace as the runtime declares it (`gpuforge.model.training_namespace`,
    the same functions `components/runtime.py` gives the cluster), with its live `pods`."""
    from gpuforge.model import training_namespace as tn

    return NamespaceObjects(
        name=spec.training.namespace,
        labels=tn.namespace_labels(),
        limit_ranges=[
            {"metadata": {"name": tn.LIMIT_RANGE_NAME}, "spec": {"limits": tn.limit_range(spec)}}
        ],
        resource_quotas=[
            {"metadata": {"name": tn.GPU_QUOTA_NAME}, "spec": {"hard": tn.resource_quota(spec)}}
        ],
        pods=list(pods or []),
    )


def team_namespace_objects(spec: Any) -> list[NamespaceObjects]:
    """Every team's namespace as the runtime declares it (`components/runtime.py`
    `_namespace`): the default team's is `training_namespace_objects`; a team's has the
    team label and its own ResourceQuota (`gpuforge.model.teams.resource_quota`)."""
    from gpuforge.model import teams

    if not spec.teams:
        return [training_namespace_objects(spec)]
    found = []
    for team in teams.teams(spec):
        base = training_namespace_objects(spec)
        base.name = team.namespace
        base.labels = teams.namespace_labels(team, base.labels)
        base.resource_quotas[0]["spec"]["hard"] = teams.resource_quota(spec, team.spec)
        found.append(base)
    return found


# -- admission of a pod ------------------------------------------------------------


def admit_pod(namespace: NamespaceObjects, pod: dict[str, Any]) -> Admitted | Refusal:
    """Admit `pod` into `namespace` as kube-apiserver does, in its plugin order:
    API defaulting, LimitRanger (defaults, then min/max/ratio), PodSecurity (enforce;
    warn as warnings), ResourceQuota (last, against the usage of the live pods)."""
    pod = copy.deepcopy(pod)
    name = (pod.get("metadata") or {}).get("name") or (pod.get("metadata") or {}).get(
        "generateName", "Unknown"
    )
    spec = pod.setdefault("spec", {})
    _default_requests_from_limits(spec)
    for limit_range in namespace.limit_ranges:
        errors = _limit_range(limit_range, pod)
        if errors:
            return forbidden("pods", name, _aggregate(errors))
    policy = pod_security_policy(namespace.labels)
    enforce = evaluate(policy["enforce"], pod)
    if enforce:
        return forbidden(
            "pods", name, f'violates PodSecurity "{_level_version(policy, "enforce")}": {enforce}'
        )
    warnings = []
    warn = evaluate(policy["warn"], pod)
    if warn:
        warnings.append(f'would violate PodSecurity "{_level_version(policy, "warn")}": {warn}')
    refusal = _quota(namespace, pod, name)
    if refusal is not None:
        return refusal
    return Admitted(pod, warnings)


def warn_pod_template(labels: dict[str, str], template: dict[str, Any]) -> list[str]:
    """PodSecurity's warnings for a pod controller (a Job) whose pod template is
    `template`: warn level only, never a refusal (admission.go `ValidatePodController`)."""
    policy = pod_security_policy(labels)
    warn = evaluate(policy["warn"], template or {})
    return [f'would violate PodSecurity "{_level_version(policy, "warn")}": {warn}'] if warn else []


# -- API defaulting ------------------------------------------------------------------


def _containers(spec: dict[str, Any], init: bool = True) -> list[dict[str, Any]]:
    """Init containers then containers then ephemeral containers (policy/visitor.go)."""
    out = list(spec.get("initContainers") or []) if init else []
    out += list(spec.get("containers") or [])
    if init:
        out += list(spec.get("ephemeralContainers") or [])
    return out


def _default_requests_from_limits(spec: dict[str, Any]) -> None:
    """A limit without a request sets the request (kubernetes pkg/apis/core/v1/defaults.go
    `SetDefaults_Pod`), before any admission plugin runs."""
    for container in _containers(spec):
        resources = container.setdefault("resources", {})
        limits = resources.get("limits") or {}
        if limits:
            requests = resources.setdefault("requests", {})
            for key, value in limits.items():
                requests.setdefault(key, value)


# -- LimitRanger -------------------------------------------------------------------------


def _limit_range(limit_range: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    spec = pod["spec"]
    limits = [
        lim for lim in (limit_range.get("spec") or {}).get("limits") or []
        if lim.get("type") == "Container"
    ]  # fmt: skip
    default_requests: dict[str, Any] = {}
    default_limits: dict[str, Any] = {}
    for lim in limits:
        default_requests.update(lim.get("defaultRequest") or {})
        default_limits.update(lim.get("default") or {})
    notes = []
    for kind, containers in (
        ("container", spec.get("containers") or []),
        ("init container", spec.get("initContainers") or []),
    ):
        for container in containers:
            notes += _merge_defaults(container, default_requests, default_limits, kind)
    if notes:
        meta = pod.setdefault("metadata", {})
        meta.setdefault("annotations", {})[LIMIT_RANGER_ANNOTATION] = (
            "LimitRanger plugin set: " + "; ".join(notes)
        )
    errors: list[str] = []
    for lim in limits:
        for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            res = container.get("resources") or {}
            requests, lims = res.get("requests") or {}, res.get("limits") or {}
            for key, value in (lim.get("min") or {}).items():
                errors += _min(key, Quantity.parse(value), requests, lims)
            for key, value in (lim.get("max") or {}).items():
                errors += _max(key, Quantity.parse(value), requests, lims)
            for key, value in (lim.get("maxLimitRequestRatio") or {}).items():
                errors += _ratio(key, Quantity.parse(value), requests, lims)
    return errors


def _merge_defaults(container: dict, requests: dict, limits: dict, kind: str) -> list[str]:
    resources = container.setdefault("resources", {})
    have_limits = resources.setdefault("limits", {})
    have_requests = resources.setdefault("requests", {})
    set_limits = sorted(k for k in limits if k not in have_limits)
    set_requests = sorted(k for k in requests if k not in have_requests)
    for key in set_limits:
        have_limits[key] = limits[key]
    for key in set_requests:
        have_requests[key] = requests[key]
    for part in ("limits", "requests"):  # empty maps are left out, as the API serializes them
        if not resources[part]:
            del resources[part]
    notes = []
    if set_requests:
        notes.append(f"{', '.join(set_requests)} request for {kind} {container.get('name')}")
    if set_limits:
        notes.append(f"{', '.join(set_limits)} limit for {kind} {container.get('name')}")
    return notes


def _min(key: str, enforced: Quantity, requests: dict, limits: dict) -> list[str]:
    if key not in requests:
        return [f"minimum {key} usage per Container is {enforced}.  No request is specified."]
    req = Quantity.parse(requests[key])
    if req < enforced:
        return [f"minimum {key} usage per Container is {enforced}, but request is {req}."]
    if key in limits and Quantity.parse(limits[key]) < enforced:
        lim = Quantity.parse(limits[key])
        return [f"minimum {key} usage per Container is {enforced}, but limit is {lim}."]
    return []


def _max(key: str, enforced: Quantity, requests: dict, limits: dict) -> list[str]:
    if key not in limits:
        return [f"maximum {key} usage per Container is {enforced}.  No limit is specified."]
    lim = Quantity.parse(limits[key])
    if lim > enforced:
        return [f"maximum {key} usage per Container is {enforced}, but limit is {lim}."]
    if key in requests and Quantity.parse(requests[key]) > enforced:
        req = Quantity.parse(requests[key])
        return [f"maximum {key} usage per Container is {enforced}, but request is {req}."]
    return []


def _ratio(key: str, enforced: Quantity, requests: dict, limits: dict) -> list[str]:
    head = f"{key} max limit to request ratio per Container is {enforced}"
    req = Quantity.parse(requests[key]) if key in requests else None
    lim = Quantity.parse(limits[key]) if key in limits else None
    if req is None or req.value == 0:
        return [f"{head}, but no request is specified or request is 0."]
    if lim is None or lim.value == 0:
        return [f"{head}, but no limit is specified or limit is 0."]
    ratio = lim.value / req.value
    if ratio > enforced.value:
        return [f"{head}, but provided ratio is {float(ratio):f}."]
    return []


def _aggregate(errors: list[str]) -> str:
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# -- ResourceQuota -------------------------------------------------------------------------


def pod_usage(pod: dict[str, Any]) -> dict[str, Quantity]:
    """What a pod charges to a quota: `pods`, `requests.*` / bare `cpu`/`memory`, `limits.*`;
    per resource the larger of the containers' sum and any one init container."""
    spec = copy.deepcopy(pod.get("spec") or {})
    _default_requests_from_limits(spec)  # as stored: the API defaulted them on create
    usage: dict[str, Quantity] = {"pods": Quantity(1), "count/pods": Quantity(1)}
    for part in ("requests", "limits"):
        total: dict[str, Quantity] = {}
        for container in spec.get("containers") or []:
            for key, value in ((container.get("resources") or {}).get(part) or {}).items():
                total[key] = total.get(key, Quantity(0)) + Quantity.parse(value)
        for container in spec.get("initContainers") or []:
            for key, value in ((container.get("resources") or {}).get(part) or {}).items():
                q = Quantity.parse(value)
                if key not in total or q > total[key]:
                    total[key] = q
        for key, value in total.items():
            usage[f"{part}.{key}"] = value
            if part == "requests" and key in ("cpu", "memory"):
                usage[key] = value
    return usage


def _terminal(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def quota_used(namespace: NamespaceObjects, hard: dict[str, Any]) -> dict[str, Quantity]:
    """A quota's `status.used`, as the quota controller computes it from the live pods."""
    used = {key: Quantity(0, Quantity.parse(v).binary) for key, v in hard.items()}
    for pod in namespace.pods:
        if _terminal(pod) or (pod.get("metadata") or {}).get("deletionTimestamp"):
            continue
        for key, value in pod_usage(pod).items():
            if key in used:
                used[key] = used[key] + value
    return used


def _pretty(values: dict[str, Quantity], keys: list[str]) -> str:
    """`prettyPrint` of the exceeded resources: sorted `k=v` joined by ","."""
    return ",".join(f"{k}={values[k]}" for k in keys)


def _quota(namespace: NamespaceObjects, pod: dict[str, Any], name: str) -> Refusal | None:
    usage = pod_usage(pod)
    for quota in namespace.resource_quotas:
        qname = (quota.get("metadata") or {}).get("name", "")
        hard = {
            k: Quantity.parse(v) for k, v in ((quota.get("spec") or {}).get("hard") or {}).items()
        }
        requested = {k: v for k, v in usage.items() if k in hard and v.value != 0}
        if not requested:
            continue
        used = quota_used(namespace, {k: str(v) for k, v in hard.items()})
        exceeded = sorted(k for k, v in requested.items() if (used[k] + v).value > hard[k].value)
        if exceeded:
            return forbidden(
                "pods",
                name,
                f"exceeded quota: {qname}, requested: {_pretty(requested, exceeded)}, "
                f"used: {_pretty(used, exceeded)}, limited: {_pretty(hard, exceeded)}",
            )
    return None


# -- Pod Security Admission --------------------------------------------------------------


def pod_security_policy(labels: dict[str, str]) -> dict[str, str]:
    """enforce/audit/warn levels (and `<mode>-version`s) from the namespace labels, as
    api/helpers.go:181-236 `PolicyToEvaluate` reads them: unlabelled is `privileged`
    (EKS runs PodSecurity with the upstream defaults), versions default to `latest`, and
    an unset warn follows a stricter enforce, with its version."""
    labels = labels or {}
    policy = {mode: "privileged" for mode in ("enforce", "audit", "warn")}
    policy |= {f"{mode}-version": "latest" for mode in ("enforce", "audit", "warn")}
    for key in list(policy):
        value = labels.get(PSA_PREFIX + key)
        if value is not None and (value in LEVELS if "-" not in key else _version_ok(value)):
            policy[key] = value
    if PSA_PREFIX + "warn" not in labels and LEVELS.index(policy["enforce"]) > LEVELS.index(
        policy["warn"]
    ):
        policy["warn"] = policy["enforce"]
        if PSA_PREFIX + "warn-version" not in labels:
            policy["warn-version"] = policy["enforce-version"]
    return policy


def _version_ok(version: str) -> bool:
    """`latest` or `v1.<minor>` (api/helpers.go:123-136 `ParseVersion`)."""
    return version == "latest" or (version.startswith("v1.") and version[3:].isdigit())


def _level_version(policy: dict[str, str], mode: str) -> str:
    """`LevelVersion.String()`: `level:version` (api/helpers.go:143-145)."""
    return f"{policy[mode]}:{policy[mode + '-version']}"


def evaluate(level: str, pod: dict[str, Any]) -> str:
    """`ForbiddenDetail()` of every check of `level` that `pod` (or a pod template) fails;
    "" when it passes."""
    if level == "privileged":
        return ""
    checks = list(_BASELINE)
    if level == "restricted":
        overridden = {
            "capabilities_baseline",
            "seccompProfile_baseline",
            "hostPathVolumes",
            "procMount",
        }
        checks = [c for c in checks if c[0] not in overridden] + list(_RESTRICTED)
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    failed = [result for _, check in checks if (result := check(meta, spec)) is not None]
    return ", ".join(f"{reason} ({detail})" if detail else reason for reason, detail in failed)


def _plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _quote(items: list[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def _sc(container: dict) -> dict:
    return container.get("securityContext") or {}


def _bad(spec: dict, test) -> list[str]:
    return [c.get("name", "") for c in _containers(spec) if test(_sc(c))]


def _capabilities_baseline(meta: dict, spec: dict):
    allowed = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
               "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
               "SYS_CHROOT"}  # fmt: skip
    bad, caps = [], set()
    for c in _containers(spec):
        added = [
            x for x in ((_sc(c).get("capabilities") or {}).get("add") or []) if x not in allowed
        ]
        if added:
            bad.append(c.get("name", ""))
            caps.update(added)
    if not bad:
        return None
    return "non-default capabilities", (
        f"{_plural('container', 'containers', len(bad))} {_quote(bad)} must not include "
        f"{_quote(sorted(caps))} in securityContext.capabilities.add"
    )


def _host_namespaces(meta: dict, spec: dict):
    used = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    return ("host namespaces", ", ".join(used)) if used else None


def _host_path_volumes(meta: dict, spec: dict):
    bad = [v.get("name", "") for v in spec.get("volumes") or [] if v.get("hostPath") is not None]
    if not bad:
        return None
    return "hostPath volumes", f"{_plural('volume', 'volumes', len(bad))} {_quote(bad)}"


def _host_ports(meta: dict, spec: dict):
    bad, ports = [], set()
    for c in _containers(spec):
        found = [p["hostPort"] for p in c.get("ports") or [] if p.get("hostPort")]
        if found:
            bad.append(c.get("name", ""))
            ports.update(str(p) for p in found)
    if not bad:
        return None
    return "hostPort", (
        f"{_plural('container', 'containers', len(bad))} {_quote(bad)} "
        f"{_plural('uses', 'use', len(bad))} {_plural('hostPort', 'hostPorts', len(ports))} "
        f"{', '.join(sorted(ports))}"
    )


def _privileged(meta: dict, spec: dict):
    bad = _bad(spec, lambda sc: sc.get("privileged") is True)
    if not bad:
        return None
    return "privileged", (
        f"{_plural('container', 'containers', len(bad))} {_quote(bad)} "
        "must not set securityContext.privileged=true"
    )


def _seccomp_values(meta: dict, spec: dict, required: bool):
    valid = ("RuntimeDefault", "Localhost")
    setters, values, pod_set = [], set(), False
    pod_profile = (spec.get("securityContext") or {}).get("seccompProfile")
    if pod_profile is not None:
        if pod_profile.get("type") not in valid:
            setters.append("pod")
            values.add(str(pod_profile.get("type")))
        else:
            pod_set = True
    explicit, implicit = [], []
    for c in _containers(spec):
        profile = _sc(c).get("seccompProfile")
        if profile is not None:
            if profile.get("type") not in valid:
                explicit.append(c.get("name", ""))
                values.add(str(profile.get("type")))
        elif not pod_set:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(f"{_plural('container', 'containers', len(explicit))} {_quote(explicit)}")
    if setters:
        return "seccompProfile", (
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
            f"{_quote(sorted(values))}"
        )
    if required and implicit:
        return "seccompProfile", (
            f"pod or {_plural('container', 'containers', len(implicit))} {_quote(implicit)} "
            'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'
        )
    return None


def _allow_privilege_escalation(meta: dict, spec: dict):
    if (spec.get("os") or {}).get("name") == "windows":
        return None
    bad = _bad(spec, lambda sc: sc.get("allowPrivilegeEscalation") is not False)
    if not bad:
        return None
    return "allowPrivilegeEscalation != false", (
        f"{_plural('container', 'containers', len(bad))} {_quote(bad)} "
        "must set securityContext.allowPrivilegeEscalation=false"
    )


def _capabilities_restricted(meta: dict, spec: dict):
    if (spec.get("os") or {}).get("name") == "windows":
        return None
    missing, adding, caps = [], [], set()
    for c in _containers(spec):
        capabilities = _sc(c).get("capabilities")
        if capabilities is None:
            missing.append(c.get("name", ""))
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing.append(c.get("name", ""))
        added = [x for x in capabilities.get("add") or [] if x != "NET_BIND_SERVICE"]
        if added:
            adding.append(c.get("name", ""))
            caps.update(added)
    details = []
    if missing:
        details.append(
            f"{_plural('container', 'containers', len(missing))} {_quote(missing)} "
            'must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{_plural('container', 'containers', len(adding))} {_quote(adding)} must not "
            f"include {_quote(sorted(caps))} in securityContext.capabilities.add"
        )
    return ("unrestricted capabilities", "; ".join(details)) if details else None


def _restricted_volumes(meta: dict, spec: dict):
    allowed = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
               "persistentVolumeClaim", "projected", "secret"}  # fmt: skip
    bad, types = [], set()
    for volume in spec.get("volumes") or []:
        kinds = [k for k in volume if k != "name"]
        if kinds and all(k in allowed for k in kinds):
            continue
        bad.append(volume.get("name", ""))
        types.update([k for k in kinds if k not in allowed] or ["unknown"])
    if not bad:
        return None
    return "restricted volume types", (
        f"{_plural('volume', 'volumes', len(bad))} {_quote(bad)} "
        f"{_plural('uses', 'use', len(bad))} "
        f"{_plural('restricted volume type', 'restricted volume types', len(types))} "
        f"{_quote(sorted(types))}"
    )


def _run_as_non_root(meta: dict, spec: dict):
    if spec.get("hostUsers") is False:
        return None  # 1.35: user-namespaced pods are relaxed (relaxPolicyForUserNamespacePod)
    setters, pod_non_root = [], False
    pod_value = (spec.get("securityContext") or {}).get("runAsNonRoot")
    if pod_value is False:
        setters.append("pod")
    elif pod_value is True:
        pod_non_root = True
    explicit, implicit = [], []
    for c in _containers(spec):
        value = _sc(c).get("runAsNonRoot")
        if value is False:
            explicit.append(c.get("name", ""))
        elif value is None and not pod_non_root:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(f"{_plural('container', 'containers', len(explicit))} {_quote(explicit)}")
    if setters:
        return "runAsNonRoot != true", (
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false"
        )
    if implicit:
        return "runAsNonRoot != true", (
            f"pod or {_plural('container', 'containers', len(implicit))} {_quote(implicit)} "
            "must set securityContext.runAsNonRoot=true"
        )
    return None


def _set_by(setters: list[str], bad_containers: list[str]) -> list[str]:
    """The setters list of a check: "pod" (when in `setters`) then `container(s) "a", ...`."""
    out = list(setters)
    if bad_containers:
        out.append(
            f"{_plural('container', 'containers', len(bad_containers))} {_quote(bad_containers)}"
        )
    return out


def _user_namespaced(spec: dict) -> bool:
    """`relaxPolicyForUserNamespacePod`: `hostUsers: false` (policy/helpers.go)."""
    return spec.get("hostUsers") is False


def _app_armor_profile(meta: dict, spec: dict):
    """check_appArmorProfile.go `appArmorProfile_1_0`."""
    ok = ("RuntimeDefault", "Localhost")
    setters, values = [], set()
    pod_profile = (spec.get("securityContext") or {}).get("appArmorProfile")
    if pod_profile is not None and pod_profile.get("type") not in ok:
        setters.append("pod")
        values.add(str(pod_profile.get("type") or ""))
    bad = []
    for c in _containers(spec):
        profile = _sc(c).get("appArmorProfile")
        if profile is not None and profile.get("type") not in ok:
            bad.append(c.get("name", ""))
            values.add(str(profile.get("type") or ""))
    setters = _set_by(setters, bad)
    annotations = sorted(
        f'{k}="{v}"'
        for k, v in (meta.get("annotations") or {}).items()
        if k.startswith("container.apparmor.security.beta.kubernetes.io/")
        and not (not v or v == "runtime/default" or v.startswith("localhost/"))
    )
    value_list = sorted(values) + annotations
    if annotations:
        setters.append(_plural("annotation", "annotations", len(annotations)))
    if not setters:
        return None
    reason = _plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(value_list))
    return reason, (
        f"{' and '.join(setters)} must not set AppArmor profile type to {_quote(value_list)}"
    )


def _probe_hosts(handler: dict | None) -> list[str]:
    if not handler:
        return []
    return [
        (handler.get(kind) or {}).get("host")
        for kind in ("httpGet", "tcpSocket")
        if (handler.get(kind) or {}).get("host")
    ]


def _host_probes_and_lifecycle(meta: dict, spec: dict):
    """check_hostProbesAndhostLifecycle.go `hostProbesAndHostLifecycleV1Dot34`."""
    bad, hosts = set(), set()
    for c in _containers(spec):
        lifecycle = c.get("lifecycle") or {}
        found = [
            h
            for handler in (
                c.get("livenessProbe"),
                c.get("readinessProbe"),
                c.get("startupProbe"),
                lifecycle.get("postStart"),
                lifecycle.get("preStop"),
            )
            for h in _probe_hosts(handler)
        ]
        if found:
            bad.add(c.get("name", ""))
            hosts.update(found)
    if not bad:
        return None
    return "probe or lifecycle host", (
        f"{_plural('container', 'containers', len(bad))} {_quote(sorted(bad))} "
        f"{_plural('uses', 'use', len(bad))} "
        f"{_plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
        f"{_quote(sorted(hosts))}"
    )


def _proc_mount(meta: dict, spec: dict, relax: bool):
    """check_procMount_baseline.go `procMount1_35baseline` (relax) and
    check_procMount_restricted.go (`procMount_1_0`, no relaxation)."""
    if relax and _user_namespaced(spec):
        return None
    bad, types = [], set()
    for c in _containers(spec):
        mount = _sc(c).get("procMount")
        if mount is not None and mount != "Default":
            bad.append(c.get("name", ""))
            types.add(mount)
    if not bad:
        return None
    return "procMount", (
        f"{_plural('container', 'containers', len(bad))} {_quote(bad)} must not set "
        f"securityContext.procMount to {_quote(sorted(types))}"
    )


def _se_linux_options(meta: dict, spec: dict):
    """check_seLinuxOptions.go `seLinuxOptions1_31`."""
    allowed = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
    bad_types: set[str] = set()
    flags = {"user": False, "role": False}

    def valid(opts: dict) -> bool:
        ok = True
        if (opts.get("type") or "") not in allowed:
            ok = False
            bad_types.add(opts.get("type") or "")
        for key in flags:
            if opts.get(key):
                ok, flags[key] = False, True
        return ok

    setters = []
    pod_opts = (spec.get("securityContext") or {}).get("seLinuxOptions")
    if pod_opts is not None and not valid(pod_opts):
        setters.append("pod")
    bad = [
        c.get("name", "")
        for c in _containers(spec)
        if _sc(c).get("seLinuxOptions") is not None and not valid(_sc(c)["seLinuxOptions"])
    ]
    setters = _set_by(setters, bad)
    if not setters:
        return None
    data = []
    if bad_types:
        data.append(f"{_plural('type', 'types', len(bad_types))} {_quote(sorted(bad_types))}")
    data += [f"{key} may not be set" for key, on in flags.items() if on]
    return "seLinuxOptions", (
        f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}"
    )


_SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
}  # fmt: skip
"""check_sysctls.go `sysctlsAllowedV1Dot32`."""


def _sysctls(meta: dict, spec: dict):
    names_ = [
        s.get("name", "")
        for s in (spec.get("securityContext") or {}).get("sysctls") or []
        if s.get("name") not in _SAFE_SYSCTLS
    ]
    return ("forbidden sysctls", ", ".join(names_)) if names_ else None


def _windows_host_process(meta: dict, spec: dict):
    """check_windowsHostProcess.go `windowsHostProcess_1_0`."""

    def host_process(sc: dict) -> bool:
        return (sc.get("windowsOptions") or {}).get("hostProcess") is True

    setters = ["pod"] if host_process(spec.get("securityContext") or {}) else []
    setters = _set_by(setters, _bad(spec, host_process))
    if not setters:
        return None
    return "hostProcess", (
        f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true"
    )


def _run_as_user(meta: dict, spec: dict):
    """check_runAsUser.go `runAsUser1_35`."""
    if _user_namespaced(spec):
        return None
    setters = ["pod"] if (spec.get("securityContext") or {}).get("runAsUser") == 0 else []
    setters = _set_by(setters, _bad(spec, lambda sc: sc.get("runAsUser") == 0))
    if not setters:
        return None
    return "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0"


# Check IDs in registry order: baseline sorted by ID, then restricted sorted by ID.
_BASELINE = (
    ("appArmorProfile", _app_armor_profile),
    ("capabilities_baseline", _capabilities_baseline),
    ("hostNamespaces", _host_namespaces),
    ("hostPathVolumes", _host_path_volumes),
    ("hostPorts", _host_ports),
    ("hostProbesAndHostLifecycle", _host_probes_and_lifecycle),
    ("privileged", _privileged),
    ("procMount", lambda m, s: _proc_mount(m, s, relax=True)),
    ("seLinuxOptions", _se_linux_options),
    ("seccompProfile_baseline", lambda m, s: _seccomp_values(m, s, required=False)),
    ("sysctls", _sysctls),
    ("windowsHostProcess", _windows_host_process),
)
_RESTRICTED = (
    ("allowPrivilegeEscalation", _allow_privilege_escalation),
    ("capabilities_restricted", _capabilities_restricted),
    ("procMount_restricted", lambda m, s: _proc_mount(m, s, relax=False)),
    ("restrictedVolumes", _restricted_volumes),
    ("runAsNonRoot", _run_as_non_root),
    ("runAsUser", _run_as_user),
    ("seccompProfile_restricted", lambda m, s: _seccomp_values(m, s, required=True)),
)
