"""Checkpoints that are either complete or ignored, on S3 or a local directory.

Layout under the checkpoint URI (`GPUFORGE_CHECKPOINT_URI`)::

    step-00000040/model.pt        shards first ...
    step-00000040/optimizer.pt
    step-00000040/manifest.json   ... the manifest last: each shard's size and sha256

A checkpoint is the step directory *with* its manifest. A writer killed half way
leaves shards without a manifest, which `latest` never returns; a shard whose
bytes do not match the manifest makes `latest` fall back to the one before.

- `file:///path`: each file is written to a temporary name, fsynced and renamed
  into place, so no reader sees half a file.
- `s3://bucket/prefix`: boto3 with botocore's `standard` retry mode (500s, 503
  SlowDown, throttling and connection errors are retried with backoff) and
  multipart uploads above `PART_BYTES`; an S3 object appears whole or not at all.
  `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points it at an S3-compatible
  endpoint such as gpuforge's emulated account.

Shard names come from the manifest, which is data, not code: `read` accepts only
names matching `SHARD_NAME` (one path segment of letters, digits, `.`, `_`, `-`,
not starting with a dot, not the manifest), and `FileStore` refuses any key whose
resolved path (symlinks followed) leaves the checkpoint root. A manifest naming
`../../etc/passwd`, `/etc/passwd` or a symlink out of the root is a corrupt
checkpoint: skipped, never read.

What the sha256 manifest does and does not guard against: it detects corruption
(a torn or truncated upload, bit rot, a writer killed half way), because the
digests were computed by the writer before the bytes left it. It does not detect
tampering: whoever can write a shard can write the manifest beside it, with new
digests. Guarding against that needs a digest the writer of the shards cannot
forge, for example a manifest signed with a KMS asymmetric key (`kms:Sign` by the
training role, `kms:Verify` by readers, the key policy letting no one else sign),
or the manifest's digest kept out of the job's reach (S3 Object Lock in compliance
mode on the manifest object, so no one rewrites it for the retention period, or the
digest recorded where the job cannot write). gpuforge's per-team prefixes and
no-delete training roles narrow who can write, but do not make the manifest
authentic.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

MANIFEST = "manifest.json"
FORMAT = 1
PART_BYTES = 8 * 1024 * 1024
"""Multipart threshold and part size (S3's smallest part is 5 MiB)."""
RETRY = {"mode": "standard", "max_attempts": 10}
"""botocore's retry config: up to 10 attempts with exponential backoff and jitter."""

_STEP_DIR = re.compile(r"step-(\d{8})")
SHARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A shard name a manifest may give: one path segment, no leading dot (so no `..`)."""


class DeleteDenied(Exception):
    """The store refuses deletes: a team's role has no s3:DeleteObject (old versions are
    expired by the bucket's lifecycle rules instead), so old checkpoints are kept."""


class CorruptCheckpoint(Exception):
    """A shard is missing or does not match the manifest."""


class Store(Protocol):
    uri: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def list_keys(self) -> list[str]: ...
    def delete(self, key: str) -> None: ...


class FileStore:
    """Checkpoints in a local directory; writes are atomic renames."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.uri = self.root.resolve().as_uri()

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)

    def _inside(self, key: str) -> Path:
        """The path of `key`, refused unless it resolves (symlinks followed) inside the root."""
        root = self.root.resolve()
        path = (self.root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise CorruptCheckpoint(f"{key} resolves outside the checkpoint root")
        return path

    def get(self, key: str) -> bytes:
        path = self._inside(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise CorruptCheckpoint(f"{key} is missing") from None

    def list_keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.glob("step-*/*")
            if p.is_file() and not p.name.startswith(".")
        )

    def delete(self, key: str) -> None:
        path = self.root / key
        try:
            path.unlink(missing_ok=True)
        except PermissionError:
            raise DeleteDenied(f"{path}: delete denied") from None
        if path.parent != self.root and not any(path.parent.iterdir()):
            path.parent.rmdir()


class S3Store:
    """Checkpoints under `s3://bucket/prefix`, with retries and multipart uploads."""

    def __init__(self, bucket: str, prefix: str) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        config = Config(
            retries=RETRY,
            connect_timeout=10,
            read_timeout=120,
            # an endpoint on an IP address or localhost cannot serve bucket subdomains
            s3={"addressing_style": "path"} if endpoint else {},
        )
        self.client = boto3.client("s3", config=config)
        self.transfer = TransferConfig(
            multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=4
        )
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.upload_fileobj(
            io.BytesIO(data), self.bucket, self._key(key), Config=self.transfer
        )

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        out = io.BytesIO()
        try:
            self.client.download_fileobj(self.bucket, self._key(key), out, Config=self.transfer)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise CorruptCheckpoint(f"{key} is missing") from None
            raise
        return out.getvalue()

    def list_keys(self) -> list[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start + "step-"
        )
        for page in pages:
            found += [item["Key"][len(start) :] for item in page.get("Contents", [])]
        return sorted(found)

    def delete(self, key: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "AccessDenied":
                raise DeleteDenied(f"s3://{self.bucket}/{self._key(key)}: delete denied") from None
            raise


def open_store(uri: str) -> Store:
    """The store for a `file://` or `s3://` URI."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return FileStore(parsed.path)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Store(parsed.netloc, parsed.path)
    raise ValueError(f"checkpoint URI {uri!r}: expected s3://bucket/prefix or file:///path")


def step_dir(step: int) -> str:
    return f"step-{step:08d}"


def save(store: Store, step: int, shards: dict[str, bytes], meta: dict | None = None) -> None:
    """Write `shards`, then the manifest that makes them a checkpoint."""
    files = {}
    for name, data in shards.items():
        store.put(f"{step_dir(step)}/{name}", data)
        files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"format": FORMAT, "step": step, "files": files, "time": time.time(), **(meta or {})}
    store.put(f"{step_dir(step)}/{MANIFEST}", json.dumps(manifest, indent=1).encode())


