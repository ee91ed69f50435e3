"""Class 10: the VPC size rule is written once (`gpuforge.model.netplan`), and the spec
reference, the README, the hints and the check all say the same thing."""

from __future__ import annotations

import ipaddress

import pytest

from gpuforge.model.netplan import (
    MIN_VPC_PREFIX,
    SubnetPlanError,
    plan_subnets,
    smallest_vpc_prefix,
    vpc_size_rule,
)
from gpuforge.model.spec import NetworkSpec
from tests.inputs.conftest import ROOT, refuse


@pytest.mark.parametrize("zones", range(2, 9))
def test_the_check_accepts_exactly_what_the_rule_says(zones):
    names = [f"z{i}" for i in range(zones)]
    for prefix in range(MIN_VPC_PREFIX, 29):
        cidr = f"10.0.0.0/{prefix}"
        ok = prefix <= smallest_vpc_prefix(zones)
        try:
            plan = plan_subnets(cidr, names)
        except SubnetPlanError:
            assert not ok, f"{cidr} with {zones} AZs is refused but the rule allows it"
            continue
        assert ok, f"{cidr} with {zones} AZs is accepted but the rule refuses it"
        for subnets in plan:  # what was accepted fits AWS's subnet limits
            assert ipaddress.ip_network(subnets.private).prefixlen <= 24
            assert ipaddress.ip_network(subnets.public).prefixlen <= 28


def test_the_rule_in_words():
    assert vpc_size_rule() == "/16 up to /22 for 2 AZs, /21 for 3-4 AZs or /20 for 5-8 AZs"


def test_the_docs_and_the_field_state_the_rule():
    rule = vpc_size_rule()
    assert rule in NetworkSpec.model_fields["cidr"].description
    readme = " ".join((ROOT / "stacks" / "README.md").read_text().split())
    assert readme.count(rule) >= 2  # the field reference and "What is checked"
    for doc in ("README.md", "stacks/README.md", "docs/spec.md"):
        path = ROOT / doc
        if path.exists():
            text = path.read_text()
            assert "/21 (2 AZs)" not in text and "/16 to /20" not in text, doc


CASES = {
    "/22 with 3 AZs": ("10.10.0.0/16\n  azs: 2", "10.10.0.0/22\n  azs: 3", "/21"),
    "/23 with 2 AZs": ("10.10.0.0/16\n  azs: 2", "10.10.0.0/23\n  azs: 2", "/22"),
    "/15": ("10.10.0.0/16", "10.10.0.0/15", "/16 up to"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_hint_states_the_rule(case, project):
    old, new, needle = CASES[case]
    text = (project / "stacks" / "dev.yaml").read_text()
    assert old in text
    (project / "env.yaml").write_text(text.replace(old, new, 1))
    message = refuse(["validate", "-e", "env.yaml"], "network.cidr", needle)
    assert vpc_size_rule() in message, message
