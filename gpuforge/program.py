"""The Pulumi program: stack config -> `EnvironmentSpec` -> `build(spec)` -> the platform.

`pulumi up` runs it through a project's `__main__.py` (two lines: import and call
`main`) against real AWS; `gpuforge plan` calls the same `main` in-process in the
emulated AWS account. The AWS provider takes its region and default tags (the
spec's tags plus gpuforge's environment/managed-by tags) from the stack config
that `gpuforge render` writes (`aws:region`, `aws:defaultTags`).
"""

from __future__ import annotations

import pulumi

from gpuforge.components.platform import Platform, PlatformArgs
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.stack_config import spec_from_config


def build(spec: EnvironmentSpec) -> Platform:
    """Declare the environment's whole platform and export its outputs."""
    platform = Platform(spec.cluster_name, PlatformArgs(spec=spec))
    pulumi.export("environment", spec.environment)
    pulumi.export("region", spec.region)
    for key, value in platform.exports().items():
        pulumi.export(key, value)
    return platform


def main() -> Platform:
    """Read the stack's config into the spec (the same model `validate` uses) and build it."""
    return build(spec_from_config(pulumi.runtime.get_config))
