"""What a training namespace enforces: Pod Security Admission labels and NetworkPolicies.

Functions of a namespace (name and options), so every team namespace gets its own.
Pure data; the `TrainingRuntime` component declares it, the emulated cluster admits with
it, and the checkov test scans it.
"""

from __future__ import annotations

PSA_LABEL_PREFIX = "pod-security.kubernetes.io/"
PSA_LEVEL = "restricted"
PSA_VERSION = "v1.35"
"""The Pod Security Standards version the labels pin: the policy of Kubernetes 1.35
(kubernetes/pod-security-admission v0.35.0, 10e6c1c6e18a2981bab6b401583650caf6b10164,
api/constants.go:40-45 for the label keys, api/helpers.go:123-136 for `v1.x`). Pinned, so
a control-plane upgrade cannot tighten admission under running teams unannounced; raise it
after checking the new version's checks (policy/check_*.go `MinimumVersion`)."""
PSA_MODES = ("enforce", "audit", "warn")


def pod_security_labels(level: str = PSA_LEVEL, version: str = PSA_VERSION) -> dict[str, str]:
    """`enforce`, `audit` and `warn` at `level`, each pinned to `version`."""
    out: dict[str, str] = {}
    for mode in PSA_MODES:
        out[f"{PSA_LABEL_PREFIX}{mode}"] = level
        out[f"{PSA_LABEL_PREFIX}{mode}-version"] = version
    return out
