"""Turn cluster failures into one line and an exit code (1; 130 for Ctrl-C while following)."""

from __future__ import annotations

import contextlib
import sys

import click

from gpuforge.cli.errors import GpuforgeError

EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def cluster_errors():
    """Show a `gpuforge.jobs.kube.KubeError` as `error: ...` and exit 1 (no traceback)."""
    from gpuforge.jobs.cluster import Interrupted
    from gpuforge.jobs.kube import KubeError

    try:
        yield
    except Interrupted as exc:
        click.echo(f"{exc.message} ({exc.hint})", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KubeError as exc:
        ctx = click.get_current_context(silent=True)
        if ctx is not None and (ctx.find_root().obj or {}).get("debug"):
            raise
        raise GpuforgeError(str(exc)) from None
