"""The one client of a Kubernetes API: plain-dict calls with retries, and `connect`.

`connect(env)` reaches the environment's EKS cluster (`gpuforge.jobs.eks_access`)
or, for any other cluster, the one a kubeconfig names (`gpuforge.jobs.kubeconfig_access`).

Every call goes through `Kube._call`, which retries with exponential backoff and
full jitter on 429 (honouring Retry-After), 5xx and broken connections, but only
for idempotent calls (GET, LIST, DELETE). A create is retried only after a GET
shows the object was not stored: a create whose response was lost may have
succeeded, and the object then carries this launch's id
(`gpuforge.jobs.launch_annotations.LAUNCH_ID`).

The kubernetes client is imported inside functions: the job commands that never
reach a cluster (`--help`, `launch --dry-run`) do not pay for it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpuforge.jobs.eks_access import eks_configuration
from gpuforge.jobs.kube_errors import ApiFailure, ApiUnreachable, Conflict, KubeError
from gpuforge.jobs.kubeconfig_access import kubeconfig_configuration
from gpuforge.jobs.launch_annotations import launch_id
from gpuforge.jobs.resources import POD, Resource
from gpuforge.model.spec import EnvironmentSpec

TIMEOUT = (5.0, 30.0)  # connect, read (seconds)


class ClaimedElsewhere(Conflict):
    """A create retried after a lost answer found another launch's object of that name."""


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


class Kube:
    """Plain-dict calls on one API server, with retries.

    :param api_client: a `kubernetes.client.ApiClient` already pointed at the server.
    :param where: the server's address, for messages.
    """

    def __init__(self, api_client: Any, where: str, retry: RetryPolicy | None = None) -> None:
        self.api_client = api_client
        self.where = where
        self.retry = retry or DEFAULT_RETRY
        self.warnings: list[str] = []
        """`Warning` headers the server sent (admission warnings, e.g. PodSecurity's `warn`),
        in order; `take_warnings` empties it."""

    def take_warnings(self) -> list[str]:
        """The warnings received since the last call."""
        taken, self.warnings = self.warnings, []
        return taken

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

    def patch(self, resource: Resource, namespace: str, name: str, changes: dict) -> dict:
        """A JSON merge patch (RFC 7386) of one object; the object as patched."""
        return self._call(
            "PATCH",
            resource.path(namespace, name),
            body=changes,
            content_type="application/merge-patch+json",
        )

    def create(self, resource: Resource, namespace: str, body: dict) -> dict:
        """Create one object; safe to call when the response may be lost.

        A create is retried only after a GET shows nothing was stored. If the object
        is there and carries this body's launch id (`launch_annotations.LAUNCH_ID`),
        the earlier try succeeded and its object is returned; any other object of that
        name (another launch id, or none) is a `Conflict`.
        """
        name = body["metadata"]["name"]
        ours = launch_id(body)
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
        if ours is not None and launch_id(existing) == ours:
            return existing
        raise ClaimedElsewhere(409, "AlreadyExists", f"{resource.kind} {name} already exists")

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
        content_type: str = "application/json",
    ) -> Any:
        attempt = 0
        while True:
            try:
                return self._once(method, path, query, body, text, content_type)
            except _Retryable as exc:
                if not idempotent:
                    raise
                attempt += 1
                limit = self.retry.attempts if exc.may_have_arrived or exc.status else None
                limit = 1 if exc.silent else limit or self.retry.connect_attempts
                if attempt >= limit:
                    raise exc.final(self.where) from None
                self.retry.sleep(self.retry.delay(attempt - 1, exc.retry_after))

    def _once(
        self,
        method: str,
        path: str,
        query: list | None,
        body: Any,
        text: bool,
        content_type: str = "application/json",
    ) -> Any:
        import json

        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import (
            ConnectTimeoutError,
            HTTPError,
            NewConnectionError,
            ProtocolError,
            ReadTimeoutError,
        )

        try:
            response = self.api_client.call_api(
                path,
                method,
                query_params=query or [],
                header_params={"Accept": "application/json", "Content-Type": content_type},
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
        except ReadTimeoutError:
            # Connected, and nothing came back within the read timeout: a server that is up
            # answers 429/5xx when busy, so another try would wait as long again. One try.
            raise _Retryable(
                0,
                f"the server accepted the connection but sent no answer in {TIMEOUT[1]:g} s",
                None,
                may_have_arrived=True,
                silent=True,
            ) from None
        except (ProtocolError, ConnectionError) as exc:
            raise _Retryable(0, _reason(exc), None, may_have_arrived=True) from None
        except HTTPError as exc:  # read timeouts and the rest of urllib3's failures
            raise _Retryable(0, _reason(exc), None, may_have_arrived=True) from None
        headers = getattr(response, "headers", None)
        if hasattr(headers, "getlist"):
            self.warnings += warning_texts(headers.getlist("Warning"))
        data = response.data.decode("utf-8", "replace")
        if text:
            return data
        return json.loads(data) if data else {}


def warning_texts(headers: list[str]) -> list[str]:
    """The text of each `Warning: 299 - "text"` header (RFC 7234 5.5, as kube-apiserver sends)."""
    texts = []
    for header in headers:
        _, _, rest = header.partition(" - ")
        rest = rest.strip()
        if rest.startswith('"'):
            rest = rest[1 : rest.rfind('"')] if rest.count('"') > 1 else rest[1:]
            rest = rest.replace('\\"', '"')
        texts.append(rest or header)
    return texts


class _Retryable(Exception):
    """A failure worth another try: 429, 5xx, or no answer (status 0)."""

    def __init__(
        self,
        status: int,
        message: str,
        retry_after: float | None,
        may_have_arrived: bool = True,
        silent: bool = False,
    ) -> None:
        super().__init__(message)
        self.silent = silent  # connected, but no answer within the read timeout
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


def connect(
    env: EnvironmentSpec, kubeconfig: str | None = None, context: str | None = None
) -> Kube:
    """A `Kube` for environment `env`: its EKS cluster, or the kubeconfig given."""
    from gpuforge import lazy_packages

    # the ApiClient, not the ~700 model classes `kubernetes.client` imports (issue 23)
    lazy_packages.install(lazy_packages.KUBERNETES)
    if kubeconfig or context:
        configuration = kubeconfig_configuration(kubeconfig, context)
        ca_pem = None
    else:
        configuration, ca_pem = eks_configuration(env)
    from kubernetes import client

    configuration.retries = False  # every retry is decided in Kube._call
    api_client = client.ApiClient(configuration)
    if ca_pem is not None:
        # The CA stays in memory as well: urllib3 takes the PEM itself.
        pool = api_client.rest_client.pool_manager
        pool.connection_pool_kw["ca_cert_data"] = ca_pem
        pool.connection_pool_kw.pop("ca_certs", None)
    return Kube(api_client, configuration.host)
