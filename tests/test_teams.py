"""Teams: the spec section and its checks, the queues Kueue gets, the fit check, the evaluator."""

from __future__ import annotations

import copy

import pytest
import yaml

from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import kueue, names, team_grants, team_queues, teams
from gpuforge.model.errors import SpecError
from gpuforge.model.loader import load_env, spec_from_data
from gpuforge.model.stack_config import config_from_spec, spec_from_config
from tests.conftest import ROOT, SHIPPED_ENVS
from tests.iam_eval import ALLOW, DENY, IMPLICIT_DENY, evaluate


@pytest.fixture(scope="module")
def shared():
    return load_env("shared", ROOT)[1]


def _data() -> dict:
    return yaml.safe_load((ROOT / "stacks" / "shared.yaml").read_text())


def _refused(data: dict) -> SpecError:
    with pytest.raises(SpecError) as exc:
        spec_from_data(data)
    return exc.value


# -- without teams: one default team, today's objects ----------------------------------


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_an_environment_without_teams_is_one_default_team_as_today(env):
    spec = load_env(env, ROOT)[1]
    (team,) = teams.teams(spec)
    assert (team.name, team.namespace, team.local_queue, team.prefix) == (
        "default",
        spec.training.namespace,
        "training",
        None,
    )
    assert team.cluster_queue == f"gpuforge-{env}"
    assert team_queues.cluster_queues(spec) == [kueue.cluster_queue(spec)]
    assert team_queues.local_queues(spec) == [kueue.local_queue(spec)]
    assert kueue.manager_config(spec) is kueue.MANAGER_CONFIG  # no fair sharing switched on
    assert "gpuforge:teams" not in config_from_spec(spec)  # the stack file is unchanged
    assert teams.team_of_job(spec, None) == team


def test_the_stack_file_carries_the_teams_back(shared):
    config = config_from_spec(shared)
    assert config["gpuforge:teams"][0]["name"] == "vision"
    assert spec_from_config(config.get) == shared


# -- the checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (lambda d: d["teams"][0].update(name="Vision"), "teams[0].name", "not a valid team name"),
        (lambda d: d["teams"][0].update(name="kube-ml"), "teams[0].name", "reserved"),
        (lambda d: d["teams"][1].update(name="vision"), "teams[1].name", "listed twice"),
        (
            lambda d: d["teams"][0]["quota"][0].update(pool="a100"),
            "teams[0].quota[0].pool",
            "no GPU pool 'a100'",
        ),
        (
            lambda d: d["teams"][0]["quota"][0].update(lending_limit=17),
            "teams[0].quota[0].lending_limit",
            "more than the team's 16 GPUs",
        ),
        (
            lambda d: d["teams"][1]["quota"][0].update(gpus=17),
            "teams",
            "adds up to 33 GPUs, but the pool holds 32",
        ),
        (
            lambda d: d["teams"][1].update(priorities={"lowest": "high", "highest": "low"}),
            "teams[1].priorities",
            "lowest (high) is above highest (low)",
        ),
        (
            lambda d: d["teams"][0].update(datasets=["checkpoints"]),
            "teams[0].datasets[0]",
            "not a read-only bucket",
        ),
        (
            lambda d: d["teams"][0]["members"].append(
                "arn:aws:iam::123456789012:role/platform-admin"
            ),
            "teams[0].members[1]",
            "already a cluster admin",
        ),
        (
            lambda d: d["teams"][0]["members"].append("arn:aws:iam::210987654321:role/x"),
            "teams[0].members[1]",
            "not the environment's account",
        ),
        (
            lambda d: d["teams"][0]["admins"].append("arn:aws:sts::123456789012:assumed-role/a/b"),
            "teams[0].admins[1]",
            "session of an assumed role",
        ),
        (lambda d: d["training"].update(queueing="none"), "teams", "through Kueue"),
    ],
)
def test_a_bad_team_is_refused_on_its_field(edit, field, words):
    data = _data()
    edit(data)
    exc = _refused(data)
    assert exc.field == field
    assert words in exc.problem


def test_a_team_name_that_makes_the_role_name_too_long_is_refused():
    data = _data()
    data["environment"] = "a-very-long-env-name"  # 20 characters
    data["teams"][0]["name"] = "abcdefghijklmnopqrst"
    exc = _refused(data)
    assert exc.field == "teams[0].name"
    assert "IAM role name" in exc.problem


