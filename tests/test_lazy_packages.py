"""Lazily served packages give the same names as eager ones (gpuforge/lazy_packages.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = r"""
import sys, json
lazy = sys.argv[1] == "lazy"
if lazy:
    from gpuforge import lazy_packages
    lazy_packages.install(lazy_packages.PULUMI + lazy_packages.KUBERNETES)
import pulumi_kubernetes as k8s
import pulumi_aws as aws
from kubernetes import client
names = {
    "ns": k8s.core.v1.Namespace.__module__ + "." + k8s.core.v1.Namespace.__qualname__,
    "vpc": aws.ec2.Vpc.__module__,
    "lt_args": aws.ec2.LaunchTemplateTagSpecificationArgs.__module__,
    "pod": client.V1Pod.__module__,
    "api": client.CoreV1Api.__module__,
    "rest": client.rest.__name__,
    "ec2_modules": sum(1 for m in sys.modules if m.startswith("pulumi_aws.ec2.")),
    "k8s_models": sum(1 for m in sys.modules if m.startswith("kubernetes.client.models.")),
}
print(json.dumps(names))
"""


def _probe(mode: str) -> dict:
    import json

    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_lazy_packages_resolve_the_same_objects_and_import_far_fewer_modules():
    eager, lazy = _probe("eager"), _probe("lazy")
    for key in ("ns", "vpc", "lt_args", "pod", "api", "rest"):
        assert lazy[key] == eager[key], key
    assert lazy["ns"].endswith("Namespace.Namespace")  # the class, not its module
    assert lazy["ec2_modules"] < eager["ec2_modules"] / 5
    assert lazy["k8s_models"] < eager["k8s_models"] / 50
