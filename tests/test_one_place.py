"""Each shared fact is spelled out in one module; product code imports it from there.

`gpuforge.model.names` holds the tag, label and annotation keys that several parts must
agree on, `gpuforge.model.pools` the pool facts (AMI types, the autoscaler's duration
format). A second spelling elsewhere is how two parts drift apart, so this test reads
every product module's string literals (docstrings and prose messages aside: only a
literal that *is* the key, or an f-string that builds it, counts) and fails on a copy.

Tests keep their literal wire values on purpose: they check independently that the
key really is `app.kubernetes.io/managed-by`, which importing the constant would not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT

PRODUCT = ("gpuforge", "components", "cli")

NAMES = "gpuforge/model/names.py"
POOLS = "gpuforge/model/pools.py"

# fact -> (home module, test on a literal: its text, with each `{...}` of an f-string as is)
FACTS = {
    "the managed-by label": (NAMES, lambda s: s == "app.kubernetes.io/managed-by"),
    "the pool key": (NAMES, lambda s: s in ("gpuforge.dev/pool", "{TAG_PREFIX}/pool")),
    "the node-role key": (
        NAMES,
        lambda s: s in ("gpuforge.dev/node-role", "{TAG_PREFIX}/node-role"),
    ),
    "the Kueue queue label": (NAMES, lambda s: s == "kueue.x-k8s.io/queue-name"),
    "the cluster-autoscaler tag prefix": (
        NAMES,
        lambda s: s.startswith("k8s.io/cluster-autoscaler") or "}/node-template" in s,
    ),
    "the autoscaler discovery tags": (NAMES, lambda s: s.endswith("}/enabled")),
    "the access modes": (NAMES, lambda s: s in ("read-only", "read-write")),
    "the EKS AMI type names": (POOLS, lambda s: s.startswith("AL2023_")),
    "the Go duration format": (POOLS, lambda s: s.endswith("}m0s") or s == "m0s"),
}


def _literals(tree: ast.AST) -> Iterator[tuple[int, str]]:
    # docstrings, and the attribute docstrings after an assignment: bare string statements
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    parts_of_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = ""
            for value in node.values:
                parts_of_fstrings.add(id(value))
                if isinstance(value, ast.Constant):
                    text += str(value.value)
                else:
                    text += "{" + ast.unparse(value.value) + "}"
            yield node.lineno, text
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | parts_of_fstrings
        ):
            yield node.lineno, node.value


def _copies() -> list[str]:
    found = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for line, text in _literals(ast.parse(path.read_text(), where)):
                for fact, (home, spells) in FACTS.items():
                    if where != home and spells(text):
                        found.append(f"{where}:{line}: {fact} ({text!r}): import it from {home}")
    return found


def test_each_fact_is_spelled_out_only_in_its_home_module():
    assert _copies() == []


@pytest.mark.parametrize("home", sorted({home for home, _ in FACTS.values()}))
def test_the_home_modules_do_spell_the_facts_out(home):
    """The checks above see the literals they look for (so they are not vacuous)."""
    tree = ast.parse((ROOT / home).read_text())
    texts = [text for _, text in _literals(tree)]
    for fact, (fact_home, spells) in FACTS.items():
        if fact_home == home:
            assert any(spells(t) for t in texts), fact
