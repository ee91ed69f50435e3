"""Build each shipped environment's Platform once per session, under echo mocks."""

from __future__ import annotations

import pytest

from gpuforge.model.loader import load_env
from tests.components.mocks import Built, build_platform
from tests.conftest import ROOT, SHIPPED_ENVS

_BUILT: dict[str, Built] = {}


def built(env: str):
    """(spec, Built) for a shipped environment, built once."""
    if env not in _BUILT:
        _, spec = load_env(env, ROOT)
        _BUILT[env] = (spec, build_platform(spec))
    return _BUILT[env]


@pytest.fixture(params=SHIPPED_ENVS)
def env(request) -> str:
    return request.param
