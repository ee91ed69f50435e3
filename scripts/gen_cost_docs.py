"""Regenerate the cost table of the shipped environments in README.md from the cost model.

The text between the BEGIN/END markers is `gpuforge.model.costing.estimate` of each
`stacks/<env>.yaml` (what `gpuforge plan` prints) at the dated prices of
`gpuforge/model/data/prices.json`; `tests/test_docs.py` fails when it is stale, so a
price update or a changed spec shows up here.

    .venv/bin/python scripts/gen_cost_docs.py
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.model import costing, pricing
from gpuforge.model.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN COST TABLE -->", "<!-- END COST TABLE -->"
ENVIRONMENTS = ("dev", "staging", "prod")


def _row(env: str) -> str:
    estimate = costing.estimate(load_spec(ROOT / "stacks" / f"{env}.yaml"))
    at_max = ", ".join(f"{p.name} ${p.hourly_at_max:,.2f}" for p in estimate.pools)
    return f"| {env} | ${estimate.monthly_min:,.0f} | {at_max} |"


def generated() -> str:
    prices = pricing.table()
    return (
        f"From `gpuforge plan` (on-demand {prices['region']} list prices as of "
        f"{prices['as_of']}; spot and capacity blocks priced at on-demand rates):\n\n"
        "| env | idle, per month | GPU pools at max, per hour |\n"
        "| --- | ---: | --- |\n" + "\n".join(_row(env) for env in ENVIRONMENTS) + "\n"
    )


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + generated() + text[end:]


def main() -> None:
    DOC.write_text(updated(DOC.read_text()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
