"""Access to any cluster through a kubeconfig (`--kubeconfig`, `--context`)."""

from __future__ import annotations

from typing import Any

from gpuforge.jobs.kube_errors import ClusterAccessError


def kubeconfig_configuration(path: str | None, context: str | None) -> Any:
    """A `kubernetes.client.Configuration` for `context` (else the current one) of the
    kubeconfig at `path` (else the default one); nothing is written back to it."""
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
