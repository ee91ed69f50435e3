"""Regenerate the rule table in policies/README.md from `policies.RULES`.

The table between the BEGIN/END markers is derived from the rules themselves (ID, title,
severity, enforcement, resource types, checkov and Trivy IDs); a test checks that the
committed table is current. Run it after adding or changing a rule:

    .venv/bin/python scripts/gen_policy_docs.py
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.policies import RULES

ROOT = Path(__file__).resolve().parent.parent

README = ROOT / "policies" / "README.md"
BEGIN, END = "<!-- BEGIN RULE TABLE -->", "<!-- END RULE TABLE -->"


def _type_names(types: tuple[str, ...]) -> str:
    return ", ".join(f"`{t.rsplit(':', 1)[-1]}`" for t in types)


def table() -> str:
    lines = [
        "| ID | Title | Severity | Enforcement | Kind | Applies to | checkov | Trivy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in RULES:
        lines.append(
            f"| {r.id} | {r.title} | {r.severity} | {r.enforcement} | "
            f"{'stack' if r.stack else 'resource'} | {_type_names(r.types)} | "
            f"{', '.join(r.checkov)} | {', '.join(r.trivy)} |"
        )
    return "\n".join(lines)


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + "\n" + text[end:]


def main() -> None:
    README.write_text(updated(README.read_text()))
    print(f"wrote {README}")


if __name__ == "__main__":
    main()
