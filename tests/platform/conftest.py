"""Each shipped environment built once, in its own emulated AWS account.

The account stays open while that environment's tests run, so they inspect it
through boto3 the way an operator inspects a real account after `pulumi up`.
Only one account is open at a time (moto's in-process mock is global).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ROOT, SHIPPED_ENVS


@dataclass
class Built:
    env: str
    spec: Any
    report: Any
    account: Any

    def client(self, service: str):
        return self.account.client(service)

    def of_type(self, token: str) -> list[Any]:
        return [r for r in self.report.resources if r.type == token]


@pytest.fixture(scope="module", params=SHIPPED_ENVS)
def built(request) -> Built:
    from gpuforge.emulator import EmulatedAccount
    from gpuforge.model.loader import load_env
    from gpuforge.planning import plan

    _, spec = load_env(request.param, ROOT)
    with EmulatedAccount(region=spec.region) as account:
        yield Built(request.param, spec, plan(spec, account=account), account)
