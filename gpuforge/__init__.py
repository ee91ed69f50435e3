"""gpuforge: stand up GPU training infrastructure on AWS with Pulumi and run PyTorch on it.

One import name, with these parts:

- `gpuforge.model`: the pulumi-free model (spec, instance catalog, pools, names, costs).
- `gpuforge.components`: the Pulumi component resources.
- `gpuforge.program`: the Pulumi program, `build(spec)`.
- `gpuforge.policies`: the security and cost rules (and the CrossGuard pack).
- `gpuforge.emulator`: the emulated AWS account behind `gpuforge plan`.
- `gpuforge.cli`: the `gpuforge` command.

Importing this package imports nothing else.
"""
