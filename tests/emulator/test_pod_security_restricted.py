"""The emulated API server's PodSecurity at `restricted`, as pod-security-admission v0.35
judges it (kubernetes/pod-security-admission@10e6c1c6, policy/check_*.go): every rendered
job pod passes with no warning, and a pod missing any one field is refused with the
upstream reason and detail (issue 20, "Pods that pass restricted")."""

from __future__ import annotations

import copy

import pytest

from gpuforge.emulator.k8s_admission import (
    Admitted,
    NamespaceObjects,
    Refusal,
    admit_pod,
    pod_security_policy,
    training_namespace_objects,
    warn_pod_template,
)
from gpuforge.jobs import backends, burnin_job
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model.loader import load_env
from tests.conftest import ROOT

TRAINING_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/training/gpuforge-trainer:2026.12.1"
"""The burn-in runs the training image (`validate-pool --image`)."""

PINNED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "v1.35",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "v1.35",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "v1.35",
}


def spec_of(env: str):
    return load_env(env, ROOT)[1]


def test_the_runtime_namespace_enforces_audits_and_warns_restricted_pinned():
    ns = training_namespace_objects(spec_of("prod"))
    assert {k: v for k, v in ns.labels.items() if k.startswith("pod-security")} == PINNED
    assert pod_security_policy(ns.labels) == {
        "enforce": "restricted", "audit": "restricted", "warn": "restricted",
        "enforce-version": "v1.35", "audit-version": "v1.35", "warn-version": "v1.35",
    }  # fmt: skip


def _pod_templates(obj: dict):
    if obj.get("kind") in ("Job",):
        yield obj["spec"]["template"]
    for rjob in (obj.get("spec") or {}).get("replicatedJobs") or []:
        yield rjob["template"]["spec"]["template"]


def rendered_pods() -> list[tuple[str, dict]]:
    spec = spec_of("prod")
    out = []
    for backend in ("indexed-job", "jobset"):
        job = JobSpec.model_validate(
            {"name": "llama", "image": "pytorch/pytorch:2.13.0", "pool": "h100", "nodes": 2,
             "command": ["train.py"], "backend": backend}
        )  # fmt: skip
        for m in backends.render(check_fit(job, spec)):
            out += [(backend, t) for t in _pod_templates(m)]
    pool = burnin_job.pool_of(spec, "h100")
    burnin = burnin_job.burnin_job(spec, pool, nodes=1, image=TRAINING_IMAGE)
    for m in burnin_job.render(check_fit(burnin, spec)):
        out += [("burn-in", t) for t in _pod_templates(m)]
    return out


@pytest.mark.parametrize(("where", "template"), rendered_pods())
def test_every_rendered_pod_is_admitted_at_restricted_with_no_warning(where, template):
    ns = training_namespace_objects(spec_of("prod"))
    result = admit_pod(ns, {"metadata": {"name": "rank-0"}, **template})
    assert isinstance(result, Admitted), getattr(result, "message", "")
    assert result.warnings == []
    assert warn_pod_template(ns.labels, template) == []


def _job_pod() -> dict:
    (_, template) = rendered_pods()[0]
    return {"metadata": {"name": "rank-0"}, "spec": copy.deepcopy(template["spec"])}


def _drop(path: str):
    def edit(pod: dict) -> None:
        *parents, last = path.split(".")
        node = pod["spec"]
        for key in parents:
            node = node[key]
            if isinstance(node, list):
                node = node[0]
        node.pop(last)

    return edit


def _set(path: str, value):
    def edit(pod: dict) -> None:
        *parents, last = path.split(".")
        node = pod["spec"]
        for key in parents:
            node = node[key]
            if isinstance(node, list):
                node = node[0]
        node[last] = value

    return edit


def _both(*edits):
    def edit(pod: dict) -> None:
        for e in edits:
            e(pod)

    return edit


