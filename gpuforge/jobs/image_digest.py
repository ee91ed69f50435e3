"""Pin a job's image to the digest its tag names now, before anything is sent.

A tag moves; a digest does not. A gang that restarts an hour later, or a rank whose node
pulls late, must run the image the job was launched with, so `launch` sends
`repo:tag@sha256:...`: the kubelet pulls by the digest and the tag stays readable.

- ECR images (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`) are resolved with
  ECR's DescribeImages, which answers `imageDetails[].imageDigest` for an `imageTag`
  (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html).
  A tag ECR does not have is refused: the pods could never pull it.
- Other registries are not asked (no credentials or network path is assumed for them):
  their tags go as written, unless the environment requires digests
  (`training.require_image_digests`), which refuses them with a hint to pin one.
- Resolution runs when `launch` sends to the environment's EKS cluster (it has AWS
  credentials then), and with `--kubeconfig` only where digests are required: another
  cluster may pull from elsewhere. Missing credentials are a ClusterAccessError, as for
  EKS itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpuforge.model.image_reference import REFERENCE

ECR_HOST = re.compile(
    r"(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9])"
    r"\.amazonaws\.com"
)


def digests_required(env) -> bool:
    """`training.require_image_digests` (off unless the spec turns it on)."""
    return bool(env.training.require_image_digests)


class UnresolvedImage(Exception):
    """The image cannot be pinned to a digest: why (`problem`) and what to do (`hint`)."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(f"{problem} ({hint})")
        self.problem, self.hint = problem, hint


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str
    tag: str


def ecr_image(ref: str) -> EcrImage | None:
    """The parts of an ECR reference by tag (no digest yet), else None."""
    match = REFERENCE.fullmatch(ref)
    if match is None or match["digest"] or not match["domain"]:
        return None
    host = ECR_HOST.fullmatch(match["domain"])
    if host is None:
        return None
    repository = match["name"][len(match["domain"]) + 1 :]
    return EcrImage(host["account"], host["region"], repository, match["tag"] or "latest")


def needs_pinning(ref: str) -> bool:
    """Whether `ref` names its image by a tag alone."""
    match = REFERENCE.fullmatch(ref)
    return match is not None and not match["digest"]


def pinned(ref: str, *, required: bool, ecr_client=None) -> str:
    """`ref` with the digest its tag names now (ECR), or as given where allowed.

    `ecr_client(region)` makes the ECR client (default: boto3's, from the usual
    credential chain). Raises UnresolvedImage.
    """
    if not needs_pinning(ref):
        return ref
    ecr = ecr_image(ref)
    if ecr is None:
        if required:
            raise UnresolvedImage(
                f"{ref} is a tag of a registry gpuforge does not resolve, and the environment "
                "requires digests",
                "pin it: image@sha256:..., or push it to ECR",
            )
        return ref
    return f"{ref}@{_describe(ecr, ecr_client)}"


def _describe(image: EcrImage, ecr_client) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if ecr_client is None:
        import boto3

        def ecr_client(region):
            return boto3.client("ecr", region_name=region)

    where = f"ECR repository {image.repository} ({image.account}, {image.region})"
    try:
        answer = ecr_client(image.region).describe_images(
            registryId=image.account,
            repositoryName=image.repository,
            imageIds=[{"imageTag": image.tag}],
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise UnresolvedImage(
                f"tag {image.tag} is not in {where}", "push it first, or fix the tag"
            ) from None
        raise UnresolvedImage(
            f"cannot read {where}: {code or exc}", "credentials with ecr:DescribeImages"
        ) from None
    except NoCredentialsError:
        from gpuforge.jobs.kube_errors import ClusterAccessError

        raise ClusterAccessError(
            "no AWS credentials to read the job's image digest from ECR",
            "sign in to AWS (aws sso login, or AWS_PROFILE), or pass --kubeconfig",
        ) from None
    except BotoCoreError as exc:
        raise UnresolvedImage(
            f"cannot reach ECR for {where}: {exc}", "AWS credentials and network"
        ) from None
    details = answer.get("imageDetails") or []
    if not details or not details[0].get("imageDigest"):
        raise UnresolvedImage(f"tag {image.tag} is not in {where}", "push it first")
    return details[0]["imageDigest"]
