"""The Pulumi program: stack config -> EnvironmentSpec -> the platform.

`pulumi up` runs this against real AWS; `gpuforge plan` runs the same file
in the emulated AWS account.
"""

import pulumi

from components.stack_config import spec_from_config

spec = spec_from_config(lambda key: pulumi.runtime.get_config(key))
pulumi.export("environment", spec.environment)
pulumi.export("region", spec.region)
