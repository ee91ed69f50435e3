"""Fixtures for the local-run tests: an emulated account's S3 on 127.0.0.1, and torch."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytest.importorskip("torch", reason="the `train` extra (torch) is not installed")


@pytest.fixture(scope="package")
def s3():
    """moto's S3 as a server on 127.0.0.1, with dev's checkpoints bucket under its real name.

    Child processes reach it through `AWS_ENDPOINT_URL`, which the account sets in
    this process's environment while it is open.
    """
    from gpuforge.emulator import EmulatedAccount
    from gpuforge.model import names
    from gpuforge.model.loader import load_env

    _, spec = load_env("dev", ROOT)
    account = spec.expected_account
    bucket = names.bucket_name(account, spec.region, "dev", "checkpoints")
    with EmulatedAccount(region=spec.region, mode="server", account_id=account) as aws:
        client = aws.client("s3")
        client.create_bucket(Bucket=bucket)
        yield aws, bucket, client


def keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
