"""The job commands' help never loads the kubernetes client or boto3."""

from __future__ import annotations

import subprocess
import sys


def test_job_command_help_stays_light():
    code = (
        "import sys\n"
        "from gpuforge.cli.main import cli\n"
        "for cmd in ('jobs', 'status', 'logs', 'cancel', 'emulate'):\n"
        "    try:\n"
        "        cli.main([cmd, '--help'], standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('kubernetes', 'boto3', 'botocore', 'kmock', 'pulumi', 'moto')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
