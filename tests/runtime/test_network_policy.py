"""Each training namespace's NetworkPolicies and the VPC CNI switch that enforces them
(issue 20, "Network")."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest

from gpuforge import policies
from gpuforge.jobs import contract
from gpuforge.model import network_policy
from gpuforge.policies import Outcome

VPC = "10.42.0.0/16"
S3 = ["3.5.0.0/19", "52.216.0.0/15"]
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def by_name(policies_: list[dict]) -> dict[str, dict]:
    return {p["metadata"]["name"]: p["spec"] for p in policies_}


def test_a_namespace_starts_from_default_deny_for_ingress_and_egress():
    out = network_policy.network_policies("team-a", vpc_cidr=VPC, s3_cidrs=S3)
    first = out[0]
    assert first["metadata"] == {
        "name": "default-deny",
        "namespace": "team-a",
        "labels": {"app.kubernetes.io/managed-by": "gpuforge"},
    }
    assert first["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert {p["metadata"]["namespace"] for p in out} == {"team-a"}
    assert [p["metadata"]["name"] for p in out] == network_policy.policy_names()


def test_job_pods_reach_each_other_on_the_rendezvous_and_ephemeral_ports_only():
    spec = by_name(network_policy.network_policies("training", vpc_cidr=VPC))["job-peers"]
    job_pods = {"matchExpressions": [{"key": "gpuforge.dev/job", "operator": "Exists"}]}
    ports = [
        {"protocol": "TCP", "port": contract.RENDEZVOUS_PORT},
        {"protocol": "TCP", "port": 29500},  # Trainer's PET_MASTER_PORT (trainjob)
        {"protocol": "TCP", "port": 32768, "endPort": 60999},
    ]
    assert contract.RENDEZVOUS_PORT == 29400
    assert spec["podSelector"] == job_pods
    assert spec["ingress"] == [{"from": [{"podSelector": job_pods}], "ports": ports}]
    assert spec["egress"] == [{"to": [{"podSelector": job_pods}], "ports": ports}]


def test_every_pod_reaches_dns_the_pod_identity_agent_the_vpc_endpoints_and_s3():
    specs = by_name(network_policy.network_policies("training", vpc_cidr=VPC, s3_cidrs=S3))
    dns, agent = specs["cluster-services"]["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert agent["to"] == [
        {"ipBlock": {"cidr": "169.254.170.23/32"}},
        {"ipBlock": {"cidr": "fd00:ec2::23/128"}},
    ]
    assert agent["ports"] == [{"protocol": "TCP", "port": 80}]
    (endpoints,) = specs["aws-endpoints"]["egress"]
    assert [b["ipBlock"]["cidr"] for b in endpoints["to"]] == [VPC, *S3]
    assert endpoints["ports"] == [{"protocol": "TCP", "port": 443}]
    assert "internet-egress" not in specs


@pytest.mark.parametrize("internet", [False, True])
def test_internet_egress_is_opt_in_and_flagged(internet):
    out = network_policy.network_policies(
        "training", vpc_cidr=VPC, s3_cidrs=S3, internet_egress=internet
    )
    triples = [(p["metadata"]["name"], NETPOL, p) for p in out]
    rule = policies.RULES_BY_ID["GF-NETPOL-001"]
    failed = {
        r.resource.name
        for r in policies.results(triples, rules=[rule])
        if r.outcome is Outcome.FAIL
    }
    assert failed == ({"internet-egress"} if internet else set())
    if internet:
        (rule_,) = by_name(out)["internet-egress"]["egress"]
        assert rule_ == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]}


def test_every_policy_is_a_valid_networking_v1_object():
    for policy in network_policy.network_policies(
        "training", vpc_cidr=VPC, s3_cidrs=S3, internet_egress=True
    ):
        kubernetes_validate.validate(policy, "1.35", strict=True)


def test_the_vpc_cni_add_on_runs_its_network_policy_agent():
    """The chart value is a string at the pinned add-on version (values.yaml:116)."""
    assert network_policy.VPC_CNI_CONFIGURATION == {"enableNetworkPolicy": "true"}


def test_the_platform_enables_network_policy_and_declares_the_namespace_policies():
    from tests.components.conftest import built

    spec, b = built("prod")
    (cni,) = [r for r in b.of("aws:eks/addon:Addon") if r.inputs.get("addonName") == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    others = [r for r in b.of("aws:eks/addon:Addon") if r.inputs.get("addonName") != "vpc-cni"]
    assert all(
        "configurationValues" not in r.inputs
        for r in others
        if r.inputs.get("addonName") in ("kube-proxy", "coredns", "eks-pod-identity-agent")
    )
    declared = {r.inputs["metadata"]["name"]: r.inputs for r in b.of(NETPOL)}
    assert sorted(declared) == sorted(network_policy.policy_names(spec.training.internet_egress))
    assert {d["metadata"]["namespace"] for d in declared.values()} == {spec.training.namespace}
    assert declared["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }


def test_the_emulated_account_answers_the_s3_prefix_list_by_name():
    """What the runtime reads to allow S3 (NetworkPolicy cannot name a prefix list)."""
    from moto import mock_aws

    from gpuforge.emulator.handlers.prefix_lists import get_prefix_list

    class Ctx:
        def __init__(self, client):
            self._client = client

        def client(self, name):
            return self._client

    import boto3

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        out = get_prefix_list(Ctx(ec2), {"name": "com.amazonaws.us-east-1.s3"})
    assert out["name"] == "com.amazonaws.us-east-1.s3" and out["prefixListId"].startswith("pl-")
    assert out["cidrBlocks"] and all("/" in c for c in out["cidrBlocks"])


def test_the_plan_allows_s3_by_the_emulated_account_s_prefix_list(tmp_path):
    """The whole chain in the emulated account: the invoke, the apply, the declared policy."""
    from click.testing import CliRunner

    from gpuforge.cli.main import cli

    result = CliRunner().invoke(cli, ["plan", "-e", "dev", "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (endpoints,) = [
        r
        for r in doc["resources"]
        if r["type"] == NETPOL and r["inputs"]["metadata"]["name"] == "aws-endpoints"
    ]
    (rule_,) = endpoints["inputs"]["spec"]["egress"]
    cidrs = [peer["ipBlock"]["cidr"] for peer in rule_["to"]]
    assert cidrs[0] == "10.10.0.0/16"  # dev's VPC, then the S3 prefix list's CIDRs
    assert "52.216.0.0/15" in cidrs  # one of moto's com.amazonaws.<region>.s3 entries
    assert not any(c in ("0.0.0.0/0", "::/0") for c in cidrs)
