"""`python -m cli` runs gpuforge (the same entry point as the console script)."""

from cli.main import main

main()
