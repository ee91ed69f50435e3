"""Cluster access from the environment itself, against the emulated AWS account (moto)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest

from gpuforge.emulator import EmulatedAccount
from gpuforge.jobs import eks_access, kube_client, kube_errors
from gpuforge.model.loader import load_env
from tests.conftest import ROOT


@pytest.fixture
def prod():
    return load_env(str(ROOT / "stacks" / "prod.yaml"))[1]


@pytest.fixture
def account():
    with EmulatedAccount(region="us-east-1") as acc:
        yield acc


def _create_cluster(account, name="gpuforge-prod"):
    account.client("eks").create_cluster(
        name=name,
        roleArn=f"arn:aws:iam::{account.account_id}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    return account.client("eks").describe_cluster(name=name)["cluster"]


def _decode(token: str) -> str:
    assert token.startswith("k8s-aws-v1.")
    body = token.removeprefix("k8s-aws-v1.")
    assert "=" not in body  # base64url, padding stripped
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def test_connect_uses_describe_cluster_and_an_in_memory_token(account, prod, tmp_path):
    cluster = _create_cluster(account)
    client = kube_client.connect(prod)
    config = client.api_client.configuration
    assert config.host == cluster["endpoint"]
    auth = config.api_key["authorization"]
    assert auth.startswith("Bearer k8s-aws-v1.")
    pool_kw = client.api_client.rest_client.pool_manager.connection_pool_kw
    ca = base64.b64decode(cluster["certificateAuthority"]["data"]).decode("ascii", "replace")
    assert pool_kw["ca_cert_data"] == ca and "ca_certs" not in pool_kw
    assert config.ssl_ca_cert is None  # nothing written to disk


def test_token_is_a_presigned_get_caller_identity_with_the_cluster_header(account):
    import boto3

    before = datetime.now(UTC).replace(microsecond=0)
    sts = eks_access.eks_sts_client(boto3.session.Session(region_name="us-east-1"), "us-east-1")
    url = urlparse(_decode(eks_access.eks_token(sts, "gpuforge-prod")))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.scheme == "https" and url.hostname == "sts.us-east-1.amazonaws.com"
    assert (query["Action"], query["Version"]) == ("GetCallerIdentity", "2011-06-15")
    assert query["X-Amz-Expires"] == "60"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((signed_at - before).total_seconds()) < 60
    assert query["X-Amz-Credential"].split("/")[2:4] == ["us-east-1", "sts"]


def test_token_is_remade_when_old(account, monkeypatch):
    import boto3

    sts = eks_access.eks_sts_client(boto3.session.Session(region_name="us-east-1"), "us-east-1")
    source = eks_access.TokenSource(sts, "gpuforge-prod", "old")
    config = type("C", (), {"api_key": {"authorization": "Bearer old"}})()
    source.refresh(config)
    assert config.api_key["authorization"] == "Bearer old"
    source.made -= eks_access.TOKEN_REFRESH_S + 1
    source.refresh(config)
    assert config.api_key["authorization"].startswith("Bearer k8s-aws-v1.")


def test_a_missing_cluster_says_how_to_get_one(account, prod):
    with pytest.raises(kube_errors.ClusterAccessError) as err:
        kube_client.connect(prod)
    assert err.value.message == "no EKS cluster gpuforge-prod in us-east-1"
    assert "pulumi up -s prod" in err.value.hint and "--kubeconfig" in err.value.hint
