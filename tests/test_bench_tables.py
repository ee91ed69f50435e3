"""The benchmark tables in README.md and bench/README.md are the last recorded results."""

from __future__ import annotations

import json
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import tables  # noqa: E402


def test_every_table_is_rendered_from_the_last_results():
    results = json.loads(tables.RESULTS.read_text(encoding="utf-8"))
    blocks = tables.render(results)
    for path in tables.FILES:
        text = path.read_text(encoding="utf-8")
        found = {m.group(2): m.group(3) for m in tables.BLOCK.finditer(text)}
        assert found, f"{path}: no bench tables"
        for name, body in found.items():
            assert body == blocks[name], f"{path.name}: table {name} is not the last results'"


def test_the_results_name_the_machine_and_measure_every_quoted_figure():
    results = json.loads(tables.RESULTS.read_text(encoding="utf-8"))
    assert results["machine"]["cpu"] and results["machine"]["cores"]
    for name, body in tables.render(results).items():
        assert "not measured" not in body, name
