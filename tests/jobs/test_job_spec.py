"""A job file is read like an env spec: one line naming file, line and field; --set overrides."""

from __future__ import annotations

import re

import pytest

from gpuforge.cli.main import cli
from gpuforge.jobs.spec import apply_override, load_job
from gpuforge.model.errors import SpecError
from tests.conftest import ROOT

ERROR_LINE = re.compile(r"^error: (?P<where>[^:]+(:\d+)?): (?P<rest>.+)$")

GOOD = """\
name: demo
image: pytorch/pytorch:2.13.0
pool: h100
nodes: 2
command: [train.py, --epochs, "3"]
checkpoint:
  uri: s3://{checkpoints}/demo
  every_steps: 500
"""


def _launch(runner, path, *extra):
    return runner.invoke(cli, ["launch", str(path), "-e", "prod", "--dry-run", *extra])


def _one_line(result, where: str, field: str, *needles: str):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    assert match["where"].endswith(where), lines[0]
    assert match["rest"].startswith(f"{field}: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == "" and "Traceback" not in result.output


def test_defaults(write_job, monkeypatch):
    monkeypatch.chdir(ROOT)
    job = load_job(write_job(GOOD))
    assert job.gpus_per_node is None and job.backend == "indexed-job"
    assert job.priority == "normal" and job.max_restarts == 3
    assert job.timeout_seconds == 72 * 3600
    assert job.checkpoint.bucket == "checkpoints" and job.checkpoint.prefix == "/demo"


# (text replacement in GOOD, line of the error, field, needles)
FILE_CASES = {
    "unknown key": ("nodes: 2", "nodez: 2", 4, "nodez", ["did you mean 'nodes'"]),
    "wrong type": ("nodes: 2", "nodes: two", 4, "nodes", ["valid integer"]),
    "zero nodes": ("nodes: 2", "nodes: 0", 4, "nodes", ["greater than or equal to 1"]),
    "bad name": ("name: demo", "name: Demo_1", 1, "name", ["not a valid job name"]),
    "name too long": ("name: demo", "name: " + "a" * 41, 1, "name", ["more than 40"]),
    "bad backend": ("nodes: 2", "nodes: 2\nbackend: pytorchjob", 5, "backend", ["not allowed"]),
    "bad priority": ("nodes: 2", "nodes: 2\npriority: urgent", 5, "priority", ["not allowed"]),
    "torchrun in command": (
        "command: [train.py",
        "command: [torchrun, train.py",
        5,
        "command",
        ["gpuforge runs torchrun itself"],
    ),
    "empty command": ('command: [train.py, --epochs, "3"]', "command: []", 5, "command", []),
    "reserved env": (
        "nodes: 2",
        "nodes: 2\nenv:\n  GPUFORGE_JOB_NAME: x",
        6,
        "env.GPUFORGE_JOB_NAME",
        ["reserved"],
    ),
    "torchrun env": ("nodes: 2", "nodes: 2\nenv:\n  PET_NNODES: '4'", 6, "env.PET_NNODES", []),
    "non-bucket checkpoint": (
        "s3://{checkpoints}/demo",
        "s3://my-own-bucket/demo",
        7,
        "checkpoint.uri",
        ["does not name an environment bucket", "s3://{checkpoints}"],
    ),
    "bad timeout": ("nodes: 2", "nodes: 2\ntimeout: 3 days", 5, "timeout", ["e.g. 90m"]),
    "bad memory": ("nodes: 2", "nodes: 2\nmemory: lots", 5, "memory", ["512Gi"]),
    "bad cpu": ("nodes: 2", "nodes: 2\ncpu: 2x", 5, "cpu", ["500m"]),
    "duplicate key": ("nodes: 2", "nodes: 2\nnodes: 3", 5, "nodes", ["appears twice"]),
    "missing field": ("pool: h100\n", "", None, "pool", ["required", "docs/jobs.md"]),
    # Names that only look valid: a trailing newline or a look-alike letter never passes.
    "name with newline": ("name: demo", 'name: "demo\\n"', 1, "name", ["not a valid job name"]),
    "name with cyrillic a": ("name: demo", "name: dem\u0430", 1, "name", ["not a valid job name"]),
    "name starting with digit": ("name: demo", "name: 1demo", 1, "name", ["start with"]),
    "queue with newline": ("nodes: 2", 'nodes: 2\nqueue: "q\\n"', 5, "queue", ["Kueue"]),
    "env name with newline": ("nodes: 2", 'nodes: 2\nenv:\n  "A\\n": x', 6, "env.A\\n", []),
    "timeout with newline": ("nodes: 2", 'nodes: 2\ntimeout: "3d\\n"', 5, "timeout", []),
    "checkpoint with newline": (
        "uri: s3://{checkpoints}/demo",
        'uri: "s3://{checkpoints}/demo\\n"',
        7,
        "checkpoint.uri",
        [],
    ),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_file_errors_are_one_line_with_file_and_line(case, runner, write_job, monkeypatch):
    monkeypatch.chdir(ROOT)
    old, new, line, field, needles = FILE_CASES[case]
    assert old in GOOD
    path = write_job(GOOD.replace(old, new, 1))
    where = f"job.yaml:{line}" if line else "job.yaml"
    _one_line(_launch(runner, path), where, field, *needles)


def test_bad_yaml_and_missing_file(runner, write_job, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = _launch(runner, write_job("name: [unclosed\n"))
    assert result.exit_code == 2 and "invalid YAML" in result.stderr
    result = _launch(runner, ROOT / "examples" / "jobs" / "nope.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "no such job file" in result.stderr


def test_overrides_change_fields_and_keep_env_values_strings(write_job, monkeypatch):
    monkeypatch.chdir(ROOT)
    job = load_job(
        write_job(GOOD),
        ["nodes=4", "checkpoint.every_steps=250", "env.SEED=1", "command=train.py --lr 0.1"],
    )
    assert job.nodes == 4 and job.checkpoint.every_steps == 250
    assert job.env == {"SEED": "1"}
    assert job.argv == ["train.py", "--lr", "0.1"]


@pytest.mark.parametrize(
    ("override", "field", "needle"),
    [
        ("nodes=lots", "nodes", "valid integer"),
        ("nodez=1", "nodez", "did you mean 'nodes'"),
        ("name=Bad", "name", "not a valid job name"),
        ("checkpoint.uri=s3://x/y", "checkpoint.uri", "environment bucket"),
    ],
)
def test_override_errors_point_at_set(override, field, needle, runner, write_job, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = _launch(runner, write_job(GOOD), "--set", override)
    _one_line(result, "--set", field, needle)


@pytest.mark.parametrize("item", ["nodes", "=3", "a..b=1"])
def test_malformed_override(item):
    with pytest.raises(SpecError) as exc:
        apply_override({}, item)
    assert str(exc.value).startswith("--set: ")


def test_override_into_missing_mapping_creates_it():
    data = {"name": "x"}
    assert apply_override(data, "checkpoint.uri=s3://{checkpoints}/x") == ("checkpoint", "uri")
    assert data["checkpoint"] == {"uri": "s3://{checkpoints}/x"}