# -- Kueue ------------------------------------------------------------------------------


def test_each_team_has_a_cluster_queue_in_one_cohort_with_its_limits(shared):
    vision, nlp = teams.teams(shared)
    cq = team_queues.team_cluster_queue(shared, vision)
    assert cq["name"] == "gpuforge-shared-vision"
    spec = cq["spec"]
    assert spec["cohortName"] == "gpuforge-shared"
    assert spec["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "vision"}}
    assert spec["preemption"] == {
        "reclaimWithinCohort": "Any",
        "withinClusterQueue": "LowerPriority",
    }
    assert "borrowWithinCohort" not in spec["preemption"]  # not with Fair Sharing
    assert spec["fairSharing"] == {"weight": 1}
    (group,) = spec["resourceGroups"]
    h100, l40s = group["flavors"]
    assert h100["name"] == "pool-h100"
    by_name = {r["name"]: r for r in h100["resources"]}
    assert by_name["nvidia.com/gpu"] == {
        "name": "nvidia.com/gpu",
        "nominalQuota": 16,
        "borrowingLimit": 16,
        "lendingLimit": 8,
    }
    # CPU, memory and EFA follow the GPUs: half of 4 p5.48xlarge nodes is 2 nodes' worth
    assert by_name["cpu"]["nominalQuota"] == 2 * 192
    assert by_name["vpc.amazonaws.com/efa"]["nominalQuota"] == 2 * 32
    assert by_name["memory"]["nominalQuota"].endswith("Mi")
    # no limits written: none sent (Kueue's default: borrow without limit, lend everything)
    assert set(l40s["resources"][0]) == {"name", "nominalQuota"}
    nlp_l40s = team_queues.team_cluster_queue(shared, nlp)["spec"]["resourceGroups"][0]["flavors"][
        1
    ]
    assert {r["name"]: r.get("borrowingLimit") for r in nlp_l40s["resources"]}[
        "nvidia.com/gpu"
    ] == 0
    locals_ = team_queues.local_queues(shared)
    assert locals_[0] == {
        "name": "training",
        "namespace": "vision",
        "spec": {"clusterQueue": "gpuforge-shared-vision"},
    }


def test_fair_sharing_is_switched_on_only_with_teams(shared):
    config = kueue.manager_config(shared)
    assert config["fairSharing"] == {
        "preemptionStrategies": ["LessThanOrEqualToFinalShare", "LessThanInitialShare"]
    }
    values = kueue.controller_values(shared)
    assert "fairSharing:" in values["managerConfig"]["controllerManagerConfigYaml"]


def test_a_teams_resource_quota_is_the_most_it_can_hold(shared):
    vision, nlp = shared.teams
    # vision: h100 16 + borrow 16; l40s 8 + whatever nlp lends (all of its 8)
    assert teams.resource_quota(shared, vision) == {"requests.nvidia.com/gpu": "48"}
    # nlp: h100 16 + 8; l40s 8 + 0
    assert teams.resource_quota(shared, nlp) == {"requests.nvidia.com/gpu": "32"}
    assert teams.most_gpus(shared, nlp, "h100") == 24


# -- the fit check -----------------------------------------------------------------------


def _job(**fields) -> JobSpec:
    data = {
        "name": "vit",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:v1",
        "pool": "h100",
        "nodes": 2,
        "command": "python train.py",
        "checkpoint": {"uri": "s3://{checkpoints}/vision/vit"},
        "team": "vision",
    }
    data.update(fields)
    return JobSpec.model_validate({k: v for k, v in data.items() if v is not None})


def test_a_team_job_runs_in_its_namespace_and_queue(shared):
    fit = check_fit(_job(), shared)
    assert (fit.namespace, fit.queue, fit.team.name) == ("vision", "training", "vision")
    assert fit.summary()["team"] == "vision"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"team": None}, "team", "must name one"),
        ({"team": "audio"}, "team", "no team 'audio'"),
        ({"team": "nlp", "nodes": 4, "checkpoint": None}, "nodes", "more than team nlp can hold"),
        ({"team": "nlp", "priority": "high", "checkpoint": None}, "priority", "low, normal"),
        (
            {"checkpoint": {"uri": "s3://{checkpoints}/nlp/vit"}},
            "checkpoint.uri",
            "only under vision/",
        ),
        ({"checkpoint": {"uri": "s3://{checkpoints}/visionary/x"}}, "checkpoint.uri", "only under"),
    ],
)
def test_fit_refuses_what_the_team_cannot_run(shared, fields, field, words):
    with pytest.raises(SpecError) as exc:
        check_fit(_job(**fields), shared)
    assert exc.value.field == field
    assert words in exc.value.problem


