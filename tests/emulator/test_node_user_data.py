"""A node group's launch template user data, checked as EKS merges it and as the node's
nodeadm, containerd and runc read it (gpuforge/emulator/handlers/eks/user_data.py):
what would leave nodes out of the cluster, or every pod on them failing, is refused."""

from __future__ import annotations

import base64
import json

import pytest

from gpuforge.emulator import EmulatedAccount, EmulationError, run_program
from gpuforge.emulator.errors import AwsError
from gpuforge.emulator.handlers.eks.user_data import check
from gpuforge.model.nodeadm import MEMLOCK_UNLIMITED, efa_node_config, user_data
from tests.emulator import programs

AL2023 = "AL2023_x86_64_NVIDIA"


def _with_rlimits(*rlimits: dict) -> str:
    config = efa_node_config()
    config["spec"]["containerd"]["baseRuntimeSpec"]["process"]["rlimits"] = list(rlimits)
    return user_data(config)


def _refusal(encoded: str, ami_type: str = AL2023) -> AwsError:
    with pytest.raises(AwsError) as refused:
        check(ami_type, None, encoded)
    return refused.value


def test_gpuforge_own_efa_user_data_passes_every_check():
    check(AL2023, None, user_data(efa_node_config()))


def test_a_shell_script_is_refused_for_eks_merges_only_mime_archives():
    script = base64.b64encode(b"#!/bin/bash\necho hi\n").decode()
    refused = _refusal(script)
    assert refused.code == "InvalidParameterException"
    assert "MIME multi-part" in refused.message
    _refusal(script, "AL2_x86_64_GPU")  # AL2 merges too
    check("BOTTLEROCKET_x86_64_NVIDIA", None, script)  # Bottlerocket: TOML, not merged
    check(AL2023, "ami-0123456789abcdef0", script)  # an AMI of its own: not merged


def test_rlim_infinity_does_not_survive_nodeadms_float64_round_trip():
    """2^64 - 1 comes out of nodeadm's merge as 18446744073709552000: no uint64."""
    infinity = 2**64 - 1
    refused = _refusal(
        _with_rlimits({"type": "RLIMIT_MEMLOCK", "soft": infinity, "hard": infinity})
    )
    assert refused.code == "NodeCreationFailure"
    assert "18446744073709552000" in refused.message
    assert str(2**63) in refused.message  # the hint names what works


def test_the_largest_value_gpuforge_writes_is_still_a_uint64_after_the_round_trip():
    unlimited = {"type": "RLIMIT_MEMLOCK", "soft": MEMLOCK_UNLIMITED, "hard": MEMLOCK_UNLIMITED}
    check(AL2023, None, _with_rlimits(unlimited))


@pytest.mark.parametrize(
    ("rlimit", "says"),
    [
        ({"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}, "wrong rlimit value: RLIMIT_BOGUS"),
        ({"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}, "soft 10 is above hard 5"),
        ({"type": "RLIMIT_NOFILE", "soft": -1, "hard": 5}, "comes out as -1"),
        ({"type": "RLIMIT_NOFILE", "soft": 1.5, "hard": 5}, "comes out as 1.5"),
        ({"type": "RLIMIT_NOFILE", "soft": "many", "hard": 5}, "is not a number"),
    ],
)
def test_rlimits_runc_or_containerd_cannot_use_are_refused(rlimit, says):
    refused = _refusal(_with_rlimits(rlimit))
    assert refused.code == "NodeCreationFailure"
    assert says in refused.message


def test_a_node_config_part_nodeadm_cannot_decode_is_refused():
    archive = (
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n--B\n'
        "Content-Type: application/node.eks.aws\n\n"
        + json.dumps({"apiVersion": "v1", "kind": "ConfigMap"})
        + "\n--B--\n"
    )
    refused = _refusal(base64.b64encode(archive.encode()).decode())
    assert "kind NodeConfig of group node.eks.aws" in refused.message


def test_a_node_group_whose_template_carries_rlim_infinity_is_refused_by_the_account():
    infinity = {"type": "RLIMIT_MEMLOCK", "soft": 2**64 - 1, "hard": 2**64 - 1}
    with EmulatedAccount(region="us-east-1") as account, pytest.raises(EmulationError) as refused:
        run_program(
            lambda: programs.platform(_with_rlimits(infinity)), stack="bad", account=account
        )
    assert refused.value.resource_type == "aws:eks/nodeGroup:NodeGroup"
    assert refused.value.aws_code == "NodeCreationFailure"


def test_a_node_group_with_gpuforges_efa_user_data_is_created():
    with EmulatedAccount(region="us-east-1") as account:
        result = run_program(
            lambda: programs.platform(user_data(efa_node_config())), stack="ok", account=account
        )
    assert result.outputs["node_group_arn"].startswith("arn:aws:eks:")
