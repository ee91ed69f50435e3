"""Vendor the value keys each pinned Helm chart's templates read, for
`tests/runtime/test_chart_keys.py`.

A chart silently ignores a value its templates never read (Helm does not validate
values against anything unless the chart ships a schema, and these don't), so a
misspelt or invented key does nothing. This reads a chart from a local clone at the
pinned version and writes `tests/runtime/chart_keys/<release>.json`: every
`.Values.a.b.c` path its templates name (and every dependency `condition:` in its
Chart.yaml), with where it is first read and the kind of its default in values.yaml
(`map`, `list`, `scalar` or `unset`) and whether a template takes it whole (`with`,
`range`, `toYaml`: a free-form map or list, whatever keys it holds). Run it when
moving a chart to a new version, with the clones the `fetch` tool (or `git clone`) made:

    python scripts/vendor_chart_keys.py /work/.mirror
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent.parent / "tests" / "runtime" / "chart_keys"

# release: (mirror dir under the root, GitHub repo, ref at the pinned chart version, chart dir)
CHARTS: dict[str, tuple[str, str, str, str]] = {
    "nvidia-device-plugin": (
        "NVIDIA+k8s-device-plugin/repo",
        "NVIDIA/k8s-device-plugin",
        "v0.20.0",
        "deployments/helm/nvidia-device-plugin",
    ),
    # The commit that set stable/aws-efa-k8s-device-plugin/Chart.yaml to version v0.5.21
    # (the next chart commit, d2a84c0, moves it to v0.5.22).
    "aws-efa-k8s-device-plugin": (
        "aws+eks-charts/repo",
        "aws/eks-charts",
        "d5fd92acd904185b6af5a14b5696aa8731e3f96c",
        "stable/aws-efa-k8s-device-plugin",
    ),
    # gpuforge pins chart 0.20.0; the newest release in the snapshot is v0.19.2 (main
    # still says 0.19.2 and tags v0.20.0-devel), so its keys are read there.
    "kueue": ("kubernetes-sigs+kueue/repo", "kubernetes-sigs/kueue", "v0.19.2", "charts/kueue"),
    "jobset": ("kubernetes-sigs+jobset/repo", "kubernetes-sigs/jobset", "v0.12.0", "charts/jobset"),
    "kubeflow-trainer": (
        "kubeflow+trainer/repo",
        "kubeflow/trainer",
        "v2.3.0",
        "charts/kubeflow-trainer",
    ),
    "cluster-autoscaler": (
        "kubernetes+autoscaler/repo",
        "kubernetes/autoscaler",
        "cluster-autoscaler-chart-9.59.0",
        "cluster-autoscaler/charts/cluster-autoscaler",
    ),
}

VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
# Read as a whole (its contents copied or iterated, whatever keys they have): the value
# is the argument of `with`, `range` or `toYaml` (`whole: true` in the output).
WHOLE = re.compile(r"(?:\bwith|\brange(?:\s+\$\w+\s*,\s*\$\w+\s*:=)?|\btoYaml)\s+\(?\s*\$?$")


def _git(repo: Path, *args: str) -> str:
    return subprocess.check_output(["git", "-C", str(repo), *args], text=True)


def _kind(defaults: Any, path: list[str]) -> str:
    node = defaults
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return "unset"
        node = node[part]
    if isinstance(node, dict):
        return "map"
    if isinstance(node, list):
        return "list"
    return "unset" if node is None else "scalar"


def vendor(root: Path, release: str) -> dict[str, Any]:
    mirror, github, ref, chart_dir = CHARTS[release]
    repo = root / mirror
    commit = _git(repo, "rev-parse", f"{ref}^{{commit}}").strip()
    chart = yaml.safe_load(_git(repo, "show", f"{commit}:{chart_dir}/Chart.yaml"))
    defaults = yaml.safe_load(_git(repo, "show", f"{commit}:{chart_dir}/values.yaml")) or {}
    keys: dict[str, dict[str, str]] = {}
    files = _git(repo, "ls-tree", "-r", "--name-only", commit, f"{chart_dir}/templates").split()
    for name in sorted(files):
        if "/crd" in name:
            continue
        text = _git(repo, "show", f"{commit}:{name}")
        rel = name[len(chart_dir) + 1 :]
        for lineno, line in enumerate(text.splitlines(), 1):
            for match in VALUES_REF.finditer(line):
                key = match.group(1)[1:]
                entry = keys.setdefault(
                    key, {"kind": _kind(defaults, key.split(".")), "read_at": "", "whole": False}
                )
                entry["read_at"] = entry["read_at"] or f"{rel}:{lineno}"
                if WHOLE.search(line[: match.start()]):
                    entry["whole"] = True
    chart_text = _git(repo, "show", f"{commit}:{chart_dir}/Chart.yaml").splitlines()
    for dep in chart.get("dependencies") or []:
        for key in (dep.get("condition") or "").split(","):
            if key:
                line = next(i for i, t in enumerate(chart_text, 1) if key in t)
                keys.setdefault(key, {"kind": "scalar", "read_at": f"Chart.yaml:{line}"})
    return {
        "chart": chart["name"],
        "version": str(chart["version"]),
        "source": f"{github}@{commit}:{chart_dir}",
        "generated_by": "scripts/vendor_chart_keys.py; do not edit by hand",
        "keys": dict(sorted(keys.items())),
    }


def main(root: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for release in CHARTS:
        data = vendor(Path(root), release)
        (OUT / f"{release}.json").write_text(json.dumps(data, indent=1) + "\n")
        print(f"{release}: {len(data['keys'])} keys from {data['source']}")


if __name__ == "__main__":
    main(*sys.argv[1:])
