"""`--team` for the commands that follow jobs (`jobs`, `status`, `logs`, `cancel`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gpuforge.cli.errors import BadInput

if TYPE_CHECKING:
    from gpuforge.model.spec import EnvironmentSpec
    from gpuforge.model.teams import Team

team_option = click.option(
    "--team",
    metavar="NAME",
    help="The team whose namespace to look in (required in an environment with teams).",
)


def resolve_team(spec: EnvironmentSpec, team: str | None) -> Team:
    """The team `--team` names (the default team without teams), or exit 2 in one line."""
    from gpuforge.model.errors import SpecError
    from gpuforge.model.teams import team_of_job

    try:
        return team_of_job(spec, team)
    except SpecError as exc:
        raise BadInput(f"--team: {exc.problem} ({exc.hint})") from None
