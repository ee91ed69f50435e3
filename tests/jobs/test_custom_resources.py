"""JobSet and TrainJob use only the field names their projects publish.

kubernetes-validate has no schema for custom resources, so each rendered custom
resource is walked and every field path must appear in the CRD's published schema,
vendored in `crd_fields/` (source repository, tag and commit in each file's header;
`scripts/vendor_crd_fields.py` regenerates them). Subtrees marked `# builtin:` are
embedded Kubernetes types and are validated with kubernetes-validate in
test_manifests.py instead.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.jobs.conftest import BASE_JOB
from tests.jobs.test_manifests import render

FIELDS = Path(__file__).parent / "crd_fields"


def published(kind: str) -> tuple[set[str], set[str]]:
    """(allowed paths, builtin cut points) from a vendored file."""
    allowed, builtin = set(), set()
    for line in (FIELDS / f"{kind}.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        path, _, note = line.partition("  # ")
        (builtin if note.startswith("builtin:") else allowed).add(path)
    return allowed, builtin


def unknown_paths(node, path: str, allowed: set[str], builtin: set[str]) -> list[str]:
    """Paths under `node` (at schema path `path`) that the published schema lacks.

    A map's keys (labels, nodeSelector, resource names) match the schema's `.*`.
    """
    if path in builtin:
        return []
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}"
            if child not in allowed and child not in builtin:
                if f"{path}.*" not in allowed:
                    out.append(child)
                    continue
                child = f"{path}.*"
            out += unknown_paths(value, child, allowed, builtin)
    elif isinstance(node, list):
        out += [p for item in node for p in unknown_paths(item, f"{path}[]", allowed, builtin)]
    return out


CASES = {
    "jobset": {**BASE_JOB, "backend": "jobset", "priority": "high"},
    "trainjob": {**BASE_JOB, "backend": "trainjob"},
}


@pytest.mark.parametrize("kind", list(CASES))
@pytest.mark.parametrize(("env_name", "pool"), [("prod", "h100"), ("dev", "l4")])
def test_rendered_custom_resource_uses_published_fields(kind, env_name, pool):
    job = {**CASES[kind], "pool": pool, "nodes": 1 if env_name == "dev" else 2}
    _, (obj,) = render(job, env_name)
    allowed, builtin = published(kind)
    assert unknown_paths(obj["spec"], "spec", allowed, builtin) == []
    assert set(obj) == {"apiVersion", "kind", "metadata", "spec"}


@pytest.mark.parametrize(
    ("kind", "mutate", "bad"),
    [
        ("jobset", lambda o: o["spec"].update(maxRestarts=3), "spec.maxRestarts"),
        (
            "trainjob",
            lambda o: o["spec"]["trainer"].update(numProcsPerNode=8),
            "spec.trainer.numProcsPerNode",
        ),
        (
            "trainjob",
            lambda o: o["spec"]["runtimePatches"][0].update(podTemplateOverrides=[]),
            "spec.runtimePatches[].podTemplateOverrides",
        ),
    ],
)
def test_the_check_catches_a_misspelt_or_removed_field(kind, mutate, bad):
    _, (obj,) = render(CASES[kind])
    obj = copy.deepcopy(obj)
    mutate(obj)
    allowed, builtin = published(kind)
    assert unknown_paths(obj["spec"], "spec", allowed, builtin) == [bad]


def test_vendored_files_name_their_source():
    for kind in ("jobset", "trainjob"):
        header = (FIELDS / f"{kind}.txt").read_text().splitlines()[1]
        assert header.startswith("# source: https://github.com/") and "/blob/" in header
