"""The emulated Kubernetes API's wire shapes, as plain data (no server).

Each expected value is the API server's, written out here on purpose rather than
imported: kubernetes/apimachinery pkg/api/errors/errors.go for the Status objects,
pkg/version/types.go for `/version`, discovery as `kubectl get --raw` shows it.
"""

from __future__ import annotations

from gpuforge.emulator import k8s_discovery as shapes
from gpuforge.emulator import k8s_openapi

JOB = shapes.ApiResource("batch", "v1", "jobs", "Job", True, ("create", "get", "patch"))
POD = shapes.ApiResource(
    "", "v1", "pods", "Pod", True, ("get", "list"), short_names=("po",), subresources=("log",)
)
QUEUE_BETA1 = shapes.ApiResource("kueue.x-k8s.io", "v1beta1", "localqueues", "LocalQueue", True)
QUEUE_BETA2 = shapes.ApiResource(
    "kueue.x-k8s.io", "v1beta2", "localqueues", "LocalQueue", True, ("create", "get", "patch")
)


def test_not_found_and_already_exists_are_the_api_servers_status():
    assert shapes.not_found("batch", "jobs", "llama") == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'jobs.batch "llama" not found',
        "reason": "NotFound",
        "details": {"name": "llama", "group": "batch", "kind": "jobs"},
        "code": 404,
    }
    core = shapes.not_found("", "pods", "p")
    assert core["message"] == 'pods "p" not found' and core["details"] == {
        "name": "p",
        "kind": "pods",
    }
    conflict = shapes.already_exists("batch", "jobs", "llama")
    assert (conflict["code"], conflict["reason"]) == (409, "AlreadyExists")
    assert conflict["message"] == 'jobs.batch "llama" already exists'
    assert shapes.unauthorized() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_version_is_an_eks_control_plane():
    info = shapes.version_info("1.35")
    assert (info["major"], info["minor"]) == ("1", "35+")
    assert info["gitVersion"].startswith("v1.35.0-eks-")
    assert set(info) >= {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler"}
    assert info["platform"] == "linux/amd64"


def test_discovery_prefers_ga_then_beta_then_alpha():
    groups = shapes.api_group_list([QUEUE_BETA1, QUEUE_BETA2, JOB])
    kueue = next(g for g in groups["groups"] if g["name"] == "kueue.x-k8s.io")
    assert kueue["preferredVersion"] == {
        "groupVersion": "kueue.x-k8s.io/v1beta2",
        "version": "v1beta2",
    }
    assert [v["version"] for v in kueue["versions"]] == ["v1beta2", "v1beta1"]
    assert "" not in {g["name"] for g in groups["groups"]}  # core is /api, not /apis
    assert shapes.version_priority("v2") > shapes.version_priority("v1")
    assert shapes.version_priority("v1") > shapes.version_priority("v2beta1")
    assert shapes.version_priority("v1beta1") > shapes.version_priority("v1alpha2")


def test_core_resource_list_says_v1_with_its_subresources():
    doc = shapes.api_resource_list([POD, JOB], "", "v1")
    assert doc["groupVersion"] == "v1"
    assert [r["name"] for r in doc["resources"]] == ["pods", "pods/log"]
    pods = doc["resources"][0]
    assert (pods["kind"], pods["singularName"], pods["shortNames"]) == ("Pod", "pod", ["po"])
    assert shapes.api_resource_list([POD], "batch", "v1") is None
    assert shapes.api_group([POD], "batch") is None


def test_lists_carry_kind_and_api_version():
    doc = shapes.object_list(JOB, [], "7")
    assert (doc["kind"], doc["apiVersion"], doc["metadata"]) == (
        "JobList",
        "batch/v1",
        {"resourceVersion": "7"},
    )


def test_openapi_patch_operations_take_field_validation():
    doc = k8s_openapi.group_version_document([JOB], "batch", "v1", "1.35")
    patch = doc["paths"]["/apis/batch/v1/namespaces/{namespace}/jobs/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "batch",
        "version": "v1",
        "kind": "Job",
    }
    assert {"name": "fieldValidation", "in": "query"}.items() <= patch["parameters"][2].items()
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    job = doc["components"]["schemas"]["io.k8s.api.batch.v1.Job"]
    assert job["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.batch.v1.JobSpec"}
    ]
    text = str(doc)
    assert "'null'" not in text and "#/$defs/" not in text


def test_openapi_custom_resources_get_an_open_schema_and_no_strategic_merge():
    doc = k8s_openapi.group_version_document([QUEUE_BETA2], "kueue.x-k8s.io", "v1beta2", "1.35")
    path = "/apis/kueue.x-k8s.io/v1beta2/namespaces/{namespace}/localqueues/{name}"
    content = doc["paths"][path]["patch"]["requestBody"]["content"]
    assert "application/merge-patch+json" in content
    assert "application/strategic-merge-patch+json" not in content
    (schema,) = [s for n, s in doc["components"]["schemas"].items() if n.endswith(".LocalQueue")]
    assert schema["x-kubernetes-preserve-unknown-fields"] is True
    index = k8s_openapi.index({"apis/kueue.x-k8s.io/v1beta2": "AB"})
    assert index["paths"]["apis/kueue.x-k8s.io/v1beta2"] == {
        "serverRelativeURL": "/openapi/v3/apis/kueue.x-k8s.io/v1beta2?hash=AB"
    }


def test_unknown_fields_are_named_by_their_path():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "x", "labelz": {}},
        "spec": {
            "template": {"spec": {"containers": [{"name": "c", "image": "i", "imag": "typo"}]}}
        },
    }
    assert k8s_openapi.unknown_fields(job, "1.35", "batch", "v1") == [
        "metadata.labelz",
        "spec.template.spec.containers[0].imag",
    ]
    job["metadata"].pop("labelz")
    job["spec"]["template"]["spec"]["containers"][0].pop("imag")
    assert k8s_openapi.unknown_fields(job, "1.35", "batch", "v1") == []
    queue = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue", "anything": 1}
    assert k8s_openapi.unknown_fields(queue, "1.35", "kueue.x-k8s.io", "v1beta2") == []


def test_the_schema_version_is_the_newest_not_newer_than_the_cluster():
    assert k8s_openapi.schema_version("1.35") == "1.35.0"
    assert k8s_openapi.schema_version("1.99").startswith("1.")
    assert k8s_openapi.schema_version("1.10") == k8s_openapi.schema_version("1.25")