# one field missing or wrong -> the upstream `reason (detail)` (policy/check_*.go)
MISSING = {
    "allowPrivilegeEscalation": (
        _drop("containers.securityContext.allowPrivilegeEscalation"),
        'allowPrivilegeEscalation != false (container "trainer" must set '
        "securityContext.allowPrivilegeEscalation=false)",
    ),
    "capabilities": (
        _drop("containers.securityContext.capabilities"),
        'unrestricted capabilities (container "trainer" must set '
        'securityContext.capabilities.drop=["ALL"])',
    ),
    "capabilities added": (
        _set("containers.securityContext.capabilities", {"drop": ["ALL"], "add": ["IPC_LOCK"]}),
        'unrestricted capabilities (container "trainer" must not include "IPC_LOCK" in '
        "securityContext.capabilities.add)",
    ),
    "runAsNonRoot": (
        _both(
            _drop("securityContext.runAsNonRoot"),
            _drop("containers.securityContext.runAsNonRoot"),
        ),
        'runAsNonRoot != true (pod or container "trainer" must set '
        "securityContext.runAsNonRoot=true)",
    ),
    "runAsUser=0": (
        _set("securityContext.runAsUser", 0),
        "runAsUser=0 (pod must not set runAsUser=0)",
    ),
    "seccompProfile": (
        _both(
            _drop("securityContext.seccompProfile"),
            _drop("containers.securityContext.seccompProfile"),
        ),
        'seccompProfile (pod or container "trainer" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ),
    "procMount": (
        _set("containers.securityContext.procMount", "Unmasked"),
        'procMount (container "trainer" must not set securityContext.procMount to "Unmasked")',
    ),
    "hostPath": (
        lambda p: p["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/"}}),
        'restricted volume types (volume "host" uses restricted volume type "hostPath")',
    ),
    "appArmor": (
        _set("securityContext.appArmorProfile", {"type": "Unconfined"}),
        'forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")',
    ),
    "seLinux": (
        _set("containers.securityContext.seLinuxOptions", {"type": "spc_t", "user": "root"}),
        'seLinuxOptions (container "trainer" set forbidden securityContext.seLinuxOptions: '
        'type "spc_t"; user may not be set)',
    ),
    "sysctls": (
        _set("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]),
        "forbidden sysctls (kernel.msgmax)",
    ),
    "windows host process": (
        _set("securityContext.windowsOptions", {"hostProcess": True}),
        "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)",
    ),
    "probe host": (
        _set("containers.livenessProbe", {"tcpSocket": {"port": 22, "host": "10.0.0.1"}}),
        'probe or lifecycle host (container "trainer" uses probe or lifecycle host "10.0.0.1")',
    ),
}


@pytest.mark.parametrize("case", list(MISSING))
def test_a_pod_missing_one_field_is_refused_with_the_upstream_message(case):
    edit, detail = MISSING[case]
    pod = _job_pod()
    edit(pod)
    result = admit_pod(training_namespace_objects(spec_of("prod")), pod)
    assert isinstance(result, Refusal) and result.code == 403
    assert result.message == (
        f'pods "rank-0" is forbidden: violates PodSecurity "restricted:v1.35": {detail}'
    )


def test_user_namespaced_pods_are_relaxed_as_in_1_35():
    pod = _job_pod()
    pod["spec"]["hostUsers"] = False
    pod["spec"]["securityContext"] = {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
    for c in pod["spec"]["containers"]:
        c["securityContext"].pop("runAsNonRoot")
        c["securityContext"].pop("runAsUser")
    assert isinstance(admit_pod(training_namespace_objects(spec_of("prod")), pod), Admitted)


def test_versions_name_the_policy_and_warn_follows_a_stricter_enforce_with_its_version():
    labels = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.34",
    }
    policy = pod_security_policy(labels)
    assert (policy["warn"], policy["warn-version"], policy["audit-version"]) == (
        "restricted", "v1.34", "latest"
    )  # fmt: skip
    bad = {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    refused = admit_pod(NamespaceObjects("t", labels=labels), bad)
    assert isinstance(refused, Refusal)
    assert 'violates PodSecurity "restricted:v1.34": ' in refused.message
    bogus = pod_security_policy({**labels, "pod-security.kubernetes.io/enforce-version": "1.35"})
    assert bogus["enforce-version"] == "latest"
