"""A job's `data:` mounts: refused where the environment lacks them, rendered in every backend."""

from __future__ import annotations

import kubernetes_validate
import pytest

from gpuforge.jobs import contract
from gpuforge.jobs.spec import JobSpec, load_job
from gpuforge.model import data_volumes, filesystems
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import BucketSpec, StorageSpec
from tests.jobs.conftest import BASE_JOB, EXAMPLES, env_spec
from tests.jobs.test_manifests import fitted, pod_templates, render

MOUNT = {"name": "datasets-fsx", "path": "/data"}


def job(**extra) -> JobSpec:
    return JobSpec.model_validate({**BASE_JOB, "data": [MOUNT], **extra})


def test_unknown_mount_is_refused_with_the_known_ones():
    with pytest.raises(SpecError) as err:
        fitted(job(data=[{"name": "imagenet", "path": "/data"}]), env_spec("prod"))
    assert err.value.field == "data[0].name"
    assert "no file system 'imagenet'" in str(err.value) and "datasets-fsx" in str(err.value)


def test_write_mount_of_a_read_only_file_system_is_refused():
    with pytest.raises(SpecError) as err:
        fitted(job(data=[{**MOUNT, "read_only": False}]), env_spec("prod"))
    assert err.value.field == "data[0].read_only"
    assert "may not write datasets-fsx" in str(err.value)


def test_write_mount_allowed_where_every_bucket_is_read_write():
    env = env_spec("prod")
    buckets = [
        b.model_copy(update={"training_access": "read-write"}) if b.name == "datasets" else b
        for b in env.storage.buckets
    ]
    env = env.model_copy(update={"storage": env.storage.model_copy(update={"buckets": buckets})})
    fit = fitted(job(data=[{**MOUNT, "read_only": False}]), env)
    assert fit.mounts[0].read_only is False


def test_env_without_file_systems_says_what_to_add():
    with pytest.raises(SpecError) as err:
        fitted(job(pool="l4", nodes=1), env_spec("dev"))
    assert "storage.filesystems" in str(err.value)


@pytest.mark.parametrize(
    ("data", "field", "needle"),
    [
        ([{"name": "x", "path": "data"}], "data[0].path", "absolute"),
        ([{"name": "x", "path": "/a/../b"}], "data[0].path", "absolute"),
        ([{"name": "x", "path": "/dev/shm"}], "data[0].path", "system's own"),
        ([{"name": "x", "path": "/d"}, {"name": "y", "path": "/d/"}], "data[1].path", "twice"),
        ([{"name": "x", "path": "/d"}, {"name": "x", "path": "/e"}], "data[1].name", "twice"),
    ],
)
def test_job_only_mount_problems(data, field, needle):
    with pytest.raises(Exception) as err:
        JobSpec.model_validate({**BASE_JOB, "data": data})
    assert field in str(err.value) and needle in str(err.value)


@pytest.mark.parametrize("backend", ["indexed-job", "jobset", "trainjob"])
def test_every_backend_mounts_the_claim_read_only(backend):
    env, manifests = render(job(), "prod", backend)
    templates = [t for m in manifests for t in pod_templates(m)]
    assert templates
    for template in templates:
        spec = template["spec"]
        volume = next(v for v in spec["volumes"] if v["name"] == "data-datasets-fsx")
        assert volume["persistentVolumeClaim"] == {
            "claimName": "data-datasets-fsx",
            "readOnly": True,
        }
        (container,) = spec["containers"]
        assert {"name": "data-datasets-fsx", "mountPath": "/data", "readOnly": True} in container[
            "volumeMounts"
        ]
        trainer = next((m["spec"].get("trainer") for m in manifests if m["kind"] == "TrainJob"), {})
        listed = container.get("env") or trainer["env"]  # TrainJob: the trainer's env
        envs = {e["name"]: e.get("value") for e in listed}
        assert envs[contract.data_var("datasets-fsx")] == "/data"
        # the pod as the API validates it, at the cluster's version, unknown fields refused
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
        kubernetes_validate.validate(pod, env.cluster.version, strict=True)


def test_the_2x8_example_reads_prod_fsx_and_shows_its_throughput(runner):
    from gpuforge.cli.main import cli

    result = runner.invoke(
        cli, ["launch", str(EXAMPLES / "llama-2x8-h100.yaml"), "-e", "prod", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    fs = filesystems.filesystem(env_spec("prod"), "datasets-fsx")
    total = filesystems.throughput_gbps(fs)
    assert (
        f"data: datasets-fsx at /data (lustre, read-only); throughput {total:g} GB/s for 16 GPUs"
        in result.stderr
    )
    assert f"{total / 16:.3f} GB/s per GPU" in result.stderr
    example = load_job(EXAMPLES / "llama-2x8-h100.yaml")
    assert [m.name for m in example.data] == ["datasets-fsx"]


def test_cross_az_mount_is_a_warning():
    env = env_spec("prod")
    fs = env.storage.filesystems[0].model_copy(update={"az": "us-east-1b"})
    env = env.model_copy(update={"storage": env.storage.model_copy(update={"filesystems": [fs]})})
    from gpuforge.cli.launch import summary_lines

    lines = summary_lines(fitted(job(), env))
    assert any(line.startswith("warning: datasets-fsx is in us-east-1b") for line in lines)


@pytest.mark.parametrize("writable", [False, True])
def test_persistent_volumes_validate_and_follow_training_access(writable):
    env = env_spec("prod")
    access = "read-write" if writable else "read-only"
    buckets = [BucketSpec(name="datasets", training_access=access), BucketSpec(name="checkpoints")]
    mount = {"name": "ds", "kind": "s3-mount", "bucket": "datasets"}
    storage = StorageSpec.model_validate(
        {
            "buckets": [b.model_dump() for b in buckets],
            "filesystems": [env.storage.filesystems[0].model_dump(), mount],
        }
    )
    env = env.model_copy(update={"storage": storage})
    lustre, s3 = env.storage.filesystems
    sources = {
        "datasets-fsx": {"id": "fs-0123", "dns_name": "fs-0123.fsx", "mount_name": "abcd"},
        "ds": {"bucket": "gpuforge-prod-datasets-1234567"},
    }
    mode = "ReadWriteMany" if writable else "ReadOnlyMany"
    for fs in (lustre, s3):
        pv = data_volumes.persistent_volume(env, fs, sources[fs.name])
        pvc = data_volumes.persistent_volume_claim(env, fs)
        for obj in (pv, pvc):
            kubernetes_validate.validate(obj, env.cluster.version, strict=True)
            assert obj["spec"]["accessModes"] == [mode]
            assert obj["spec"]["storageClassName"] == ""
        assert pv["spec"]["csi"]["readOnly"] is (not writable)
        assert pv["spec"]["claimRef"] == {"namespace": "training", "name": f"data-{fs.name}"}
        assert pvc["spec"]["volumeName"] == pv["metadata"]["name"]
    assert data_volumes.persistent_volume(env, lustre, sources["datasets-fsx"])["spec"]["csi"][
        "volumeAttributes"
    ] == {"dnsname": "fs-0123.fsx", "mountname": "abcd"}
