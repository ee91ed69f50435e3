"""Admission as EKS runs it: LimitRanger, PodSecurity and ResourceQuota on pods, with
the namespace the runtime declares (issue 18 deliverable 3, issue 19 item 4)."""

from __future__ import annotations

import pytest

from gpuforge.emulator.k8s_admission import (
    Admitted,
    NamespaceObjects,
    Refusal,
    admit_pod,
    training_namespace_objects,
    warn_pod_template,
)
from gpuforge.jobs import backends
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model.loader import load_env
from tests.conftest import ROOT, SHIPPED_ENVS


def spec_of(env: str):
    return load_env(env, ROOT)[1]


# What Pod Security `restricted` requires of a pod and its containers, spelled out here
# (not imported) so the tests check the emulator independently of gpuforge's pods.
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def pod(name="p", resources=None, secure=True, **extra) -> dict:
    """A pod; `secure` (the default) gives it what `restricted` asks, so the LimitRange and
    quota tests meet the runtime's namespace as gpuforge's own pods do."""
    container = {"name": "main", "image": "busybox", "resources": resources or {}}
    if secure:
        container["securityContext"] = dict(RESTRICTED_CONTAINER)
        extra = {"securityContext": dict(RESTRICTED_POD), **extra}
    container.update(extra.pop("container", {}))
    for init in extra.get("initContainers") or []:
        if secure:
            init.setdefault("securityContext", dict(RESTRICTED_CONTAINER))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "training"},
        "spec": {"containers": [container], **extra},
    }


def gpu_pod(name: str, gpus: int) -> dict:
    return pod(name, {"limits": {"nvidia.com/gpu": str(gpus)}})


def test_limit_range_max_without_default_refuses_a_container_without_the_limit():
    ns = NamespaceObjects(
        "training",
        limit_ranges=[
            {"spec": {"limits": [{"type": "Container", "max": {"nvidia.com/gpu": "8"}}]}}
        ],
    )
    result = admit_pod(ns, pod("cpu-only"))
    assert isinstance(result, Refusal)
    assert result.code == 403 and result.status["reason"] == "Forbidden"
    assert result.message == (
        'pods "cpu-only" is forbidden: maximum nvidia.com/gpu usage per Container is 8.  '
        "No limit is specified."
    )


def test_limit_range_max_min_and_ratio_messages():
    ns = NamespaceObjects(
        "training",
        limit_ranges=[{"spec": {"limits": [{
            "type": "Container",
            "max": {"cpu": "2"},
            "min": {"memory": "1Gi"},
            "maxLimitRequestRatio": {"cpu": "2"},
        }]}}],
    )  # fmt: skip
    result = admit_pod(ns, pod("big", {"requests": {"cpu": "1", "memory": "512Mi"},
                                       "limits": {"cpu": "3"}}))  # fmt: skip
    assert isinstance(result, Refusal)
    assert result.message == (
        'pods "big" is forbidden: [minimum memory usage per Container is 1Gi, but request is '
        "512Mi., maximum cpu usage per Container is 2, but limit is 3., cpu max limit to "
        "request ratio per Container is 2, but provided ratio is 3.000000.]"
    )


