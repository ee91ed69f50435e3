"""Container image references, checked against the grammar registries and kubelets use.

The grammar is distribution/reference's, the package Docker, containerd and the kubelet
parse image names with (distribution/reference@0965666a6ade2e06035fe352e38344be1e68951a:
regexp.go:41-142; the 255-character name limit is reference.go:62). Written out here
with ASCII classes (Go's `\\w` is ASCII, Python's is not). A reference that fails it
would be refused at pull time (`InvalidImageName`), after the job was queued; one with a
newline or other control character would also break the Dockerfile or YAML it is pasted
into, so it is refused before anything is written.
"""

from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = f"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = f"{_DOMAIN_COMPONENT}(?:\\.{_DOMAIN_COMPONENT})*"
_HOST = rf"(?:{_DOMAIN_NAME}|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN_AND_PORT = f"{_HOST}(?::[0-9]+)?"
_REMOTE_NAME = f"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"

REFERENCE = re.compile(
    f"(?P<name>(?:(?P<domain>{_DOMAIN_AND_PORT})/)?{_REMOTE_NAME})"
    f"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?"
)
NAME_MAX = 255
"""distribution/reference's RepositoryNameTotalLengthMax (reference.go:62)."""
# The digest algorithms registries accept and their hex lengths (opencontainers/go-digest:
# sha256 and sha512; a registry refuses a sha256 digest that is not 64 hex digits).
_DIGEST_HEX = {"sha256": 64, "sha512": 128}

HINT = "e.g. registry.example.com/team/trainer:1.0 or repo@sha256:<64 hex digits>"


def image_reference_problem(ref: str) -> str | None:
    """Why `ref` is not an image reference a registry and the kubelet accept, or None."""
    if not ref:
        return "is empty"
    if not ref.isprintable() or any(c.isspace() for c in ref):
        return "holds a space or control character"
    if "://" in ref:
        return "is a URL; an image reference has no scheme"
    match = REFERENCE.fullmatch(ref)
    if match is None:
        return _why_not(ref)
    name = match["name"]
    domain = match["domain"]
    path = name[len(domain) + 1 :] if domain else name
    if domain and not _is_domain(domain):
        # splitDockerDomain (normalize.go): a first part without '.', ':' or an upper-case
        # letter, other than localhost, is a Docker Hub namespace, not a registry.
        path = name
    if len(path) > NAME_MAX:
        return f"its repository name is longer than {NAME_MAX} characters"
    digest = match["digest"]
    if digest:
        algorithm, _, hexdigits = digest.partition(":")
        want = _DIGEST_HEX.get(algorithm)
        if want is None:
            return f"digest algorithm {algorithm!r} is not sha256 or sha512"
        if len(hexdigits) != want or hexdigits != hexdigits.lower():
            return f"a {algorithm} digest is {want} lower-case hex digits"
    return None


MOVING_HINT = "pin a version tag (trainer:2026.12.1) or a digest (trainer@sha256:...)"


def moving_tag_problem(ref: str) -> str | None:
    """Why `ref`, a valid reference, names no fixed image: `:latest`, or no tag and no
    digest (which the kubelet and registries read as `:latest`). None when it is pinned.

    A moving tag makes a restarted gang pull a different image than the ranks still
    running (and the kubelet's default pull policy for `:latest` is Always: every pod
    start is a registry round trip; kubernetes/api@v0.35.0 core/v1/types.go, PullPolicy).
    """
    match = REFERENCE.fullmatch(ref)
    if match is None or match["digest"]:
        return None
    if match["tag"] is None:
        return "names no tag, which means :latest, a tag that moves"
    if match["tag"] == "latest":
        return "is :latest, a tag that moves"
    return None


def _is_domain(part: str) -> bool:
    return part == "localhost" or any(c in part for c in ".:") or part.lower() != part


def _why_not(ref: str) -> str:
    name, _, digest = ref.partition("@")
    if "@" in ref and not re.fullmatch(_DIGEST, digest):
        return "has a malformed digest after '@'"
    last = name.rsplit("/", 1)[-1]
    if last.count(":") > 1:
        return "has more than one ':' after the last '/'"
    if last.endswith(":"):
        return "has an empty tag after ':'"
    if ":" in last and not re.fullmatch(_TAG, last.partition(":")[2]):
        return "has a malformed tag (letters, digits, '_', '.', '-', at most 128)"
    path = name.split("/", 1)[1] if "/" in name and _is_domain(name.split("/")[0]) else name
    path = path.rsplit(":", 1)[0] if ":" in last else path
    if path != path.lower():
        return "has upper-case letters in the repository name"
    return "does not follow the image reference grammar"
