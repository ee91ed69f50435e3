"""`gpuforge plan`: what `pulumi up` would build, what it breaks and what it costs. Offline."""

from __future__ import annotations

import json
import sys

import click

from gpuforge.cli.errors import EXIT_FINDINGS, BadInput, GpuforgeError
from gpuforge.cli.options import output_option, required_env_option


@click.command()
@required_env_option
@output_option
@click.option("--tree", is_flag=True, help="Show every resource as a tree, not counts by type.")
def plan(env: str, output: str, tree: bool) -> None:
    """Preview an environment offline, with policy findings and cost.

    Runs the Pulumi program (__main__.py) for the environment in an emulated
    AWS account (Pulumi's mocks backed by moto), with no credentials and no
    Pulumi CLI, then checks every resource against the policy rules and
    estimates the monthly cost at minimum and maximum scale.

    The same spec gives the same JSON, byte for byte, apart from `seconds`: ids,
    ARNs, endpoints and timestamps come from a seeded emulated account. CI can
    keep a golden file: `gpuforge plan -e prod -o json | jq 'del(.seconds)'`.
    The account runs in a second process, so a plan uses two cores
    (GPUFORGE_PLAN_WORKER=0 keeps it in this one).

    Exit 0 when no mandatory rule fails, 1 when one does, 2 on bad input,
    130 when interrupted (Ctrl-C).

    \b
    Examples:
      gpuforge plan -e dev
      gpuforge plan -e prod --tree
      gpuforge plan -e prod -o json | jq '.findings'
    """
    from gpuforge.model.loader import load_env
    from gpuforge.planning import prestart_worker

    if tree and output == "json":
        raise BadInput("plan: --tree draws a table; it cannot go with -o json (drop one of them)")
    with prestart_worker():  # the emulated account's process imports while the spec loads
        path, spec = load_env(env)
        report = _run(spec, show_progress=output == "table")
    if output == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        from gpuforge.cli.plan_view import show

        show(report, path, tree=tree)
    if report.mandatory_failures:
        sys.exit(EXIT_FINDINGS)


def _run(spec, show_progress: bool):
    from gpuforge.emulator import EmulationError
    from gpuforge.planning import plan as run_plan

    try:
        if show_progress and sys.stderr.isatty():
            from rich.console import Console

            status = f"Building {spec.environment} in the emulated AWS account ({spec.region})"
            with Console(stderr=True).status(status):
                return run_plan(spec)
        return run_plan(spec)
    except EmulationError as exc:
        raise GpuforgeError(f"plan: the emulated AWS account refused a resource: {exc}") from None
