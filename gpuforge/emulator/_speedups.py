"""Shortcuts through botocore and moto, active while an emulated account is open.

Each gives the same answer as the code it replaces, with less work.

1. Process-wide cache of botocore's endpoint data (and EC2's service model).

moto builds a fresh ``boto3.Session()`` in hot paths (importing its EC2 models does
it about ten times; ``eks.create_cluster``/``create_nodegroup`` once per call to
validate the role ARN), and each fresh session re-parses botocore's 1.2 MB
``endpoints.json`` (~50–100 ms here). The data is read-only and the same for every
session built from the same search paths, so while an account is open the loaders
share one parsed copy.

2. Lazy key material for moto's KMS keys. moto generates an RSA-2048 private key
for every key it creates, symmetric ones included (50–200 ms each here); only
``Sign``/``Verify``/``GetPublicKey`` use it. The key is generated on first use.

3. Cached partitions for moto's EKS role-ARN check. ``validate_role_arn`` builds a
whole ``boto3.Session()`` on every ``create_cluster``/``create_nodegroup`` just to
list the partitions (~17 ms each, most of a node group's cost); the list is fixed
for the installed botocore, so it is read once.

4. Process-wide list of the services botocore ships. Each fresh Loader (each
``boto3.Session()``: the clients' and moto's request parsers) lists every service
folder on disk before its first model load, 400-odd directories with a stat per
file (about 35 ms each, 14 times in a plan; issue 23). The listing depends only
on the search paths, and the installed data does not change while an account is
open, so one listing per search path serves every loader.

5. orjson for botocore's JSON data files. botocore parses each service model with
``json.loads(..., object_pairs_hook=OrderedDict)``; a plan parses eight models twice
(the client's loader and moto's, which merges moto's extras into its own copy), EC2's
1.5 MB among them: about 0.4 s. orjson gives the same keys, values and order in plain
dicts (ordered since Python 3.7), in about a quarter of the time.

6. A bisection for moto's query-protocol parser. For every structure in an operation's
input shape, moto's ``QueryParser`` asks whether any request parameter starts with the
structure's prefix by scanning them all: quadratic in a LaunchTemplateData's members and
parameters, about 15% of a 32-pool plan's per-resource cost (issue 23, py-spy). The
parameter names are sorted once per request and each question is one bisection.

7. Direct tag reads for moto's EC2 resources. Serialising any tagged EC2 resource reads
its tags through ``describe_tags`` with a ``resource-id`` filter, which matches every
tagged resource of the region against a regex: quadratic in a plan's subnets, launch
templates and security groups. The resource's own tags are read directly instead.

8. Instance type offerings read per region on first use. Importing moto's EC2 models
reads every region's offerings (90 gzipped JSON files, about 0.1 s of a cold plan);
moto only ever looks up its own region's. See ``_DeferredOfferings``.

9. One routing per moto request: ``BaseResponse._get_action`` matched the request against
the service's routes each time it was asked (four times a request); the answer, and
the URI parameters it sets, are kept for that request.

10. moto's random strings and hex ids with the same draws and fewer calls: ``choice``
is ``seq[self._randbelow(len(seq))]`` (CPython 3.11 ``random.py``), so calling
``_randbelow`` directly gives the same characters from the same generator state, and
every id of a plan stays what it was.

``install``/``uninstall`` are reference-counted and undo them all.
"""

from __future__ import annotations

import bisect
import importlib
import re
import string
import sys
import threading
from pathlib import Path
from typing import Any

_SHARED_NAMES = frozenset({"endpoints", "partitions", "sdk-default-configuration"})
# EC2's service model is 1.5 MB of JSON (~0.2 s to parse); the client and moto's
# request parser each build their own Session, so a plan parsed it six times.
# botocore ships no extras for it (and deep_merge of the same extras again would only
# set the same keys), so nothing changes the parsed copy: one serves every loader.
_SHARED_PREFIXES = ("ec2/",)


def _shared(name: str) -> bool:
    return name in _SHARED_NAMES or (
        name.endswith("/service-2") and name.startswith(_SHARED_PREFIXES)
    )


_lock = threading.Lock()
_users = 0
_original: Any = None
_original_listing: Any = None
_listings: dict[tuple[tuple[str, ...], str], list[str]] = {}
_cache: dict[tuple[str, tuple[str, ...]], Any] = {}
# (module, attribute) -> the original, for every moto attribute shortcuts 2 and 3 replaced
_patched: dict[tuple[str, str], Any] = {}


