"""Rewrite the benchmark tables in README.md and bench/README.md from bench/results/latest.json.

Each table sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; `render(results)`
gives every block's text, so tests/test_bench_tables.py can check that the READMEs
quote the last recorded results. `make bench` runs this after bench/run_all.py.

    .venv/bin/python bench/tables.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
FILES = (ROOT / "README.md", ROOT / "bench" / "README.md")
BLOCK = re.compile(r"(<!-- bench:(\w+) -->\n)(.*?)(<!-- /bench:\2 -->)", re.DOTALL)


def _s(x: float) -> str:
    return f"{x:.2f}"


def _ms(x: float) -> str:
    return f"{x * 1000:.0f}"


def _head(unit: str) -> str:
    return (
        f"| command | wall {unit} median (min–max) | CPU s median | peak MiB |\n"
        "| --- | ---: | ---: | ---: |"
    )


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _case(c: dict, fmt=_s) -> list[str]:
    wall = f"{fmt(c['wall_median'])} ({fmt(c['wall_min'])}–{fmt(c['wall_max'])})"
    return [wall, _s(c["cpu_median"]), f"{c['peak_mib_median']:.0f}"]


def _ratio(r: dict) -> str:
    return f"{r['median']:.2f}× ({r['min']:.2f}–{r['max']:.2f})"


def _from(section: dict) -> str:
    return f" (kept from the run of {section['from']})" if section.get("from") else ""


def machine(res: dict) -> str:
    m = res["machine"]
    return (
        f"Last `make bench`: {res['date']}, commit {res['commit']}, host `{res['host']}`: "
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; "
        f"load average {m['load_at_start'][0]} at the start and {m['load_at_end'][0]} at the "
        f"end (the machine is shared: figures are medians of interleaved runs), "
        f"n = {res['n']} runs per command, {res['seconds']} s in all.\n"
    )


def plan(res: dict) -> str:
    p = res["plan"]
    head = (
        "| tree | wall s median (min–max) | CPU s median | peak MiB |\n| --- | ---: | ---: | ---: |"
    )
    lines = [head, _row(["this tree (after)", *_case(p["after"])])]
    if "before" in p:
        lines.append(_row([f"{p['before_commit']} (before)", *_case(p["before"])]))
        lines.append(
            f"\nafter / before, run by run: wall {_ratio(p['ratio_wall'])}, "
            f"CPU {_ratio(p['ratio_cpu'])}{_from(p)}"
        )
    memory = p.get("after_memory")
    if memory and memory.get("worker_mib"):
        lines.append(
            f"\nThis tree's plan runs in two processes (peak MiB above: the larger); "
            f"together they peak at {memory['total_mib']:.0f} MiB "
            f"(plan {memory['plan_mib']:.0f} + worker {memory['worker_mib']:.0f})."
        )
    return "\n".join(lines) + "\n"


def scaling(res: dict) -> str:
    s = res["scaling"]
    trees = [t for t in ("after", "before") if t in s]
    head = "| GPU pools | " + " | ".join(f"{t}: AWS resources | {t}: cold plan s" for t in trees)
    lines = [head + " |", "| ---: |" + " ---: | ---: |" * len(trees)]
    for i, row in enumerate(s["after"]["rows"]):
        cells = [str(row["pools"])]
        for t in trees:
            r = s[t]["rows"][i]
            cells += [str(r["resources"]), _s(r["cold_s"])]
        lines.append(_row(cells))
    per = ", ".join(f"{t} {s[t]['ms_per_extra_resource']:.1f} ms" for t in trees)
    lines.append(f"\nPer extra AWS resource (1 → 32 pools): {per}{_from(s)}")
    return "\n".join(lines) + "\n"


def launch(res: dict) -> str:
    x = res["launch"]
    head = _head("ms")
    lines = [head]
    for label in ("gpuforge launch", "plain create", "gpuforge cancel", "plain delete"):
        lines.append(_row([label, *_case(x[label], _ms)]))
    lines.append(
        f"\nlaunch / plain create: {_ratio(x['launch_ratio_wall'])}; "
        f"cancel / plain delete: {_ratio(x['cancel_ratio_wall'])}{_from(x)}"
    )
    return "\n".join(lines) + "\n"


def light(res: dict) -> str:
    h = res["help"]
    head = _head("ms")
    lines = [head]
    for part in ("help", "dry_run"):
        for label, c in h[part].items():
            if isinstance(c, dict) and "wall_median" in c:
                lines.append(_row([f"`{label}`", *_case(c, _ms)]))
    notes = []
    for part, what in (("help", "--help"), ("dry_run", "dry run")):
        if "ratio_wall" in h[part]:
            notes.append(f"{what}: gpuforge / torchx {_ratio(h[part]['ratio_wall'])}")
    if not notes:
        notes.append("torchx was not installed for this run: no side-by-side figure")
    lines.append("\n" + "; ".join(notes) + _from(h))
    return "\n".join(lines) + "\n"


def local(res: dict) -> str:
    x = res["local"]
    head = _head("s")
    lines = [head]
    for label in ("torchrun", "gpuforge launch --local"):
        lines.append(_row([label, *_case(x[label])]))
    lines.append(f"\ngpuforge / torchrun: {_ratio(x['ratio_wall'])}{_from(x)}")
    return "\n".join(lines) + "\n"


def trainer_exit(res: dict) -> str:
    t = res["trainer_exit"]
    return (
        f"{t['runs']} runs: {t['ok']} exited 0, {t['hangs']} hung, {t['failed']} failed "
        f"otherwise; median {t['median_s']} s per run{_from(t)}\n"
    )


def readme(res: dict) -> str:
    p, x = res["plan"], res["launch"]
    parts = [
        f"On the last `make bench` ({res['date']}, {res['machine']['cores']}-core shared machine):"
    ]
    line = f"a cold `gpuforge plan -e prod` took {_s(p['after']['wall_median'])} s"
    if "ratio_wall" in p:
        line += f", {p['ratio_wall']['median']:.2f}× the time of {p['before_commit']}"
    memory = p.get("after_memory") or {}
    if memory.get("total_mib"):
        line += f", at {memory['total_mib']:.0f} MiB peak across its two processes"
    parts.append(f"- {line};")
    per = res["scaling"]["after"]["ms_per_extra_resource"]
    parts.append(f"- per extra AWS resource a plan costs {per:.1f} ms;")
    parts.append(
        f"- `launch` takes {x['launch_ratio_wall']['median']:.2f}× and `cancel` "
        f"{x['cancel_ratio_wall']['median']:.2f}× the plain kubernetes client's create and delete;"
    )
    h = res["help"]
    if "ratio_wall" in h["help"]:
        parts.append(
            f"- `--help` takes {h['help']['ratio_wall']['median']:.2f}× and `launch --dry-run` "
            f"{h['dry_run']['ratio_wall']['median']:.2f}× TorchX's time;"
        )
    parts.append(
        f"- `launch --local` costs {res['local']['ratio_wall']['median']:.2f}× plain torchrun."
    )
    parts.append("Method and every table: bench/README.md.")
    return "\n".join(parts) + "\n"


RENDERERS = {
    "machine": machine,
    "plan": plan,
    "scaling": scaling,
    "launch": launch,
    "light": light,
    "local": local,
    "trainer_exit": trainer_exit,
    "readme": readme,
}


def render(results: dict) -> dict[str, str]:
    out = {}
    for name, fn in RENDERERS.items():
        try:
            out[name] = fn(results)
        except KeyError:
            out[name] = "(not measured in the last run)\n"
    return out


def rewrite(text: str, blocks: dict[str, str]) -> str:
    return BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + m.group(4), text)


def main() -> int:
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    blocks = render(results)
    stale = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, blocks)
        if new != text:
            if "--check" in sys.argv:
                stale.append(str(path.relative_to(ROOT)))
            else:
                path.write_text(new, encoding="utf-8")
    if stale:
        print("stale tables: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
