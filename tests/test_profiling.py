"""`--profile FILE` / GPUFORGE_PROFILE: every thread, written though main() leaves by os._exit."""

from __future__ import annotations

import os
import pstats
import subprocess
import sys

from tests.conftest import ROOT


def _functions(path) -> set[str]:
    return {name for (_file, _line, name) in pstats.Stats(str(path)).stats}  # type: ignore[attr-defined]


def test_profile_option_writes_a_loadable_file_with_every_thread(tmp_path):
    out = tmp_path / "validate.prof"
    code = (
        "import sys, threading\n"
        "from gpuforge.cli import main as m\n"
        "def in_a_thread():\n"
        "    pass\n"
        "orig = m.cli.callback\n"
        "def callback(*a, **k):\n"
        "    result = orig(*a, **k)\n"
        "    t = threading.Thread(target=in_a_thread); t.start(); t.join()\n"
        "    return result\n"
        "m.cli.callback = callback\n"
        f"sys.argv = ['gpuforge', '--profile', {str(out)!r}, 'validate', '-e', 'dev']\n"
        "m.main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"profile: {out}" in proc.stderr
    names = _functions(out)
    assert "in_a_thread" in names  # a thread started after the profiler: merged in
    assert "load_env" in names  # the command itself, in the main thread


def test_the_environment_variable_profiles_from_the_start(tmp_path):
    out = tmp_path / "help.prof"
    env = {**os.environ, "GPUFORGE_PROFILE": str(out)}
    proc = subprocess.run(
        [sys.executable, "-m", "gpuforge", "--help"], cwd=ROOT, env=env, capture_output=True
    )
    assert proc.returncode == 0
    assert "main" in _functions(out)