class _LazyPrivateKey:
    """Stands in for moto's private key until something asks the key for anything."""

    def __init__(self, generate: Any, key_spec: str) -> None:
        self._generate = generate
        self._key_spec = key_spec
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._generate(self._key_spec)
        return getattr(self._key, name)


_MOTO_LOAD_RESOURCE = ("moto.utilities.utils", "load_resource")
_MOTO_METHOD_NAMES = ("moto.core.responses", "method_names_from_class")
_method_names: dict[Any, list[str]] = {}
_MOTO_QUERY_PREFIX = ("moto.core.parse", "QueryParser._gonna_recurse")
_MOTO_EC2_TAGS = ("moto.ec2.models.core", "TaggedEC2Resource.get_tags")
_MOTO_ACTION = ("moto.core.responses", "BaseResponse._get_action")
_MOTO_RANDOM_STRING = ("moto.moto_api._internal.moto_random", "MotoRandom.get_random_string")
_MOTO_RANDOM_HEX = ("moto.moto_api._internal.moto_random", "MotoRandom.get_random_hex")
_KMS_KEYGEN = ("moto.kms.models", "generate_private_key")
_EKS_SESSION = ("moto.eks.utils", "Session")


def _lazy_kms_keygen(key_spec: str) -> Any:
    return _LazyPrivateKey(_patched[_KMS_KEYGEN], key_spec)


def install() -> None:
    global _users, _original, _original_listing
    from botocore.loaders import Loader

    with _lock:
        _users += 1
        if _original is not None:
            return
        _original = Loader.load_data_with_path
        _original_listing = Loader.list_available_services

        def list_available_services(self: Any, type_name: str) -> list[str]:
            key = (tuple(self.search_paths), type_name)
            found = _listings.get(key)
            if found is None:
                found = _listings.setdefault(key, list(_original_listing(self, type_name)))
            return list(found)

        Loader.list_available_services = list_available_services
        _patch_json_loader()

        def load_data_with_path(self: Any, name: str) -> Any:
            if not _shared(name):
                return _original(self, name)
            key = (name, tuple(self.search_paths))
            found = _cache.get(key)
            if found is None:
                found = _cache.setdefault(key, _original(self, name))
            return found

        Loader.load_data_with_path = load_data_with_path
    # moto's bundled data (EC2's instance types and every region's offerings, its AMI
    # list: read when moto.ec2.models is first imported, which binds the function then)
    _patch_once(_MOTO_LOAD_RESOURCE, _orjson_load_resource)
    # moto lists a response class's methods (inspect.getmembers) on every request to
    # find the action's handler; the methods of a class do not change while it serves.
    _patch_once(_MOTO_METHOD_NAMES, _cached_method_names)
    # moto's query-protocol parser asks, for every structure of the input shape, whether
    # any request parameter starts with its prefix, scanning them all each time: quadratic
    # in a LaunchTemplateData's hundreds of members and its parameters (issue 23).
    _patch_once(_MOTO_QUERY_PREFIX, _has_no_parameter_under)
    # Every EC2 resource moto serialises reads its tags by filtering all the region's
    # tags with a regex per resource id: quadratic in the tagged resources of a plan.
    _patch_once(_MOTO_EC2_TAGS, _tags_of_one_resource)
    # moto routes each request to its operation four times (parameters, operation
    # model, response protocol, the handler's name): once is enough per request.
    _patch_once(_MOTO_ACTION, _action_once_per_request)
    # Every response draws a 52-character request id, one `choice` call per character.
    _patch_once(_MOTO_RANDOM_STRING, _random_string)
    _patch_once(_MOTO_RANDOM_HEX, _random_hex)


def uninstall() -> None:
    global _users, _original, _original_listing
    from botocore.loaders import Loader

    with _lock:
        _users = max(0, _users - 1)
        if _users or _original is None:
            return
        Loader.load_data_with_path = _original
        Loader.list_available_services = _original_listing
        _unpatch_json_loader()
        _original = None
        _original_listing = None
        _unpatch_all()


