"""The one module that talks to a Kubernetes API: access, retries, and plain-dict calls.

Access comes from the environment itself (the EKS cluster `gpuforge-<env>`: its
endpoint and CA from `eks.describe_cluster`, a token made the way `aws eks
get-token` makes it, held in memory only) or, for any other cluster, from a
kubeconfig (`--kubeconfig`/`--context`).

Every call goes through `Kube._call`, which retries with exponential backoff and
full jitter on 429 (honouring Retry-After), 5xx and broken connections, but only
for idempotent calls (GET, LIST, DELETE). A create is retried only after a GET
shows the object was not stored: a create whose response was lost may have
succeeded, and the object then carries this launch's id (`LAUNCH_ID`).

The kubernetes client and boto3 are imported inside functions: the job commands
that never reach a cluster (`--help`, `launch --dry-run`) do not pay for them.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpuforge.jobs.resources import POD, Resource
from gpuforge.model.names import TAG_PREFIX, cluster_name

LAUNCH_ID = f"{TAG_PREFIX}/launch-id"
"""Annotation naming the launch that created an object (tells a lost response from a clash)."""

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGN_EXPIRES_S = 60
"""The presigned URL's X-Amz-Expires, as `aws eks get-token` sets it."""
TOKEN_REFRESH_S = 10 * 60
"""EKS accepts a token for 15 minutes; make a new one after 10 (aws-cli says 14)."""

TIMEOUT = (5.0, 30.0)  # connect, read (seconds)


# -- errors ------------------------------------------------------------------------


class KubeError(Exception):
    """A failure talking to the cluster, with a message a person can act on."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ClusterAccessError(KubeError):
    """No way in: no cluster, no credentials, a bad kubeconfig."""


class ApiUnreachable(KubeError):
    """The API server did not answer (after the retries)."""


class ApiFailure(KubeError):
    """The API server answered with an error."""

    def __init__(self, status: int, reason: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason


class Conflict(ApiFailure):
    """409: the object exists."""


# -- retry policy ------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """How often and how long to retry: exponential backoff with full jitter."""

    attempts: int = 6
    """Tries of one call in all (the first one included)."""
    connect_attempts: int = 3
    """Tries when nothing answers at all (connection refused, DNS, connect timeout)."""
    base_s: float = 0.25
    cap_s: float = 8.0
    max_retry_after_s: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try `attempt + 1` (attempt counts from 0)."""
        backoff = random.uniform(0, min(self.cap_s, self.base_s * 2**attempt))
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s) + backoff * 0.1
        return backoff


DEFAULT_RETRY = RetryPolicy()


def _retry_after(headers: Any) -> float | None:
    value = (headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to backoff


# -- the client ----------------------------------------------------------------------


class Kube:
    """Plain-dict calls on one API server, with retries.

    :param api_client: a `kubernetes.client.ApiClient` already pointed at the server.
    :param where: the server's address, for messages.
    """

    def __init__(self, api_client: Any, where: str, retry: RetryPolicy | None = None) -> None:
        self.api_client = api_client
        self.where = where
        self.retry = retry or DEFAULT_RETRY

    # -- verbs -----------------------------------------------------------------------

    def get(self, resource: Resource, namespace: str, name: str) -> dict | None:
        """The object, or None when it does not exist."""
        try:
            return self._call("GET", resource.path(namespace, name))
        except ApiFailure as exc:
            if exc.status == 404:
                return None
            raise

    def list(
        self, resource: Resource, namespace: str, labels: dict[str, str] | None = None
    ) -> list[dict]:
        """Objects of `resource` in `namespace` carrying every label in `labels`.

        The selector is sent and applied again here (the emulated API ignores it).
        An uninstalled custom resource (404 on the collection) lists as empty.
        """
        query = []
        if labels:
            query.append(("labelSelector", ",".join(f"{k}={v}" for k, v in labels.items())))
        try:
            doc = self._call("GET", resource.path(namespace), query=query)
        except ApiFailure as exc:
            if exc.status == 404 and resource.custom:
                return []
            raise
        items = (doc or {}).get("items") or []
        for item in items:  # lists leave out apiVersion and kind
            item.setdefault("apiVersion", resource.api_version)
            item.setdefault("kind", resource.kind)
        return [i for i in items if matches(i, labels or {})]

    def delete(self, resource: Resource, namespace: str, name: str) -> bool:
        """Delete one object (its dependents in the background); False when it was gone."""
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        try:
            self._call("DELETE", resource.path(namespace, name), body=body)
            return True
        except ApiFailure as exc:
            if exc.status == 404:
                return False
            raise

    def create(self, resource: Resource, namespace: str, body: dict) -> dict:
        """Create one object; safe to call when the response may be lost.

        A create is retried only after a GET shows nothing was stored. If the object
        is there and carries this body's `LAUNCH_ID`, the earlier try succeeded and
        its object is returned; any other object of that name is a `Conflict`.
        """
        name = body["metadata"]["name"]
        ours = (body["metadata"].get("annotations") or {}).get(LAUNCH_ID)
        path = resource.path(namespace)
        ambiguous = False
        attempt = 0
        while True:
            try:
                return self._call("POST", path, body=body, idempotent=False)
            except _Retryable as exc:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise exc.final(self.where) from None
                ambiguous = ambiguous or exc.may_have_arrived
                self.retry.sleep(self.retry.delay(attempt - 1, exc.retry_after))
                if ambiguous:
                    existing = self.get(resource, namespace, name)
                    if existing is not None:
                        return self._claim(existing, ours, resource, name)
            except Conflict:
                existing = self.get(resource, namespace, name) if ambiguous else None
                if existing is not None:
                    return self._claim(existing, ours, resource, name)
                raise

    def _claim(self, existing: dict, ours: str | None, resource: Resource, name: str) -> dict:
        theirs = (existing.get("metadata", {}).get("annotations") or {}).get(LAUNCH_ID)
        if ours is not None and theirs == ours:
            return existing
        raise Conflict(409, "AlreadyExists", f"{resource.kind} {name} already exists")

    def log(self, namespace: str, pod: str, container: str | None = None) -> str:
        """The pod's log (its current container run) as text."""
        query = [("container", container)] if container else []
        return self._call("GET", POD.path(namespace, pod) + "/log", query=query, text=True)

    # -- transport -------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: list | None = None,
        body: dict | None = None,
        idempotent: bool = True,
        text: bool = False,
    ) -> Any:
        attempt = 0
        while True:
            try:
                return self._once(method, path, query, body, text)
            except _Retryable as exc:
                if not idempotent:
                    raise
                attempt += 1
                limit = self.retry.attempts if exc.may_have_arrived or exc.status else None
                limit = limit or self.retry.connect_attempts
                if attempt >= limit:
                    raise exc.final(self.where) from None
                self.retry.sleep(self.retry.delay(attempt - 1, exc.retry_after))

    def _once(self, method: str, path: str, query: list | None, body: Any, text: bool) -> Any:
        import json

        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import (
            ConnectTimeoutError,
            HTTPError,
            NewConnectionError,
            ProtocolError,
        )

        try:
            response = self.api_client.call_api(
                path,
                method,
                query_params=query or [],
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=TIMEOUT,
                _return_http_data_only=True,
            )
        except ApiException as exc:
            status = exc.status or 0
            if status == 429 or status >= 500:
                raise _Retryable(status, _message(exc), _retry_after(exc.headers)) from None
            cls = Conflict if status == 409 else ApiFailure
            raise cls(status, exc.reason or "", _message(exc)) from None
        except (NewConnectionError, ConnectTimeoutError) as exc:
            raise _Retryable(0, _reason(exc), None, may_have_arrived=False) from None
        except (ProtocolError, ConnectionError) as exc:
            raise _Retryable(0, _reason(exc), None, may_have_arrived=True) from None
        except HTTPError as exc:  # read timeouts and the rest of urllib3's failures
            raise _Retryable(0, _reason(exc), None, may_have_arrived=True) from None
        data = response.data.decode("utf-8", "replace")
        if text:
            return data
        return json.loads(data) if data else {}


