"""Class 9: every message says where (file and line), what (the field path, never `None`)
and what to do (a hint): keys that are not names, numbers too long, and a sweep over the
cases of the other classes."""

from __future__ import annotations

import pytest

from tests.inputs.conftest import refuse

KEYS = {
    "a number at the top": ("environment: dev", "1: x\nenvironment: dev", 2, "1"),
    "a number under network": ("  nat: single", "  nat: single\n  1: 2", 12, "network"),
    "null under tags": ("  team: ml-platform", "  ~: ml-platform", 5, "tags"),
    "a boolean under tags": ("  team: ml-platform", "  true: ml-platform", 5, "tags"),
    "a date under cluster": (
        '  version: "1.35"',
        '  version: "1.35"\n  2026-01-01: x',
        15,
        "cluster",
    ),
    "a float under storage": (
        "  force_destroy: true",
        "  force_destroy: true\n  1.5: x",
        37,
        "storage",
    ),
}


@pytest.mark.parametrize("case", list(KEYS))
def test_keys_that_are_not_names_have_a_line_and_a_field(case, project):
    old, new, line, field = KEYS[case]
    text = (project / "stacks" / "dev.yaml").read_text()
    assert old in text, old
    (project / "env.yaml").write_text(text.replace(old, new, 1))
    message = refuse(["validate", "-e", "env.yaml"], "keys are names")
    assert message.startswith(f"error: env.yaml:{line}: "), message
    if field != "1":
        assert f":{line}: {field}" in message, message


def test_a_job_key_that_is_a_number(project, job_text):
    text = job_text.replace("pool: l4", "pool: l4\nenv: {1: a}")
    (project / "job.yaml").write_text(text)
    line = text.splitlines().index("env: {1: a}") + 1
    message = refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], "env", "keys are names")
    assert message.startswith(f"error: job.yaml:{line}: env: "), message


NUMBERS = {
    "every_steps": ("every_steps: 10", "every_steps: " + "9" * 5000, "checkpoint.every_steps"),
    "max_restarts": ("max_restarts: 3", "max_restarts: " + "1" * 400, "max_restarts"),
    "env value": ("pool: l4", "pool: l4\nenv: {A: " + "7" * 4400 + "}", "env.A"),
}


@pytest.mark.parametrize("case", list(NUMBERS))
def test_a_number_too_long_names_its_field(case, project, job_text):
    old, new, field = NUMBERS[case]
    (project / "job.yaml").write_text(job_text.replace(old, new, 1))
    message = refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], f": {field}: ", "too long")
    assert len(message) < 400, "the number is shown in full"
