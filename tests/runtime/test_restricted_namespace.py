"""The runtime's namespace objects for `restricted` pods (issue 20): the Pod Security labels,
pinned, and a ServiceAccount that mounts no API token."""

from __future__ import annotations

from gpuforge.model import namespace_security
from tests.components.conftest import built


def test_pod_security_labels_are_restricted_and_pinned_for_every_mode():
    assert namespace_security.pod_security_labels() == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.35",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.35",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.35",
    }


def test_the_runtime_declares_the_namespace_restricted_and_the_account_without_a_token():
    spec, b = built("prod")
    (ns,) = [
        r
        for r in b.of("kubernetes:core/v1:Namespace")
        if r.inputs["metadata"]["name"] == spec.training.namespace
    ]
    labels = ns.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.35"
    (sa,) = [
        r
        for r in b.of("kubernetes:core/v1:ServiceAccount")
        if r.inputs["metadata"]["name"] == "training"
    ]
    assert sa.inputs["automountServiceAccountToken"] is False
