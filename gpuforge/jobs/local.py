"""`gpuforge launch --local`: run a job spec here, through torchrun, as the cluster would.

The same torchrun options as the pods (`pod.torchrun_options`, standalone c10d on
one node), the same `GPUFORGE_*` contract (`contract.variables`), the job's own
`env:`; RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT come from
torchrun. Local GPUs when `nvidia-smi` lists any, otherwise `nproc` CPU processes
(the trainer picks gloo). Each rank's output is streamed with a `[rank N]:`
prefix (torchrun's `--tee`; the files stay under `.gpuforge/logs/<job>/`). The tee
tails those files, so a line arrives whole only when the program writes it in one
write: `print` writes the text and its newline apart under the PYTHONUNBUFFERED set
here (the reference trainer's `log` writes each JSON line at once).

Processes: torchrun starts each worker in a session of its own, so one process
group does not hold the job. The launcher makes itself a child subreaper (Linux
`PR_SET_CHILD_SUBREAPER`): a process of the job whose parent dies is re-parented
to the launcher instead of init, so the whole tree stays findable under /proc. The
first SIGINT/SIGTERM/SIGHUP to the launcher (Ctrl-C) sends SIGTERM to every
process group in that tree (a trainer writes a last checkpoint); a second one, or
`grace_seconds` later, sends SIGKILL. When torchrun exits, whatever is left of the
tree is killed and reaped, so nothing outlives the launcher. Only a SIGKILL of the
launcher itself can leave processes behind (no process can catch that).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from gpuforge.jobs import contract, launcher_stderr
from gpuforge.jobs.local_storage import resolve
from gpuforge.jobs.pod import torchrun_options
from gpuforge.jobs.spec import JobSpec
from gpuforge.model.spec import EnvironmentSpec

DEFAULT_CPU_PROCESSES = 2
GRACE_SECONDS = 30
"""Between the SIGTERM that asks the job to stop and the SIGKILL that makes it."""
LOG_DIR = Path(".gpuforge") / "logs"
RANK_PREFIX = "[rank${rank}]: "
"""torchrun's per-line prefix template (TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE)."""
EXIT_TIMEOUT = 124


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def local_gpus() -> int:
    """GPUs this machine shows (`CUDA_VISIBLE_DEVICES`, else `nvidia-smi -L`); 0 without."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(line.startswith("GPU ") for line in out.stdout.splitlines())


def processes(job: JobSpec, nproc: int | None, gpus: int) -> int:
    """How many ranks: `nproc`, else the job's GPUs (at most this machine's), else 2 on CPU."""
    if nproc is not None:
        return nproc
    if gpus:
        return min(job.gpus_per_node or gpus, gpus)
    return DEFAULT_CPU_PROCESSES


def command(
    job: JobSpec, nproc: int, argv: list[str] | None = None, grace_seconds: float = GRACE_SECONDS
) -> list[str]:
    """The torchrun command line (this interpreter's `torch.distributed.run`)."""
    log_dir = LOG_DIR / job.name
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        *torchrun_options(job, nproc, None),
        "--tee=3",
        f"--log-dir={log_dir}",
        f"--shutdown-timeout={int(grace_seconds)}",
        *(job.argv if argv is None else argv),
    ]


