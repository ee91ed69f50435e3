"""The Pulumi program: stack config -> `EnvironmentSpec` -> `build(spec)` -> the platform.

`pulumi up` runs it through a project's `__main__.py` (two lines: import and call
`main`) against real AWS; `gpuforge plan` calls the same `main` in-process in the
emulated AWS account. The AWS provider takes its region and default tags (the
spec's tags plus gpuforge's environment/managed-by tags) from the stack config
that `gpuforge render` writes (`aws:region`, `aws:defaultTags`).

`gpuforge:layer` (stack config, default `all`) says which part of the environment a
stack declares: `all`; `aws`, everything reached through the AWS API; `runtime`, only
the in-cluster runtime of the cluster an `aws` stack made, applied from inside the VPC
when the API endpoint is private (docs/runtime.md).
"""

from __future__ import annotations

import pulumi

from gpuforge.components.platform import Platform, PlatformArgs
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.stack_config import spec_from_config

LAYERS = ("all", "aws", "runtime")
"""Values of the `gpuforge:layer` stack config key."""


def build(spec: EnvironmentSpec, layer: str = "all") -> pulumi.ComponentResource:
    """Declare the environment (or one layer of it) and export its outputs."""
    pulumi.export("environment", spec.environment)
    pulumi.export("region", spec.region)
    pulumi.export("layer", layer)
    if layer == "runtime":
        from gpuforge.components.runtime import runtime_for_cluster

        runtime = runtime_for_cluster(spec)
        if not spec.teams:  # with teams there is no training namespace
            pulumi.export("trainingNamespace", runtime.namespace)
        pulumi.export("teamNamespaces", runtime.team_namespaces)
        pulumi.export("trainingServiceAccount", runtime.service_account)
        pulumi.export("charts", runtime.charts)
        return runtime
    platform = Platform(spec.cluster_name, PlatformArgs(spec=spec, runtime=layer == "all"))
    for key, value in platform.exports().items():
        pulumi.export(key, value)
    return platform


def layer_from_config(get) -> str:
    """`gpuforge:layer` from the stack config (`all` when unset); SpecError when unknown."""
    layer = get("gpuforge:layer") or "all"
    if layer not in LAYERS:
        raise SpecError(
            "gpuforge:layer",
            f"unknown layer {layer!r}",
            f"one of {', '.join(LAYERS)}",
            file="Pulumi stack config",
        )
    return layer


def main() -> pulumi.ComponentResource:
    """Read the stack's config into the spec (the same model `validate` uses) and build it."""
    get = pulumi.runtime.get_config
    return build(spec_from_config(get), layer_from_config(get))
