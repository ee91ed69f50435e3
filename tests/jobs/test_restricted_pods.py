"""Every rendered pod is `restricted`: non-root user and group with fsGroup, no privilege
escalation, no capabilities, RuntimeDefault seccomp, a read-only root with writable
emptyDirs for /tmp, the caches and outputs, the memory-backed /dev/shm, and no API token
(issue 20)."""

from __future__ import annotations

import pytest

from gpuforge.emulator.controllers import trainer_controller
from gpuforge.jobs import backends, burnin_job, pod_security
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import training_runtimes
from tests.jobs.conftest import env_spec, offering

TRAINING_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/training/gpuforge-trainer:2026.12.1"
"""The burn-in runs the training image (`validate-pool --image`)."""

CACHE_VARS = {
    "XDG_CACHE_HOME", "TORCH_HOME", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR",
    "TORCH_EXTENSIONS_DIR", "CUDA_CACHE_PATH", "HOME",
}  # fmt: skip


class _Store:
    def list(self, resource):
        return [training_runtimes.torch_distributed()]


def pod_specs(backend: str) -> list[dict]:
    env = offering(env_spec("prod"), backend)
    job = JobSpec.model_validate(
        {"name": "llama", "image": "pytorch/pytorch:2.13.0", "pool": "h100", "nodes": 2,
         "command": ["train.py"], "backend": backend}
    )  # fmt: skip
    out = []
    for m in backends.render(check_fit(job, env, priority_settable=backend != "trainjob")):
        if m["kind"] == "Job":
            out.append(m["spec"]["template"]["spec"])
        elif m["kind"] == "JobSet":
            out += [r["template"]["spec"]["template"]["spec"] for r in m["spec"]["replicatedJobs"]]
        elif m["kind"] == "TrainJob":
            js = trainer_controller.jobset_spec(_Store(), m)
            out += [r["template"]["spec"]["template"]["spec"] for r in js["replicatedJobs"]]
    return out


def burnin_specs() -> list[dict]:
    env = env_spec("prod")
    job = burnin_job.burnin_job(env, burnin_job.pool_of(env, "h100"), nodes=1, image=TRAINING_IMAGE)
    return [
        m["spec"]["template"]["spec"]
        for m in burnin_job.render(check_fit(job, env))
        if m["kind"] == "Job"
    ]


CASES = [(b, s) for b in backends.names() for s in pod_specs(b)] + [
    ("burn-in", s) for s in burnin_specs()
]


@pytest.mark.parametrize(("where", "spec"), CASES)
def test_the_pod_is_restricted_with_writable_dirs_and_no_token(where, spec):
    sc = spec["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc["runAsUser"] == sc["runAsGroup"] == sc["fsGroup"] == 10001
    if where != "trainjob":  # Trainer v2.3 cannot patch it; the ServiceAccount's false applies
        assert spec["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["dshm"]["emptyDir"]["medium"] == "Memory"
    for name in ("tmp", "cache", "outputs"):
        assert volumes[name] == {"name": name, "emptyDir": {}}
    (container,) = [c for c in spec["containers"] if c["name"] in ("trainer", "node")]
    csc = container["securityContext"]
    assert csc["allowPrivilegeEscalation"] is False and csc["privileged"] is False
    assert csc["capabilities"] == {"drop": ["ALL"]} and csc["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/dev/shm"] == "dshm" and mounts["/tmp"] == "tmp"
    assert mounts[pod_security.CACHE_DIR] == "cache" and mounts["/outputs"] == "outputs"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert set(env) >= CACHE_VARS
    for var in CACHE_VARS:  # every cache lands in a writable emptyDir
        assert env[var].startswith((pod_security.CACHE_DIR, "/tmp/")), var


def test_a_job_s_own_env_overrides_a_cache_location():
    env = env_spec("prod")
    job = JobSpec.model_validate(
        {"name": "llama", "image": "pytorch/pytorch:2.13.0", "pool": "h100", "nodes": 1,
         "command": ["train.py"], "env": {"TRITON_CACHE_DIR": "/outputs/triton"}}
    )  # fmt: skip
    (manifest,) = [m for m in backends.render(check_fit(job, env)) if m["kind"] == "Job"]
    (container,) = manifest["spec"]["template"]["spec"]["containers"]
    values = [e["value"] for e in container["env"] if e["name"] == "TRITON_CACHE_DIR"]
    assert values == ["/outputs/triton"]
