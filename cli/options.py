"""Options shared by several commands."""

from __future__ import annotations

import click

from gpuforge.cli.errors import BadInput

_ENV_HELP = "Environment name (stacks/ENV.yaml) or a path to a spec file."

env_option = click.option("-e", "--env", "env", metavar="ENV", help=_ENV_HELP)


def _require_env(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if not value:
        raise BadInput(f"{ctx.info_name}: give -e ENV (a name in stacks/ or a path to a spec file)")
    return value


required_env_option = click.option(
    "-e", "--env", "env", metavar="ENV", help=_ENV_HELP + " Required.", callback=_require_env
)

output_option = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Table for people, JSON (on stdout) for programs.",
)


def cluster_options(f):
    """`--kubeconfig` and `--context`: reach a cluster other than the environment's EKS."""
    f = click.option(
        "--context",
        metavar="NAME",
        help="kubeconfig context to use (with --kubeconfig, or the default kubeconfig).",
    )(f)
    return click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False),
        help="Use this kubeconfig instead of the environment's EKS cluster "
        "(e.g. the one `gpuforge emulate k8s` writes).",
    )(f)


def require_torch(command: str) -> None:
    """Refuse a command that runs torch here when torch is not installed (one line, exit 2)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise BadInput(
            f"{command} needs PyTorch in this environment "
            "(pip install 'gpuforge[train]': torch 2.13, the CPU build where there is no CUDA)"
        )
