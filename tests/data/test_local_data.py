"""`launch --local --data NAME=PATH`: the same job file reads its mount from a directory here."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gpuforge.jobs import contract
from tests.conftest import ROOT
from tests.local.launcher import SMALL, TRAINER, Launch, parse_records

_SPEC = importlib.util.spec_from_file_location("trainer_data", TRAINER.parent / "data.py")
trainer_data = importlib.util.module_from_spec(_SPEC)  # the reference trainer's data module
_SPEC.loader.exec_module(trainer_data)

MOUNT = "datasets-s3"


def _project(tmp: Path, steps: int = 3) -> Path:
    (tmp / "stacks").mkdir(exist_ok=True)
    spec = yaml.safe_load((ROOT / "stacks" / "dev.yaml").read_text())
    spec["storage"]["filesystems"] = [{"name": MOUNT, "kind": "s3-mount", "bucket": "datasets"}]
    (tmp / "stacks" / "dev.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (tmp / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    command = [str(TRAINER), "--steps", str(steps), *SMALL, "--data", f"{MOUNT}/sums"]
    job = tmp / "job.yaml"
    job.write_text(
        f"name: reader\nimage: trainer:1\npool: l4\ncommand: {json.dumps(command)}\n"
        f"data:\n  - name: {MOUNT}\n    path: /data\ntimeout: 10m\n"
    )
    return job


def _cli(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "gpuforge.cli", "launch", str(tmp / "job.yaml"), "-e", "dev"]
    return subprocess.run([*cmd, *args], cwd=tmp, capture_output=True, text=True, timeout=300)


def test_a_local_run_trains_on_the_mapped_directory(tmp_path):
    job = _project(tmp_path)
    folder = tmp_path / "local-datasets"
    (folder / "sums").mkdir(parents=True)
    trainer_data.write_sample(folder / "sums", lines=400)
    run = Launch(job, "--data", f"{MOUNT}={folder}")
    code = run.finish(timeout=300)  # two torch ranks on a busy machine
    assert code == 0, run.output()
    starts = [r for _, r in parse_records(run.lines) if r.get("event") == "start"]
    assert len(starts) == 2  # both ranks
    for record in starts:
        assert record["data"] == str(folder / "sums")
        assert record["data_tokens"] > 1000
    steps = [r for _, r in parse_records(run.lines) if "loss" in r]
    assert steps, run.output()


def test_local_dry_run_shows_where_each_mount_is(tmp_path):
    _project(tmp_path)
    folder = tmp_path / "d"
    folder.mkdir()
    out = _cli(tmp_path, "--local", "--dry-run", "--data", f"{MOUNT}={folder}")
    assert out.returncode == 0, out.stderr
    assert f"{contract.data_var(MOUNT)}={folder}" in out.stdout
    # an unmapped mount is named at its cache directory (synced only on a real run)
    out = _cli(tmp_path, "--local", "--dry-run")
    cache = (tmp_path / ".gpuforge" / "data" / "dev" / MOUNT).resolve()
    assert f"{contract.data_var(MOUNT)}={cache}" in out.stdout


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("nothing", "is not NAME=PATH"),
        ("other=.", "the job mounts no 'other'"),
        (f"{MOUNT}=./missing", "is not a directory"),
    ],
)
def test_bad_data_option_is_one_line_and_exit_2(tmp_path, value, needle):
    _project(tmp_path)
    out = _cli(tmp_path, "--local", "--dry-run", "--data", value)
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("error: ") and "--data" in line and needle in line


def test_data_goes_with_local(tmp_path):
    _project(tmp_path)
    out = _cli(tmp_path, "--dry-run", "--data", f"{MOUNT}=.")
    assert out.returncode == 2 and "--data goes with --local" in out.stderr


def test_unmapped_mount_syncs_its_bucket_into_the_cache(tmp_path, monkeypatch):
    import boto3
    from moto import mock_aws

    from gpuforge.jobs import local_data
    from gpuforge.jobs.spec import load_job
    from gpuforge.model.loader import load_spec

    _project(tmp_path)
    env = load_spec(tmp_path / "stacks" / "dev.yaml")
    job = load_job(tmp_path / "job.yaml")
    monkeypatch.setenv("AWS_DEFAULT_REGION", env.region)
    monkeypatch.setattr(local_data, "CACHE_DIR", Path("cache"))
    with mock_aws():
        from gpuforge.jobs.local_storage import physical_bucket

        bucket = physical_bucket(env, "datasets")
        s3 = boto3.client("s3", region_name=env.region)
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="sums/a.txt", Body=b"1+2=3;")
        s3.put_object(Bucket=bucket, Key="../escape.txt", Body=b"x")
        said: list[str] = []
        found = local_data.resolve_data(job, env, {}, said.append, cwd=tmp_path)
        again = local_data.resolve_data(job, env, {}, said.append, cwd=tmp_path)
    target = Path(found[contract.data_var(MOUNT)])
    assert target == (tmp_path / "cache" / "dev" / MOUNT).resolve() and again == found
    assert (target / "sums" / "a.txt").read_text() == "1+2=3;"
    assert not (tmp_path / "cache" / "dev" / "escape.txt").exists()
    assert "(1 objects fetched)" in said[0] and "(0 objects fetched)" in said[1]
