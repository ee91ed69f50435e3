"""`gpuforge plan` as CI uses it: the same JSON every run, Ctrl-C, options that clash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from gpuforge.cli.main import cli
from tests.conftest import ROOT


def _without_seconds(text: str) -> str:
    doc = json.loads(text)
    del doc["seconds"]
    return json.dumps(doc, indent=2)


def test_the_same_spec_gives_the_same_json_in_and_across_processes(runner, monkeypatch):
    """ids, ARNs, endpoints, certificates and timestamps all come from a seeded account."""
    monkeypatch.chdir(ROOT)
    runs = [runner.invoke(cli, ["plan", "-e", "prod", "-o", "json"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    fresh = subprocess.run(
        [sys.executable, "-m", "gpuforge", "plan", "-e", "prod", "-o", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "random"},
    )
    assert fresh.returncode == 0, fresh.stderr
    texts = [_without_seconds(r.stdout) for r in runs] + [_without_seconds(fresh.stdout)]
    assert texts[0] == texts[1] == texts[2]
    doc = json.loads(texts[0])
    # and the values are the varied, AWS-shaped ones, not blanks
    (cluster,) = [r for r in doc["resources"] if r["type"] == "aws:eks/cluster:Cluster"]
    assert cluster["outputs"]["endpoint"].endswith(".gr7.us-east-1.eks.amazonaws.com")
    assert cluster["outputs"]["vpcConfig"]["vpcId"].startswith("vpc-")
    keys = [r["outputs"]["arn"] for r in doc["resources"] if r["type"] == "aws:kms/key:Key"]
    assert len(keys) == len(set(keys)) > 1


def test_ctrl_c_during_a_plan_exits_130_with_one_line(tmp_path):
    """SIGINT while the program runs in the emulated account (held there until signalled)."""
    script = tmp_path / "slow_plan.py"
    script.write_text(
        "import sys, time\n"
        "import gpuforge.program\n"
        "def held():\n"
        "    print('READY', file=sys.stderr, flush=True)\n"
        "    time.sleep(60)\n"
        "gpuforge.program.main = held\n"
        "from gpuforge.cli.main import main\n"
        "sys.argv = ['gpuforge', 'plan', '-e', 'dev']\n"
        "main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr.readline().strip() == "READY"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.strip() == "error: interrupted"
    assert out == ""


def test_tree_cannot_go_with_json(runner, project):
    result = runner.invoke(cli, ["plan", "-e", "dev", "--tree", "-o", "json"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: plan: --tree draws a table; it cannot go with -o json (drop one of them)\n"
    )
    assert result.stdout == ""
