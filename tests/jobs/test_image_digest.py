"""`launch` pins an image tag to its digest: ECR tags through DescribeImages (moto)."""

from __future__ import annotations

import json

import pytest

from gpuforge.emulator import EmulatedAccount
from gpuforge.jobs import image_digest
from gpuforge.jobs.image_digest import UnresolvedImage, pinned

ACCOUNT, REGION = "123456789012", "us-east-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": "sha256:" + "c" * 64,
        },
        "layers": [],
    }
)


@pytest.fixture(scope="module")
def ecr():
    with EmulatedAccount(region=REGION, account_id=ACCOUNT) as aws:
        client = aws.client("ecr")
        client.create_repository(repositoryName="training/trainer")
        pushed = client.put_image(
            repositoryName="training/trainer", imageManifest=MANIFEST, imageTag="2026.12.1"
        )
        yield client, pushed["image"]["imageId"]["imageDigest"]


def test_an_ecr_tag_is_pinned_to_the_digest_ecr_holds(ecr):
    client, digest = ecr
    ref = f"{HOST}/training/trainer:2026.12.1"
    assert pinned(ref, required=True, ecr_client=lambda region: client) == f"{ref}@{digest}"


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        (f"{HOST}/training/trainer:2026.1.1", "tag 2026.1.1 is not in ECR repository"),
        (f"{HOST}/training/other:1", "tag 1 is not in ECR repository training/other"),
    ],
)
def test_a_tag_ecr_does_not_have_is_refused(ecr, ref, problem):
    client, _ = ecr
    with pytest.raises(UnresolvedImage) as caught:
        pinned(ref, required=False, ecr_client=lambda region: client)
    assert caught.value.problem.startswith(problem) and caught.value.hint


def test_other_registries_pass_unless_digests_are_required():
    ref = "nvcr.io/nvidia/pytorch:25.01-py3"
    assert pinned(ref, required=False) == ref
    with pytest.raises(UnresolvedImage, match="requires digests"):
        pinned(ref, required=True)
    by_digest = "nvcr.io/nvidia/pytorch@sha256:" + "a" * 64
    assert pinned(by_digest, required=True) == by_digest  # nothing to resolve


def test_digests_are_required_only_where_the_spec_says_so():
    from gpuforge.model.loader import load_env

    _, prod = load_env("prod")
    assert not image_digest.digests_required(prod)
    strict = prod.model_copy(
        update={"training": prod.training.model_copy(update={"require_image_digests": True})}
    )
    assert image_digest.digests_required(strict)


def test_ecr_references_are_recognised_by_their_host():
    assert image_digest.ecr_image(f"{HOST}/a/b:1") == image_digest.EcrImage(
        ACCOUNT, REGION, "a/b", "1"
    )
    assert image_digest.ecr_image("registry.example.com/a/b:1") is None
    assert image_digest.ecr_image(f"{HOST}/a/b@sha256:" + "d" * 64) is None
