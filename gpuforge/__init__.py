"""gpuforge: stand up GPU training infrastructure on AWS with Pulumi and run PyTorch on it.

Each module sits at the path of its import name, except the product brief's top-level
folders `cli/`, `components/` and `templates/`, which setup.py maps in as `gpuforge.*`.

- `gpuforge.model`: the pulumi-free model (spec, instance catalog, pools, names, costs).
- `gpuforge.jobs`: training jobs (job spec, fit, backends, the job client, local runs).
- `gpuforge.program`: the Pulumi program, `build(spec)`; `gpuforge.planning`: the
  offline plan (that program in the emulated account, findings, cost).
- `gpuforge.policies`: the security and cost rules (the top-level `policies/` folder is
  the CrossGuard pack that serves them).
- `gpuforge.emulator`: the emulated AWS account and the emulated Kubernetes API.
- `gpuforge.components` (`components/`): the Pulumi component resources.
- `gpuforge.cli` (`cli/`): the `gpuforge` command.
- `gpuforge.templates` (`templates/`): the Jinja2 templates.

Importing this package imports nothing else.
"""
