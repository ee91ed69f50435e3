"""Cross-field checks of an `EnvironmentSpec`: one module per area.

The schema (`gpuforge.model.spec`) says what each field is; these say what
combinations AWS, Kubernetes and gpuforge accept, including the limits the
cloud enforces on what gpuforge derives from the spec (names with prefixes and
suffixes, tags it adds itself). Each check raises `SpecError` with the field
path; the loader turns the path into a line. The first problem found wins.
"""

from __future__ import annotations

from gpuforge.model.checks.cluster import check_cluster
from gpuforge.model.checks.filesystems import check_filesystems
from gpuforge.model.checks.identity import check_identity
from gpuforge.model.checks.network import check_network
from gpuforge.model.checks.pools import check_pools
from gpuforge.model.checks.service_limits import check_service_limits
from gpuforge.model.checks.storage import check_encryption, check_storage
from gpuforge.model.checks.teams import check_teams
from gpuforge.model.checks.training import check_training
from gpuforge.model.spec import EnvironmentSpec

__all__ = ["check_environment"]


def check_environment(spec: EnvironmentSpec) -> None:
    """Raise `SpecError` for the first cross-field problem of `spec`."""
    check_identity(spec)
    check_network(spec)
    check_cluster(spec)
    check_pools(spec)
    check_storage(spec)
    check_encryption(spec)
    check_training(spec)
    check_teams(spec)
    check_filesystems(spec)
    check_service_limits(spec)
