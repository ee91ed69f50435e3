"""Network policy: the VPC CNI's enforcement switch and each training namespace's policies.

Every training namespace starts from default deny, ingress and egress
(`network_policies(namespace, ...)`); on top of it a job's pods may reach one another on
the rendezvous and NCCL bootstrap ports, and every pod may reach cluster DNS, the
Pod Identity agent, the VPC's interface endpoints and S3. Egress to the internet is
opt-in per namespace (`internet_egress=True`) and GF-NETPOL-001 flags it.

Where each allowance comes from:

- rendezvous: torchrun's c10d store on rank 0, `contract.RENDEZVOUS_PORT` (29400,
  torch/distributed/run.py `--rdzv-endpoint` default port); the trainjob backend's static
  rendezvous is Trainer's `PET_MASTER_PORT`, 29500
  (kubeflow/trainer@658725bdae5c7e3a0854d93ac6ff492e109a22ab (v2.3.0)
  :pkg/constants/constants.go:72 `ContainerTrainerPort`).
- NCCL bootstrap (always TCP sockets, NVIDIA/nccl src/bootstrap.cc), NCCL's socket
  transport (its TCP fallback, src/transport/net_socket.cc), Gloo and torchrun's worker
  TCPStore listen on ports the kernel picks (port 0) from the ephemeral range
  (`net.ipv4.ip_local_port_range`, 32768-60999 by default), so that range is open between
  a namespace's job pods. EFA traffic is not IP: it bypasses the kernel and NetworkPolicy
  never sees it; the EFA security group (admitting only itself) is what limits it
  (docs/security.md).
- DNS: kube-dns in kube-system, UDP and TCP 53.
- Pod Identity: the agent on each node at 169.254.170.23:80 (and fd00:ec2::23)
  (aws/eks-pod-identity-agent@d4dc0f3fedd795b26ac88755238867a2110c7460
  :configuration/config.go:4-5 and cmd/server.go:136).
- VPC endpoints: HTTPS to the VPC CIDR (the interface endpoints' ENIs sit in it).
- S3: NetworkPolicy cannot name a prefix list, and S3 through the gateway endpoint goes to
  S3's public addresses. The runtime reads the gateway endpoint's prefix list
  (`com.amazonaws.<region>.s3`) at deploy time and allows HTTPS to its CIDRs: S3 and
  nothing else. A change to the list needs another `pulumi up`.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model import names

VPC_CNI_ADDON = "vpc-cni"
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}
"""The vpc-cni add-on's configuration values: the network policy agent on, so NetworkPolicy
is enforced. The add-on takes the chart's values; at the add-on version the emulated
account pins (v1.19.5) `enableNetworkPolicy` is a string, default `"false"`
(aws/amazon-vpc-cni-k8s@2c223fbd2ab60447261c76a956fd87ba5cb3f0fb
:charts/aws-vpc-cni/values.yaml:116; it sets `--enable-network-policy` on the node agent,
templates/daemonset.yaml:147, and `enable-network-policy-controller` in the ConfigMap,
templates/configmap.yaml:21). EKS documents the same key:
https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html"""

RENDEZVOUS_PORT = 29400
"""torchrun's default c10d rendezvous port (torch/distributed/run.py); the job contract
(`gpuforge.jobs.contract.RENDEZVOUS_PORT`) takes it from here."""
TRAINER_MASTER_PORT = 29500
"""Kubeflow Trainer's `PET_MASTER_PORT` (v2.3.0 `constants.ContainerTrainerPort`)."""
EPHEMERAL_PORTS = (32768, 60999)
"""Linux's default `net.ipv4.ip_local_port_range`: where NCCL's bootstrap and socket
listeners, Gloo and torchrun's worker TCPStore bind (port 0)."""
POD_IDENTITY_AGENT = ("169.254.170.23/32", "fd00:ec2::23/128")
POD_IDENTITY_PORT = 80
INTERNET = ("0.0.0.0/0", "::/0")

DEFAULT_DENY = "default-deny"
JOB_PEERS = "job-peers"
CLUSTER_SERVICES = "cluster-services"
AWS_ENDPOINTS = "aws-endpoints"
INTERNET_EGRESS = "internet-egress"

_JOB_PODS = {"matchExpressions": [{"key": names.JOB_LABEL, "operator": "Exists"}]}
"""Every job pod gpuforge renders carries the job label."""


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(names.MANAGED_LABELS)},
        "spec": spec,
    }


def _tcp(port: int, end: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": "TCP", "port": port}
    if end is not None:
        out["endPort"] = end
    return out


def job_ports() -> list[dict[str, Any]]:
    return [_tcp(RENDEZVOUS_PORT), _tcp(TRAINER_MASTER_PORT), _tcp(*EPHEMERAL_PORTS)]


def network_policies(
    namespace: str,
    *,
    vpc_cidr: str,
    s3_cidrs: list[str] | tuple[str, ...] = (),
    internet_egress: bool = False,
) -> list[dict[str, Any]]:
    """The NetworkPolicies of training namespace `namespace`, default deny first."""
    peers = [{"podSelector": _JOB_PODS}]
    out = [
        _policy(namespace, DEFAULT_DENY, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _policy(
            namespace,
            JOB_PEERS,
            {
                "podSelector": _JOB_PODS,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": peers, "ports": job_ports()}],
                "egress": [{"to": peers, "ports": job_ports()}],
            },
        ),
        _policy(
            namespace,
            CLUSTER_SERVICES,
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    },
                    {
                        "to": [{"ipBlock": {"cidr": cidr}} for cidr in POD_IDENTITY_AGENT],
                        "ports": [_tcp(POD_IDENTITY_PORT)],
                    },
                ],
            },
        ),
    ]
    endpoints = [{"ipBlock": {"cidr": cidr}} for cidr in [vpc_cidr, *s3_cidrs]]
    out.append(
        _policy(
            namespace,
            AWS_ENDPOINTS,
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": endpoints, "ports": [_tcp(443)]}],
            },
        )
    )
    if internet_egress:
        out.append(
            _policy(
                namespace,
                INTERNET_EGRESS,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": cidr}} for cidr in INTERNET]}],
                },
            )
        )
    return out


def policy_names(internet_egress: bool = False) -> list[str]:
    """The names `network_policies` returns, in its order (known before the S3 CIDRs are)."""
    out = [DEFAULT_DENY, JOB_PEERS, CLUSTER_SERVICES, AWS_ENDPOINTS]
    return out + [INTERNET_EGRESS] if internet_egress else out
