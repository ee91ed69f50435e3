"""Rendered manifests: valid against the Kubernetes schema, and saying what the issue asks."""

from __future__ import annotations

import kubernetes_validate
import pytest

from gpuforge.jobs import backends, contract
from gpuforge.jobs.fit import Fit, check_fit
from gpuforge.jobs.spec import JobSpec, load_job
from gpuforge.model import names, pools
from tests.conftest import ROOT
from tests.jobs.conftest import BASE_JOB, EXAMPLE_ENVS, EXAMPLES, env_spec, offering

BUILTIN_KINDS = {"Service", "Job"}
COMMON_LABELS = {
    "app.kubernetes.io/managed-by": "gpuforge",
    "app.kubernetes.io/component": "training",
}


def k8s_version(env) -> str:
    return env.cluster.version


def validate_builtin(obj: dict, env) -> None:
    """kubernetes-validate, strict (unknown fields fail), at the environment's version."""
    kubernetes_validate.validate(obj, k8s_version(env), strict=True)


def render(job: dict | JobSpec, env_name: str = "prod", backend: str | None = None):
    env = env_spec(env_name)
    spec = job if isinstance(job, JobSpec) else JobSpec.model_validate(job)
    if backend:
        spec = spec.model_copy(update={"backend": backend})
    return env, backends.render(fitted(spec, env))


def fitted(job: JobSpec, env) -> Fit:
    """`job` checked as `launch` checks it (with its backend's `priority_settable`), in
    `env` as if it offered the job's backend (what each backend renders anywhere)."""
    env = offering(env, job.backend)
    return check_fit(job, env, priority_settable=backends.get(job.backend).priority_settable)