def steps(store: Store) -> tuple[list[int], list[int]]:
    """(complete steps, newest first; steps with shards but no manifest)."""
    seen: dict[int, bool] = {}
    for key in store.list_keys():
        folder, _, name = key.partition("/")
        match = _STEP_DIR.fullmatch(folder)
        if match:
            step = int(match[1])
            seen[step] = seen.get(step, False) or name == MANIFEST
    complete = sorted((s for s, done in seen.items() if done), reverse=True)
    partial = sorted(s for s, done in seen.items() if not done)
    return complete, partial


def read(store: Store, step: int) -> tuple[dict, dict[str, bytes]]:
    """The manifest and shards of checkpoint `step`, each shard checked against the manifest."""
    try:
        manifest = json.loads(store.get(f"{step_dir(step)}/{MANIFEST}"))
    except ValueError as exc:
        raise CorruptCheckpoint(f"{step_dir(step)}/{MANIFEST}: {exc}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise CorruptCheckpoint(f"{step_dir(step)}/{MANIFEST}: no files")
    shards = {}
    for name, want in files.items():
        if not isinstance(name, str) or not SHARD_NAME.fullmatch(name) or name == MANIFEST:
            raise CorruptCheckpoint(f"{step_dir(step)}/{MANIFEST}: unsafe shard name {name!r}")
        if not isinstance(want, dict):
            raise CorruptCheckpoint(f"{step_dir(step)}/{MANIFEST}: bad entry for {name}")
        data = store.get(f"{step_dir(step)}/{name}")
        if len(data) != want["bytes"] or hashlib.sha256(data).hexdigest() != want["sha256"]:
            raise CorruptCheckpoint(f"{step_dir(step)}/{name} does not match the manifest")
        shards[name] = data
    return manifest, shards


def latest(store: Store, warn=print) -> int | None:
    """The newest step whose checkpoint is complete and intact, or None."""
    complete, _ = steps(store)
    for step in complete:
        try:
            read(store, step)
        except CorruptCheckpoint as exc:
            warn(f"skipping checkpoint {step}: {exc}")
            continue
        return step
    return None


def prune(store: Store, keep: int) -> bool:
    """Delete all but the newest `keep` checkpoints, and partial ones older than those.

    The manifest goes first, so a checkpoint half deleted is never loaded. False when
    the store refuses deletes (`DeleteDenied`): nothing more is deleted, and the caller
    stops pruning (a checkpoint whose manifest went is only ever skipped, never loaded).
    """
    complete, partial = steps(store)
    if not complete:
        return True
    doomed = complete[keep:] + [s for s in partial if s < complete[0]]
    keys = store.list_keys()
    try:
        for step in doomed:
            store.delete(f"{step_dir(step)}/{MANIFEST}")
            for key in keys:
                if key.startswith(step_dir(step) + "/") and not key.endswith("/" + MANIFEST):
                    store.delete(key)
    except DeleteDenied:
        return False
    return True
