"""The pulumi-free access model: who is cluster admin, what training pods may do per bucket."""

from __future__ import annotations

import copy

import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.model import grants
from gpuforge.model.spec import BucketSpec, EnvironmentSpec
from tests.conftest import shipped_spec

ADMIN = "arn:aws:iam::123456789012:role/platform-admin"


def _spec(**changes) -> EnvironmentSpec:
    data = copy.deepcopy(shipped_spec("dev"))
    for section, values in changes.items():
        data[section] = {**data.get(section, {}), **values}
    return EnvironmentSpec.model_validate(data)


def test_checkpoints_and_artifacts_are_writable_by_default_and_nothing_else():
    spec = _spec(
        storage={"buckets": [{"name": n} for n in ("datasets", "checkpoints", "artifacts", "eval")]}
    )
    assert grants.writable_buckets(spec) == ["checkpoints", "artifacts"]
    assert grants.read_only_buckets(spec) == ["datasets", "eval"]
    assert grants.training_access(spec)["datasets"] == "read-only"


def test_written_access_wins_over_the_default():
    spec = _spec(
        storage={
            "buckets": [
                {"name": "datasets", "training_access": "read-write"},
                {"name": "checkpoints", "training_access": "read-only"},
                {"name": "secrets", "training_access": "none"},
            ]
        }
    )
    assert grants.writable_buckets(spec) == ["datasets"]
    assert grants.read_only_buckets(spec) == ["checkpoints"]
    assert grants.readable_buckets(spec) == ["datasets", "checkpoints"]


def test_default_buckets_and_direct_construction_get_the_same_defaults():
    assert BucketSpec(name="checkpoints").training_access == "read-write"
    assert BucketSpec(name="datasets").training_access == "read-only"
    data = copy.deepcopy(shipped_spec("dev"))
    del data["storage"]  # the default buckets: datasets and checkpoints
    assert grants.writable_buckets(EnvironmentSpec.model_validate(data)) == ["checkpoints"]


def test_creator_admin_only_when_written_true():
    assert grants.creator_admin(_spec()) is False
    assert grants.creator_admin(_spec(cluster={"bootstrap_creator_admin": False})) is False
    on = _spec(cluster={"admins": [], "bootstrap_creator_admin": True})
    assert grants.creator_admin(on) is True


def _validate(runner, project, data):
    (project / "stacks" / "dev.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return runner.invoke(cli, ["validate", "-e", "dev"])


@pytest.mark.parametrize("explicit", [None, False])
def test_nobody_could_reach_the_cluster_is_refused(runner, project, explicit):
    data = copy.deepcopy(shipped_spec("dev"))
    data["cluster"]["admins"] = []
    if explicit is not None:
        data["cluster"]["bootstrap_creator_admin"] = explicit
    result = _validate(runner, project, data)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith("error: stacks/dev.yaml:")
    assert "cluster.admins: nobody could use the Kubernetes API" in line
    assert "bootstrap_creator_admin: true" in line


def test_creator_admin_alone_validates(runner, project):
    data = copy.deepcopy(shipped_spec("dev"))
    data["cluster"]["admins"] = []
    data["cluster"]["bootstrap_creator_admin"] = True
    assert _validate(runner, project, data).exit_code == 0


def test_unknown_training_access_is_one_line(runner, project):
    data = copy.deepcopy(shipped_spec("dev"))
    data["storage"]["buckets"][0]["training_access"] = "write-only"
    result = _validate(runner, project, data)
    assert result.exit_code == 2, result.output
    assert "storage.buckets[0].training_access" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