def test_limit_range_defaults_requests_and_limits_and_annotates():
    ns = NamespaceObjects(
        "training",
        limit_ranges=[{"spec": {"limits": [{
            "type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "250m"},
        }]}}],
    )  # fmt: skip
    result = admit_pod(ns, pod())
    assert isinstance(result, Admitted)
    resources = result.pod["spec"]["containers"][0]["resources"]
    assert resources == {"limits": {"cpu": "1"}, "requests": {"cpu": "250m"}}
    assert result.pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu request for container main; cpu limit for container main"
    )


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_the_runtime_limit_range_admits_cpu_only_and_neuron_pods(env):
    ns = training_namespace_objects(spec_of(env))
    for candidate in (
        pod("cpu-only"),
        pod("neuron", {"limits": {"aws.amazon.com/neuron": "1"}}),
        pod("init", initContainers=[{"name": "fetch", "image": "busybox"}]),
    ):
        result = admit_pod(ns, candidate)
        assert isinstance(result, Admitted), getattr(result, "message", "")
        assert result.pod["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "500m"


def _templates(obj):
    """Every pod template inside a rendered manifest."""
    if isinstance(obj, dict):
        if "spec" in obj and isinstance(obj["spec"], dict) and "containers" in obj["spec"]:
            yield obj
        for value in obj.values():
            yield from _templates(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _templates(value)


@pytest.mark.parametrize("backend", ["indexed-job", "jobset", "trainjob"])
def test_every_rendered_backend_pod_passes_the_runtime_admission(backend):
    spec = spec_of("prod")
    job = JobSpec.model_validate(
        {"name": "llama", "image": "pytorch/pytorch:2.13.0", "pool": "h100", "nodes": 2,
         "command": ["train.py"], "backend": backend}
    )  # fmt: skip
    fit = check_fit(job, spec)
    manifests = backends.render(fit)
    ns = training_namespace_objects(spec)
    templates = [t for m in manifests for t in _templates(m)]
    assert templates
    for template in templates:
        result = admit_pod(ns, {"metadata": {"name": "rank-0"}, **template})
        assert isinstance(result, Admitted), getattr(result, "message", "")
        # the namespace enforces and warns at `restricted`: gpuforge's pods get no warning
        assert result.warnings == []


def test_quota_refuses_a_pod_over_the_gpu_quota_with_the_real_message():
    spec = spec_of("dev")
    quota = int(spec.training.max_gpus)
    running = gpu_pod("running", quota)
    ns = training_namespace_objects(spec, pods=[running])
    result = admit_pod(ns, gpu_pod("one-more", 1))
    assert isinstance(result, Refusal)
    assert result.message == (
        'pods "one-more" is forbidden: exceeded quota: gpuforge-gpus, requested: '
        f"requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu={quota}, "
        f"limited: requests.nvidia.com/gpu={quota}"
    )
    # a finished pod no longer counts; a CPU-only pod never does
    done = {**running, "status": {"phase": "Succeeded"}}
    assert isinstance(
        admit_pod(training_namespace_objects(spec, [done]), gpu_pod("x", 1)), Admitted
    )
    assert isinstance(admit_pod(ns, pod("cpu")), Admitted)


BASELINE = {"pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted"}  # fmt: skip


def test_pod_security_enforce_refuses_host_namespaces_privileged_and_host_path():
    ns = NamespaceObjects("training", labels=BASELINE)
    bad = pod(
        "root",
        secure=False,
        hostNetwork=True,
        hostPID=True,
        volumes=[{"name": "host", "hostPath": {"path": "/"}}],
        container={"securityContext": {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}}},
    )
    result = admit_pod(ns, bad)
    assert isinstance(result, Refusal) and result.code == 403
    assert result.message == (
        'pods "root" is forbidden: violates PodSecurity "baseline:latest": '
        'non-default capabilities (container "main" must not include "SYS_ADMIN" in '
        "securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true), "
        'hostPath volumes (volume "host"), privileged (container "main" must not set '
        "securityContext.privileged=true)"
    )


def test_pod_security_warn_level_comes_back_as_warnings():
    ns = NamespaceObjects("training", labels=BASELINE)
    result = admit_pod(ns, pod("plain", secure=False))
    assert isinstance(result, Admitted)
    assert result.warnings == [
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
        '(container "main" must set securityContext.allowPrivilegeEscalation=false), '
        'unrestricted capabilities (container "main" must set '
        'securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container '
        '"main" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container '
        '"main" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    ]
    assert admit_pod(ns, pod("ok")).warnings == []


def test_a_job_template_gets_warnings_never_a_refusal():
    template = pod("t", secure=False, hostNetwork=True)
    warnings = warn_pod_template(BASELINE, template)
    assert len(warnings) == 1 and "host namespaces (hostNetwork=true)" in warnings[0]


def test_over_http_a_refused_pod_is_a_403_status_and_not_stored(tmp_path):
    from kubernetes import client

    from gpuforge.emulator.kubernetes import EmulatedKubernetes
    from gpuforge.jobs import kube_client, resources
    from gpuforge.jobs.kube_errors import ApiFailure
    from gpuforge.jobs.kubeconfig_access import kubeconfig_configuration

    spec = spec_of("dev")
    ns = spec.training.namespace
    with EmulatedKubernetes(spec=spec) as api:
        config = kubeconfig_configuration(str(api.write_kubeconfig(tmp_path / "kc")), None)
        kube = kube_client.Kube(client.ApiClient(config), api.url)
        too_many = gpu_pod("greedy", int(spec.training.max_gpus) + 1)
        with pytest.raises(ApiFailure) as caught:
            kube.create(resources.POD, ns, too_many)
        assert caught.value.status == 403
        assert "exceeded quota: gpuforge-gpus" in caught.value.message
        assert api.stored(resources.POD, ns) == []
        with pytest.raises(ApiFailure) as caught:
            kube.create(resources.POD, ns, pod("plain", secure=False))
        assert caught.value.status == 403
        assert 'violates PodSecurity "restricted:v1.35": ' in caught.value.message
        kube.create(resources.POD, ns, pod("plain"))
        (stored,) = api.stored(resources.POD, ns)
        assert stored["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "500m"
        assert kube.take_warnings() == []
        # the request as sent stays as sent; the stored pod carries the defaults
        (sent,) = [r for r in api.emulator._requests if r.method == "POST"][-1:]
        assert sent.data["spec"]["containers"][0]["resources"] == {}
