"""Serve the emulated AWS account's S3 on 127.0.0.1 for `make demo`, with an env's buckets.

    python scripts/emulated_s3.py dev ENV_FILE

Creates the environment's buckets under their real (physical) names, writes the
variables another process needs (`AWS_ENDPOINT_URL`, fake credentials) to ENV_FILE
as `export` lines, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading

from gpuforge.emulator import EmulatedAccount
from gpuforge.model import names
from gpuforge.model.loader import load_env


def main(env_name: str, env_file: str) -> None:
    _, spec = load_env(env_name)
    account = spec.expected_account
    # a live account: objects carry the time they were written, not the plan's fixed clock
    live = EmulatedAccount(region=spec.region, mode="server", account_id=account, fixed_clock=False)
    with live as aws:
        s3 = aws.client("s3")
        for bucket in spec.storage.buckets:
            s3.create_bucket(Bucket=names.bucket_name(account, spec.region, env_name, bucket.name))
        lines = [f"export {k}={shlex.quote(v)}" for k, v in aws.env.items()]
        with open(env_file, "w") as f:
            f.write("\n".join(lines) + "\n")
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        done.wait()


if __name__ == "__main__":
    main(*sys.argv[1:3])