def pod_templates(obj: dict) -> list[dict]:
    if obj["kind"] == "Job":
        return [obj["spec"]["template"]]
    if obj["kind"] == "JobSet":
        return [r["template"]["spec"]["template"] for r in obj["spec"]["replicatedJobs"]]
    if obj["kind"] == "TrainJob":
        patches = obj["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]
        return [r["template"]["spec"]["template"] for r in patches["spec"]["replicatedJobs"]]
    return []


def containers(obj: dict) -> list[dict]:
    return [c for t in pod_templates(obj) for c in t["spec"].get("containers", [])]


def env_of(container: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


ALL_CASES = [
    (example, EXAMPLE_ENVS[example], backend)
    for example in EXAMPLE_ENVS
    for backend in backends.names()
]


def _example_job(example: str, backend: str) -> JobSpec:
    job = load_job(EXAMPLES / example)
    update = {"backend": backend}
    if backend == "trainjob":  # TrainJob cannot set a priority: render it without one
        job = JobSpec.model_validate(
            {**job.model_dump(exclude={"priority"}, exclude_defaults=True), **update}
        )
        return job
    return job.model_copy(update=update)


def test_every_example_is_listed_and_renders(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(EXAMPLE_ENVS)
    for example, env_name in EXAMPLE_ENVS.items():
        job = load_job(EXAMPLES / example)
        env, objects = render(job, env_name)
        assert objects, example
        for obj in objects:
            if obj["kind"] in BUILTIN_KINDS:
                validate_builtin(obj, env)


def test_the_2x8_example_is_the_prod_h100_efa_gang(monkeypatch):
    monkeypatch.chdir(ROOT)
    job = load_job(EXAMPLES / "llama-2x8-h100.yaml")
    assert (job.pool, job.nodes, job.gpus_per_node) == ("h100", 2, 8)
    env, (service, batch_job) = render(job)
    assert env.pool("h100").efa
    limits = batch_job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits[pools.EFA] == str(pools.node_shape(env.pool("h100")).efa_devices) == "32"


@pytest.mark.parametrize(("example", "env_name", "backend"), ALL_CASES)
def test_builtin_objects_validate_strictly(example, env_name, backend, monkeypatch):
    monkeypatch.chdir(ROOT)
    env, objects = render(_example_job(example, backend), env_name)
    for obj in objects:
        if obj["kind"] in BUILTIN_KINDS:
            validate_builtin(obj, env)
        if obj["kind"] == "JobSet":  # its Job templates are batch/v1 JobTemplateSpecs
            for rjob in obj["spec"]["replicatedJobs"]:
                wrapped = {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": {"name": "x", **rjob["template"]["metadata"]},
                    "spec": rjob["template"]["spec"],
                }
                validate_builtin(wrapped, env)


def test_strict_validation_catches_an_unknown_field():
    env, (service, batch_job) = render(BASE_JOB)
    batch_job["spec"]["template"]["spec"]["containers"][0]["shmSize"] = "1Gi"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_builtin(batch_job, env)


@pytest.mark.parametrize(("example", "env_name", "backend"), ALL_CASES)
def test_labels_namespace_and_rank(example, env_name, backend, monkeypatch):
    monkeypatch.chdir(ROOT)
    job = _example_job(example, backend)
    env, objects = render(job, env_name)
    want = {names.JOB_LABEL: job.name, "app.kubernetes.io/name": job.name, **COMMON_LABELS}
    primary_kind = (objects[-1]["apiVersion"], objects[-1]["kind"])
    primary = backends.get(backend).primary
    assert primary_kind == (primary.api_version, primary.kind)
    for obj in objects:
        assert obj["metadata"]["namespace"] == env.training.namespace
        assert want.items() <= obj["metadata"]["labels"].items(), obj["kind"]
        for template in pod_templates(obj):
            assert want.items() <= template["metadata"]["labels"].items()
    primary = objects[-1]
    queued = env.training.queueing == "kueue"
    assert (names.KUEUE_QUEUE_LABEL in primary["metadata"]["labels"]) is queued
    assert primary["spec"].get("suspend", False) is queued
    if queued:
        assert primary["metadata"]["labels"][names.KUEUE_QUEUE_LABEL] == names.LOCAL_QUEUE
    # All three end up as Indexed Jobs with one pod per node: rank = completion index.
    if primary["kind"] == "Job":
        spec = primary["spec"]
    elif primary["kind"] == "JobSet":
        spec = primary["spec"]["replicatedJobs"][0]["template"]["spec"]
        assert primary["spec"]["replicatedJobs"][0]["replicas"] == 1
    else:
        assert primary["spec"]["trainer"]["numNodes"] == job.nodes
        return
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == job.nodes


def test_indexed_job_gang_and_rendezvous():
    env, (service, batch_job) = render(BASE_JOB)
    assert [service["kind"], batch_job["kind"]] == ["Service", "Job"]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["publishNotReadyAddresses"] is True
    assert service["spec"]["selector"] == {names.JOB_LABEL: "demo"}
    spec = batch_job["spec"]
    pod_spec = spec["template"]["spec"]
    assert pod_spec["subdomain"] == service["metadata"]["name"] == "demo"
    container = pod_spec["containers"][0]
    command = container["command"]
    host = "demo-0.demo.training.svc"
    assert command[:2] == ["/bin/sh", "-c"] and "getent hosts" in command[2]
    argv = command[command.index("torchrun") :]
    assert argv == [
        "torchrun",
        "--nnodes=2",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint={host}:{contract.RENDEZVOUS_PORT}",
        "--rdzv-id=demo",
        "--rdzv-conf=join_timeout=1200",  # a scale from zero (gang_timeouts), not 600 s
        "--nproc-per-node=8",
        "--max-restarts=0",  # the Job controller restarts the gang, never torchrun alone
        "--shutdown-timeout=100",  # workers get time for a SIGTERM checkpoint ...
        "train.py",
        "--epochs",
        "3",
    ]
    # ... inside the pod's grace period, so the kubelet's SIGKILL never comes first
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] > 100
    assert env_of(container)[contract.RENDEZVOUS] == f"{host}:{contract.RENDEZVOUS_PORT}"
    # the gang restarts together, whoever fails: every failed pod counts (a
    # DisruptionTarget one too), 2 pods per gang failure, 3 restarts then the Job fails
    assert spec["backoffLimit"] == 2 * (3 + 1) - 1
    assert "podFailurePolicy" not in spec
    assert spec["podReplacementPolicy"] == "Failed"
    assert "1200s" in command[2]  # rank 0's name may come a scale from zero later
    assert pod_spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] == 72 * 3600
    assert spec["ttlSecondsAfterFinished"] > 0


def test_placement_devices_and_shm_come_from_the_pool_model():
    env, (_, batch_job) = render({**BASE_JOB, "priority": "high"})
    pool = env.pool("h100")
    pod_spec = batch_job["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    assert pod_spec["nodeSelector"] == {names.POOL_KEY: "h100"}
    taints = {(t["key"], t["value"], t["effect"]) for t in pools.node_taints(pool)}
    tolerated = {(t["key"], t["value"], t["effect"]) for t in pod_spec["tolerations"]}
    assert ("nvidia.com/gpu", "true", "NoSchedule") in tolerated and taints <= tolerated
    assert pod_spec["serviceAccountName"] == names.TRAINING_SERVICE_ACCOUNT
    assert pod_spec["priorityClassName"] == names.priority_class("high") == "gpuforge-high"
    limits = container["resources"]["limits"]
    assert limits[pools.NVIDIA_GPU] == "8" and limits[pools.EFA] == "32"
    (shm,) = [v for v in pod_spec["volumes"] if v["emptyDir"].get("medium") == "Memory"]
    assert shm["emptyDir"]["medium"] == "Memory"
    assert {"name": shm["name"], "mountPath": "/dev/shm"} in container["volumeMounts"]
    variables = env_of(container)
    assert variables["FI_PROVIDER"] == "efa" and variables["FI_EFA_USE_DEVICE_RDMA"] == "1"
    assert variables[contract.TRANSPORT] == "efa"
    assert variables[contract.JOB_NAME] == "demo"
    assert variables[contract.CHECKPOINT_URI] == "s3://$(GPUFORGE_BUCKET_CHECKPOINTS)/demo"
    assert variables[contract.CHECKPOINT_EVERY_STEPS] == "1000"
    assert variables["GPUFORGE_BUCKET_CHECKPOINTS"] == {
        "configMapKeyRef": {"name": names.BUCKETS_CONFIGMAP, "key": "checkpoints"}
    }


def test_efa_without_rdma_and_partial_nodes_share_devices():
    # staging's a100 pool is p4d (RDMA); a g6e pool with EFA has no RDMA read
    env = env_spec("prod")
    data = env.model_dump()
    data["gpu_pools"][1].update(efa=True, az="us-east-1a")
    from gpuforge.model.loader import spec_from_data

    env = spec_from_data(data)
    job = JobSpec.model_validate({**BASE_JOB, "pool": "l40s", "gpus_per_node": 2})
    (_, batch_job) = backends.render(fitted(job, env))
    container = batch_job["spec"]["template"]["spec"]["containers"][0]
    variables = env_of(container)
    assert variables["FI_PROVIDER"] == "efa" and "FI_EFA_USE_DEVICE_RDMA" not in variables
    assert container["resources"]["limits"][pools.EFA] == "1"  # 1 device x 2/4 GPUs, at least 1


def test_single_node_runs_torchrun_standalone_without_waiting():
    env, (service, batch_job) = render({**BASE_JOB, "nodes": 1})
    container = batch_job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:4] == [
        "torchrun",
        "--standalone",
        "--nnodes=1",
        "--nproc-per-node=8",
    ]
    assert contract.RENDEZVOUS not in env_of(container)


def test_no_queue_label_when_the_env_does_not_queue():
    env, objects = render({**BASE_JOB, "pool": "l4", "nodes": 1}, "dev")
    assert all(names.KUEUE_QUEUE_LABEL not in o["metadata"]["labels"] for o in objects)
    assert "suspend" not in objects[-1]["spec"]


def test_jobset_shape():
    env, (jobset,) = render(BASE_JOB, backend="jobset")
    assert jobset["apiVersion"] == "jobset.x-k8s.io/v1alpha2"
    spec = jobset["spec"]
    assert spec["network"] == {
        "enableDNSHostnames": True,
        "subdomain": "demo",
        "publishNotReadyAddresses": True,
    }
    assert spec["failurePolicy"] == {"maxRestarts": 3, "restartStrategy": "BlockingRecreate"}
    child = spec["replicatedJobs"][0]["template"]["spec"]
    assert child["backoffLimit"] == 0
    # any pod's loss, a disruption (rank 0's too) included, fails the child Job
    rules = child["podFailurePolicy"]["rules"]
    assert rules[0] == {"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget"}]}
    assert rules[1]["action"] == "FailJob"
    (container,) = containers(jobset)
    assert "--rdzv-endpoint=demo-node-0-0.demo.training.svc:29400" in container["command"]


