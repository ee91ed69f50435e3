"""Failures talking to a Kubernetes API, each with a message a person can act on."""

from __future__ import annotations


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
