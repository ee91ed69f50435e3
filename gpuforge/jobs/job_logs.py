"""`gpuforge logs`: a job's pod logs, each line prefixed with its rank, optionally followed."""

from __future__ import annotations

import time
from collections.abc import Callable

from gpuforge.jobs import job_status
from gpuforge.jobs.job_errors import Interrupted, JobNotFound, RankNotFound
from gpuforge.jobs.job_objects import job_objects
from gpuforge.jobs.kube_client import Kube, KubeError, connect
from gpuforge.jobs.submit import POLL_S, Say, say_on_stderr
from gpuforge.model.spec import EnvironmentSpec


def logs(
    env: EnvironmentSpec,
    name: str,
    *,
    rank: int | None = None,
    follow_logs: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    out: Say = print,
    say: Say = say_on_stderr,
    poll_s: float = POLL_S,
    namespace: str | None = None,
) -> None:
    """Print the job's logs, each line prefixed `[rank N]`; with `follow_logs`, poll for
    new lines until the job ends (Ctrl-C stops following and leaves the job running)."""
    kube = connect(env, kubeconfig, context)
    namespace = namespace or env.training.namespace  # a team's, else the default
    printed: dict[str, int] = {}
    try:
        while True:
            primary, pods = job_objects(kube, namespace, name)
            if primary is None:
                raise JobNotFound(name, namespace)
            ranks = [p for p in job_status.rank_pods(pods) if rank is None or p.rank == rank]
            if rank is not None and not ranks and not follow_logs:
                have = sorted({p.rank for p in job_status.rank_pods(pods) if p.rank is not None})
                raise RankNotFound(name, rank, have)
            waiting = []
            for pod in ranks:
                if pod.phase == "Pending" and not pod.restarts:
                    waiting.append(pod.rank)
                    continue  # nothing to read yet
                _print_new(kube, namespace, pod, printed, out)
            if not follow_logs:
                if not ranks:
                    say(f"{name}: no pods yet ({job_status.job_state(primary, pods)})")
                elif waiting:
                    shown = ", ".join(str(r) for r in waiting if r is not None) or "?"
                    say(
                        f"{name}: no logs yet from rank {shown} (Pending; `gpuforge status {name}`)"
                    )
                return
            if job_status.job_state(primary, pods) in job_status.TERMINAL:
                return
            time.sleep(poll_s)
    except KeyboardInterrupt:
        raise Interrupted(name, following="logs") from None


def _print_new(
    kube: Kube,
    namespace: str,
    pod: job_status.RankPod,
    printed: dict[str, int],
    out: Callable[[str], None],
) -> None:
    try:
        lines = kube.log(namespace, pod.name).splitlines()
    except KubeError:
        return  # the container has not started, or the pod just went
    label = f"[rank {pod.rank if pod.rank is not None else '?'}]"
    seen = printed.get(pod.name, 0)
    if len(lines) < seen:  # the container restarted: its log starts over
        out(f"{label} --- container restarted ---")
        seen = 0
    for line in lines[seen:]:
        out(f"{label} {line}")
    printed[pod.name] = len(lines)
