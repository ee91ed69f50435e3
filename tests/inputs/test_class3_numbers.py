"""Class 3: every number has a type, a range and a unit grammar the target accepts:
int64 for Kubernetes durations (activeDeadlineSeconds), Kubernetes quantities of at
least 1m for CPU, int64 bytes for memory, no .inf/.nan, no integer past int64."""

from __future__ import annotations

import pytest

from gpuforge.jobs.spec import _cpu_milli, _memory_mib
from tests.inputs.conftest import refuse

GIANT = "9" * 5000

JOB_CASES = {
    "cpu .inf": ("timeout: 1h", "timeout: 1h\ncpu: .inf", "cpu"),
    "cpu -.inf": ("timeout: 1h", "timeout: 1h\ncpu: -.inf", "cpu"),
    "cpu .nan": ("timeout: 1h", "timeout: 1h\ncpu: .nan", "cpu"),
    "cpu 1.0e+400": ("timeout: 1h", "timeout: 1h\ncpu: 1.0e+400", "cpu"),
    "cpu 1.0e+300": ("timeout: 1h", "timeout: 1h\ncpu: 1.0e+300", "cpu"),
    "cpu 0.0001": ("timeout: 1h", "timeout: 1h\ncpu: 0.0001", "cpu"),
    "cpu '0.0001'": ("timeout: 1h", "timeout: 1h\ncpu: '0.0001'", "cpu"),
    "cpu 0.5m": ("timeout: 1h", "timeout: 1h\ncpu: 0.5m", "cpu"),
    "cpu 0": ("timeout: 1h", "timeout: 1h\ncpu: 0", "cpu"),
    "cpu -1": ("timeout: 1h", "timeout: 1h\ncpu: -1", "cpu"),
    "cpu 'inf'": ("timeout: 1h", "timeout: 1h\ncpu: inf", "cpu"),
    "cpu 1e3 (text)": ("timeout: 1h", "timeout: 1h\ncpu: 1e3", "cpu"),
    "cpu giant integer": ("timeout: 1h", f"timeout: 1h\ncpu: {GIANT}", "cpu"),
    "memory past int64": ("timeout: 1h", "timeout: 1h\nmemory: 99999999999999999999Gi", "memory"),
    "memory 9000000000Ti": ("timeout: 1h", "timeout: 1h\nmemory: 9000000000Ti", "memory"),
    "timeout 999999999999999999999d": ("timeout: 1h", "timeout: 999999999999999999999d", "timeout"),
    "timeout 2**63 seconds": ("timeout: 1h", "timeout: 9223372036854775808", "timeout"),
    "timeout 10**18 days": ("timeout: 1h", "timeout: 1000000000000000000d", "timeout"),
    "timeout giant": ("timeout: 1h", f"timeout: {GIANT}", "timeout"),
    "timeout giant text": ("timeout: 1h", f"timeout: {GIANT}h", "timeout"),
    "every_steps giant": ("every_steps: 10", f"every_steps: {GIANT}", "every_steps"),
    "every_steps 2**63": ("every_steps: 10", "every_steps: 9223372036854775808", "every_steps"),
    "max_restarts -2**63-1": ("max_restarts: 3", "max_restarts: -9223372036854775809", "max_"),
    "nodes .inf": ("pool: l4", "pool: l4\nnodes: .inf", "nodes"),
    "nodes 1.5": ("pool: l4", "pool: l4\nnodes: 1.5", "nodes"),
}


@pytest.mark.parametrize("case", list(JOB_CASES))
def test_job_numbers(case, project, job_text):
    old, new, field = JOB_CASES[case]
    assert old in job_text
    (project / "job.yaml").write_text(job_text.replace(old, new, 1))
    refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], field)


ENV_CASES = {
    "disk_gib giant": ("    disk_gib: 100", f"    disk_gib: {GIANT}", "disk_gib"),
    "disk_gib .inf": ("    disk_gib: 100", "    disk_gib: .inf", "disk_gib"),
    "max past int64": ("    max: 2\n    disk", "    max: 9223372036854775808\n    disk", "max"),
    "retention .nan": ("expiration_days: 7", "expiration_days: .nan", "noncurrent"),
}


@pytest.mark.parametrize("case", list(ENV_CASES))
def test_environment_numbers(case, project):
    old, new, field = ENV_CASES[case]
    text = (project / "stacks" / "dev.yaml").read_text()
    assert old in text, old
    (project / "env.yaml").write_text(text.replace(old, new, 1))
    refuse(["validate", "-e", "env.yaml"], field)


@pytest.mark.parametrize(
    ("value", "milli"),
    [(1, 1000), (0.5, 500), (0.001, 1), ("500m", 500), ("1.5", 1500), (".5", 500), ("32", 32000)],
)
def test_cpu_amounts_kubernetes_takes(value, milli):
    assert _cpu_milli(value) == milli


def test_memory_within_int64():
    assert _memory_mib("512Gi") == 512 * 1024
    assert _memory_mib("8589934591Gi") is not None  # 2**63 bytes less 1 GiB
    assert _memory_mib("8589934592Gi") is None  # 2**63 bytes


def test_a_valid_timeout_renders_an_int64(project, job_text):
    (project / "job.yaml").write_text(job_text.replace("timeout: 1h", "timeout: 3d", 1))
    from click.testing import CliRunner

    from gpuforge.cli.main import cli

    result = CliRunner().invoke(cli, ["launch", "job.yaml", "-e", "dev", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "activeDeadlineSeconds: 259200" in result.stdout
