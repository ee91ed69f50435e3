"""Kubernetes name rules: DNS-1123 labels and subdomains, label keys and values, taints.

The same rules the API server applies (`k8s.io/apimachinery/pkg/util/validation`),
written once so the environment spec and the training-job spec check names the
way Kubernetes will. Each `*_problem` function returns None for a valid name, or
a short phrase naming the rule and its limit, for the caller's error message.

Every pattern is matched with `fullmatch` against the whole string: `$` would
accept a trailing newline. Character classes are spelled out in ASCII, so a
Unicode look-alike (a Cyrillic "о", a full-width digit) never passes as a letter.
Pure Python, no Pulumi: the job path imports it.
"""

from __future__ import annotations

import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_NAME_MAX = 63
"""The name part of a label key (after the optional `prefix/`)."""
LABEL_VALUE_MAX = 63

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")

KUBERNETES_NAMESPACES = ("kubernetes.io", "k8s.io")
"""Label key prefixes (and their subdomains) that belong to the Kubernetes project."""
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
"""Prefixes under kubernetes.io that NodeRestriction lets a kubelet set on its own Node."""
KUBELET_WELL_KNOWN_LABELS = (
    "kubernetes.io/hostname",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
)
"""Labels the kubelet (or the cloud provider) sets itself from the machine it runs on."""


def dns1123_label_problem(value: str, max_length: int = DNS1123_LABEL_MAX) -> str | None:
    """None for a DNS-1123 label (namespaces, pool names); else what is wrong."""
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"is {len(value)} characters, more than {max_length}"
    if not _DNS1123_LABEL.fullmatch(value):
        return (
            "must be lower-case letters a-z, digits and '-', starting and ending with a "
            "letter or digit"
        )
    return None


def dns1035_label_problem(value: str, max_length: int = DNS1123_LABEL_MAX) -> str | None:
    """None for an RFC 1035 label (Service names: a DNS-1123 label that starts with a letter)."""
    problem = dns1123_label_problem(value, max_length)
    if problem is None and not value[0].isalpha():
        return "must start with a lower-case letter a-z"
    return problem


_ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


def env_var_name_problem(name: str) -> str | None:
    """None for a container environment variable name; else what is wrong."""
    if not _ENV_VAR_NAME.fullmatch(name):
        return "must be letters, digits, '_', '-' or '.', not starting with a digit"
    return None


def dns1123_subdomain_problem(value: str) -> str | None:
    """None for a DNS-1123 subdomain (a label key's prefix); else what is wrong."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return f"is {len(value)} characters, more than {DNS1123_SUBDOMAIN_MAX}"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return "must be a DNS subdomain: dot-separated lower-case a-z, 0-9 and '-'"
    return None


def split_key(key: str) -> tuple[str, str]:
    """(`prefix`, `name`) of a label or taint key; prefix is '' when there is none."""
    prefix, slash, name = key.rpartition("/")
    return (prefix, name) if slash else ("", key)


def label_key_problem(key: str) -> str | None:
    """None for a valid label (or taint, annotation) key: `[prefix/]name`."""
    if not key:
        return "a label key must not be empty"
    if key.count("/") > 1:
        return "a label key has at most one '/' (prefix/name)"
    prefix, name = split_key(key)
    if "/" in key:
        problem = dns1123_subdomain_problem(prefix)
        if problem:
            return f"the prefix {prefix!r} {problem}"
    if not name:
        return "the name after the prefix must not be empty"
    if len(name) > LABEL_NAME_MAX:
        return f"the name {name!r} is {len(name)} characters, more than {LABEL_NAME_MAX}"
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            f"the name {name!r} must be letters A-Z a-z, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """None for a valid label (or taint) value: empty or up to 63 of [A-Za-z0-9-_.]."""
    if len(value) > LABEL_VALUE_MAX:
        return f"the value is {len(value)} characters, more than {LABEL_VALUE_MAX}"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            "the value must be letters A-Z a-z, digits, '-', '_' and '.', starting and "
            "ending with a letter or digit"
        )
    return None


taint_key_problem = label_key_problem
"""Taint keys follow the label-key syntax."""
taint_value_problem = label_value_problem
"""Taint values follow the label-value syntax."""


def _in_namespace(prefix: str, namespaces: tuple[str, ...]) -> bool:
    return any(prefix == ns or prefix.endswith(f".{ns}") for ns in namespaces)


def kubelet_refused_label_problem(key: str) -> str | None:
    """None unless a node could not carry label `key` from its own kubelet.

    Node-group labels reach the node through the kubelet's `--node-labels`. The
    NodeRestriction admission plugin refuses kubelet-set labels under
    `kubernetes.io/` and `k8s.io/` (and their subdomains, `node-role.kubernetes.io/`
    included) except `kubelet.kubernetes.io/` and `node.kubernetes.io/`; the
    well-known labels the kubelet sets itself (hostname, arch, zone, ...) are
    refused too, since a pool cannot choose them.
    """
    prefix, _ = split_key(key)
    if key in KUBELET_WELL_KNOWN_LABELS:
        return f"{key} is set by the kubelet itself from the machine it runs on"
    if _in_namespace(prefix, KUBELET_LABEL_NAMESPACES):
        return None
    if prefix == "node-role.kubernetes.io":
        return "node-role.kubernetes.io/ labels cannot be set by a node on itself (NodeRestriction)"
    if _in_namespace(prefix, KUBERNETES_NAMESPACES):
        return (
            f"{prefix}/ is reserved for Kubernetes: a kubelet may only set labels under "
            "node.kubernetes.io/ or kubelet.kubernetes.io/ (NodeRestriction)"
        )
    return None
