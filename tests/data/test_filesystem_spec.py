"""`storage.filesystems`: every refusal FSx would make is one line with a hint, exit 2."""

from __future__ import annotations

import copy

import pytest
import yaml

from gpuforge.model import filesystems as fsf
from gpuforge.model.loader import load_spec
from tests.conftest import shipped_spec
from tests.test_spec_errors import _assert_one_line, _run

LUSTRE = {"name": "data-fsx", "links": [{"bucket": "datasets", "path": "/datasets"}]}


def _with(fs: dict, **top) -> str:
    data = shipped_spec("prod")
    data["environment"] = "dev"
    data["storage"]["filesystems"] = [fs]
    data.update(top)
    return yaml.safe_dump(data, sort_keys=False)


CASES = {
    "capacity step": ({**LUSTRE, "storage_gib": 3000}, "storage_gib", "3000 GiB", "e.g. 2400"),
    "capacity small": ({**LUSTRE, "storage_gib": 1000}, "storage_gib", "1200, 2400"),
    "throughput value": ({**LUSTRE, "throughput_per_tib": 200}, "throughput_per_tib", "125"),
    "throughput on persistent 1": (
        {**LUSTRE, "deployment_type": "PERSISTENT_1", "throughput_per_tib": 250},
        "throughput_per_tib",
        "50, 100, 200",
    ),
    "throughput on scratch": (
        {**LUSTRE, "deployment_type": "SCRATCH_2", "throughput_per_tib": 200},
        "throughput_per_tib",
        "fixed",
    ),
    "efa on persistent 1": (
        {**LUSTRE, "deployment_type": "PERSISTENT_1", "efa": True},
        "efa",
        "PERSISTENT_2 with a metadata configuration",
    ),
    "efa without metadata": (
        {**LUSTRE, "efa": True, "metadata_iops": None},
        "efa",
        "metadata_iops: automatic",
    ),
    "metadata iops value": ({**LUSTRE, "metadata_iops": 5000}, "metadata_iops", "1500, 3000"),
    "metadata on scratch": (
        {**LUSTRE, "deployment_type": "SCRATCH_2", "metadata_iops": "automatic"},
        "metadata_iops",
        "only on PERSISTENT_2",
    ),
    "az without subnet": ({**LUSTRE, "az": "us-east-1f"}, "az", "no subnet", "us-east-1a"),
    "link to missing bucket": (
        {**LUSTRE, "links": [{"bucket": "dataset"}]},
        "links[0].bucket",
        "no bucket 'dataset'",
        "datasets",
    ),
    "export to read-only bucket": (
        {**LUSTRE, "links": [{"bucket": "datasets", "export_events": ["NEW"]}]},
        "links[0].export_events",
        "read-only",
    ),
    "same path twice": (
        {**LUSTRE, "links": [{"bucket": "datasets"}, {"bucket": "checkpoints"}]},
        "links[1].path",
        "linked twice",
    ),
    "too many links": (
        {**LUSTRE, "links": [{"bucket": "datasets", "path": f"/d{i}"} for i in range(9)]},
        "links",
        "FSx allows 8",
    ),
    "name is a bucket": ({**LUSTRE, "name": "datasets"}, "name", "also a bucket"),
    "s3-mount without bucket": ({"name": "ds", "kind": "s3-mount"}, "bucket", "required"),
    "s3-mount missing bucket": (
        {"name": "ds", "kind": "s3-mount", "bucket": "nope"},
        "bucket",
        "no bucket 'nope'",
    ),
    "s3-mount with links": (
        {"name": "ds", "kind": "s3-mount", "bucket": "datasets", "links": [{"bucket": "datasets"}]},
        "links",
        "only a lustre",
    ),
    "unknown deployment type": (
        {**LUSTRE, "deployment_type": "SCRATCH_1"},
        "deployment_type",
        "PERSISTENT_2",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refused_with_one_line(runner, project, case):
    fs, field, *needles = CASES[case]
    result = _run(runner, project, _with(fs))
    match = _assert_one_line(result, f"storage.filesystems[0].{field}", *needles)
    assert match["line"]


def test_efa_pools_in_two_azs_need_an_az(runner, project):
    data = yaml.safe_load(_with(LUSTRE))
    extra = copy.deepcopy(data["gpu_pools"][0]) | {"name": "h100b", "az": "us-east-1b"}
    extra |= {"capacity": "on-demand", "capacity_reservation_id": None}
    data["gpu_pools"].append(extra)
    result = _run(runner, project, yaml.safe_dump(data, sort_keys=False))
    _assert_one_line(result, "storage.filesystems[0].az", "several AZs", "set az:")


def test_prod_filesystem_defaults(root):
    spec = load_spec(root / "stacks" / "prod.yaml")
    fs = fsf.filesystem(spec, "datasets-fsx")
    assert fs is not None and fs.deployment_type == "PERSISTENT_2"
    assert fsf.zone(spec, fs) == spec.pool("h100").az == "us-east-1a"  # the EFA pool's AZ
    assert fsf.throughput_gbps(fs) == round(4800 / 1024 * 500 / 1000, 3)
    assert fsf.metadata_configuration(fs) == {"mode": "AUTOMATIC"}
    assert fs.links[0].import_events == ["NEW", "CHANGED", "DELETED"]
    assert not fsf.writable(spec, fs)  # datasets is read-only for training


@pytest.mark.parametrize("gib", [1200, 2400, 4800, 7200, 96000])
def test_capacity_steps_fsx_accepts(gib):
    from gpuforge.model.checks.filesystems import capacity_ok

    assert capacity_ok(gib)
