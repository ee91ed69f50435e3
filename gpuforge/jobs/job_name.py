"""The job-name rule: a Kubernetes name that leaves room for the names derived from it.

A job name becomes a Job, a Service, pod hostnames (`<name>-<rank>`) and label
values, so it must be an RFC 1035 label (a Service name starts with a letter)
short enough that the longest derived name still fits in 63 characters. The
Kubernetes syntax itself is `gpuforge.model.k8s_syntax`, shared with env specs.
"""

from __future__ import annotations

from gpuforge.model import k8s_syntax

MAX_JOB_NAME = 40
"""Room for the longest derived name: JobSet/TrainJob pods are `<name>-node-0-<rank>`
plus a 5-character suffix, and every name and label value is limited to 63."""


def job_name_problem(name: str) -> str | None:
    """Why `name` cannot name a job, or None when it can."""
    problem = k8s_syntax.dns1035_label_problem(name, MAX_JOB_NAME)
    return f"{name!r} is not a valid job name: it {problem}" if problem else None


def queue_name_problem(name: str) -> str | None:
    """Why `name` cannot name a Kueue LocalQueue, or None."""
    problem = k8s_syntax.dns1123_label_problem(name)
    return f"{name!r} is not a valid queue name: it {problem}" if problem else None


def env_var_problem(name: str) -> str | None:
    """Why `name` cannot name a container environment variable, or None."""
    problem = k8s_syntax.env_var_name_problem(name)
    return f"{name!r} is not a valid environment variable name: it {problem}" if problem else None
