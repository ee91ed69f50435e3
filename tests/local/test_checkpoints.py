"""The reference trainer's checkpoint store: complete or ignored, intact or skipped."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.local.launcher import TRAINER


@pytest.fixture(scope="module")
def ckpt():
    spec = importlib.util.spec_from_file_location("checkpoints", TRAINER.parent / "checkpoints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_checkpoint_without_its_manifest_is_never_loaded(ckpt, tmp_path):
    store = ckpt.FileStore(tmp_path)
    ckpt.save(store, 10, {"model.pt": b"ten"})
    store.put(f"{ckpt.step_dir(20)}/model.pt", b"twenty, but the writer died")
    assert ckpt.steps(store) == ([10], [20])
    assert ckpt.latest(store) == 10


def test_a_shard_that_does_not_match_the_manifest_falls_back_to_the_one_before(ckpt, tmp_path):
    store = ckpt.FileStore(tmp_path)
    ckpt.save(store, 10, {"model.pt": b"ten"})
    ckpt.save(store, 20, {"model.pt": b"twenty"})
    store.put(f"{ckpt.step_dir(20)}/model.pt", b"twentY")  # same size, other bytes
    warnings = []
    assert ckpt.latest(store, warn=warnings.append) == 10
    assert "does not match the manifest" in warnings[0]
    with pytest.raises(ckpt.CorruptCheckpoint):
        ckpt.read(store, 20)


def test_the_manifest_records_each_shard_and_is_written_last(ckpt, tmp_path):
    order = []

    class Recording(ckpt.FileStore):
        def put(self, key, data):
            order.append(key)
            super().put(key, data)

    store = Recording(tmp_path)
    ckpt.save(store, 3, {"model.pt": b"m", "optimizer.pt": b"oo"}, {"world_size": 2})
    assert order[-1] == "step-00000003/manifest.json" and len(order) == 3
    manifest = json.loads((tmp_path / "step-00000003" / "manifest.json").read_text())
    assert manifest["files"]["optimizer.pt"]["bytes"] == 2 and manifest["world_size"] == 2
    assert not list(tmp_path.rglob(".*.tmp"))  # temporary names renamed into place


def test_prune_keeps_the_newest_and_drops_stale_partials(ckpt, tmp_path):
    store = ckpt.FileStore(tmp_path)
    for step in (1, 2, 3, 4):
        ckpt.save(store, step, {"model.pt": bytes([step])})
    store.put(f"{ckpt.step_dir(0)}/model.pt", b"old partial")
    store.put(f"{ckpt.step_dir(5)}/model.pt", b"newer partial: may be in progress")
    ckpt.prune(store, keep=2)
    assert ckpt.steps(store) == ([4, 3], [5])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step-00000003",
        "step-00000004",
        "step-00000005",
    ]


def test_open_store_refuses_other_schemes(ckpt):
    with pytest.raises(ValueError, match="expected s3://bucket/prefix or file:///path"):
        ckpt.open_store("gs://bucket/x")


def test_a_store_that_refuses_deletes_stops_the_pruning_and_keeps_every_checkpoint(ckpt, tmp_path):
    # A team's role has no s3:DeleteObject: prune must say so, not crash the rank.
    class NoDeletes(ckpt.FileStore):
        def delete(self, key):
            raise ckpt.DeleteDenied(key)

    store = NoDeletes(tmp_path)
    for step in (1, 2, 3):
        ckpt.save(store, step, {"model.pt": bytes([step])})
    assert ckpt.prune(store, keep=1) is False
    assert ckpt.steps(store) == ([3, 2, 1], [])
    assert ckpt.latest(store) == 3


def test_s3_access_denied_on_delete_is_delete_denied(ckpt):
    import boto3
    from botocore.stub import Stubber

    store = ckpt.S3Store.__new__(ckpt.S3Store)
    store.bucket, store.prefix = "b", "team-a/job"
    store.client = boto3.client("s3", region_name="us-east-1")
    with Stubber(store.client) as stub:
        stub.add_client_error("delete_object", service_error_code="AccessDenied")
        with pytest.raises(ckpt.DeleteDenied, match="s3://b/team-a/job/step-00000001/x"):
            store.delete("step-00000001/x")


def _forge(ckpt, store, step: int, files: dict) -> None:
    """A manifest written by someone else, naming `files`."""
    manifest = {"format": ckpt.FORMAT, "step": step, "files": files}
    store.put(f"{ckpt.step_dir(step)}/{ckpt.MANIFEST}", json.dumps(manifest).encode())


@pytest.mark.parametrize(
    "name",
    ["../../secret", "../step-00000010/model.pt", "/etc/passwd", "sub/model.pt", ".hidden", ""],
)
def test_a_manifest_naming_a_shard_outside_its_directory_is_never_read(ckpt, tmp_path, name):
    outside = tmp_path / "secret"
    outside.write_bytes(b"not a checkpoint")
    store = ckpt.FileStore(tmp_path / "ckpt")
    ckpt.save(store, 10, {"model.pt": b"ten"})
    digest = {"bytes": 16, "sha256": __import__("hashlib").sha256(b"not a checkpoint").hexdigest()}
    _forge(ckpt, store, 20, {name: digest})
    with pytest.raises(ckpt.CorruptCheckpoint, match="unsafe shard name"):
        ckpt.read(store, 20)
    warnings = []
    assert ckpt.latest(store, warn=warnings.append) == 10
    assert "unsafe shard name" in warnings[0]


def test_a_symlinked_shard_that_leaves_the_root_is_refused(ckpt, tmp_path):
    outside = tmp_path / "secret"
    outside.write_bytes(b"ten")
    store = ckpt.FileStore(tmp_path / "ckpt")
    ckpt.save(store, 10, {"model.pt": b"ten"})
    shard = tmp_path / "ckpt" / ckpt.step_dir(10) / "model.pt"
    shard.unlink()
    shard.symlink_to(outside)  # same bytes as the manifest says: only the path gives it away
    with pytest.raises(ckpt.CorruptCheckpoint, match="outside the checkpoint root"):
        ckpt.read(store, 10)
    assert ckpt.latest(store, warn=lambda _: None) is None


def test_a_symlink_inside_the_root_still_reads(ckpt, tmp_path):
    store = ckpt.FileStore(tmp_path / "ckpt")
    ckpt.save(store, 10, {"model.pt": b"ten"})
    ckpt.save(store, 20, {"model.pt": b"ten"})
    shard = tmp_path / "ckpt" / ckpt.step_dir(20) / "model.pt"
    shard.unlink()
    shard.symlink_to(tmp_path / "ckpt" / ckpt.step_dir(10) / "model.pt")
    assert ckpt.read(store, 20)[1] == {"model.pt": b"ten"}


def test_the_store_refuses_keys_outside_the_root(ckpt, tmp_path):
    store = ckpt.FileStore(tmp_path / "ckpt")
    (tmp_path / "secret").write_bytes(b"x")
    for key in ("../secret", str(tmp_path / "secret")):
        with pytest.raises(ckpt.CorruptCheckpoint, match="outside the checkpoint root"):
            store.get(key)
