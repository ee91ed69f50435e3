"""`gpuforge launch` end to end: the real renderer's manifests, sent to the emulated API.

The pure half (spec, fit, backends) and the cluster half (submit, jobs, status,
cancel) meet here, through the CLI a user runs, for every backend.
"""

from __future__ import annotations

import json

import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.jobs import backends, resources
from tests.jobs.conftest import EXAMPLES

# case -> (example, backend, the object that carries its status)
CASES = {
    "indexed-job": ("llama-2x8-h100.yaml", "indexed-job", resources.BATCH_JOB),
    "jobset": ("llama-2x8-h100.yaml", "jobset", resources.JOBSET),
    "trainjob": ("l40s-trainjob.yaml", "trainjob", resources.TRAINJOB),
}


def test_every_backend_primary_is_a_known_resource():
    primaries = {backends.get(name).primary for name in backends.names()}
    assert primaries == set(resources.PRIMARY)


def rendered_pool(manifests: list[dict]) -> str:
    return manifests[-1]["metadata"]["labels"]["gpuforge.dev/pool"]


@pytest.mark.parametrize("case", list(CASES))
def test_launch_sends_the_rendered_manifests(case, runner, api, env_file, kubeconfig, namespace):
    example, backend, primary = CASES[case]
    args = [str(EXAMPLES / example), "-e", env_file, "--kubeconfig", kubeconfig]
    args += ["--set", f"backend={backend}"]
    dry = runner.invoke(cli, ["launch", *args, "--dry-run", "-o", "json"])
    assert dry.exit_code == 0, dry.output
    rendered = json.loads(dry.stdout)["manifests"]

    sent = runner.invoke(cli, ["launch", *args, "-o", "json"])
    assert sent.exit_code == 0, sent.output
    doc = json.loads(sent.stdout)
    assert doc["sent"] is True and doc["result"] in ("Pending", "Queued")

    name = rendered[-1]["metadata"]["name"]
    (stored,) = [o for o in api.stored(primary, namespace) if o["metadata"]["name"] == name]
    want = next(m for m in rendered if m["kind"] == stored["kind"])
    assert stored["spec"] == want["spec"]
    assert stored["metadata"]["labels"]["gpuforge.dev/job"] == name

    listed = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"])
    assert listed.exit_code == 0, listed.output
    (row,) = [j for j in json.loads(listed.stdout)["jobs"] if j["name"] == name]
    assert row["kind"] == primary.kind and row["pool"] == rendered_pool(rendered)
    assert backends.get(backend).primary == primary

    again = runner.invoke(cli, ["launch", *args])
    assert again.exit_code == 1 and "--replace" in again.stderr

    status = runner.invoke(cli, ["status", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert status.exit_code == 0, status.output

    cancel = runner.invoke(cli, ["cancel", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert cancel.exit_code == 0, cancel.output
    assert not [o for o in api.stored(primary, namespace) if o["metadata"]["name"] == name]


@pytest.mark.parametrize("case", list(CASES))
def test_launch_sends_exactly_what_the_dry_run_prints(
    case, runner, api, env_file, kubeconfig, namespace
):
    """Byte for byte: the dry run's YAML is the bodies `launch` POSTs, dumped the same way."""
    example, backend, _ = CASES[case]
    args = [str(EXAMPLES / example), "-e", env_file, "--set", f"backend={backend}"]
    dry = runner.invoke(cli, ["launch", *args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    dry_json = runner.invoke(cli, ["launch", *args, "--dry-run", "-o", "json"])
    sent = runner.invoke(cli, ["launch", *args, "--kubeconfig", kubeconfig])
    assert sent.exit_code == 0, sent.output

    posts = [r for r in api.emulator._requests if r.method == "POST" and r.namespace == namespace]
    bodies = [json.loads(r.body) for r in posts]
    assert yaml.safe_dump_all(bodies, sort_keys=False) == dry.stdout
    assert bodies == json.loads(dry_json.stdout)["manifests"]


def test_manifests_applied_from_the_dry_run_show_their_size_and_pool(
    runner, api, env_file, kubeconfig, namespace
):
    """What `kubectl apply -f` of the dry run makes is a job `jobs` and `status` can size."""
    args = [str(EXAMPLES / "llama-2x8-h100.yaml"), "-e", env_file]
    dry = runner.invoke(cli, ["launch", *args, "--dry-run"])
    for obj in yaml.safe_load_all(dry.stdout):
        api.put(obj)
    name = "llama-8b-pretrain"
    status = runner.invoke(cli, ["status", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert status.exit_code == 0, status.output
    assert f"{name} Queued: 2 x 8 GPUs on pool h100 (Job)" in status.stdout
    listed = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"])
    (row,) = json.loads(listed.stdout)["jobs"]
    assert (row["nodes"], row["gpus_per_node"], row["pool"]) == (2, 8, "h100")
    assert row["instance_type"] == "p5.48xlarge"


def test_the_emulated_cluster_explains_a_launched_job(
    runner, api, env, env_file, kubeconfig, namespace
):
    """`gpuforge emulate k8s` plays Kueue, the Job controller, scheduler and autoscaler of a
    cluster at zero GPU nodes; `status` then explains the wait, and cancel sweeps it all."""
    from gpuforge.emulator.k8s_controllers import Controllers

    args = [str(EXAMPLES / "llama-2x8-h100.yaml"), "-e", env_file, "--kubeconfig", kubeconfig]
    assert runner.invoke(cli, ["launch", *args]).exit_code == 0
    (job,) = api.stored(resources.BATCH_JOB, namespace)
    assert job["spec"]["suspend"] is True  # prod queues through Kueue: created suspended
    assert Controllers(api, env).settle() >= 1

    (job,) = api.stored(resources.BATCH_JOB, namespace)
    assert job["spec"]["suspend"] is False
    (workload,) = api.stored(resources.WORKLOAD, namespace)
    assert workload["metadata"]["ownerReferences"][0]["name"] == job["metadata"]["name"]
    pods = api.stored(resources.POD, namespace)
    assert sorted(
        p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] for p in pods
    ) == ["0", "1"]

    name = job["metadata"]["name"]
    status = runner.invoke(
        cli, ["status", name, "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"]
    )
    doc = json.loads(status.stdout)
    assert doc["explanation"]["kind"] == "scale-up", doc["explanation"]
    assert "pool h100 to scale up" in doc["explanation"]["text"]
    logs = runner.invoke(cli, ["logs", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert logs.exit_code == 0 and logs.stdout == ""
    assert "no logs yet from rank 0, 1 (Pending" in logs.stderr
    cancel = runner.invoke(cli, ["cancel", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert cancel.exit_code == 0
    assert not api.stored(resources.POD, namespace)
