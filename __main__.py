"""The Pulumi program: stack config -> EnvironmentSpec -> the platform.

`pulumi up` runs this against real AWS; `gpuforge plan` runs the same file
in the emulated AWS account. The AWS provider takes its region and default
tags (the spec's tags plus gpuforge's environment/managed-by tags) from the
stack config that `gpuforge render` writes (`aws:region`, `aws:defaultTags`).
"""

import pulumi

from components.platform import Platform, PlatformArgs
from components.stack_config import spec_from_config

spec = spec_from_config(lambda key: pulumi.runtime.get_config(key))
platform = Platform(spec.cluster_name, PlatformArgs(spec=spec))

pulumi.export("environment", spec.environment)
pulumi.export("region", spec.region)
for key, value in platform.exports().items():
    pulumi.export(key, value)
