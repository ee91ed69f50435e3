"""With teams, each team mounts its own claims of the file systems it may see, and no
other team's data (gpuforge/model/data_volumes.py `team_access`): the runtime declares
them, `launch` checks against the same rule, and the emulated scheduler, as
kube-scheduler does, leaves a pod whose claim is not in its namespace Pending."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from gpuforge.emulator.k8s_scheduler import missing_claim, prefilter_message
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import data_volumes
from gpuforge.model.data_volumes import DataAccess, team_access
from gpuforge.model.errors import SpecError
from gpuforge.model.filesystems import filesystem
from gpuforge.model.loader import spec_from_data
from gpuforge.model.teams import teams
from tests.conftest import ROOT
from tests.jobs.conftest import BASE_JOB
from tests.jobs.test_manifests import fitted, pod_templates

SOURCES = {
    "corpus": {"bucket": "gpuforge-shared-private-corpus-1234567"},
    "ckpt": {"bucket": "gpuforge-shared-checkpoints-1234567"},
    "datasets-fsx": {"id": "fs-0123", "dns_name": "fs-0123.fsx", "mount_name": "abcd"},
}


@pytest.fixture(scope="module")
def env():
    data = yaml.safe_load((ROOT / "stacks" / "shared.yaml").read_text())
    data["storage"]["buckets"].append({"name": "private-corpus"})
    data["storage"]["filesystems"] = [
        {"name": "corpus", "kind": "s3-mount", "bucket": "private-corpus"},
        {"name": "ckpt", "kind": "s3-mount", "bucket": "checkpoints"},
        {
            "name": "datasets-fsx",
            "kind": "lustre",
            "storage_gib": 1200,
            "throughput_per_tib": 500,
            "links": [{"bucket": "datasets", "path": "/datasets"}],
        },
        {
            "name": "ckpt-fsx",
            "kind": "lustre",
            "storage_gib": 1200,
            "throughput_per_tib": 500,
            "links": [{"bucket": "checkpoints", "path": "/ckpt"}],
        },
    ]
    vision, nlp = data["teams"]
    vision["datasets"] = ["datasets", "private-corpus"]
    nlp["datasets"] = ["datasets"]
    return spec_from_data(data, "shared")


def _team(env, name):
    return next(t for t in teams(env) if t.name == name)


def _access(env, team, fs):
    return team_access(env, _team(env, team), filesystem(env, fs))


def test_a_dataset_mount_is_read_only_and_signed_as_the_team(env):
    access = _access(env, "vision", "corpus")
    assert (access.read_only, access.prefix, access.pod_credentials) == (True, None, True)
    pv = data_volumes.persistent_volume(env, filesystem(env, "corpus"), SOURCES["corpus"], access)
    assert pv["spec"]["csi"]["volumeAttributes"] == {
        "bucketName": SOURCES["corpus"]["bucket"],
        "authenticationSource": "pod",
    }
    assert pv["spec"]["claimRef"] == {"namespace": "vision", "name": "data-corpus"}
    assert pv["metadata"]["name"] == pv["spec"]["csi"]["volumeHandle"]  # unique per PV


def test_a_writable_bucket_is_mounted_under_the_teams_prefix_without_delete(env):
    access = _access(env, "nlp", "ckpt")
    assert (access.read_only, access.prefix, access.pod_credentials) == (False, "nlp/", True)
    pv = data_volumes.persistent_volume(env, filesystem(env, "ckpt"), SOURCES["ckpt"], access)
    assert pv["spec"]["mountOptions"] == ["region us-east-1", "prefix nlp/"]
    assert pv["spec"]["accessModes"] == ["ReadWriteMany"] and pv["spec"]["csi"]["readOnly"] is False


def test_a_team_sees_no_bucket_outside_its_datasets(env):
    refused = _access(env, "nlp", "corpus")
    assert isinstance(refused, str) and "may not read bucket private-corpus" in refused


def test_lustre_only_read_only_and_never_over_a_writable_bucket(env):
    assert _access(env, "vision", "datasets-fsx") == DataAccess(
        read_only=True, team=_team(env, "vision")
    )
    for team in ("vision", "nlp"):
        refused = _access(env, team, "ckpt-fsx")
        assert isinstance(refused, str) and "every team's prefix" in refused


def test_shared_lustre_scratch_is_no_teams(env):
    """A Lustre file system that links no bucket holds every team's files alike."""
    scratch = filesystem(env, "datasets-fsx").model_copy(update={"name": "scratch", "links": []})
    refused = team_access(env, _team(env, "vision"), scratch)
    assert isinstance(refused, str) and "links no bucket" in refused


def test_every_team_gets_its_own_valid_volume_and_claim(env):
    declared = data_volumes.volumes(env)
    pairs = {(a.team.name, fs.name) for fs, a in declared}
    assert pairs == {
        ("vision", "corpus"),
        ("vision", "ckpt"),
        ("vision", "datasets-fsx"),
        ("nlp", "ckpt"),
        ("nlp", "datasets-fsx"),
    }
    names = set()
    for fs, access in declared:
        pv = data_volumes.persistent_volume(env, fs, SOURCES[fs.name], access)
        pvc = data_volumes.persistent_volume_claim(env, fs, access)
        for obj in (pv, pvc):
            kubernetes_validate.validate(obj, env.cluster.version, strict=True)
        assert pvc["metadata"]["namespace"] == access.team.namespace
        assert pvc["spec"]["volumeName"] == pv["metadata"]["name"]
        names.add(pv["metadata"]["name"])
    assert len(names) == len(declared)  # a PV binds one claim


