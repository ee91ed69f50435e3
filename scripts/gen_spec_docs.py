"""Regenerate the field reference in stacks/README.md from the spec model.

The table between the BEGIN/END markers is derived from `EnvironmentSpec`'s
fields (type, default, description) by `gpuforge.model.spec_reference`, which
`gpuforge init` also uses; `tests/test_docs.py` fails when it is stale.

    .venv/bin/python scripts/gen_spec_docs.py
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.model import spec_reference
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.spec_reference import rows  # noqa: F401 (gen_job_docs reads rows here)

ROOT = Path(__file__).resolve().parent.parent

README = ROOT / "stacks" / "README.md"
BEGIN, END = "<!-- BEGIN SPEC REFERENCE -->", "<!-- END SPEC REFERENCE -->"


def table() -> str:
    return spec_reference.table(EnvironmentSpec)


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + text[end:]


def main() -> None:
    README.write_text(updated(README.read_text()))
    print(f"wrote {README}")


if __name__ == "__main__":
    main()
