"""The emulator's record of Kubernetes objects and Helm releases: what it refuses, and why."""

from __future__ import annotations

import pytest

from gpuforge.emulator.errors import AwsError
from gpuforge.emulator.k8s_record import RELEASE, KubernetesRecord


def obj(kind: str, name: str, namespace: str | None = None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


def release(**over) -> dict:
    base = {
        "name": "kueue",
        "chart": "oci://registry.k8s.io/kueue/charts/kueue",
        "version": "0.20.0",
        "namespace": "kueue-system",
        "createNamespace": True,
        "values": {"a": 1},
    }
    return {**base, **over}


def test_objects_are_kept_by_kind_namespace_and_name():
    rec = KubernetesRecord()
    assert rec.record("kubernetes:core/v1:Namespace", obj("Namespace", "training"))[0] == "training"
    rid, _ = rec.record("kubernetes:core/v1:ServiceAccount", obj("ServiceAccount", "t", "training"))
    assert rid == "training/t"
    assert ("ServiceAccount", "training", "t") in rec.objects


def test_a_namespaced_object_needs_its_namespace():
    rec = KubernetesRecord()
    with pytest.raises(AwsError, match="NotFound"):
        rec.record("kubernetes:core/v1:ServiceAccount", obj("ServiceAccount", "t", "training"))
    rec.record("kubernetes:core/v1:ServiceAccount", obj("ServiceAccount", "t", "kube-system"))


def test_duplicates_bad_names_and_scoped_kinds_are_refused():
    rec = KubernetesRecord()
    rec.record("kubernetes:scheduling.k8s.io/v1:PriorityClass", obj("PriorityClass", "p"))
    with pytest.raises(AwsError, match="AlreadyExists"):
        rec.record("kubernetes:scheduling.k8s.io/v1:PriorityClass", obj("PriorityClass", "p"))
    with pytest.raises(AwsError, match="DNS subdomain"):
        rec.record("kubernetes:core/v1:Namespace", obj("Namespace", "Not_Valid"))
    with pytest.raises(AwsError, match="cluster-scoped"):
        rec.record("kubernetes:x/v1:ClusterQueue", obj("ClusterQueue", "q", "default"))


def test_a_release_records_its_chart_and_creates_its_namespace():
    rec = KubernetesRecord()
    rid, out = rec.record(RELEASE, release())
    assert rid == "kueue-system/kueue"
    assert out["status"]["version"] == "0.20.0"
    assert "not fetched" in out["status"]["status"]
    rec.record("kubernetes:core/v1:ConfigMap", obj("ConfigMap", "c", "kueue-system"))


@pytest.mark.parametrize("version", [None, "", "latest", "^1.2.0", "~0.20", "0.20.x", "0.20"])
def test_a_release_without_an_exact_version_is_refused(version):
    with pytest.raises(AwsError, match="exact version"):
        KubernetesRecord().record(RELEASE, release(version=version))


def test_a_release_needs_a_repository_unless_oci_and_an_existing_namespace():
    rec = KubernetesRecord()
    with pytest.raises(AwsError, match="repository"):
        rec.record(RELEASE, release(chart="kueue"))
    rec.record(RELEASE, release(chart="kueue", repositoryOpts={"repo": "https://example.org"}))
    with pytest.raises(AwsError, match="NotFound"):
        rec.record(RELEASE, release(name="x", namespace="nowhere", createNamespace=False))
