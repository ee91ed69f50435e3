"""How the Pulumi Kubernetes provider reaches an EKS cluster: a kubeconfig with no stored token."""

from __future__ import annotations

from typing import Any


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig for the Kubernetes provider: the cluster's endpoint and CA, and an exec
    credential (`aws eks get-token`) run by the provider each time, so no token is stored
    and nothing is written to disk."""
    cluster = {"server": endpoint, "certificate-authority-data": ca_data}
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
        "interactiveMode": "Never",
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "contexts": [
            {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
        ],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": credential}}],
    }
