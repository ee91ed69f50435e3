"""Where the running gpuforge was installed from, as a requirement line for `init`.

A repository made by `gpuforge init` pins the gpuforge that made it. A bare
`gpuforge[policy]==0.1.0` only works once that version is on the package index, and
until then it leaves the name open to whoever publishes it there first (dependency
confusion). So the pin names the source pip recorded at install time, PEP 610's
`direct_url.json` (https://packaging.python.org/en/latest/specifications/direct-url/):

- a VCS install pins the URL at the exact commit (`@ git+https://...@<commit>`);
- a wheel or sdist file pins that file, with its sha256 when pip recorded one
  (pip checks a `#sha256=` fragment on a direct reference);
- a local directory (a checkout, editable or not) pins the directory;
- no `direct_url.json` means pip took it from an index: `==<version>`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

EXTRAS = "[policy]"
DIST = "gpuforge"


@dataclass(frozen=True)
class Requirement:
    line: str
    """The requirements.txt line."""
    note: str
    """Why this form, for the comment above it."""


def index_requirement(version: str) -> Requirement:
    """The pin for a gpuforge taken from a package index."""
    return Requirement(f"{DIST}{EXTRAS}=={version}", "installed from a package index")


def requirement(version: str, direct_url: str | None) -> Requirement:
    """The requirement line for gpuforge `version` installed as `direct_url` says.

    `direct_url` is the text of the installed distribution's `direct_url.json`, or
    None when pip recorded none (an install from a package index).
    """
    if not direct_url:
        return index_requirement(version)
    try:
        record = json.loads(direct_url)
        url = record["url"]
    except (ValueError, KeyError, TypeError):
        return Requirement(f"{DIST}{EXTRAS}=={version}", "install record unreadable")
    if not isinstance(url, str) or any(c in url for c in " \t\r\n#;"):
        return Requirement(f"{DIST}{EXTRAS}=={version}", "install record unreadable")
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        ref = f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
        return Requirement(f"{DIST}{EXTRAS} @ {ref}", f"installed from {vcs['vcs']}")
    archive = record.get("archive_info")
    if isinstance(archive, dict):
        hashes = archive.get("hashes")
        digest = hashes.get("sha256") if isinstance(hashes, dict) else None
        if digest is None and str(archive.get("hash", "")).startswith("sha256="):
            digest = archive["hash"].removeprefix("sha256=")
        fragment = f"#sha256={digest}" if digest else ""
        return Requirement(f"{DIST}{EXTRAS} @ {url}{fragment}", "installed from this file")
    return Requirement(f"{DIST}{EXTRAS} @ {url}", "installed from this directory")


def running_requirement() -> Requirement:
    """The requirement line for the gpuforge running now."""
    from importlib.metadata import distribution, distributions

    # A checkout's root holds a stray `gpuforge.egg-info` (setuptools' build metadata,
    # no install record) that shadows the installed one when run from there: prefer the
    # distribution pip installed, which has the record.
    for dist in distributions(name=DIST):
        record = dist.read_text("direct_url.json")
        if record:
            return requirement(dist.version, record)
    return requirement(distribution(DIST).version, None)
