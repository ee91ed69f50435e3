"""Click's usage errors as one line, in the format of every other input error.

Click prints a usage error as three lines (`Usage: ...`, `Try '... --help' for help.`,
`Error: ...`). gpuforge's contract for bad input is one line,
`error: <where>: <field>: <problem> (<hint>)`, exit 2. `one_line` turns any
`click.UsageError` (an unknown command or option, a bad or missing value, an extra
argument) into that line: `<where>` is the command as typed (`gpuforge launch`), the
field the option or argument, and the hint the command's `--help`. `cli/main.py` wraps
every command's parsing with it, once.
"""

from __future__ import annotations

import click

from gpuforge.cli.errors import EXIT_USAGE
from gpuforge.model.errors import one_line as escape


class OneLineUsageError(click.UsageError):
    """A `click.UsageError`, shown as one `error:` line."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def one_line(exc: click.UsageError) -> OneLineUsageError:
    """The same error as one line: `error: gpuforge launch: --nproc: ... (see ... --help)`."""
    ctx = exc.ctx
    # The command as the user typed it, under the program's name (a test runner calls it `cli`).
    where = " ".join(["gpuforge", *(ctx.command_path.split(" ")[1:] if ctx else [])])
    hint = f"see '{where} --help'"
    field = ""
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter):
        param = exc.param
        if exc.param_hint is not None:
            field = str(exc.param_hint)
        elif param is not None:
            field = "/".join(param.opts) if isinstance(param, click.Option) else param.name or ""
        problem = exc.message
    elif isinstance(exc, click.NoSuchOption):
        field = exc.option_name
        problem = "no such option"
        if exc.possibilities:
            hint = f"did you mean {', '.join(sorted(exc.possibilities))}? {hint}"
    else:
        problem = exc.format_message()
        if problem.startswith("Got unexpected extra argument"):
            problem = problem.replace(" (", ": ", 1).removesuffix(")")
    problem = problem.strip().rstrip(".")
    problem = problem[:1].lower() + problem[1:] if problem[1:2].islower() else problem
    if isinstance(exc, click.BadParameter) and problem.endswith(")"):  # it has its own hint
        text = f"{where}: {field + ': ' if field else ''}{problem}"
    else:
        text = f"{where}: {field + ': ' if field else ''}{problem} ({hint})"
    return OneLineUsageError(escape("error: " + text), ctx)
