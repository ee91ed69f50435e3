"""`python -m gpuforge` runs the CLI (the same entry point as the `gpuforge` command)."""

from gpuforge.cli.main import main

main()