def _patch_once(target: tuple[str, str], replacement: Any) -> None:
    """Replace a moto module attribute (or `Class.attribute`) while an account is open;
    uninstall restores it."""
    with _lock:
        if target in _patched or not _users:
            return
        owner, attr = _owner(importlib.import_module(target[0]), target[1])
        _patched[target] = getattr(owner, attr)
        setattr(owner, attr, replacement)


def _owner(module: Any, dotted: str) -> tuple[Any, str]:
    *path, attr = dotted.split(".")
    owner = module
    for name in path:
        owner = getattr(owner, name)
    return owner, attr


def _unpatch_all() -> None:
    for (module, dotted), original in _patched.items():
        owner, attr = _owner(sys.modules[module], dotted)
        setattr(owner, attr, original)
    _patched.clear()


def lazy_kms_keys() -> None:
    """Install shortcut 2 (the KMS handler calls this before its first CreateKey)."""
    _patch_once(_KMS_KEYGEN, _lazy_kms_keygen)


class _PartitionsOnly:
    """What moto's EKS utils need of a boto3 Session: the partition names, read once."""

    _partitions: list[str] | None = None

    def get_available_partitions(self) -> list[str]:
        if _PartitionsOnly._partitions is None:
            original_session = _patched[_EKS_SESSION]
            _PartitionsOnly._partitions = original_session().get_available_partitions()
        return _PartitionsOnly._partitions


def cached_eks_partitions() -> None:
    """Install shortcut 3 (the EKS handlers call this before their first create)."""
    _patch_once(_EKS_SESSION, _PartitionsOnly)


_original_load_file: Any = None


def _patch_json_loader() -> None:
    global _original_load_file
    import os

    import orjson
    from botocore.loaders import JSONFileLoader

    _original_load_file = JSONFileLoader._load_file

    def _load_file(self: Any, full_path: str, open_method: Any) -> Any:
        # botocore.loaders.JSONFileLoader._load_file, parsed by orjson
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            payload = fp.read()
        return orjson.loads(payload)

    JSONFileLoader._load_file = _load_file


def _unpatch_json_loader() -> None:
    global _original_load_file
    from botocore.loaders import JSONFileLoader

    if _original_load_file is not None:
        JSONFileLoader._load_file = _original_load_file
        _original_load_file = None


def _orjson_load_resource(resource: str) -> Any:
    """moto.utilities.utils.load_resource (moto 5.1), parsed by orjson; a region's instance
    type offerings are read when first used (shortcut 8)."""
    match = _OFFERINGS.fullmatch(resource)
    if match and _offerings_loop_as_expected():
        return _DeferredOfferings(resource, match.group(1))
    return _parse_resource(resource)


def _parse_resource(resource: str) -> Any:
    import gzip

    import orjson
    from moto.utilities.utils import load_resource_as_bytes, load_resource_as_str

    try:
        compressed = resource if resource.endswith(".gz") else f"{resource}.gz"
        data: str | bytes = gzip.decompress(load_resource_as_bytes(compressed))
    except FileNotFoundError:
        data = load_resource_as_str(resource)
    return orjson.loads(data)


def _cached_method_names(clazz: Any) -> list[str]:
    """moto.core.utils.method_names_from_class, once per class."""
    names = _method_names.get(clazz)
    if names is None:
        names = _method_names.setdefault(clazz, _patched[_MOTO_METHOD_NAMES](clazz))
    return list(names)


def _has_no_parameter_under(self: Any, query_params: Any, prefix: str) -> bool:
    """moto.core.parse.QueryParser._gonna_recurse (moto 5.2): True when no parameter name
    starts with `prefix`. The names, sorted once per request, answer with one bisection:
    every name starting with `prefix` sorts at or after it, the first of them first."""
    if prefix == "":
        return False
    cached = self.__dict__.get("_gpuforge_sorted_names")
    if cached is None or cached[0] is not query_params:
        cached = (query_params, sorted(query_params))
        self._gpuforge_sorted_names = cached
    names = cached[1]
    at = bisect.bisect_left(names, prefix)
    return not (at < len(names) and names[at].startswith(prefix))


_GLOB = frozenset("*?[")


