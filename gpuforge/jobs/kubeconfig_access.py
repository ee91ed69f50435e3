"""Access to any cluster through a kubeconfig (`--kubeconfig`, `--context`).

The file is read as every user file is (`gpuforge.model.input_files`: a regular file,
without blocking, to a size cap) and parsed by the one hardened parser
(`gpuforge.model.hardened_yaml`), then checked before the `kubernetes` client sees it:
a kubeconfig that is not a mapping, a token that is not a bearer token (a trailing
newline or CR/LF would become an HTTP header), an exec plugin that is not installed.
Each is one `SpecError` naming the file, line and field (exit 2); a file that cannot
be read at all stays a `ClusterAccessError`, as before.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from gpuforge.jobs.kube_errors import ClusterAccessError
from gpuforge.model.errors import SpecError

# RFC 6750 section 2.1 `b64token`, the grammar of a bearer token in an Authorization
# header: https://www.rfc-editor.org/rfc/rfc6750#section-2.1. Service-account JWTs,
# bootstrap tokens and EKS's `k8s-aws-v1.` tokens all match it.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_LISTS = ("clusters", "contexts", "users")
_HINT = "fix the kubeconfig, or pick another with --kubeconfig/--context"


def kubeconfig_configuration(path: str | None, context: str | None) -> Any:
    """A `kubernetes.client.Configuration` for `context` (else the current one) of the
    kubeconfig at `path` (else the default one); nothing is written back to it."""
    from kubernetes import client, config

    configuration = client.Configuration()
    where = path or "the default kubeconfig"
    for name in [path] if path else _default_files():
        if path or os.path.lexists(name):
            checked_kubeconfig(name, where, context)
    logged = _Swallow()
    root = logging.getLogger()
    root.addFilter(logged)
    try:
        # The client reads the file again itself, so relative certificate paths resolve
        # against its folder; what it reads was checked above.
        config.load_kube_config(
            config_file=path,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
        if logged.messages:  # the client logs an exec plugin's failure and goes on tokenless
            raise config.ConfigException(f"the exec plugin failed: {logged.messages[0]}")
    except (config.ConfigException, OSError, ValueError, TypeError, AttributeError) as exc:
        raise ClusterAccessError(
            f"cannot use {where}: {(str(exc).splitlines() or [type(exc).__name__])[0]}",
            "check --kubeconfig and --context",
        ) from None
    finally:
        root.removeFilter(logged)
    return configuration


class _Swallow(logging.Filter):
    """Keeps the `kubernetes` config loader's root-logger errors (`ERROR:root:...`) off the
    terminal; `kubeconfig_configuration` turns the first into its one-line error."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if "kubernetes" in record.pathname and record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage().splitlines()[0] if record.msg else "")
            return False
        return True


def _default_files() -> list[str]:
    """The kubeconfig files the client reads without --kubeconfig ($KUBECONFIG, else ~/.kube)."""
    named = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return named or [str(Path("~/.kube/config").expanduser())]


def _read(path: str, where: str) -> str:
    from gpuforge.model.input_files import MAX_LARGE_BYTES, read_user_text

    try:
        return read_user_text(path, path, limit=MAX_LARGE_BYTES)
    except SpecError as exc:
        raise ClusterAccessError(
            f"cannot use {where}: {exc.problem}", "check --kubeconfig and --context"
        ) from None


def checked_kubeconfig(path: str, where: str, context: str | None = None) -> dict:
    """The kubeconfig at `path` as data, checked where the client would fail badly.

    The user of `context` (else of the current context) is checked for a usable token
    and an installed exec plugin; other users are left alone, as the client leaves them.
    """
    from gpuforge.model.hardened_yaml import parse_yaml

    text = _read(path, where)
    data, lines = parse_yaml(text, path, strict_scalars=False)

    def fail(loc: tuple, problem: str, hint: str = _HINT) -> SpecError:
        from gpuforge.model.errors import format_path

        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
        return SpecError(format_path(loc) or "(top)", problem, hint, file=path, line=line)

    if data is None:
        raise fail((), "the kubeconfig is empty", "point --kubeconfig at a kubeconfig file")
    if not isinstance(data, dict):
        raise fail((), f"a kubeconfig is a mapping, not a {type(data).__name__}")
    for key in _LISTS:
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise fail((key,), f"expected a list, got {type(entries).__name__}")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise fail((key, i), "expected a mapping with a name")
            body = entry.get(key[:-1])
            if not isinstance(body, dict):
                raise fail((key, i, key[:-1]), "expected a mapping")
    chosen = context or data.get("current-context")
    contexts = {c["name"]: c["context"] for c in data.get("contexts") or []}
    user_name = (contexts.get(chosen) or {}).get("user") if isinstance(chosen, str) else None
    for i, entry in enumerate(data.get("users") or []):
        if entry["name"] == user_name:
            _check_user(entry["user"], ("users", i, "user"), fail)
    return data


def _check_user(user: dict, loc: tuple, fail) -> None:
    token = user.get("token")
    if token is not None and not (isinstance(token, str) and _BEARER_TOKEN.fullmatch(token)):
        bad = next((c for c in str(token) if not _BEARER_TOKEN.fullmatch(c)), "")
        raise fail(
            (*loc, "token"),
            f"not a bearer token: it holds {bad!r}" if bad else "not a bearer token",
            "a token is one line of letters, digits and -._~+/=: remove the trailing "
            "newline or spaces",
        )
    plugin = user.get("exec")
    if plugin is not None:
        if not isinstance(plugin, dict) or not isinstance(plugin.get("command"), str):
            raise fail((*loc, "exec"), "expected a mapping with a command")
        command = plugin["command"]
        if shutil.which(command) is None:
            raise fail(
                (*loc, "exec", "command"),
                f"the exec plugin {command!r} is not installed (not on PATH)",
                f"install {command} (for EKS: the AWS CLI, `aws eks get-token`) "
                "or use another --context",
            )
