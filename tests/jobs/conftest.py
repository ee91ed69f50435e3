"""Helpers for job tests: write a job file, load environments, render."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gpuforge.model.loader import load_spec
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "jobs"
# example file -> the environment it is written for
EXAMPLE_ENVS = {
    "single-node.yaml": "dev",
    "llama-2x8-h100.yaml": "prod",
    "a100-jobset.yaml": "staging",
    "l40s-trainjob.yaml": "prod",
}


def env_spec(name: str):
    return load_spec(ROOT / "stacks" / f"{name}.yaml")


BASE_JOB = {
    "name": "demo",
    "image": "pytorch/pytorch:2.13.0",
    "pool": "h100",
    "nodes": 2,
    "command": ["train.py", "--epochs", "3"],
    "checkpoint": {"uri": "s3://{checkpoints}/demo"},
}


@pytest.fixture
def write_job(tmp_path):
    """Write a job mapping (or raw text) to a file and return its path."""

    def write(data: dict | str, name: str = "job.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write
