"""Every way a spec can be wrong gets one line naming file, line and field, and exit 2."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from gpuforge.cli.main import cli
from tests.conftest import shipped_spec

ERROR_LINE = re.compile(r"^error: (?P<file>[^:]+)(:(?P<line>\d+))?: (?P<rest>.+)$")


def _edit(base: str, change) -> dict:
    data = copy.deepcopy(shipped_spec(base))
    change(data)
    return data


def _set(path: str, value):
    def change(data):
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        node[parts[-1]] = value

    return change


def _del(path: str):
    def change(data):
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[parts[-1]]

    return change


def _run(runner, project, text: str, name: str = "dev"):
    path = project / "stacks" / f"{name}.yaml"
    path.write_text(text)
    return runner.invoke(cli, ["validate", "-e", name])


def _assert_one_line(result, field: str, *needles: str):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    assert match["file"] == "stacks/dev.yaml"
    assert match["rest"].startswith(f"{field}: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return match


CASES = {
    "unknown top-level key": (
        _set("netwrok", {}),
        "netwrok",
        "unknown key",
        "did you mean 'network'",
    ),
    "unknown nested key": (
        _set("gpu_pools.0.instance", "g6.xlarge"),
        "gpu_pools[0].instance",
        "did you mean 'instance_type'",
    ),
    "wrong type": (_set("gpu_pools.0.max", "lots"), "gpu_pools[0].max", "valid integer"),
    "wrong type bool": (
        _set("storage.force_destroy", "maybe"),
        "storage.force_destroy",
        "true or false",
    ),
    "bool is not a number": (_set("gpu_pools.0.max", True), "gpu_pools[0].max", "valid integer"),
    "string is not a bool": (
        _set("encryption.rotation", "no"),
        "encryption.rotation",
        "true or false",
    ),
    "bad item in an AZ list": (
        _set("network.azs", ["us-east-1a", 7]),
        "network.azs[1]",
        "valid string",
    ),
    "bad enum": (_set("network.nat", "many"), "network.nat", "'many' is not allowed", "per-az"),
    "bad cidr": (_set("network.cidr", "10.0.0.0/33"), "network.cidr", "not a valid network CIDR"),
    "cidr with host bits": (_set("network.cidr", "10.0.0.1/16"), "network.cidr", "host bits"),
    "subnets do not fit": (
        _set("network.cidr", "10.0.0.0/23"),
        "network.cidr",
        "too small for 2 AZs",
    ),
    "one az": (_set("network.azs", 1), "network.azs", "at least 2"),
    "unknown az": (
        _set("network.azs", ["us-east-1a", "us-east-1z"]),
        "network.azs[1]",
        "not an availability zone",
    ),
    "min > max": (_set("gpu_pools.0.min", 5), "gpu_pools[0].min", "min 5 is greater than max 2"),
    "duplicate pool": (
        lambda d: d["gpu_pools"].append(dict(d["gpu_pools"][0])),
        "gpu_pools[1].name",
        "duplicate pool name 'l4'",
    ),
    "duplicate bucket": (
        lambda d: d["storage"]["buckets"].append({"name": "datasets"}),
        "storage.buckets[2].name",
        "duplicate bucket name",
    ),
    "efa unsupported": (_set("gpu_pools.0.efa", True), "gpu_pools[0].efa", "does not support EFA"),
    "efa without az": (
        lambda d: d["gpu_pools"][0].update(
            instance_type="p5.48xlarge", capacity="on-demand", efa=True
        ),
        "gpu_pools[0].az",
        "single AZ",
    ),
    "not a gpu type": (
        _set("gpu_pools.0.instance_type", "m7i.large"),
        "gpu_pools[0].instance_type",
        "has no GPU",
    ),
    "no such type": (
        _set("gpu_pools.0.instance_type", "p5.49xlarge"),
        "gpu_pools[0].instance_type",
        "unknown instance type 'p5.49xlarge'",
        "p5.48xlarge",
    ),
    "no such region": (_set("region", "us-east-9"), "region", "unknown AWS region", "us-east-1"),
    "missing required": (_del("region"), "region", "required field is missing"),
    "public endpoint without cidrs": (
        _set("cluster.public_endpoint", True),
        "cluster.public_access_cidrs",
        "needs the CIDRs",
    ),
    "unsupported k8s": (
        _set("cluster.version", "1.21"),
        "cluster.version",
        "EKS no longer runs Kubernetes 1.21",
        "supported: 1.31, 1.32, 1.33, 1.34, 1.35",
    ),
    "k8s past extended support": (
        _set("cluster.version", "1.30"),
        "cluster.version",
        "extended support ended 2026-07-23",
    ),
    "not a k8s version": (_set("cluster.version", "latest"), "cluster.version", "not a Kubernetes"),
    "capacity block without id": (
        lambda d: d["gpu_pools"][0].update(instance_type="p5.48xlarge", capacity="capacity-block"),
        "gpu_pools[0].capacity_reservation_id",
        "needs the reservation id",
    ),
    "spot with reservation": (
        _set("gpu_pools.0.capacity_reservation_id", "cr-0123456789abcdef0"),
        "gpu_pools[0].capacity_reservation_id",
        "spot capacity cannot",
    ),
    "az outside vpc": (
        _set("gpu_pools.0.az", "us-east-1c"),
        "gpu_pools[0].az",
        "not one of the VPC's AZs",
    ),
    "retention": (
        _set("network.flow_logs_retention_days", 100),
        "network.flow_logs_retention_days",
        "nearest allowed: 90",
    ),
    "cluster log retention": (
        _set("cluster.log_retention_days", 10),
        "cluster.log_retention_days",
        "nearest allowed: 7",
    ),
    "deletion window": (
        _set("encryption.key_deletion_window_days", 3),
        "encryption.key_deletion_window_days",
        "7 to 30",
    ),
    "bad label": (
        _set("gpu_pools.0.labels", {"bad key!": "x"}),
        "gpu_pools[0].labels.bad key!",
        "label",
    ),
    "environment mismatch": (
        _set("environment", "prod"),
        "environment",
        "does not match the file name",
    ),
    "bad admin arn": (_set("cluster.admins", ["alice"]), "cluster.admins[0]", "not an IAM role"),
    "ipv6 public cidr": (
        _set("cluster.public_access_cidrs", ["::/0"]),
        "cluster.public_access_cidrs[0]",
        "IPv6 block",
    ),
    "ipv4-mapped ipv6 public cidr": (
        _set("cluster.public_access_cidrs", ["203.0.113.0/24", "::ffff:0.0.0.0/96"]),
        "cluster.public_access_cidrs[1]",
        "IPv6 block",
    ),
    "bad storage admin arn": (
        _set("storage.admin_principals", ["bob"]),
        "storage.admin_principals[0]",
        "not an IAM role",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rejected_with_one_line(runner, project, case):
    change, field, *needles = CASES[case]
    text = yaml.safe_dump(_edit("dev", change), sort_keys=False)
    result = _run(runner, project, text)
    match = _assert_one_line(result, field, *needles)
    if case != "missing required":  # a missing key has no line of its own
        assert match["line"], "errors in a file name their line"


def test_line_number_points_at_the_field(runner, project):
    text = (
        (project / "stacks" / "dev.yaml")
        .read_text()
        .replace("max: 2\n    disk_gib", "max: -1\n    disk_gib")
    )
    result = _run(runner, project, text)
    match = _assert_one_line(result, "gpu_pools[0].max")
    line = int(match["line"])
    assert text.splitlines()[line - 1].strip() == "max: -1"


def test_yaml_syntax_error(runner, project):
    result = _run(runner, project, "environment: dev\nregion: [us-east-1\n")
    match = _assert_one_line(result, "column 1", "invalid YAML")
    assert match["line"] == "3"


def test_duplicate_yaml_key(runner, project):
    result = _run(runner, project, "environment: dev\nregion: us-east-1\nregion: us-west-2\n")
    match = _assert_one_line(result, "region", "key appears twice (first on line 2)")
    assert match["line"] == "3"


@pytest.mark.parametrize("text", ["", "# nothing\n", "- a\n- b\n", "just a string\n"])
def test_empty_or_not_a_mapping(runner, project, text):
    result = _run(runner, project, text)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: stacks/dev.yaml: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_environment_suggests(runner, project):
    result = runner.invoke(cli, ["validate", "-e", "prd"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "error: stacks/prd.yaml: no environment 'prd' (did you mean prod?)"
    )


def test_env_name_outside_a_project(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["validate", "-e", "dev"])
    assert result.exit_code == 2
    assert "no stacks/ directory here or above" in result.stderr
    assert "give a path to a spec file" in result.stderr


def test_missing_path(runner, project):
    result = runner.invoke(cli, ["validate", "-e", "nowhere/x.yaml"])
    assert result.exit_code == 2
    assert "no such spec file" in result.stderr


def test_bad_policy_date_is_one_line(runner, project, monkeypatch):
    monkeypatch.setenv("GPUFORGE_POLICY_DATE", "tomorrow")
    result = runner.invoke(cli, ["validate", "-e", "dev"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: environment: GPUFORGE_POLICY_DATE: 'tomorrow' is not a date (use YYYY-MM-DD)"
    )


def test_directory_is_not_a_spec(runner, project):
    result = runner.invoke(cli, ["validate", "-e", str(project / "stacks")])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("is a directory (give a spec file or an env name)")


def test_debug_shows_traceback(runner, project):
    (project / "stacks" / "dev.yaml").write_text("environment: dev\nregion: mars-1\n")
    result = runner.invoke(cli, ["--debug", "validate", "-e", "dev"])
    assert result.exit_code != 0
    assert result.exception is not None and type(result.exception).__name__ == "SpecError"
