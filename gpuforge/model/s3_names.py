"""S3 general purpose bucket names and object keys, as S3 accepts them.

The rules, from https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
(general purpose buckets): 3-63 characters; lower-case letters, digits, '.' and '-';
beginning and ending with a letter or digit; no two adjacent periods; not formatted as
an IP address; not starting with `xn--`, `sthree-` or `amzn-s3-demo-`; not ending with
`-s3alias`, `--ol-s3`, `.mrap`, `--x-s3` or `--table-s3`. Object keys are UTF-8 of at
most 1024 bytes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
"""

from __future__ import annotations

import re

from gpuforge.model.aws_limits import BUCKET_NAME_MAX

BUCKET_NAME_MIN = 3
OBJECT_KEY_MAX_BYTES = 1024
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse `name` as a general purpose bucket name, or None."""
    if not BUCKET_NAME_MIN <= len(name) <= BUCKET_NAME_MAX:
        return f"is {len(name)} characters; S3 takes {BUCKET_NAME_MIN}-{BUCKET_NAME_MAX}"
    if not _BUCKET.fullmatch(name):
        return (
            "must be lower-case letters, digits, '.' and '-', "
            "beginning and ending with a letter or digit"
        )
    if ".." in name:
        return "has two adjacent periods"
    if _IP_ADDRESS.fullmatch(name):
        return "is formatted as an IP address"
    prefix = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        return f"starts with {prefix!r}, which S3 reserves"
    suffix = next((s for s in RESERVED_SUFFIXES if name.endswith(s)), None)
    if suffix:
        return f"ends with {suffix!r}, which S3 reserves"
    return None


def s3_uri_problem(uri: str) -> str | None:
    """Why `s3://bucket/prefix` is not a location S3 accepts, or None."""
    if not uri.startswith("s3://"):
        return "does not start with s3://"
    bucket, _, key = uri[len("s3://") :].partition("/")
    problem = bucket_name_problem(bucket)
    if problem:
        return f"bucket {bucket!r} {problem}"
    if not key.isprintable():
        return "its prefix holds a control character"
    if len(key.encode()) > OBJECT_KEY_MAX_BYTES:
        return f"its prefix is longer than S3's {OBJECT_KEY_MAX_BYTES}-byte key limit"
    return None
