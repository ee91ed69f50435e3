"""Access to an environment's own EKS cluster, and the token `aws eks get-token` makes.

The cluster is `gpuforge-<env>`: its endpoint and CA come from
`eks.describe_cluster`, and the bearer token is a presigned STS
GetCallerIdentity URL, made here and held in memory only (renewed after
`TOKEN_REFRESH_S`). boto3 and the kubernetes client are imported inside
functions, so importing this module stays light.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from gpuforge.jobs.kube_errors import ClusterAccessError
from gpuforge.model.names import cluster_name
from gpuforge.model.spec import EnvironmentSpec

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGN_EXPIRES_S = 60
"""The presigned URL's X-Amz-Expires, as `aws eks get-token` sets it."""
TOKEN_REFRESH_S = 10 * 60
"""EKS accepts a token for 15 minutes; make a new one after 10 (aws-cli says 14)."""


def eks_configuration(env: EnvironmentSpec) -> tuple[Any, str]:
    """The environment's EKS cluster as a `kubernetes.client.Configuration` (endpoint and
    a token that renews itself) and its CA as PEM text, both held in memory only."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    from kubernetes import client

    name = cluster_name(env.environment)
    session = boto3.session.Session(region_name=env.region)
    try:
        cluster = session.client("eks").describe_cluster(name=name)["cluster"]
        sts = eks_sts_client(session, env.region)
        token = eks_token(sts, name)
    except NoCredentialsError:
        raise ClusterAccessError(
            "no AWS credentials to reach the environment's cluster",
            "sign in to AWS (aws sso login, or AWS_PROFILE), or pass --kubeconfig",
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise ClusterAccessError(
                f"no EKS cluster {name} in {env.region}",
                f"deploy the environment first (pulumi up -s {env.environment}), "
                "or pass --kubeconfig",
            ) from None
        raise ClusterAccessError(
            f"cannot describe EKS cluster {name}: {code}", "check your AWS permissions"
        ) from None
    except BotoCoreError as exc:
        raise ClusterAccessError(f"cannot reach AWS: {exc}", "check the network") from None
    if cluster.get("status", "ACTIVE") != "ACTIVE":
        raise ClusterAccessError(
            f"EKS cluster {name} is {cluster['status']}", "wait until it is ACTIVE"
        )
    configuration = client.Configuration()
    configuration.host = cluster["endpoint"]
    configuration.verify_ssl = True
    source = TokenSource(sts, name, token)
    configuration.api_key = {"authorization": f"Bearer {token}"}
    configuration.refresh_api_key_hook = source.refresh
    # PEM text: urllib3 reads bytes as DER.
    ca_pem = base64.b64decode(cluster["certificateAuthority"]["data"]).decode("ascii", "replace")
    return configuration, ca_pem


# -- the token -----------------------------------------------------------------------


def eks_sts_client(session: Any, region: str) -> Any:
    """An STS client (regional endpoint) that signs the cluster-id header into GetCallerIdentity."""
    sts = session.client("sts", region_name=region)

    def take_cluster_id(params, context, **_):
        if CLUSTER_ID_HEADER in params:
            context[CLUSTER_ID_HEADER] = params.pop(CLUSTER_ID_HEADER)

    def add_header(request, **_):
        if CLUSTER_ID_HEADER in request.context:
            request.headers[CLUSTER_ID_HEADER] = request.context[CLUSTER_ID_HEADER]

    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", take_cluster_id)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
    return sts


def eks_token(sts: Any, cluster: str) -> str:
    """A bearer token for EKS, as `aws eks get-token` makes it.

    A presigned STS GetCallerIdentity URL (60 s expiry, the `x-k8s-aws-id: <cluster>`
    header signed in), base64url without padding, prefixed `k8s-aws-v1.`. Nothing is
    sent to AWS to make it; EKS checks it by calling the URL.
    """
    url = sts.generate_presigned_url(
        "get_caller_identity",
        Params={CLUSTER_ID_HEADER: cluster},
        ExpiresIn=PRESIGN_EXPIRES_S,
        HttpMethod="GET",
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


class TokenSource:
    """Makes a new token when the held one is old (the client asks before every call)."""

    def __init__(self, sts: Any, cluster: str, token: str) -> None:
        self.sts = sts
        self.cluster = cluster
        self.made = time.monotonic()
        self.token = token

    def refresh(self, configuration: Any) -> None:
        if time.monotonic() - self.made < TOKEN_REFRESH_S:
            return
        self.token = eks_token(self.sts, self.cluster)
        self.made = time.monotonic()
        configuration.api_key = {"authorization": f"Bearer {self.token}"}
