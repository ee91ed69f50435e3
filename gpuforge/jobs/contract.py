"""What gpuforge tells a training process: the `GPUFORGE_*` environment variables.

Defined once here; the cluster backends set them in every pod and the local
runner sets them for a local torchrun, so a training script reads the same
names wherever it runs. A job's own `env:` may not set any of them.
"""

from __future__ import annotations

from gpuforge.model import network_policy

PREFIX = "GPUFORGE_"

JOB_NAME = "GPUFORGE_JOB_NAME"
ENVIRONMENT = "GPUFORGE_ENVIRONMENT"
CHECKPOINT_URI = "GPUFORGE_CHECKPOINT_URI"
CHECKPOINT_EVERY_STEPS = "GPUFORGE_CHECKPOINT_EVERY_STEPS"
TRANSPORT = "GPUFORGE_TRANSPORT"
RENDEZVOUS = "GPUFORGE_RENDEZVOUS"
DATA = "GPUFORGE_DATA_<NAME>"

MEANING = {
    JOB_NAME: "The job's name (also the value of the `gpuforge.dev/job` label).",
    ENVIRONMENT: "The environment the job runs in (`prod`, ...).",
    CHECKPOINT_URI: "Where to write and resume checkpoints, `s3://<physical bucket>/<prefix>`; "
    "unset without `checkpoint:`.",
    CHECKPOINT_EVERY_STEPS: "Write a checkpoint every this many steps; unset without "
    "`checkpoint:`.",
    TRANSPORT: "`efa` or `tcp`: the network the job was placed for.",
    RENDEZVOUS: "`host:port` of the c10d rendezvous on rank 0's stable DNS name; unset on one "
    "node and with the trainjob backend (Trainer sets `PET_MASTER_ADDR`).",
    DATA: "Where each `data:` mount is (`NAME` upper-cased, `-` as `_`): its mount path in "
    "the cluster, its local directory with `launch --local`.",
}
"""Every contract variable and its meaning (docs/jobs.md is generated from it)."""

RESERVED_PREFIXES = (PREFIX, "PET_")
"""Variable prefixes a job's `env:` may not set: gpuforge's own and torchrun's (`PET_*`)."""

RENDEZVOUS_PORT = network_policy.RENDEZVOUS_PORT
"""torchrun's default c10d rendezvous port (the namespace's NetworkPolicy opens it)."""


def checkpoint_bucket_var(bucket: str) -> str:
    """The variable that carries the physical name of logical bucket `bucket`."""
    return f"{PREFIX}BUCKET_{bucket.upper().replace('-', '_')}"


def data_var(mount: str) -> str:
    """The variable that carries where data mount `mount` is."""
    return f"{PREFIX}DATA_{mount.upper().replace('-', '_')}"


def variables(
    *,
    job: str,
    environment: str,
    transport: str,
    checkpoint_uri: str | None = None,
    every_steps: int | None = None,
    rendezvous: str | None = None,
) -> dict[str, str]:
    """The contract variables for one job, in a stable order."""
    out = {JOB_NAME: job, ENVIRONMENT: environment, TRANSPORT: transport}
    if checkpoint_uri is not None:
        out[CHECKPOINT_URI] = checkpoint_uri
        if every_steps is not None:
            out[CHECKPOINT_EVERY_STEPS] = str(every_steps)
    if rendezvous is not None:
        out[RENDEZVOUS] = rendezvous
    return out
