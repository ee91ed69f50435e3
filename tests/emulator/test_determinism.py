"""The emulated account's one seeded source of ids and its fixed clock."""

from __future__ import annotations

import sys

from gpuforge.emulator import EmulatedAccount, run_program
from gpuforge.emulator.determinism import EPOCH
from tests.emulator import programs


def _built(seed: int) -> dict[str, tuple[str, dict]]:
    def program():
        programs.network(cidr="10.0.0.0/16", subnet_cidrs=("10.0.0.0/24", "10.0.1.0/24"))

    with EmulatedAccount(seed=seed) as account:
        result = run_program(program, stack="seeded", account=account)
    return {r.name: (r.id, r.outputs) for r in result.resources}


def test_ids_depend_on_the_seed_and_nothing_else():
    first, again, other = _built(7), _built(7), _built(8)
    assert first == again
    ids = {name: rid for name, (rid, _) in first.items() if rid}
    assert ids and all(other[name][0] != rid for name, rid in ids.items()), (ids, other)


def test_the_clock_is_fixed_while_open_and_real_afterwards():
    import moto.core.utils as core_utils

    with EmulatedAccount() as account:
        iam = account.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]
        assert role["CreateDate"].replace(tzinfo=None) == EPOCH.replace(tzinfo=None)
        frozen = core_utils.utcnow
    assert core_utils.utcnow is not frozen
    assert core_utils.utcnow().year >= 2024 and core_utils.utcnow() != EPOCH.replace(tzinfo=None)
    # no moto module keeps the frozen clock once the account is closed
    assert not [
        name
        for name, module in list(sys.modules.items())
        if name.startswith("moto.") and getattr(module, "utcnow", None) is frozen
    ]
