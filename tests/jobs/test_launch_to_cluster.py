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
from tests.conftest import ROOT
from tests.jobs.conftest import EXAMPLES

INDEX = "batch.kubernetes.io/job-completion-index"

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
    assert f"{name} Queued: 2 nodes x 8 GPUs on pool h100 (Job)" in status.stdout
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


# -- the emulated cluster's controllers, end to end ----------------------------------


def launch(runner, case: str, env_file: str, kubeconfig: str, *extra: str):
    example, backend, _ = CASES[case]
    args = [str(EXAMPLES / example), "-e", env_file, "--kubeconfig", kubeconfig]
    return runner.invoke(cli, ["launch", *args, "--set", f"backend={backend}", *extra])


def primary_named(api, case: str, namespace: str, name: str) -> dict:
    (obj,) = [o for o in api.stored(CASES[case][2], namespace) if o["metadata"]["name"] == name]
    return obj


def job_name(case: str) -> str:
    example = CASES[case][0]
    return yaml.safe_load((EXAMPLES / example).read_text())["name"]


def admitted_with_pods(api, namespace: str, name: str) -> list[dict]:
    """The job's admitted Workload exists and its pods were created; the pods."""
    from gpuforge.model.names import JOB_LABEL

    workloads = api.stored(resources.WORKLOAD, namespace)
    assert any(
        c["type"] == "QuotaReserved" and c["status"] == "True"
        for w in workloads
        for c in (w.get("status") or {}).get("conditions") or []
    ), workloads
    pods = [
        p
        for p in api.stored(resources.POD, namespace)
        if (p["metadata"].get("labels") or {}).get(JOB_LABEL) == name
    ]
    assert pods and all(p["status"]["phase"] == "Pending" for p in pods)
    return pods


@pytest.mark.parametrize("case", list(CASES))
def test_each_backend_is_admitted_and_gets_its_pods(
    case, runner, api, env, env_file, kubeconfig, namespace
):
    from gpuforge.emulator.k8s_controllers import Controllers

    assert launch(runner, case, env_file, kubeconfig).exit_code == 0
    Controllers(api, env).settle()
    name = job_name(case)
    assert primary_named(api, case, namespace, name)["spec"]["suspend"] is False
    pods = admitted_with_pods(api, namespace, name)
    nodes = yaml.safe_load((EXAMPLES / CASES[case][0]).read_text())["nodes"]
    assert len(pods) == nodes


@pytest.mark.parametrize("case", list(CASES))
def test_a_cancelled_name_relaunched_is_admitted_again(
    case, runner, api, env, env_file, kubeconfig, namespace
):
    from gpuforge.emulator.k8s_controllers import Controllers

    controllers = Controllers(api, env)
    name = job_name(case)
    assert launch(runner, case, env_file, kubeconfig).exit_code == 0
    controllers.settle()
    first = primary_named(api, case, namespace, name)["metadata"]["uid"]
    cancel = runner.invoke(cli, ["cancel", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert cancel.exit_code == 0, cancel.output
    controllers.settle()
    assert api.stored(resources.WORKLOAD, namespace) == []  # went with its job

    assert launch(runner, case, env_file, kubeconfig).exit_code == 0
    controllers.settle()
    again = primary_named(api, case, namespace, name)
    assert again["metadata"]["uid"] != first and again["spec"]["suspend"] is False
    admitted_with_pods(api, namespace, name)
    status = runner.invoke(cli, ["status", name, "-e", env_file, "--kubeconfig", kubeconfig])
    assert "waiting for Kueue" not in status.stdout


def test_launch_replace_is_admitted(runner, api, env, env_file, kubeconfig, namespace):
    from gpuforge.emulator.k8s_controllers import Controllers

    controllers = Controllers(api, env)
    assert launch(runner, "indexed-job", env_file, kubeconfig).exit_code == 0
    controllers.settle()
    replaced = launch(runner, "indexed-job", env_file, kubeconfig, "--replace")
    assert replaced.exit_code == 0, replaced.output
    controllers.settle()
    name = job_name("indexed-job")
    assert primary_named(api, "indexed-job", namespace, name)["spec"]["suspend"] is False
    assert len(admitted_with_pods(api, namespace, name)) == 2
    (workload,) = api.stored(resources.WORKLOAD, namespace)  # the old one went with its job


def test_deleting_a_job_deletes_its_pods_and_service(
    runner, api, env, env_file, kubeconfig, namespace
):
    """Only the Job is deleted (as its TTL does): the garbage collector takes its pods,
    and the headless Service, which submit gave an ownerReference to the Job."""
    from gpuforge.emulator.k8s_controllers import Controllers
    from gpuforge.jobs.kube_client import connect

    controllers = Controllers(api, env)
    assert launch(runner, "indexed-job", env_file, kubeconfig).exit_code == 0
    controllers.settle()
    name = job_name("indexed-job")
    job = primary_named(api, "indexed-job", namespace, name)
    (service,) = api.stored(resources.SERVICE, namespace)
    assert service["metadata"]["ownerReferences"] == [
        {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": job["metadata"]["uid"]}
    ]
    assert api.stored(resources.POD, namespace)
    kube = connect(env, kubeconfig)
    assert kube.delete(resources.BATCH_JOB, namespace, name)
    controllers.settle()
    for resource in (resources.POD, resources.SERVICE, resources.WORKLOAD, resources.BATCH_JOB):
        assert api.stored(resource, namespace) == [], resource.kind
    assert launch(runner, "indexed-job", env_file, kubeconfig).exit_code == 0  # name free


def test_a_jobset_restart_recreates_all_child_jobs(
    runner, api, env, env_file, kubeconfig, namespace
):
    from gpuforge.emulator.k8s_controllers import Controllers

    controllers = Controllers(api, env)
    assert launch(runner, "jobset", env_file, kubeconfig).exit_code == 0
    controllers.settle()
    name = job_name("jobset")
    (child,) = api.stored(resources.BATCH_JOB, namespace)
    assert child["metadata"]["name"] == f"{name}-node-0"
    pods = api.stored(resources.POD, namespace)
    rank1 = next(p for p in pods if p["metadata"]["labels"][INDEX] == "1")
    api.put(
        {
            **rank1,
            "status": {
                "phase": "Failed",
                "containerStatuses": [
                    {"name": "trainer", "state": {"terminated": {"exitCode": 1}}}
                ],
            },
        }
    )
    controllers.settle()
    jobset = primary_named(api, "jobset", namespace, name)
    assert jobset["status"]["restarts"] == 1
    (again,) = api.stored(resources.BATCH_JOB, namespace)
    assert again["metadata"]["uid"] != child["metadata"]["uid"]
    assert again["metadata"]["labels"]["jobset.sigs.k8s.io/restart-attempt"] == "1"
    fresh = api.stored(resources.POD, namespace)
    assert sorted(p["metadata"]["labels"][INDEX] for p in fresh) == ["0", "1"]
    assert all(p["status"]["phase"] == "Pending" for p in fresh)


def test_launch_refuses_a_backend_the_environment_does_not_offer(runner, tmp_path, kubeconfig):
    doc = yaml.safe_load((ROOT / "stacks" / "prod.yaml").read_text())
    doc["training"]["backends"] = ["indexed-job"]
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    sent = launch(runner, "jobset", str(path), kubeconfig)
    assert sent.exit_code == 2
    assert "backend: environment prod does not offer the jobset backend" in sent.stderr
