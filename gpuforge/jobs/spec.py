"""The job spec: one short YAML file describing a PyTorch training job, typed and checked.

`load_job` reads it with the same machinery as environment specs (line numbers,
duplicate keys refused, did-you-mean on unknown keys) and applies `--set key=value`
overrides, so every mistake is one line naming the file (or `--set`), the line and
the field. Checks that need the environment (does the pool exist, does it fit)
live in `gpuforge.jobs.fit`.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpuforge.jobs import contract
from gpuforge.jobs.job_name import env_var_problem, job_name_problem, queue_name_problem
from gpuforge.model.errors import SpecError
from gpuforge.model.hardened_yaml import INT64_MAX
from gpuforge.model.image_reference import HINT as IMAGE_HINT
from gpuforge.model.image_reference import MOVING_HINT, image_reference_problem, moving_tag_problem
from gpuforge.model.names import DEFAULT_PRIORITY, JOB_BACKENDS, PRIORITIES

BACKENDS = JOB_BACKENDS
DOC = "docs/jobs.md"
MAX_SET_BYTES = 4096
"""Longest `--set key=value` (a value longer than this belongs in the job file)."""
EXAMPLE = "examples/jobs/single-node.yaml"

_DURATION = re.compile(r"([0-9]+)([smhd])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MEMORY = re.compile(r"([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?")
_MEMORY_MIB = {
    None: 1 / 2**20,
    "Ki": 1 / 1024,
    "Mi": 1,
    "Gi": 1024,
    "Ti": 1024**2,
    "k": 1000 / 2**20,
    "M": 10**6 / 2**20,
    "G": 10**9 / 2**20,
    "T": 10**12 / 2**20,
}
_CPU = re.compile(r"([0-9]+)m")
_BUCKET_URI = re.compile(r"s3://\{(?P<bucket>[a-z0-9-]+)\}(?P<prefix>/[^{}\s]*)?")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CheckpointSpec(_Strict):
    """Where the job writes checkpoints, and how often; restarts resume from the last one."""

    uri: str = Field(
        description="`s3://{bucket}/prefix`, where `{bucket}` is a bucket of the environment "
        "that training pods may write, e.g. `s3://{checkpoints}/llama/run-1`."
    )
    every_steps: int = Field(
        1000, ge=1, description="Write a checkpoint every this many steps (passed to the script)."
    )

    @property
    def bucket(self) -> str:
        match = _BUCKET_URI.fullmatch(self.uri)
        assert match, "validated at load time"
        return match["bucket"]

    @property
    def prefix(self) -> str:
        match = _BUCKET_URI.fullmatch(self.uri)
        assert match, "validated at load time"
        return match["prefix"] or ""


class DataMount(_Strict):
    """A file system of the environment mounted into every pod of the job."""

    name: str = Field(
        description="A file system of the environment (`storage.filesystems[].name`), or a "
        "bucket an `s3-mount` file system mounts."
    )
    path: str = Field(description="Absolute mount path in the container, e.g. `/data`.")
    read_only: bool = Field(
        True,
        description="Mount read-only (the default); `false` needs a file system training "
        "may write (every bucket behind it `read-write`).",
    )


class JobSpec(_Strict):
    """A training job: what to run, where, on how many GPUs, and what happens when it fails."""

    name: str = Field(
        description="Job name: lower-case letters, digits and '-', starting with a letter, "
        "at most 40 characters. Names the Kubernetes objects and pods (`<name>-<rank>`)."
    )
    image: str = Field(description="Container image with PyTorch (torchrun), `sh` and `getent`.")
    pool: str = Field(description="GPU pool of the environment to run on (`gpu_pools[].name`).")
    nodes: int = Field(1, ge=1, description="Number of nodes (one pod, one torchrun per node).")
    gpus_per_node: int | None = Field(
        None, ge=1, description="GPUs per node. Unset: every GPU of the pool's instance type."
    )
    command: str | list[str] = Field(
        description="Script and arguments run under torchrun, e.g. `[train.py, --epochs, '3']` "
        "or `[-m, mypkg.train]`; a string is split like a shell would."
    )
    env: dict[str, str] = Field(
        {},
        description="Extra environment variables for every rank (`GPUFORGE_*` and `PET_*` "
        "are reserved).",
    )
    cpu: float | str | None = Field(
        None,
        description="CPU per node (`32`, `500m`). Unset: the GPUs' share of what the node "
        "leaves for pods after its DaemonSets, less 5% (docs/jobs.md, the reserve model).",
    )
    memory: str | None = Field(
        None,
        description="Memory per node (`512Gi`). Unset: the GPUs' share of what the node "
        "leaves for pods after its DaemonSets, less 5% (docs/jobs.md, the reserve model).",
    )
    checkpoint: CheckpointSpec | None = Field(
        None, description="Checkpoint location and interval (exported as `GPUFORGE_CHECKPOINT_*`)."
    )
    max_restarts: int = Field(
        3,
        ge=0,
        le=100,
        description="How often the whole gang restarts (every pod, from the last checkpoint) "
        "after any pod's loss, rank 0's included, before the job fails (docs/jobs.md, "
        "Restarts).",
    )
    timeout: str | int = Field(
        "72h",
        description="Longest the job may run (`90m`, `24h`, `3d`, or seconds); then it is "
        "stopped and fails (activeDeadlineSeconds).",
    )
    priority: Literal[PRIORITIES] = Field(  # type: ignore[valid-type]
        DEFAULT_PRIORITY, description="Scheduling priority: PriorityClass `gpuforge-<priority>`."
    )
    queue: str | None = Field(
        None,
        description="Kueue LocalQueue to submit to when the environment queues "
        "(`training.queueing: kueue`). Unset: the environment's queue.",
    )
    team: str | None = Field(
        None,
        description="The team the job runs for, in an environment with `teams:` (required "
        "there; `launch --team` sets it): its namespace, queue, quota and bucket prefix.",
    )
    backend: Literal[BACKENDS] = Field(  # type: ignore[valid-type]
        "indexed-job",
        description="How the job is expressed: `indexed-job` (a headless Service and an "
        "Indexed Job), `jobset` (JobSet v1alpha2) or `trainjob` (Kubeflow Trainer v2).",
    )
    data: list[DataMount] = Field(
        [],
        description="Training data mounted in every pod: file systems of the environment "
        "(docs/data.md), read-only unless `read_only: false`; each path is also in "
        "`GPUFORGE_DATA_<NAME>`. `launch --local` maps them with `--data NAME=PATH`.",
    )

    # -- derived ----------------------------------------------------------------

    @property
    def argv(self) -> list[str]:
        """The command as a list (a string is split like a shell would)."""
        return shlex.split(self.command) if isinstance(self.command, str) else list(self.command)

    @property
    def timeout_seconds(self) -> int:
        return _duration_seconds(self.timeout)

    @property
    def cpu_milli(self) -> int | None:
        return None if self.cpu is None else _cpu_milli(self.cpu)

    @property
    def memory_mib(self) -> int | None:
        return None if self.memory is None else _memory_mib(self.memory)

    # -- checks that need only the job ------------------------------------------

    @model_validator(mode="after")
    def _check(self) -> JobSpec:
        problem = job_name_problem(self.name)
        if problem:
            raise SpecError(
                "name", problem, "lower-case letters, digits and '-', starting with a letter"
            )
        problem = image_reference_problem(self.image)
        if problem:
            raise SpecError("image", f"{self.image!r} {problem}", IMAGE_HINT)
        problem = moving_tag_problem(self.image)
        if problem:
            raise SpecError("image", f"{self.image!r} {problem}", MOVING_HINT)
        try:
            argv = self.argv
        except ValueError as exc:
            raise SpecError("command", f"cannot split: {exc}", "write a list instead") from None
        if not argv:
            raise SpecError("command", "is empty", "name the training script, e.g. [train.py]")
        if not argv[0].strip():
            raise SpecError("command[0]", "is empty", "name the training script, e.g. [train.py]")
        for i, arg in enumerate(argv):
            if "\x00" in arg:  # an exec argument is a C string: NUL ends it
                raise SpecError(f"command[{i}]", "holds a NUL character", "remove it")
        if _runs_torchrun(argv):
            raise SpecError(
                "command",
                f"starts torchrun itself ({' '.join(argv[:3])})",
                "gpuforge runs torchrun itself: give the script and its arguments",
            )
        for key in self.env:
            problem = env_var_problem(key)
            if problem:
                raise SpecError(f"env.{key}", problem, "letters, digits, '_', '-' and '.'")
            if key.startswith(contract.RESERVED_PREFIXES):
                raise SpecError(
                    f"env.{key}",
                    "is reserved",
                    f"gpuforge sets {', '.join(p + '*' for p in contract.RESERVED_PREFIXES)}",
                )
        if self.checkpoint is not None and not _BUCKET_URI.fullmatch(self.checkpoint.uri):
            raise SpecError(
                "checkpoint.uri",
                f"{self.checkpoint.uri!r} does not name an environment bucket",
                "write s3://{checkpoints}/<prefix>: training pods may write only the "
                "environment's buckets",
            )
        if isinstance(self.timeout, str) and not _DURATION.fullmatch(self.timeout):
            raise SpecError("timeout", f"{self.timeout!r} is not a duration", "e.g. 90m, 24h, 3d")
        if self.timeout_seconds < 60:
            raise SpecError("timeout", "is shorter than a minute", "e.g. 90m, 24h, 3d")
        if self.timeout_seconds > INT64_MAX:
            # activeDeadlineSeconds is an *int64 (kubernetes/api@10b39a39:batch/v1/types.go:330,
            # core/v1/types.go:4424).
            raise SpecError(
                "timeout",
                f"{self.timeout!r} is more seconds than Kubernetes' activeDeadlineSeconds "
                "holds (an int64)",
                "e.g. 90m, 24h, 3d",
            )
        if self.cpu is not None and _cpu_milli(self.cpu) is None:
            raise SpecError(
                "cpu",
                f"{self.cpu!r} is not a CPU amount of at least 1m",
                "e.g. 32, 0.5 or 500m (Kubernetes' smallest CPU unit is 1m)",
            )
        if self.memory is not None and _memory_mib(self.memory) is None:
            raise SpecError("memory", f"{self.memory!r} is not a memory amount", "e.g. 512Gi")
        _check_mounts(self.data)
        problem = queue_name_problem(self.queue) if self.queue is not None else None
        if problem:
            raise SpecError("queue", problem, "the name of a Kueue LocalQueue in the namespace")
        return self


RESERVED_MOUNT_PATHS = ("/", "/dev", "/dev/shm", "/proc", "/sys", "/etc", "/tmp")


def _check_mounts(mounts: list[DataMount]) -> None:
    seen: dict[str, int] = {}
    for i, mount in enumerate(mounts):
        path = mount.path.rstrip("/") or "/"
        if not mount.path.startswith("/") or any(p in ("", ".", "..") for p in path.split("/")[1:]):
            raise SpecError(
                f"data[{i}].path", f"{mount.path!r} is not a plain absolute path", "e.g. /data"
            )
        if path in RESERVED_MOUNT_PATHS:
            raise SpecError(f"data[{i}].path", f"{path} is the system's own", "e.g. /data")
        if path in seen:
            raise SpecError(f"data[{i}].path", f"{path} is mounted twice", "one mount per path")
        if mount.name in (m.name for m in mounts[:i]):
            raise SpecError(f"data[{i}].name", f"{mount.name} is mounted twice", "mount it once")
        seen[path] = i


_TORCHRUN_PROGRAMS = {"torchrun"}
_TORCHRUN_MODULES = {"torch.distributed.run", "torch.distributed.launch"}


def _runs_torchrun(argv: list[str]) -> bool:
    """Whether the command starts torchrun: bare, by path, or `python -m torch.distributed.run`."""
    args = argv[1:] if re.fullmatch(r"python[0-9.]*", argv[0].rsplit("/", 1)[-1]) else argv
    if args and args[0].rsplit("/", 1)[-1] in _TORCHRUN_PROGRAMS:
        return True
    return len(args) > 1 and args[0] == "-m" and args[1] in _TORCHRUN_MODULES


def _duration_seconds(value: str | int) -> int:
    if isinstance(value, int):
        return value
    match = _DURATION.fullmatch(value)
    if not match:
        return 0
    if len(match[1].lstrip("0")) > 19:  # more than an int64 holds, in any unit
        return INT64_MAX + 1
    return int(match[1]) * _DURATION_UNITS[match[2]]


# Kubernetes quantities (k8s.io/apimachinery pkg/api/resource/quantity.go, the grammar in
# the Quantity doc comment: <signedNumber><suffix>): a CPU amount here is a plain decimal
# with an optional `m` (milli-CPU). The API rounds anything finer than 1m up to 1m
# (Quantity.MilliValue), so `0.0001` would silently become 1m: it is refused instead.
_CPU_QUANTITY = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<milli>m?)")


def _cpu_milli(value: float | str) -> int | None:
    """CPU in milli-CPU, or None for what is not a CPU amount of at least 1m (within int64)."""
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        number = Decimal(repr(value))
        milli = number * 1000
    else:
        match = _CPU_QUANTITY.fullmatch(value)
        if not match or len(match["number"]) > 40:
            return None
        try:
            number = Decimal(match["number"])
        except InvalidOperation:
            return None
        milli = number if match["milli"] else number * 1000
    if milli < 1 or milli != milli.to_integral_value() or milli > INT64_MAX:
        return None
    return int(milli)


def _memory_mib(value: str) -> int | None:
    match = _MEMORY.fullmatch(value)
    if not match or len(match[1]) > 19:
        return None
    mib = int(match[1]) * _MEMORY_MIB[match[2]]
    if mib * 2**20 > INT64_MAX:  # a quantity's bytes are an int64 (Quantity.Value)
        return None
    return int(mib) or None


# -- loading ------------------------------------------------------------------


def load_job(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> JobSpec:
    """Read a job file, apply `--set key=value` overrides, and validate.

    Raises `SpecError` located at the file and line, or at `--set` for an override.
    """
    return load_job_located(path, overrides)[0]


Locator = Callable[[SpecError], SpecError]
"""Places an unlocated `SpecError` (from the fit check) at its line of the job file."""


def load_job_located(
    path: str | Path, overrides: list[str] | tuple[str, ...] = ()
) -> tuple[JobSpec, Locator]:
    """`load_job`, plus a function that locates later errors about the same job's fields."""
    from gpuforge.model.errors import parse_path
    from gpuforge.model.hardened_yaml import parse_yaml
    from gpuforge.model.input_files import read_user_text
    from gpuforge.model.project_files import display_path
    from gpuforge.model.validation import model_from_data

    path = Path(path)
    shown = display_path(path)
    text = read_user_text(path, shown, what="job file")
    data, lines = parse_yaml(text, shown)
    overridden: list[tuple] = []
    if overrides:
        if data is not None and not isinstance(data, dict):
            raise SpecError("", "expected a mapping at the top", f"see {DOC}", file=shown)
        data = dict(data or {})
        for item in overrides:
            overridden.append(apply_override(data, item))

    def locate(loc: tuple) -> tuple[str, int | None]:
        for done in overridden:
            if loc[: len(done)] == done or done[: len(loc)] == loc:
                return "--set", None
        for end in range(len(loc), 0, -1):
            if loc[:end] in lines:
                return shown, lines[loc[:end]]
        return shown, None

    job = model_from_data(JobSpec, data, shown, lines, doc=DOC, start=EXAMPLE, locate=locate)

    def locator(exc: SpecError) -> SpecError:
        return exc.located(*locate(parse_path(exc.field)))

    return job, locator