def test_trainjob_shape():
    env, (trainjob,) = render(BASE_JOB, backend="trainjob")
    assert trainjob["apiVersion"] == "trainer.kubeflow.org/v1alpha1"
    trainer = trainjob["spec"]["trainer"]
    assert (trainer["numNodes"], trainer["numProcPerNode"]) == (2, 8)
    assert trainer["resourcesPerNode"]["limits"][pools.EFA] == "32"
    assert trainjob["spec"]["runtimeRef"]["name"] == "torch-distributed"
    argv = trainer["command"][trainer["command"].index("torchrun") :]
    assert argv == [
        "torchrun",
        "--max-restarts=3",
        "--rdzv-conf=timeout=1200",  # static rendezvous waits a scale from zero, not 600 s
        "--shutdown-timeout=100",
        "train.py",
        "--epochs",
        "3",
    ]
    assert not any(e["name"].startswith("PET_") for e in trainer["env"])
    (pod_template,) = pod_templates(trainjob)
    assert pod_template["spec"]["nodeSelector"] == {names.POOL_KEY: "h100"}
    assert "priorityClassName" not in pod_template["spec"]
    assert trainjob["spec"]["activeDeadlineSeconds"] == 72 * 3600


def test_backends_declare_their_primary_object():
    def where(name):
        primary = backends.get(name).primary
        return (primary.api_version, primary.kind, primary.plural)

    assert where("indexed-job") == ("batch/v1", "Job", "jobs")
    assert where("jobset") == ("jobset.x-k8s.io/v1alpha2", "JobSet", "jobsets")
    assert where("trainjob") == (
        "trainer.kubeflow.org/v1alpha1",
        "TrainJob",
        "trainjobs",
    )
    for name in backends.names():
        assert backends.get(name).name == name


def test_launch_without_cloud_credentials_is_one_clear_line(runner, monkeypatch):
    """Sending (not --dry-run) reaches for the env's EKS cluster; no credentials: one line."""
    monkeypatch.chdir(ROOT)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance role
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    result = runner.invoke(cli_main(), ["launch", "examples/jobs/single-node.yaml", "-e", "dev"])
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no AWS credentials") and "--kubeconfig" in last
    assert "Traceback" not in result.output


def test_dry_run_refuses_wait(runner, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ["launch", "examples/jobs/single-node.yaml", "-e", "dev", "--dry-run", "--wait"]
    result = runner.invoke(cli_main(), args)
    assert result.exit_code == 2 and "--dry-run sends nothing" in result.stderr


def cli_main():
    from gpuforge.cli.main import cli

    return cli