def test_a_pool_outside_the_teams_quota_is_refused(shared):
    data = _data()
    data["teams"][1]["quota"] = [data["teams"][1]["quota"][1]]  # nlp: l40s only
    spec = spec_from_data(data)
    with pytest.raises(SpecError) as exc:
        check_fit(_job(team="nlp", checkpoint=None), spec)
    assert (exc.value.field, exc.value.problem) == (
        "pool",
        "team nlp has no GPU quota on pool h100",
    )


# -- IAM: the statements, and the evaluator itself ----------------------------------------


def test_team_statements_never_delete_and_stay_in_the_prefix():
    ck, ds = "arn:aws:s3:::ck", "arn:aws:s3:::ds"
    policy = {"Statement": team_grants.team_statements("a", "arn:kms", "us-east-1", [ds], [ck])}
    assert evaluate([policy], "s3:PutObject", f"{ck}/a/x") == ALLOW
    assert evaluate([policy], "s3:PutObject", f"{ck}/b/x") == IMPLICIT_DENY
    assert evaluate([policy], "s3:DeleteObject", f"{ck}/a/x") == IMPLICIT_DENY
    assert not any(
        "s3:DeleteObject" in s["Action"] or "s3:*" in s["Action"] for s in policy["Statement"]
    )


def test_the_evaluator_follows_iam_evaluation_logic():
    allow = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
    deny = {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::b/secret/*"}
    policy = {"Statement": [allow, deny]}
    assert evaluate([policy], "S3:GETOBJECT", "arn:aws:s3:::b/x") == ALLOW  # actions: any case
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::B/x") == IMPLICIT_DENY  # ARNs: exact
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::b/secret/k") == DENY
    assert evaluate([policy], "s3:PutObject", "arn:aws:s3:::b/x") == IMPLICIT_DENY
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert evaluate([{"Statement": [not_action]}], "iam:PassRole", "*") == IMPLICIT_DENY
    assert evaluate([{"Statement": [not_action]}], "s3:ListBucket", "x") == ALLOW
    one_char = {"Effect": "Allow", "Action": "s3:GetObjec?", "Resource": "*"}
    assert evaluate([{"Statement": [one_char]}], "s3:GetObject", "x") == ALLOW
    assert evaluate([{"Statement": [one_char]}], "s3:GetObjects", "x") == IMPLICIT_DENY
    cond = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "*",
        "Condition": {
            "StringLike": {"s3:prefix": ["a/*", "b/*"]},
            "StringNotEquals": {"aws:PrincipalAccount": "999999999999"},
        },
    }
    doc = [{"Statement": [cond]}]
    assert evaluate(doc, "s3:ListBucket", "x", {"s3:prefix": "b/c"}) == ALLOW  # values: OR
    assert evaluate(doc, "s3:ListBucket", "x", {"s3:prefix": "c/"}) == IMPLICIT_DENY
    assert evaluate(doc, "s3:ListBucket", "x") == IMPLICIT_DENY  # a missing key fails StringLike
    both = {"s3:prefix": "a/", "aws:PrincipalAccount": "999999999999"}
    assert evaluate(doc, "s3:ListBucket", "x", both) == IMPLICIT_DENY  # operators: AND
    if_exists = copy.deepcopy(cond)
    if_exists["Condition"] = {"StringLikeIfExists": {"s3:prefix": "a/*"}}
    assert evaluate([{"Statement": [if_exists]}], "s3:ListBucket", "x") == ALLOW
    with pytest.raises(NotImplementedError):
        evaluate(
            [{"Statement": [{**cond, "Condition": {"IpAddress": {"aws:SourceIp": "1/8"}}}]}],
            "s3:ListBucket",
            "x",
        )


def test_team_names_are_spelled_once():
    assert names.team_cluster_queue("e", "t") == "gpuforge-e-t"
    assert names.cohort("e") == names.cluster_queue("e")
