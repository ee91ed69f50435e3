"""Generated reference docs stay in step with the code they describe."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT


def _load(script: str):
    spec = importlib.util.spec_from_file_location(script, ROOT / "scripts" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec_reference_is_current():
    gen = _load("gen_spec_docs")
    text = gen.README.read_text()
    assert gen.updated(text) == text, "run: .venv/bin/python scripts/gen_spec_docs.py"


def test_every_spec_field_is_documented():
    gen = _load("gen_spec_docs")
    undocumented = [row for row in gen.rows(gen.EnvironmentSpec) if row.endswith("|  |")]
    assert undocumented == []


def test_catalog_is_generated_from_installed_aws_data():
    gen = _load("gen_catalog")
    import json

    committed = json.loads((ROOT / "gpuforge" / "model" / "data" / "catalog.json").read_text())
    fresh = gen.build()
    # A newer moto may add types; the ones gpuforge ships specs for must match AWS's data.
    for name in ("p5.48xlarge", "p4d.24xlarge", "g6.xlarge", "g5.12xlarge", "g6e.12xlarge"):
        assert committed["instance_types"][name] == fresh["instance_types"][name], name


def test_job_reference_is_current():
    gen = _load("gen_job_docs")
    text = gen.DOC.read_text()
    assert gen.updated(text) == text, "run: .venv/bin/python scripts/gen_job_docs.py"


def test_every_job_field_is_documented():
    gen = _load("gen_job_docs")
    spec_docs = gen._spec_docs()
    undocumented = [row for row in spec_docs.rows(gen.JobSpec) if row.endswith("|  |")]
    assert undocumented == []


def test_tag_table_is_current():
    gen = _load("gen_contract_docs")
    text = gen.DOC.read_text()
    assert gen.updated(text) == text, "run: .venv/bin/python scripts/gen_contract_docs.py"


def test_readme_cost_table_is_current():
    gen = _load("gen_cost_docs")
    text = gen.DOC.read_text()
    assert gen.updated(text) == text, "run: .venv/bin/python scripts/gen_cost_docs.py"


def test_runtime_tables_are_current():
    gen = _load("gen_runtime_docs")
    text = gen.DOC.read_text()
    assert gen.updated(text) == text, "run: .venv/bin/python scripts/gen_runtime_docs.py"