def apply_override(data: dict, item: str) -> tuple:
    """Apply one `key.path=value` to `data` in place; the value is read as YAML.

    Returns the path it set. A malformed override is a `SpecError` located at `--set`.
    """
    from gpuforge.model.hardened_yaml import parse_yaml

    if len(item.encode()) > MAX_SET_BYTES:
        raise SpecError(
            item.partition("=")[0][:40],
            f"the override is longer than {MAX_SET_BYTES} bytes",
            "set long values in the job file",
            file="--set",
        )
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise SpecError("", f"{item!r} is not key=value", "e.g. --set nodes=2", file="--set")
    parts: list[Any] = [
        int(p) if p.isascii() and p.isdigit() and len(p) <= 6 else p for p in key.strip().split(".")
    ]
    if any(p == "" for p in parts):
        raise SpecError(key, "is not a field path", "e.g. checkpoint.every_steps", file="--set")
    if parts[0] == "env":  # environment values are strings: `--set env.SEED=1` means "1"
        value: Any = raw
    elif not raw.strip():
        value = ""
    else:
        # The one hardened parser (no aliases, YAML 1.2 numbers, int64), as for the file.
        try:
            value = parse_yaml(raw, "--set")[0]
        except SpecError as exc:
            if not exc.problem.startswith("invalid YAML"):
                raise SpecError(key.strip(), exc.problem, exc.hint, file="--set") from None
            value = raw  # not YAML at all: the text as typed
    node: Any = data
    for part in parts[:-1]:
        nxt = node[part] if _has(node, part) else None
        if not isinstance(nxt, dict | list):
            if isinstance(part, int):
                raise SpecError(key, f"no item {part}", "index an existing list item", file="--set")
            nxt = {}
            node[part] = nxt
        elif isinstance(nxt, dict):
            nxt = dict(nxt)
            node[part] = nxt
        else:
            nxt = list(nxt)
            node[part] = nxt
        node = nxt
    last = parts[-1]
    if isinstance(node, list) and (not isinstance(last, int) or last >= len(node)):
        raise SpecError(key, f"no item {last}", "index an existing list item", file="--set")
    node[last] = value
    return tuple(parts)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and isinstance(node, list) and part < len(node)
