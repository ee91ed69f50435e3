"""`python -m cli` runs gpuforge (the same entry point as the console script)."""

from gpuforge.cli.main import main

main()
