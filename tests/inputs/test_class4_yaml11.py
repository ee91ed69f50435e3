"""Class 4: YAML 1.1 forms (base 60, octal, hex, binary, `_` separators, yes/no/on/off)
are refused wherever they appear (environment specs, job files, `--set`), never read as
PyYAML's YAML 1.1 would; decimal and quoted forms pass."""

from __future__ import annotations

import pytest

from gpuforge.model.hardened_yaml import YAML_RULE, parse_yaml, scalar_problem
from tests.inputs.conftest import ROOT, refuse

FORMS = {
    "base 60": "1:30",
    "base 60 float": "1:30.5",
    "octal": "0400",
    "octal 010": "010",
    "hexadecimal": "0x1F",
    "binary": "0b101",
    "separators": "1_000",
    "separators float": "1_000.5",
    "yes": "yes",
    "No": "No",
    "ON": "ON",
    "off": "off",
    ".inf": ".inf",
    ".NaN": ".NaN",
}


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_the_parser_refuses_the_form(form):
    with pytest.raises(Exception) as err:
        parse_yaml(f"a: {form}\n", "f")
    assert "f:1: a: " in str(err.value)


@pytest.mark.parametrize(
    "text, value",
    [
        ("1.5", 1.5),
        ("90", 90),
        ("-3", -3),
        ("0", 0),
        ("true", True),
        ("False", False),
        ("'1:30'", "1:30"),
        ('"0400"', "0400"),
        ("'yes'", "yes"),
        ("1.0e+3", 1000.0),
    ],
)
def test_yaml_12_forms_pass(text, value):
    assert parse_yaml(f"a: {text}\n", "f")[0] == {"a": value}


ENV_PLACES = {
    "gpu pool max": ("    max: 2\n    disk_gib", "    max: {}\n    disk_gib"),
    "disk_gib": ("    disk_gib: 100", "    disk_gib: {}"),
    "system pool min": ("    min: 1\n    max: 2\n\ngpu", "    min: {}\n    max: 2\n\ngpu"),
    "retention": ("      noncurrent_expiration_days: 7", "      noncurrent_expiration_days: {}"),
    "force_destroy": ("  force_destroy: true", "  force_destroy: {}"),
}


@pytest.mark.parametrize("place", list(ENV_PLACES))
@pytest.mark.parametrize("form", ["1:30", "0400", "0x10", "1_0", "yes", "off"])
def test_environment_spec(place, form, project):
    old, new = ENV_PLACES[place]
    text = (project / "stacks" / "dev.yaml").read_text()
    assert old in text, old
    (project / "env.yaml").write_text(text.replace(old, new.format(form), 1))
    refuse(["validate", "-e", "env.yaml"], "YAML 1.1")


JOB_PLACES = {
    "timeout": ("timeout: 1h", "timeout: {}"),
    "every_steps": ("every_steps: 10", "every_steps: {}"),
    "max_restarts": ("max_restarts: 3", "max_restarts: {}"),
    "nodes": ("pool: l4", "pool: l4\nnodes: {}"),
    "env value": ("pool: l4", "pool: l4\nenv: {{A: {}}}"),
}


@pytest.mark.parametrize("place", list(JOB_PLACES))
@pytest.mark.parametrize("form", ["1:30", "0400", "0x10", "1_0", "yes", "on"])
def test_job_file(place, form, project, job_text):
    old, new = JOB_PLACES[place]
    (project / "job.yaml").write_text(job_text.replace(old, new.format(form), 1))
    refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], "YAML 1.1")


@pytest.mark.parametrize("key", ["timeout", "checkpoint.every_steps", "max_restarts", "nodes"])
@pytest.mark.parametrize("form", ["1:30", "0400", "0x10", "1_0", "no"])
def test_set(key, form, project):
    job = str(ROOT / "examples" / "jobs" / "tiny-gpt.yaml")
    refuse(["launch", job, "-e", "dev", "--dry-run", "--set", f"{key}={form}"], "--set")


def test_the_rule_is_stated_in_the_docs():
    for doc in ("stacks/README.md", "docs/jobs.md"):
        assert YAML_RULE in " ".join((ROOT / doc).read_text().split()), doc


def test_only_plain_scalars_are_checked():
    assert scalar_problem("tag:yaml.org,2002:int", "0400") is not None
    assert scalar_problem("tag:yaml.org,2002:int", "0400", strict=False) is None
