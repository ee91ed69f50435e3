"""Submit, list, status, logs and cancel against the emulated Kubernetes API on 127.0.0.1.

Each job is a real `JobSpec`, checked by `check_fit` and rendered by the indexed-job
backend (a headless Service, then an Indexed Job), submitted as `launch` submits it.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta

import kmock
import pytest

from gpuforge.cli.cluster_errors import next_step
from gpuforge.cli.main import cli
from gpuforge.jobs import backends, job_errors, job_logs, kube_client, resources
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.launch_annotations import LAUNCH_ID
from gpuforge.jobs.listing import list_jobs
from gpuforge.jobs.submit import submit
from gpuforge.model.pricing import hourly_usd
from tests.jobs.conftest import event, job_spec, pod, unqueued

ENV = "prod"
"""The `-e` the hints name."""


def launch(api, env, job=None, **kw):
    fit = check_fit(job or job_spec(), unqueued(env))
    return submit(
        fit, backends.render(fit), kubeconfig=kw.pop("kubeconfig"), say=kw.pop("say", noop), **kw
    )


def noop(_line: str) -> None:
    pass


def stored(api, resource, env):
    return api.stored(resource, env.training.namespace)


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat().replace("+00:00", "Z")


# -- submit ---------------------------------------------------------------------------


def test_submit_creates_service_then_job_with_launch_facts(api, env, kubeconfig, sleeps):
    said = []
    assert launch(api, env, kubeconfig=kubeconfig, say=said.append) == "Pending"
    posts = [
        r.resource.plural
        for r in api.emulator._requests
        if r.method == "POST" and r.namespace == env.training.namespace
    ]
    assert posts == ["services", "jobs"]
    (svc,) = stored(api, resources.SERVICE, env)
    (job,) = stored(api, resources.BATCH_JOB, env)
    assert svc["spec"]["clusterIP"] == "None"
    notes = job["metadata"]["annotations"]
    assert notes[LAUNCH_ID] == svc["metadata"]["annotations"][LAUNCH_ID]
    assert (notes["gpuforge.dev/nodes"], notes["gpuforge.dev/gpus-per-node"]) == ("2", "8")
    assert notes["gpuforge.dev/instance-type"] == "p5.48xlarge"
    assert (notes["gpuforge.dev/pool"], notes["gpuforge.dev/backend"]) == ("h100", "indexed-job")
    assert job["spec"]["completions"] == 2
    assert said == [
        "launched llama: 2 nodes x 8 GPUs on pool h100 "
        f"(indexed-job, namespace {env.training.namespace})"
    ]


def test_duplicate_name_is_refused_with_a_hint(api, env, kubeconfig, sleeps):
    launch(api, env, kubeconfig=kubeconfig)
    with pytest.raises(job_errors.JobExists) as err:
        launch(api, env, kubeconfig=kubeconfig)
    assert "job llama already exists" in err.value.message
    hint = next_step(err.value, ENV)
    assert "--replace" in hint and "gpuforge cancel llama" in hint
    assert len(stored(api, resources.BATCH_JOB, env)) == 1


def test_replace_deletes_the_old_job_and_its_pods(api, env, kubeconfig, sleeps):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    old = stored(api, resources.BATCH_JOB, env)[0]["metadata"]["uid"]
    api.put(pod("llama", ns, 0))
    launch(api, env, kubeconfig=kubeconfig, replace=True)
    (job,) = stored(api, resources.BATCH_JOB, env)
    assert job["metadata"]["uid"] != old  # a new object (the launch id is the same rendering's)
    assert stored(api, resources.POD, env) == []


def test_replace_never_deletes_objects_gpuforge_does_not_own(api, env, kubeconfig, sleeps):
    ns = env.training.namespace
    api.put({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "llama", "namespace": ns}})
    with pytest.raises(job_errors.JobExists) as err:
        launch(api, env, kubeconfig=kubeconfig, replace=True)
    assert "not gpuforge's" in next_step(err.value, ENV)
    assert len(stored(api, resources.SERVICE, env)) == 1


def test_a_rejected_second_object_leaves_nothing_behind(api, env, kubeconfig, sleeps):
    api.reject(lambda r: r.method == "POST" and r.resource.plural == "jobs", 500, "webhook down")
    with pytest.raises(job_errors.LaunchRejected) as err:
        launch(api, env, kubeconfig=kubeconfig)
    assert "failed at Job/llama" in err.value.message and "webhook down" in err.value.message
    assert next_step(err.value, ENV) == "nothing was left behind"
    assert stored(api, resources.SERVICE, env) == [] and stored(api, resources.BATCH_JOB, env) == []
    assert sleeps, "a 500 on create is retried (after checking nothing was stored)"


def test_a_lost_create_response_does_not_duplicate_the_object(api, env, kubeconfig, sleeps):
    ns = env.training.namespace
    # kmock stores the write, then answers 500: the client never hears it succeeded.
    api.call(
        lambda: (
            api.emulator[
                kmock.action.CREATE, kmock.resource("batch", "v1", "jobs"), kmock.namespace(ns)
            ][:1]
            << 500
        )
    )
    launch(api, env, kubeconfig=kubeconfig)
    assert len(stored(api, resources.BATCH_JOB, env)) == 1
    posts = [r for r in api.emulator._requests if r.method == "POST" and r.namespace == ns]
    assert [r.resource.plural for r in posts] == ["services", "jobs"]  # not posted twice
    assert len(sleeps) == 1  # the 500 did happen: one backoff, then the GET found ours


def test_a_retried_create_never_claims_another_launchs_object(api, env, kubeconfig, monkeypatch):
    """After a create whose answer may be lost, the object stored under that name is taken
    as this launch's only when it carries this launch's id; another one is a clash."""
    ns = env.training.namespace
    theirs = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "llama", "namespace": ns, "annotations": {LAUNCH_ID: "another"}},
    }
    # The POST of the Job answers 500; while the client backs off, another launch
    # creates a Job of that name.
    api.reject(lambda r: r.method == "POST" and r.resource.plural == "jobs", 500, "busy")
    policy = kube_client.RetryPolicy(sleep=lambda _s: api.put(theirs))
    monkeypatch.setattr(kube_client, "DEFAULT_RETRY", policy)
    with pytest.raises(job_errors.LaunchRejected) as err:
        launch(api, env, kubeconfig=kubeconfig)
    assert "failed at Job/llama: Job llama already exists" in err.value.message
    (job,) = stored(api, resources.BATCH_JOB, env)
    assert job["metadata"]["annotations"][LAUNCH_ID] == "another"  # theirs, left alone
    assert stored(api, resources.SERVICE, env) == []  # ours, rolled back


def test_429_is_retried_after_retry_after(api, env, kubeconfig, sleeps):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    api.call(
        lambda: (
            api.emulator[
                kmock.action.LIST, kmock.resource("batch", "v1", "jobs"), kmock.namespace(ns)
            ][:1]
            << 429
            << {"Retry-After": "2"}
        )
    )
    (record,) = list_jobs(env, kubeconfig=kubeconfig)
    assert record.name == "llama"
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] < 2.5


def test_wait_follows_to_success_and_to_failure(api, env, kubeconfig, sleeps, monkeypatch):
    ns = env.training.namespace
    monkeypatch.setattr(time, "sleep", lambda s: None)

    def finish(kind):
        def say(line):
            if line.startswith("launched"):
                cond = {"type": kind, "status": "True", "message": "BackoffLimitExceeded"}
                api.put(
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "metadata": {"name": job.name, "namespace": ns},
                        "status": {"conditions": [cond]},
                    }
                )

        return say

    job = job_spec(name="ok")
    assert (
        launch(api, env, job, kubeconfig=kubeconfig, wait=True, say=finish("Complete"))
        == "Succeeded"
    )
    job = job_spec(name="bad")
    with pytest.raises(job_errors.JobFailed) as err:
        launch(api, env, job, kubeconfig=kubeconfig, wait=True, say=finish("Failed"))
    assert "BackoffLimitExceeded" in err.value.message
    assert "gpuforge logs bad" in next_step(err.value, ENV)


def test_ctrl_c_while_waiting_leaves_the_job_running(api, env, kubeconfig, sleeps, monkeypatch):
    def interrupt(_s):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt)
    with pytest.raises(job_errors.Interrupted) as err:
        launch(api, env, kubeconfig=kubeconfig, wait=True)
    assert "keeps running" in err.value.message
    assert "gpuforge status llama" in next_step(err.value, ENV)
    assert len(stored(api, resources.BATCH_JOB, env)) == 1


# -- jobs, status, logs, cancel through the CLI ------------------------------------------


def test_jobs_lists_state_size_restarts_and_cost(api, env, env_file, kubeconfig, runner, sleeps):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    api.put(pod("llama", ns, 0, restarts=1, startTime=ago(hours=1)))
    api.put(pod("llama", ns, 1, startTime=ago(hours=1)))
    result = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["jobs"]
    assert (row["name"], row["state"], row["nodes"], row["gpus_per_node"], row["pool"]) == (
        "llama",
        "Running",
        2,
        8,
        "h100",
    )
    assert row["restarts"] == 1
    assert row["cost_usd"] == pytest.approx(2 * hourly_usd("p5.48xlarge"), rel=0.01)
    table = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", kubeconfig])
    assert "llama" in table.stdout and "2 x 8" in table.stdout and "Running" in table.stdout


def test_jobs_lists_only_the_environments_own_jobs_on_a_shared_namespace(
    api, env, kubeconfig, sleeps
):
    launch(api, env, kubeconfig=kubeconfig)
    other = env.model_copy(update={"environment": "staging"})
    assert [r.name for r in list_jobs(env, kubeconfig=kubeconfig)] == ["llama"]
    assert list_jobs(other, kubeconfig=kubeconfig) == []  # same cluster and namespace


def test_jobs_table_keeps_each_row_whole_when_piped(api, env, env_file, kubeconfig, runner, sleeps):
    long_name = "a-long-job-name-cut-at-eighty-columns-xy"
    launch(api, env, job_spec(name=long_name), kubeconfig=kubeconfig)
    table = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", kubeconfig])
    assert table.exit_code == 0, table.output
    (row,) = [line for line in table.stdout.splitlines() if "Pending" in line]
    assert long_name in row  # not folded over two lines, so it can be copied


def test_status_explains_a_pool_scaling_up_from_zero(
    api, env, env_file, kubeconfig, runner, sleeps
):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    unsched = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
    }
    for rank in (0, 1):
        api.put(pod("llama", ns, rank, phase="Pending", conditions=[unsched]))
        name = f"llama-{rank}-abcde"
        api.put(event(ns, name, "FailedScheduling", unsched["message"], ago(seconds=50)))
        api.put(
            event(
                ns,
                name,
                "TriggeredScaleUp",
                "pod triggered scale-up: [{eks-h100 0->2 (max: 8)}]",
                ago(seconds=40),
            )
        )
    api.put(event(ns, "someone-else-0", "TriggeredScaleUp", "not ours", ago(seconds=1)))
    result = runner.invoke(
        cli, ["status", "llama", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["state"] == "Starting"
    assert doc["explanation"]["kind"] == "scale-up"
    assert "pool h100 to scale up" in doc["explanation"]["text"]
    assert [p["rank"] for p in doc["pods"]] == [0, 1]
    assert {e["reason"] for e in doc["events"]} == {"FailedScheduling", "TriggeredScaleUp"}
    assert all("someone-else" not in e["object"] for e in doc["events"])
    table = runner.invoke(cli, ["status", "llama", "-e", env_file, "--kubeconfig", kubeconfig])
    assert "why: waiting for pool h100 to scale up" in table.stdout


def test_status_explains_a_job_kueue_has_not_admitted(
    api, env, env_file, kubeconfig, sleeps, runner
):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    api.put(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "llama", "namespace": ns},
            "spec": {"suspend": True},
        }
    )
    api.put(
        {
            "apiVersion": "kueue.x-k8s.io/v1beta2",
            "kind": "Workload",
            "metadata": {
                "name": "job-llama-3f2a1",
                "namespace": ns,
                "ownerReferences": [{"kind": "Job", "name": "llama", "controller": True}],
            },
            "spec": {"queueName": "training"},
            "status": {
                "conditions": [
                    {
                        "type": "QuotaReserved",
                        "status": "False",
                        "reason": "Pending",
                        "message": "couldn't assign flavors to pod set main: insufficient "
                        "unused quota for nvidia.com/gpu in flavor pool-h100, 16 more needed",
                    }
                ]
            },
        }
    )
    doc = json.loads(
        runner.invoke(
            cli, ["status", "llama", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"]
        ).stdout
    )
    assert doc["state"] == "Queued"
    assert doc["explanation"]["kind"] == "quota"
    assert "queue training is full" in doc["explanation"]["text"]


def test_logs_prefix_ranks_and_pick_one(api, env, env_file, kubeconfig, runner, sleeps):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    for rank in (0, 1):
        api.put(pod("llama", ns, rank))
        api.set_log(ns, f"llama-{rank}-abcde", f"step 1 from {rank}\nstep 2 from {rank}\n")
    result = runner.invoke(cli, ["logs", "llama", "-e", env_file, "--kubeconfig", kubeconfig])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "[rank 0] step 1 from 0",
        "[rank 0] step 2 from 0",
        "[rank 1] step 1 from 1",
        "[rank 1] step 2 from 1",
    ]
    one = runner.invoke(
        cli, ["logs", "llama", "-e", env_file, "--kubeconfig", kubeconfig, "--rank", "1"]
    )
    assert one.stdout.splitlines() == ["[rank 1] step 1 from 1", "[rank 1] step 2 from 1"]
    missing = runner.invoke(
        cli, ["logs", "llama", "-e", env_file, "--kubeconfig", kubeconfig, "--rank", "5"]
    )
    assert missing.exit_code == 1 and "no pod for rank 5" in missing.stderr


def test_logs_follow_prints_new_lines_until_the_job_ends(api, env, kubeconfig, sleeps, monkeypatch):
    launch(api, env, kubeconfig=kubeconfig)
    ns = env.training.namespace
    api.put(pod("llama", ns, 0))
    api.set_log(ns, "llama-0-abcde", "a\n")
    steps = iter(
        [
            lambda: api.set_log(ns, "llama-0-abcde", "a\nb\n"),
            lambda: api.put(
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": {"name": "llama", "namespace": ns},
                    "status": {"conditions": [{"type": "Complete", "status": "True"}]},
                }
            ),
        ]
    )
    monkeypatch.setattr(time, "sleep", lambda s: next(steps)())
    lines = []
    job_logs.logs(env, "llama", follow_logs=True, kubeconfig=kubeconfig, out=lines.append)
    assert lines == ["[rank 0] a", "[rank 0] b"]


def test_logs_follow_ctrl_c_says_how_to_follow_again(
    api, env, env_file, kubeconfig, runner, sleeps, monkeypatch
):
    launch(api, env, kubeconfig=kubeconfig)

    def interrupt(_s):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt)
    result = runner.invoke(cli, ["logs", "llama", "-e", env_file, "--kubeconfig", kubeconfig, "-f"])
    assert result.exit_code == 130
    assert "the job keeps running" in result.stderr
    assert f"gpuforge logs llama -e {env_file} -f" in result.stderr
    assert len(stored(api, resources.BATCH_JOB, env)) == 1


def test_cancel_deletes_every_object_of_the_job_only(
    api, env, env_file, kubeconfig, runner, sleeps
):
    launch(api, env, kubeconfig=kubeconfig)
    launch(api, env, job_spec(name="other"), kubeconfig=kubeconfig)
    ns = env.training.namespace
    api.put(pod("llama", ns, 0))
    result = runner.invoke(cli, ["cancel", "llama", "-e", env_file, "--kubeconfig", kubeconfig])
    assert result.exit_code == 0, result.output
    assert "Job/llama" in result.stdout and "Service/llama" in result.stdout
    assert [j["metadata"]["name"] for j in stored(api, resources.BATCH_JOB, env)] == ["other"]
    assert stored(api, resources.POD, env) == []
    again = runner.invoke(cli, ["status", "llama", "-e", env_file, "--kubeconfig", kubeconfig])
    assert again.exit_code == 1
    assert again.stderr.strip().startswith("error: no job llama in namespace")
    assert len(again.stderr.strip().splitlines()) == 1


# -- access failures ------------------------------------------------------------------


def test_an_unreachable_api_is_one_line_and_exit_1(env_file, tmp_path, runner, sleeps):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "dead.kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters: [{{name: x, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: x, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: x, user: x}}]\n"
    )
    result = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", str(config)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: cannot reach the Kubernetes API at http://127.0.0.1:{port}")
    assert "connection refused" in lines[0]
    assert len(sleeps) == 2  # three tries in all


def test_a_missing_kubeconfig_is_one_line(env_file, tmp_path, runner):
    result = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot use ") and len(result.stderr.splitlines()) == 1


def test_the_emulated_api_wants_the_kubeconfig_token(api, env, tmp_path, runner, env_file):
    config = api.kubeconfig()
    config["users"][0]["user"]["token"] = "wrong"
    path = tmp_path / "wrong.kubeconfig"
    import yaml

    path.write_text(yaml.safe_dump(config))
    result = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", str(path)])
    assert result.exit_code == 1 and "Unauthorized" in result.stderr
