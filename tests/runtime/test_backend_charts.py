"""The runtime installs the controllers of the job backends an environment offers."""

from __future__ import annotations

from gpuforge.model import helm_charts, training_runtimes
from gpuforge.model.loader import load_env


def releases(env: str) -> list[str]:
    _, spec = load_env(env)
    return [c.release for c in helm_charts.charts_for(spec)]


def test_an_environment_gets_the_controllers_of_the_backends_it_offers():
    assert "jobset" not in releases("dev") and "kubeflow-trainer" not in releases("dev")
    assert "jobset" in releases("staging") and "kubeflow-trainer" not in releases("staging")
    assert {"jobset", "kubeflow-trainer"} <= set(releases("prod"))


def test_trainer_brings_the_runtime_a_trainjob_references_and_not_a_second_jobset():
    _, spec = load_env("prod")
    values = helm_charts.chart_values(spec, helm_charts.CHARTS["kubeflow-trainer"])
    # Trainer 2.3.0's values.yaml: runtimes.torchDistributed.enabled is false, jobset.install true
    assert values["runtimes"] == {"torchDistributed": {"enabled": True}}
    assert values["jobset"] == {"install": False}
    assert training_runtimes.torch_distributed()["metadata"]["name"] == "torch-distributed"


def test_the_trainjob_backend_references_the_runtime_the_chart_creates():
    from gpuforge.jobs.backends import trainjob

    assert training_runtimes.torch_distributed()["metadata"]["name"] == trainjob.RUNTIME
