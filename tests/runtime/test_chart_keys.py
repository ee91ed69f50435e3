"""Every value gpuforge gives a chart is one that chart's templates read.

Helm ignores a value no template reads, silently (these charts ship no values schema),
so an invented key does nothing: `managerConfig.manageJobsWithoutQueueName` for Kueue
and `affinity` for the EFA plugin did exactly that. The key lists are vendored from each
chart at its pinned version by `scripts/vendor_chart_keys.py` (repo@commit in each file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gpuforge.model import helm_charts, names
from gpuforge.model.loader import load_env, spec_from_data
from tests.conftest import ROOT, SHIPPED_ENVS, shipped_spec

KEYS = Path(__file__).parent / "chart_keys"
FREE_FORM = {"map", "list"}


def _vendored(release: str) -> dict[str, Any]:
    return json.loads((KEYS / f"{release}.json").read_text())


def _paths(values: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Each leaf's key path: nested dicts are followed; lists, scalars and {} are leaves."""
    out: list[tuple[str, ...]] = []
    for key, value in values.items():
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            out += _paths(value, path)
        else:
            out.append(path)
    return out


def unread_keys(release: str, values: dict[str, Any]) -> list[str]:
    """The key paths in `values` that `release`'s templates never read. A path is read if
    the templates name it, or take a prefix of it whole (`with`, `range`, `toYaml`) whose
    default is a map or list (free-form: nodeSelector, extraArgs, tolerations...)."""
    keys = _vendored(release)["keys"]
    unread = []
    for path in _paths(values):
        dotted = ".".join(path)
        if dotted in keys:
            continue
        prefixes = [".".join(path[:i]) for i in range(1, len(path))]
        if not any(
            p in keys and keys[p]["whole"] and keys[p]["kind"] in FREE_FORM for p in prefixes
        ):
            unread.append(dotted)
    return unread


def test_every_pinned_chart_has_a_vendored_key_list_at_its_version():
    for release, chart in helm_charts.CHARTS.items():
        vendored = _vendored(release)
        # kueue: pinned 0.20.0, read at v0.19.2, the newest release the snapshot held
        if release != "kueue":
            assert vendored["version"] == chart.version, release
        assert "@" in vendored["source"]


def spec_of(env: str):
    return load_env(env, ROOT)[1]


def _every_chart(env: str):
    """The shipped env with every backend on, so JobSet and Trainer are installed too."""
    data = shipped_spec(env)
    data.setdefault("training", {})["backends"] = list(names.JOB_BACKENDS)
    return spec_from_data(data)


def _groups(spec) -> dict[str, str]:
    return {p.name: f"eks-{p.name}-asg" for p in spec.gpu_pools}


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_every_value_gpuforge_sets_is_read_by_its_chart(env):
    spec = _every_chart(env)
    assert {c.release for c in helm_charts.charts_for(spec)} >= {"jobset", "kubeflow-trainer"}
    for chart in helm_charts.charts_for(spec):
        values = helm_charts.chart_values(spec, chart, _groups(spec))
        assert unread_keys(chart.release, values) == [], chart.release


@pytest.mark.parametrize(
    ("release", "values", "unread"),
    [
        # what gpuforge set before: neither key is read by its chart
        ("kueue", {"managerConfig": {"manageJobsWithoutQueueName": False}},
         ["managerConfig.manageJobsWithoutQueueName"]),
        ("aws-efa-k8s-device-plugin", {"affinity": {"nodeAffinity": {"x": 1}}},
         ["affinity.nodeAffinity.x"]),
        # a structured key is not free-form: its unknown sub-keys are caught
        ("cluster-autoscaler", {"image": {"tagg": "v1"}}, ["image.tagg"]),
        # a free-form map takes any keys
        ("cluster-autoscaler", {"extraArgs": {"anything": 1}, "nodeSelector": {"a/b.c": "d"}}, []),
    ],
)  # fmt: skip
def test_unread_keys_are_caught(release, values, unread):
    assert unread_keys(release, values) == unread


def test_kueue_config_is_the_text_the_chart_reads():
    import yaml

    spec = spec_of(SHIPPED_ENVS[0])
    config = yaml.safe_load(
        helm_charts.chart_values(spec, helm_charts.CHARTS["kueue"])["managerConfig"][
            "controllerManagerConfigYaml"
        ]
    )
    assert config["kind"] == "Configuration"
    assert config["manageJobsWithoutQueueName"] is False
    assert "batch/job" in config["integrations"]["frameworks"]
