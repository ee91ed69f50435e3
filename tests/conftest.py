"""Shared fixtures: the repo root, a CLI runner, and a writable copy of a shipped spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_ENVS = ("dev", "staging", "prod")
# Rules and checks that depend on the date (the EKS support calendar) see this day,
# so the suite gives the same answer next year.
POLICY_DATE = "2026-11-22"


@pytest.fixture(autouse=True)
def _pinned_policy_date(monkeypatch):
    monkeypatch.setenv("GPUFORGE_POLICY_DATE", POLICY_DATE)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def root() -> Path:
    return ROOT


def shipped_spec(env: str) -> dict:
    return yaml.safe_load((ROOT / "stacks" / f"{env}.yaml").read_text())


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A scratch project (Pulumi.yaml + stacks/ copied from the repo), as the cwd."""
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks").mkdir()
    for env in SHIPPED_ENVS:
        (tmp_path / "stacks" / f"{env}.yaml").write_text(
            (ROOT / "stacks" / f"{env}.yaml").read_text()
        )
    monkeypatch.chdir(tmp_path)
    return tmp_path
