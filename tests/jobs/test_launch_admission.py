"""`launch` against a namespace admitted as EKS admits it: PodSecurity's `warn` level
comes back as warnings on the Job create, and `launch` prints them (issue 18, 3)."""

from __future__ import annotations

import pytest

from gpuforge.cli.main import cli
from gpuforge.jobs import resources
from tests.jobs.conftest import EXAMPLES


def test_launch_into_the_runtime_namespace_gets_no_warnings(
    runner, api, env, env_file, kubeconfig, namespace
):
    """The namespace enforces, audits and warns `restricted` (v1.35): gpuforge's pods meet it,
    so the API server sends no warning, and none is printed (issue 20)."""
    api.admit_namespace(env)
    args = [str(EXAMPLES / "llama-2x8-h100.yaml"), "-e", env_file, "--kubeconfig", kubeconfig]
    result = runner.invoke(cli, ["launch", *args])
    assert result.exit_code == 0, result.output
    assert api.stored(resources.BATCH_JOB, namespace)
    assert "warning" not in result.stderr.lower()


def test_launch_prints_the_pod_security_warnings_it_receives(
    runner, api, env, env_file, kubeconfig, namespace, monkeypatch
):
    """A pod template short of `restricted` (here: gpuforge's as it was before issue 20) gets
    the API server's warning on the Job create, and `launch` prints it."""
    from gpuforge.jobs import pod

    monkeypatch.setattr(pod, "CONTAINER_SECURITY", {"allowPrivilegeEscalation": False})
    monkeypatch.setattr(pod, "POD_SECURITY", {"seccompProfile": {"type": "RuntimeDefault"}})
    api.admit_namespace(env)
    args = [str(EXAMPLES / "llama-2x8-h100.yaml"), "-e", env_file, "--kubeconfig", kubeconfig]
    result = runner.invoke(cli, ["launch", *args])
    assert result.exit_code == 0, result.output
    (job,) = api.stored(resources.BATCH_JOB, namespace)
    name = job["metadata"]["name"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f'warning: Job/{name}: would violate PodSecurity "restricted:v1.35": '
        'unrestricted capabilities (container "trainer" must set '
        'securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container '
        '"trainer" must set securityContext.runAsNonRoot=true)'
    ]


def test_a_pod_the_namespace_refuses_is_a_403_for_the_job_client(api, env, namespace, kubeconfig):
    from kubernetes import client

    from gpuforge.jobs import kube_client
    from gpuforge.jobs.kube_errors import ApiFailure
    from gpuforge.jobs.kubeconfig_access import kubeconfig_configuration

    api.admit_namespace(env)

    config = kubeconfig_configuration(kubeconfig, None)
    kube = kube_client.Kube(client.ApiClient(config), api.url)
    privileged = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": namespace},
        "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "busybox"}]},
    }
    with pytest.raises(ApiFailure) as caught:
        kube.create(resources.POD, namespace, privileged)
    assert caught.value.status == 403
    assert caught.value.message.endswith(
        'pods "root" is forbidden: violates PodSecurity "restricted:v1.35": '
        "host namespaces (hostNetwork=true), allowPrivilegeEscalation != false "
        '(container "c" must set securityContext.allowPrivilegeEscalation=false), '
        'unrestricted capabilities (container "c" must set '
        'securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container '
        '"c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" '
        'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    )