class _Retryable(Exception):
    """A failure worth another try: 429, 5xx, or no answer (status 0)."""

    def __init__(
        self, status: int, message: str, retry_after: float | None, may_have_arrived: bool = True
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.may_have_arrived = may_have_arrived if status != 429 else False

    def final(self, where: str) -> KubeError:
        if self.status:
            return ApiFailure(
                self.status,
                "",
                f"the Kubernetes API at {where} answered {self.status}: {self.message}",
                "retried with backoff; try again later",
            )
        return ApiUnreachable(
            f"cannot reach the Kubernetes API at {where}: {self.message}",
            "is the cluster up, and this machine on its network? "
            "--kubeconfig/--context pick another cluster",
        )


def _message(exc: Any) -> str:
    import json

    try:
        return json.loads(exc.body).get("message") or exc.reason or str(exc.status)
    except (TypeError, ValueError, AttributeError):
        return exc.reason or str(exc.status)


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    for known in ("Connection refused", "Connection reset", "timed out", "Name or service"):
        if known.lower() in text.lower():
            return known.lower()
    return text.split(": ", 1)[-1][:120]


def matches(obj: dict, labels: dict[str, str]) -> bool:
    """Whether `obj` carries every label in `labels`."""
    have = obj.get("metadata", {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


# -- access --------------------------------------------------------------------------


def connect(env: Any, kubeconfig: str | None = None, context: str | None = None) -> Kube:
    """A `Kube` for environment `env`: its EKS cluster, or the kubeconfig given."""
    if kubeconfig or context:
        configuration = _from_kubeconfig(kubeconfig, context)
        ca_pem = None
    else:
        configuration, ca_pem = _from_eks(env)
    from kubernetes import client

    configuration.retries = False  # every retry is decided in Kube._call
    api_client = client.ApiClient(configuration)
    if ca_pem is not None:
        # The CA stays in memory as well: urllib3 takes the PEM itself.
        pool = api_client.rest_client.pool_manager
        pool.connection_pool_kw["ca_cert_data"] = ca_pem
        pool.connection_pool_kw.pop("ca_certs", None)
    return Kube(api_client, configuration.host)


def _from_kubeconfig(path: str | None, context: str | None) -> Any:
    from kubernetes import client, config

    configuration = client.Configuration()
    try:
        config.load_kube_config(
            config_file=path,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (config.ConfigException, OSError, ValueError) as exc:
        where = path or "the default kubeconfig"
        raise ClusterAccessError(
            f"cannot use {where}: {str(exc).splitlines()[0]}",
            "check --kubeconfig and --context",
        ) from None
    return configuration


def _from_eks(env: Any) -> tuple[Any, str]:
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
    source = _TokenSource(sts, name, token)
    configuration.api_key = {"authorization": f"Bearer {token}"}
    configuration.refresh_api_key_hook = source.refresh
    # PEM text: urllib3 reads bytes as DER.
    ca_pem = base64.b64decode(cluster["certificateAuthority"]["data"]).decode("ascii", "replace")
    return configuration, ca_pem


# -- the EKS token -------------------------------------------------------------------


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


class _TokenSource:
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
