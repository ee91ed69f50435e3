"""Limits AWS enforces on what gpuforge creates: tags, resource names, partitions.

Each limit is written once, with where it comes from, and `validate` checks the
names and tags gpuforge will really send (the spec's values plus what gpuforge
adds: prefixes, Pulumi's auto-name suffix, its own tags), so `pulumi up` never
meets a limit `validate` did not name. Pure Python, no Pulumi.
"""

from __future__ import annotations

import unicodedata

# -- tags (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html) ------

MAX_TAGS = 50
"""Tags per resource; keys under `aws:` do not count, but users cannot set those."""
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
RESERVED_TAG_PREFIX = "aws:"
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _tag_char_ok(char: str) -> bool:
    # "letters, numbers, and spaces representable in UTF-8, and _ . : / = + - @"
    if char in _TAG_PUNCTUATION or char == " ":
        return True
    category = unicodedata.category(char)
    return category[0] in ("L", "N") or category == "Zs"


def tag_problem(key: str, value: str) -> str | None:
    """None for a tag AWS accepts on every service; else what is wrong, with the limit."""
    if not key:
        return "a tag key must not be empty"
    if len(key) > TAG_KEY_MAX:
        return f"the tag key is {len(key)} characters; AWS allows {TAG_KEY_MAX}"
    if len(value) > TAG_VALUE_MAX:
        return f"the tag value is {len(value)} characters; AWS allows {TAG_VALUE_MAX}"
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        return "tag keys starting with aws: are reserved for AWS"
    for what, text in (("key", key), ("value", value)):
        bad = next((c for c in text if not _tag_char_ok(c)), None)
        if bad is not None:
            return (
                f"the tag {what} contains {_show_char(bad)}; AWS allows letters, digits, "
                "spaces and _ . : / = + - @"
            )
    return None


def _show_char(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"


# -- resource names ---------------------------------------------------------------------

PULUMI_AUTONAME_SUFFIX = 8
"""Pulumi auto-naming appends '-' and 7 random hex characters to a logical name."""
NODE_GROUP_NAME_MAX = 63
"""EKS node group names (CreateNodegroup `nodegroupName`)."""
IAM_ROLE_NAME_MAX = 64
"""IAM role names (CreateRole `RoleName`)."""
LAUNCH_TEMPLATE_NAME_MAX = 128
"""EC2 launch template names (CreateLaunchTemplate `LaunchTemplateName`)."""
BUCKET_NAME_MAX = 63
"""S3 bucket names."""
CLUSTER_NAME_MAX = 100
"""EKS cluster names (CreateCluster `name`)."""


def auto_named_length(logical_name: str) -> int:
    """Length of the physical name Pulumi gives a resource it auto-names."""
    return len(logical_name) + PULUMI_AUTONAME_SUFFIX


# -- partitions --------------------------------------------------------------------------

SUPPORTED_PARTITIONS = ("aws",)
"""Partitions gpuforge builds for: its price table, ARNs and policy rules assume `aws`."""
