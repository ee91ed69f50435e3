"""The tags every AWS resource of an environment carries.

The Pulumi program sets them as the AWS provider's default tags (through the stack
config, `gpuforge.model.stack_config`) and again explicitly where default tags do not
reach (node groups, launch templates); the spec checks count them against AWS's limit.
"""

from __future__ import annotations

from gpuforge.model.names import ENVIRONMENT_TAG, MANAGED_BY, MANAGED_BY_TAG, PROTECTED_TAG
from gpuforge.model.spec import EnvironmentSpec


def default_tags(spec: EnvironmentSpec) -> dict[str, str]:
    """Tags every AWS resource gets through the provider's default tags."""
    tags = {**spec.tags, ENVIRONMENT_TAG: spec.environment, MANAGED_BY_TAG: MANAGED_BY}
    if spec.protected:
        tags[PROTECTED_TAG] = "true"
    return tags
