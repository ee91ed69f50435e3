"""Kubernetes name rules a job name must follow (pure; no kubernetes client).

A job name becomes a Job, a Service, pod hostnames (`<name>-<rank>`) and label
values, so it must be an RFC 1035 label (a Service name starts with a letter)
short enough that the longest derived name still fits in 63 characters.
"""

from __future__ import annotations

import re

DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")

MAX_JOB_NAME = 40
"""Room for the longest derived name: JobSet/TrainJob pods are `<name>-node-0-<rank>`
plus a 5-character suffix, and every name and label value is limited to 63."""


def job_name_problem(name: str) -> str | None:
    """Why `name` cannot name a job, or None when it can."""
    if not DNS1035_LABEL.match(name):
        return f"{name!r} is not a valid job name"
    if len(name) > MAX_JOB_NAME:
        return f"{name!r} is {len(name)} characters, more than {MAX_JOB_NAME}"
    return None


def env_var_problem(name: str) -> str | None:
    """Why `name` cannot name a container environment variable, or None."""
    if not ENV_VAR_NAME.match(name):
        return f"{name!r} is not a valid environment variable name"
    return None
