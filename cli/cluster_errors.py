"""Turn cluster failures into one line and an exit code (1; 130 for Ctrl-C while following).

The job client's errors say what happened; what to run next is CLI wording, so it
is written here, with the `-e` the user typed.
"""

from __future__ import annotations

import contextlib
import sys

import click

from gpuforge.cli.errors import GpuforgeError

EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def cluster_errors(env: str):
    """Show a `gpuforge.jobs.kube_errors.KubeError` as `error: ...` and exit 1 (no traceback).

    `env` is the `-e` value as typed, for the commands a hint names.
    """
    from gpuforge.jobs.job_errors import Interrupted
    from gpuforge.jobs.kube_errors import KubeError

    try:
        yield
    except Interrupted as exc:
        click.echo(f"{exc.message} ({next_step(exc, env)})", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KubeError as exc:
        ctx = click.get_current_context(silent=True)
        if ctx is not None and (ctx.find_root().obj or {}).get("debug"):
            raise
        hint = next_step(exc, env)
        raise GpuforgeError(f"{exc.message} ({hint})" if hint else exc.message) from None


def next_step(exc: Exception, env: str) -> str:
    """What to do after `exc`: the commands to run, or the error's own hint."""
    from gpuforge.jobs import job_errors as e

    if isinstance(exc, e.JobExists):
        if exc.foreign:
            return "those objects are not gpuforge's; pick another job name"
        return f"gpuforge cancel {exc.job} -e {env}, or launch with --replace"
    if isinstance(exc, e.StillDeleting):
        return "try --replace again in a minute"
    if isinstance(exc, e.JobNotFound):
        return "it was cancelled" if exc.gone else f"gpuforge jobs -e {env}"
    if isinstance(exc, e.LaunchRejected):
        if not exc.left:
            return "nothing was left behind"
        return f"could not remove {', '.join(exc.left)}: run gpuforge cancel {exc.job} -e {env}"
    if isinstance(exc, e.JobFailed):
        return f"gpuforge logs {exc.job} -e {env}"
    if isinstance(exc, e.Interrupted):
        again = f"gpuforge logs {exc.job} -e {env} -f"
        if exc.following == "status":
            return f"follow it again with gpuforge status {exc.job} -e {env} or {again}"
        return f"follow it again with {again}"
    return getattr(exc, "hint", "")
