"""Strategic merge patch as kube-apiserver applies it (gpuforge/emulator/k8s_strategic_merge.py),
checked against the cases kubernetes/apimachinery's `pkg/util/strategicpatch` documents."""

from __future__ import annotations

from gpuforge.emulator.k8s_strategic_merge import apply, merge_patch
from gpuforge.model.catalog import EKS_DEFAULT_VERSION

V = EKS_DEFAULT_VERSION


def _pod(*containers: dict, **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "1"}, "finalizers": ["x"]},
        "spec": {"containers": list(containers), **spec},
    }


def _apply_pod(original: dict, patch: dict) -> dict:
    return apply(original, patch, V, "", "v1", "Pod")


def test_containers_merge_by_name_and_keep_what_the_patch_does_not_say():
    original = _pod({"name": "a", "image": "i:1", "args": ["x"]}, {"name": "b", "image": "j:1"})
    got = _apply_pod(original, {"spec": {"containers": [{"name": "a", "image": "i:2"}]}})
    assert got["spec"]["containers"] == [
        {"name": "a", "image": "i:2", "args": ["x"]},
        {"name": "b", "image": "j:1"},
    ]


def test_set_element_order_orders_and_is_never_stored():
    original = _pod({"name": "a", "image": "i"}, {"name": "b", "image": "j"})
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "i:2"}],
        }
    }
    got = _apply_pod(original, patch)
    assert [c["name"] for c in got["spec"]["containers"]] == ["b", "a"]
    assert not any(k.startswith("$") for k in got["spec"])


def test_patch_delete_removes_one_element_and_replace_the_whole_list():
    original = _pod({"name": "a", "image": "i"}, {"name": "b", "image": "j"})
    gone = _apply_pod(original, {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}})
    assert [c["name"] for c in gone["spec"]["containers"]] == ["b"]
    replaced = _apply_pod(
        original, {"spec": {"containers": [{"$patch": "replace"}, {"name": "c", "image": "k"}]}}
    )
    assert replaced["spec"]["containers"] == [{"name": "c", "image": "k"}]


def test_null_deletes_a_key_and_lists_without_a_strategy_replace():
    original = _pod({"name": "a", "image": "i", "args": ["x", "y"]})
    got = _apply_pod(
        original,
        {
            "metadata": {"labels": {"a": None}},
            "spec": {"containers": [{"name": "a", "args": ["z"]}]},
        },
    )
    assert got["metadata"]["labels"] == {}
    assert got["spec"]["containers"][0]["args"] == ["z"]  # args has no patch strategy


def test_a_primitive_merge_list_is_a_union_and_can_lose_values():
    original = _pod({"name": "a", "image": "i"})
    union = _apply_pod(original, {"metadata": {"finalizers": ["y", "x"]}})
    assert union["metadata"]["finalizers"] == ["x", "y"]
    fewer = _apply_pod(union, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}})
    assert fewer["metadata"]["finalizers"] == ["y"]


def test_retain_keys_drops_what_it_does_not_list():
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}},
    }
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    got = apply(deployment, patch, V, "apps", "v1", "Deployment")
    assert got["spec"]["strategy"] == {"type": "Recreate"}


def test_the_merge_patch_takes_the_original_to_the_merged_object():
    original = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    merged = {"a": {"b": 2, "c": [1, 2]}, "e": [3]}
    assert merge_patch(original, merged) == {"a": {"b": 2}, "d": None, "e": [3]}
