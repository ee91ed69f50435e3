"""What can go wrong with a job on a cluster, as facts; the CLI says what to do next.

Each error's message says what happened. What to run next names commands and the
`-e` the user typed, so `gpuforge.cli.cluster_errors` adds it from these fields.
"""

from __future__ import annotations

from gpuforge.jobs.kube_errors import KubeError


class JobExists(KubeError):
    """The name is taken (exit 1); `foreign` when some object of that name is not gpuforge's."""

    def __init__(self, job: str, namespace: str, taken: list[str], foreign: bool) -> None:
        super().__init__(f"job {job} already exists in namespace {namespace} ({', '.join(taken)})")
        self.job = job
        self.foreign = foreign


class StillDeleting(KubeError):
    """`--replace` waited too long for the old job's objects to go (exit 1)."""

    def __init__(self, job: str, obj: str) -> None:
        super().__init__(f"{obj} is still being deleted")
        self.job = job


class JobNotFound(KubeError):
    """No job of that name (exit 1); `gone` when it went while being followed."""

    def __init__(self, job: str, namespace: str, *, gone: bool = False) -> None:
        what = f"job {job} is gone from" if gone else f"no job {job} in"
        super().__init__(f"{what} namespace {namespace}")
        self.job = job
        self.gone = gone


class RankNotFound(KubeError):
    """The job has no pod for that rank (exit 1)."""

    def __init__(self, job: str, rank: int, ranks: list[int]) -> None:
        super().__init__(
            f"job {job} has no pod for rank {rank}",
            f"ranks now: {', '.join(map(str, ranks)) or 'none yet'}",
        )


class LaunchRejected(KubeError):
    """The API refused an object; what was created before it was removed (exit 1).

    `left` names what could not be removed again (empty: nothing was left behind).
    """

    def __init__(self, job: str, at: str, why: str, left: list[str]) -> None:
        super().__init__(f"launch of {job} failed at {at}: {why}")
        self.job = job
        self.left = left


class JobFailed(KubeError):
    """A followed job ended in failure (exit 1)."""

    def __init__(self, job: str, why: str | None) -> None:
        super().__init__(f"job {job} failed" + (f": {why}" if why else ""))
        self.job = job


class Interrupted(KubeError):
    """Ctrl-C while following; the job keeps running (exit 130).

    `following`: `status` (`launch --wait`) or `logs` (`logs -f`).
    """

    def __init__(self, job: str, following: str) -> None:
        super().__init__(f"stopped following {job}; the job keeps running")
        self.job = job
        self.following = following