def environment(
    job: JobSpec,
    env: EnvironmentSpec,
    checkpoint_uri: str | None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """This process's environment plus the contract, the job's `env:` and `extra_env`."""
    variables = contract.variables(
        job=job.name,
        environment=env.environment,
        transport="tcp",
        checkpoint_uri=checkpoint_uri,
        every_steps=job.checkpoint.every_steps if job.checkpoint else None,
    )
    out = {k: v for k, v in os.environ.items() if not k.startswith(contract.RESERVED_PREFIXES)}
    out |= variables | job.env | (extra_env or {})
    out["TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE"] = RANK_PREFIX
    out.setdefault("PYTHONUNBUFFERED", "1")
    return out


def run_local(
    job: JobSpec,
    env: EnvironmentSpec,
    *,
    nproc: int | None = None,
    extra_env: dict[str, str] | None = None,
    argv: list[str] | None = None,
    say: Callable[[str], None] = _stderr,
    checkpoint_uri: str | None = None,
    grace_seconds: float = GRACE_SECONDS,
    timeout_s: float | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Run `job` here under torchrun and return its exit code.

    `argv` replaces the job's command; `checkpoint_uri` replaces the resolved
    checkpoint location (see `gpuforge.jobs.local_storage`); `timeout_s` replaces the
    job's `timeout`; `stdout` is where the ranks' output goes (default: this process's
    stdout; a command whose stdout is a report passes stderr). 130/143 when the
    launcher was interrupted (SIGINT/SIGTERM), 124 when the timeout passed.
    """
    gpus = local_gpus()
    n = processes(job, nproc, gpus)
    uri = resolve(job, env, checkpoint_uri)
    cmd = command(job, n, argv, grace_seconds)
    where = f"{n} GPU{'s' if n > 1 else ''}" if gpus else f"{n} CPU processes (gloo)"
    logs = LOG_DIR / job.name
    say(f"job {job.name} on this machine: {where}, torchrun standalone, logs in {logs}")
    if uri:
        every = job.checkpoint.every_steps if job.checkpoint else None
        say(f"checkpoints: {uri}" + (f" every {every} steps" if every else ""))
    was_subreaper = _set_subreaper(True)
    try:
        proc = subprocess.Popen(
            cmd,
            env=environment(job, env, uri, extra_env),
            start_new_session=True,
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
        group = _Group(proc, grace_seconds, say)
        errors = launcher_stderr.forward(proc.stderr, sys.stderr, lambda: group.kill_at is not None)
        limit = job.timeout_seconds if timeout_s is None else timeout_s
        with group.signals():
            code = group.wait(deadline=time.monotonic() + limit)
        errors.join(timeout=5)
    finally:
        if not was_subreaper:
            _set_subreaper(False)
    if group.stopped_by is not None:
        return 128 + group.stopped_by
    if group.timed_out:
        say(f"job {job.name} ran past its timeout ({limit:g}s) and was stopped")
        return EXIT_TIMEOUT
    return code


class _Group:
    """The job's process tree: stop it politely, then surely, and leave nothing behind."""

    def __init__(self, proc: subprocess.Popen, grace: float, say: Callable[[str], None]):
        self.proc = proc
        self.grace = grace
        self.say = say
        self.stopped_by: int | None = None
        self.timed_out = False
        self.kill_at: float | None = None

    def _groups(self) -> set[int]:
        """Process groups of torchrun and of every process below it (and below us: orphans
        of the job re-parented to this subreaper), except this process's own group."""
        mine = os.getpgrp()
        groups = {self.proc.pid}
        for pid in _descendants(os.getpid()):
            with suppress(ProcessLookupError):
                groups.add(os.getpgid(pid))
        return groups - {mine}

    def _send(self, sig: int) -> None:
        for pgid in self._groups():
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)

    def stop(self, reason: str) -> None:
        if self.kill_at is None:
            self.say(f"{reason}: stopping the job (SIGTERM to all its processes; again to kill)")
            self._send(signal.SIGTERM)
            self.kill_at = time.monotonic() + self.grace
        else:
            self.say(f"{reason} again: killing the job")
            self._send(signal.SIGKILL)
            self.kill_at = time.monotonic()

    def _on_signal(self, signum, frame) -> None:
        if self.stopped_by is None:
            self.stopped_by = signum
        self.stop(signal.Signals(signum).name)

    @contextmanager
    def signals(self) -> Iterator[None]:
        """Route SIGINT, SIGTERM and SIGHUP to `stop` while the job runs (main thread only);
        on the way out, kill and reap whatever is left of the tree."""
        saved = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                saved[sig] = signal.signal(sig, self._on_signal)
        try:
            yield
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
            groups = self._groups()
            leftovers = [p for p in _descendants(os.getpid()) if _pgid(p) in groups]
            self._send(signal.SIGKILL)
            _reap(leftovers)

    def wait(self, deadline: float) -> int:
        while True:
            now = time.monotonic()
            if self.kill_at is None and now >= deadline:
                self.timed_out = True
                self.stop("timeout")
            limit = deadline if self.kill_at is None else self.kill_at
            try:
                return self.proc.wait(timeout=max(0.05, min(limit - now, 1.0)))
            except subprocess.TimeoutExpired:
                if self.kill_at is not None and time.monotonic() >= self.kill_at:
                    self._send(signal.SIGKILL)
                    self.kill_at = time.monotonic() + 3600  # killed; only the wait is left


# -- the process tree (Linux: /proc and prctl; elsewhere torchrun's group only) ----------

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37


def _set_subreaper(on: bool) -> bool:
    """Make this process the reaper of its orphaned descendants; whether it was before."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        before = ctypes.c_int(0)
        libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(before), 0, 0, 0)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)
        return bool(before.value)
    except (OSError, AttributeError):
        return False


def _descendants(root: int) -> list[int]:
    """Every live process below `root`, from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _reap(pids: list[int]) -> None:
    """Collect the exit status of the job's processes that are (now) our children."""
    for pid in pids:
        with suppress(ChildProcessError):  # not ours: its own parent reaps it
            os.waitpid(pid, 0)