def _job(**extra) -> JobSpec:
    checkpoint = {"uri": "s3://{checkpoints}/nlp/demo"}  # a team writes under its prefix
    return JobSpec.model_validate({**BASE_JOB, "team": "nlp", "checkpoint": checkpoint, **extra})


def test_launch_refuses_a_mount_the_team_may_not_see(env):
    with pytest.raises(SpecError) as refused:
        fitted(_job(data=[{"name": "corpus", "path": "/data"}]), env)
    assert refused.value.field == "data[0].name"
    assert "may not read bucket private-corpus" in refused.value.problem


def test_a_team_job_mounts_its_own_claim_in_its_namespace(env):
    fit = fitted(_job(data=[{"name": "ckpt", "path": "/ckpt", "read_only": False}]), env)
    (mount,) = fit.mounts
    assert (mount.claim, mount.read_only) == ("data-ckpt", False)
    from gpuforge.jobs import backends

    rendered = backends.render(fit)
    assert {o["metadata"]["namespace"] for o in rendered} == {"nlp"}
    (primary,) = [o for o in rendered if o["kind"] != "Service"]
    for template in pod_templates(primary):
        claims = [v["persistentVolumeClaim"]["claimName"] for v in template["spec"]["volumes"]
                  if "persistentVolumeClaim" in v]  # fmt: skip
        assert claims == ["data-ckpt"]


def test_the_scheduler_leaves_a_pod_whose_claim_is_elsewhere_pending():
    pod = {"spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data-x"}}]}}
    assert missing_claim(pod, {}) == 'persistentvolumeclaim "data-x" not found'
    assert missing_claim(pod, {"data-x": {"status": {"phase": "Pending"}}}) == (
        "pod has unbound immediate PersistentVolumeClaims"
    )
    assert missing_claim(pod, {"data-x": {"status": {"phase": "Bound"}}}) is None
    assert prefilter_message('persistentvolumeclaim "data-x" not found', 3) == (
        '0/3 nodes are available: persistentvolumeclaim "data-x" not found. '
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_the_emulated_cluster_holds_each_teams_bound_claims(env):
    from gpuforge.emulator.kubernetes import EmulatedKubernetes
    from gpuforge.jobs import resources

    with EmulatedKubernetes(spec=env) as api:
        for team, claims in (("vision", ["data-ckpt", "data-corpus", "data-datasets-fsx"]),
                             ("nlp", ["data-ckpt", "data-datasets-fsx"])):  # fmt: skip
            stored = api.stored(resources.PERSISTENT_VOLUME_CLAIM, team)
            assert sorted(c["metadata"]["name"] for c in stored) == claims
            assert {c["status"]["phase"] for c in stored} == {"Bound"}


def test_the_platform_declares_each_teams_volumes_and_claims(env):
    from tests.components.mocks import build_platform

    built = build_platform(env)
    pvs = {
        r.inputs["metadata"]["name"]: r.inputs
        for r in built.of("kubernetes:core/v1:PersistentVolume")
    }
    claims = {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"])
        for r in built.of("kubernetes:core/v1:PersistentVolumeClaim")
    }
    assert claims == {
        ("vision", "data-corpus"),
        ("vision", "data-ckpt"),
        ("vision", "data-datasets-fsx"),
        ("nlp", "data-ckpt"),
        ("nlp", "data-datasets-fsx"),
    }
    ckpt = pvs["gpuforge-shared-nlp-ckpt"]["spec"]
    assert ckpt["claimRef"] == {"namespace": "nlp", "name": "data-ckpt"}
    assert "prefix nlp/" in ckpt["mountOptions"]
    assert ckpt["csi"]["volumeAttributes"]["authenticationSource"] == "pod"
    # the teams' volumes sign as their pods: the Mountpoint driver gets no role to misuse
    assert [
        a
        for a in built.of("aws:eks/addon:Addon")
        if a.inputs["addonName"] == "aws-mountpoint-s3-csi-driver"
    ]
    associations = built.of("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert "s3-csi-driver-sa" not in {a.inputs["serviceAccount"] for a in associations}


def test_the_policy_pack_passes_the_teams_volumes_and_catches_a_leaky_one(env):
    """GF-DATA-001 on what the platform declares, and on one volume made to sign as the
    driver."""
    from gpuforge import policies
    from tests.components.mocks import build_platform

    built = build_platform(env)
    triples = [(r.urn, r.type, {**r.inputs, "id": r.id}) for r in built.resources]
    assert policies.evaluate(triples, {"environment": "shared"}) == []
    leaky = []
    for urn, typ, props in triples:
        if props.get("metadata", {}).get("name") == "gpuforge-shared-nlp-ckpt":
            csi = {**props["spec"]["csi"], "volumeAttributes": {"bucketName": "b"}}
            props = {**props, "spec": {**props["spec"], "csi": csi}}
        leaky.append((urn, typ, props))
    (finding,) = policies.evaluate(leaky, {"environment": "shared"})
    assert finding.rule == "GF-DATA-001" and "signs as the driver" in finding.message
