"""Options shared by several commands."""

from __future__ import annotations

import click

env_option = click.option(
    "-e",
    "--env",
    "env",
    metavar="ENV",
    help="Environment name (stacks/ENV.yaml) or a path to a spec file.",
)

output_option = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Table for people, JSON (on stdout) for programs.",
)
