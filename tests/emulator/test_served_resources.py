"""The emulated cluster serves what the environment installs, and nothing more (issue 18
deliverable 2): the custom resources of the controllers its runtime declares."""

from __future__ import annotations

import pytest

from gpuforge.model import helm_charts, served_apis
from gpuforge.model.loader import load_env, spec_from_data
from tests.conftest import ROOT, SHIPPED_ENVS, shipped_spec


def spec_of(env: str):
    return load_env(env, ROOT)[1]


def kinds(spec) -> set[str]:
    return {r.kind for r in served_apis.served_resources(spec)}


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_served_kinds_follow_the_installed_charts(env):
    spec = spec_of(env)
    releases = {c.release for c in helm_charts.charts_for(spec)}
    expected = {
        r.kind for release in releases for r in served_apis.CONTROLLER_RESOURCES.get(release, ())
    }
    assert kinds(spec) == expected
    assert ("LocalQueue" in kinds(spec)) == (spec.training.queueing == "kueue")
    offered = set(spec.training.backends)
    assert ("JobSet" in kinds(spec)) == bool(offered & {"jobset", "trainjob"})
    assert ("TrainJob" in kinds(spec)) == ("trainjob" in offered)


def test_without_kueue_no_kueue_kinds_are_served():
    data = shipped_spec("dev")
    data["training"]["queueing"] = "none"
    assert not kinds(spec_from_data(data)) & {"LocalQueue", "Workload", "ClusterQueue"}


@pytest.fixture(scope="module")
def prod_cluster():
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    prod = spec_of("prod")  # Kueue, and here only the Indexed Job backend: no JobSet
    training = prod.training.model_copy(update={"backends": ["indexed-job"]})
    with EmulatedKubernetes(spec=prod.model_copy(update={"training": training})) as api:
        assert "JobSet" not in {r.kind for r in served_apis.served_resources(api.spec)}
        yield api


def _configuration(api):
    """The client configuration of `api`'s own kubeconfig (its CA and token)."""
    import tempfile
    from pathlib import Path

    from gpuforge.jobs.kubeconfig_access import kubeconfig_configuration

    with tempfile.TemporaryDirectory() as tmp:
        return kubeconfig_configuration(str(api.write_kubeconfig(Path(tmp) / "kc")), None)


def _kube(api):
    from kubernetes import client

    from gpuforge.jobs import kube_client

    return kube_client.Kube(client.ApiClient(_configuration(api)), api.url)


def _post(api, path: str, body: dict):
    """(status, Status or object) of a raw POST: the client's error parsing left out."""
    import json

    from kubernetes import client

    c = client.ApiClient(_configuration(api))
    try:
        response = c.call_api(
            path, "POST", body=body, header_params={"Content-Type": "application/json"},
            auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
        )  # fmt: skip
        return response.status, json.loads(response.data)
    except client.ApiException as exc:
        return exc.status, json.loads(exc.body)


def test_creating_a_jobset_without_its_controller_answers_404_not_found(prod_cluster):
    from gpuforge.jobs import resources

    ns = spec_of("prod").training.namespace
    body = {
        "apiVersion": resources.JOBSET.api_version,
        "kind": "JobSet",
        "metadata": {"name": "llama", "namespace": ns},
        "spec": {"replicatedJobs": []},
    }
    status, doc = _post(prod_cluster, resources.JOBSET.path(ns), body)
    assert status == 404
    assert doc["kind"] == "Status" and doc["reason"] == "NotFound"
    assert doc["message"] == "the server could not find the requested resource"
    assert prod_cluster.stored(resources.JOBSET, ns) == []
    # the job client reads an uninstalled kind as empty, as on a real cluster
    assert _kube(prod_cluster).list(resources.JOBSET, ns) == []


def test_the_installed_controllers_kinds_are_served(prod_cluster):
    from gpuforge.jobs import resources

    ns = spec_of("prod").training.namespace
    body = {
        "apiVersion": resources.LOCAL_QUEUE.api_version,
        "kind": "LocalQueue",
        "metadata": {"name": "q", "namespace": ns},
        "spec": {"clusterQueue": "cq"},
    }
    status, _ = _post(prod_cluster, resources.LOCAL_QUEUE.path(ns), body)
    assert status in (200, 201)
    assert [o["metadata"]["name"] for o in prod_cluster.stored(resources.LOCAL_QUEUE, ns)] == ["q"]
