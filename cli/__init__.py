"""The `gpuforge` command line. Keep imports here light: `gpuforge --help` must be instant."""
