"""What training pods may do with the environment's buckets.

The training role (components/cluster.py, EKS Pod Identity on the `training`
service account) is granted read and write on every bucket of the environment
today. `writable_buckets` states that in one place so the job checker can refuse
a checkpoint URI the pods could not write; a least-privilege change narrows it
here and the checker follows.
"""

from __future__ import annotations

from gpuforge.model.spec import EnvironmentSpec


def writable_buckets(spec: EnvironmentSpec) -> list[str]:
    """Logical names of the buckets training pods may write (checkpoints go to one)."""
    return [bucket.name for bucket in spec.storage.buckets]
