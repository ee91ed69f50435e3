"""The CrossGuard pack, fed real resource arguments from an emulated plan, agrees with evaluate."""

from __future__ import annotations

import copy

from gpuforge import policies
from gpuforge.emulator.run import policy_view
from tests.policies.helpers import assert_same_as_evaluate


def test_crossguard_policies_on_emulated_resources(built):
    triples = policy_view(built.report.resources)
    context = policies.RuleContext(
        environment=built.env,
        monthly_budget_usd=built.spec.cost.monthly_budget_usd,
        protected=built.spec.protected,
    )
    assert assert_same_as_evaluate(triples, context) == set()
    # and the pack sees a violation when one is there: drop rotation from every key
    weakened = copy.deepcopy(triples)
    for _, type_, props in weakened:
        if type_ == "aws:kms/key:Key":
            props["enableKeyRotation"] = False
    found = assert_same_as_evaluate(weakened, context)
    assert {rule for rule, _, _ in found} == {"GF-KMS-001"}
    assert len(found) == 4  # secrets, storage, logs, ebs