def _tags_of_one_resource(self: Any) -> list[dict[str, str]]:
    """moto.ec2.models.core.TaggedEC2Resource.get_tags (moto 5.2): the same list.

    There, `describe_tags(filters={"resource-id": [id]})` tests every tagged resource
    against `fnmatch.translate(id)`, which (anchored, and with no glob character in an
    EC2 id) matches only that id; so its tags are read directly, in the same order and
    shape. An id with a glob character takes moto's own path.
    """
    resource_id = self.id
    if not resource_id:
        return []
    if _GLOB.intersection(resource_id):
        return _patched[_MOTO_EC2_TAGS](self)
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    tags = self.ec2_backend.tags.get(resource_id)
    if not tags:
        return []
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
    return [
        {"resource_id": resource_id, "key": key, "value": value, "resource_type": kind}
        for key, value in tags.items()
    ]


_OFFERINGS = re.compile(
    r"ec2/resources/instance_type_offerings/([a-z-]+)/[a-z0-9-]+\.json(?:\.gz)?"
)
# moto.ec2.models.instance_types (moto 5.2), the loop that reads every region's file
_OFFERINGS_LOOP = """        res = load_resource(full_path)
        for instance in res:
            instance["LocationType"] = _location_type
        INSTANCE_TYPE_OFFERINGS[_location_type][_region] = res
"""
_loop_checked: list[bool] = []


def _offerings_loop_as_expected() -> bool:
    if not _loop_checked:
        import importlib.util

        spec = importlib.util.find_spec("moto.ec2.models.instance_types")
        try:
            source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
        except OSError:
            source = ""
        _loop_checked.append(_OFFERINGS_LOOP in source)
    return _loop_checked[0]


class _DeferredOfferings(list):
    """One region's instance type offerings, read from moto's data on first use.

    Importing moto.ec2.models reads the offerings of every region and location type (90
    gzipped JSON files, about 0.1 s of a cold plan) to fill INSTANCE_TYPE_OFFERINGS,
    whose readers only ever look up their own region. The loop that fills it iterates
    each file's list once, right after reading it, to stamp each entry's
    `LocationType` (checked against moto's source above, else nothing is deferred):
    that first iteration sees an empty list, and the list stamps its entries itself
    when it is read for real. Any later use (iteration, length, indexing, membership,
    truth) reads the file first.
    """

    def __init__(self, resource: str, location_type: str) -> None:
        super().__init__()
        self._resource = resource
        self._location_type = location_type
        self._filled = False
        self._import_pass = True
        self._fill_lock = threading.Lock()

    def _fill(self) -> None:
        with self._fill_lock:
            if self._filled:
                return
            entries = _parse_resource(self._resource)
            for entry in entries:
                entry["LocationType"] = self._location_type
            list.extend(self, entries)
            self._filled = True

    def __iter__(self):  # type: ignore[no-untyped-def]
        if self._import_pass:
            self._import_pass = False
            return iter(())
        self._fill()
        return list.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return list.__len__(self)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        self._fill()
        return list.__getitem__(self, index)

    def __contains__(self, item: object) -> bool:
        self._fill()
        return list.__contains__(self, item)

    def __reversed__(self):  # type: ignore[no-untyped-def]
        self._fill()
        return list.__reversed__(self)

    def copy(self) -> list:  # type: ignore[override]
        self._fill()
        return list(list.__iter__(self))


def _action_once_per_request(self: Any) -> str:
    """moto.core.responses.BaseResponse._get_action (moto 5.2), routed once per request:
    the same operation name, and on a match the same `uri_match` set again."""
    request = self.normalized_request
    kept = self.__dict__.get("_gpuforge_action")
    if kept is not None and kept[0] is request:
        _, action, uri_match = kept
        if action is not None:
            self.uri_match = uri_match
        return action
    action = _patched[_MOTO_ACTION](self)
    self._gpuforge_action = (request, action, self.__dict__.get("uri_match"))
    return action


def _random_string(
    self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False
) -> str:
    """MotoRandom.get_random_string (moto 5.2): the same characters from the same draws."""
    pool = string.ascii_letters + (string.digits if include_digits else "")
    below, size = self._randbelow, len(pool)
    text = "".join([pool[below(size)] for _ in range(length)])
    return text.lower() if lower_case else text


_HEX = [str(c) for c in (*range(10), "a", "b", "c", "d", "e", "f")]  # moto's HEX_CHARS


def _random_hex(self: Any, length: int = 8) -> str:
    """MotoRandom.get_random_hex (moto 5.2): the same digits from the same draws."""
    below = self._randbelow
    return "".join([_HEX[below(16)] for _ in range(length)])
