"""A plan whose emulated account lives in a worker process (gpuforge/emulator/worker.py)
is the plan an in-process account gives, and the worker never outlives its parent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpuforge.emulator import EmulationError, worker
from gpuforge.model.loader import load_env
from gpuforge.planning import plan

ROOT = Path(__file__).resolve().parents[2]


def _plan_json(env: str, worker_on: bool) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "gpuforge", "plan", "-e", env, "-o", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**_env(), "GPUFORGE_PLAN_WORKER": "1" if worker_on else "0"},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    del doc["seconds"]
    return json.dumps(doc, indent=2, sort_keys=True)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_plan_through_the_worker_is_the_in_process_plan_byte_for_byte(env):
    assert _plan_json(env, worker_on=True) == _plan_json(env, worker_on=False)


def test_a_refusal_in_the_worker_names_the_resource(monkeypatch):
    """Without the admins' roles the account refuses their access entries, as AWS would."""
    _, spec = load_env("prod", ROOT)
    monkeypatch.setattr("gpuforge.planning.seed_preexisting", lambda account, spec: None)
    with pytest.raises(EmulationError) as refused:
        plan(spec, worker=True)
    assert refused.value.resource_type == "aws:eks/accessEntry:AccessEntry"
    assert refused.value.name.startswith("gpuforge-prod-admin-")


def test_a_worker_that_died_is_one_clear_error():
    with worker.WorkerAccount(region="us-east-1") as account:
        account.open_side("gpuforge", "dev").suffix("k")
        account._process.kill()
        account._process.wait()
        with pytest.raises(RuntimeError, match="worker process ended unexpectedly"):
            account.request("suffix", "k")


def test_a_request_the_worker_cannot_serve_is_raised_with_its_traceback():
    with worker.WorkerAccount(region="us-east-1") as account:
        side = account.open_side("gpuforge", "dev")
        with pytest.raises(RuntimeError, match="unknown request 'nonsense'"):
            account.request("nonsense")
        assert len(side.suffix("k")) == 8  # and it goes on serving


def test_a_failed_request_sent_without_waiting_surfaces_at_the_next_one():
    with worker.WorkerAccount(region="us-east-1") as account:
        account._send_only("nonsense")
        with pytest.raises(RuntimeError, match="unknown request 'nonsense'"):
            account.request("suffix", "k")


def test_the_worker_exits_when_its_parent_is_gone():
    proc = subprocess.Popen(
        [sys.executable, "-m", "gpuforge.emulator.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdin.close()  # what the parent's exit does to the worker's stdin
    assert proc.wait(60) == 0
    assert proc.stderr.read() == b""  # quietly


def test_a_prestarted_worker_nobody_takes_is_stopped(tmp_path):
    """`gpuforge plan` starts the worker before it reads the spec; bad input stops it."""
    from gpuforge.planning import prestart_worker

    with pytest.raises(RuntimeError), prestart_worker():
        assert len(worker._prestarted) == 1
        process = worker._prestarted[0]
        raise RuntimeError("the spec did not load")
    assert worker._prestarted == []
    assert process.poll() is not None


def test_the_worker_reports_its_peak_memory():
    with worker.WorkerAccount(region="us-east-1") as account:
        account.open_side("gpuforge", "dev").suffix("k")
    assert worker.last_peak_mib is not None and worker.last_peak_mib > 50


# -- Tags answered ahead and created in batches -------------------------------------------

TAG = "aws:autoscaling/tag:Tag"


def _tag(group: str, key: str) -> tuple:
    inputs = {"autoscalingGroupName": group, "tag": {"key": key, "value": "v"}}
    return (f"gpuforge::dev::{TAG}::{group}-{key}", TAG, f"{group}-{key}", inputs, {})


def _group(account, name: str) -> None:
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")
    template = ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.medium"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    account.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=subnet["Subnet"]["SubnetId"],
    )


def _side(account):
    from gpuforge.emulator.account_side import InProcessSide
    from gpuforge.emulator.handlers import Emulation

    return InProcessSide(Emulation(account, account.state, "gpuforge", "dev"))


def _tag_keys(account, group: str) -> list[str]:
    found = account.client("autoscaling").describe_tags(
        Filters=[{"Name": "auto-scaling-group", "Values": [group]}]
    )
    return sorted(t["Key"] for t in found["Tags"])


def test_tags_created_together_take_one_boto3_call_and_all_land():
    from gpuforge.emulator import EmulatedAccount

    with EmulatedAccount(region="us-east-1") as account:
        _group(account, "pool")
        calls = []
        account.client("autoscaling").meta.events.register(
            "before-call.auto-scaling.CreateOrUpdateTags", lambda **kw: calls.append(kw)
        )
        _side(account).create_many([_tag("pool", k) for k in ("a", "b", "c")])
        assert len(calls) == 1
        assert _tag_keys(account, "pool") == ["a", "b", "c"]


def test_a_refused_tag_in_a_batch_is_named_and_the_others_still_land():
    from gpuforge.emulator import EmulatedAccount

    with EmulatedAccount(region="us-east-1") as account:
        _group(account, "pool")
        with pytest.raises(EmulationError) as refused:
            _side(account).create_many([_tag("pool", "a"), _tag("gone", "b"), _tag("pool", "c")])
        assert (refused.value.resource_type, refused.value.name) == (TAG, "gone-b")
        assert refused.value.aws_code == "ValidationError"
        assert "gone" in refused.value.message
        assert _tag_keys(account, "pool") == ["a", "c"]  # as one at a time would have


def test_a_tag_is_answered_ahead_and_its_refusal_comes_at_settle():
    with worker.WorkerAccount(region="us-east-1") as account:
        side = account.open_side("gpuforge", "dev")
        key, typ, name, inputs, tags = _tag("gone", "k")
        assert side.create(key, typ, name, inputs, tags) == ("gone,k", {})  # not waited for
        with pytest.raises(EmulationError) as refused:
            side.settle()
        assert (refused.value.resource_type, refused.value.name) == (TAG, "gone-k")
        side.settle()  # raised once


def test_a_tag_refused_ahead_surfaces_at_the_next_request():
    with worker.WorkerAccount(region="us-east-1") as account:
        side = account.open_side("gpuforge", "dev")
        side.create(*_tag("gone", "k"))
        with pytest.raises(EmulationError) as refused:
            side.suffix("next")
        assert refused.value.name == "gone-k"


def test_a_tag_whose_inputs_lack_a_group_waits_for_the_refusal():
    with worker.WorkerAccount(region="us-east-1") as account:
        side = account.open_side("gpuforge", "dev")
        key, typ, name, inputs, tags = _tag("x", "k")
        with pytest.raises(EmulationError, match="autoscalingGroupName"):
            side.create(key, typ, name, {"tag": inputs["tag"]}, tags)


def test_a_program_whose_last_resource_is_a_refused_tag_fails_through_the_worker():
    import pulumi_aws as aws

    from gpuforge.emulator import run_program

    def program():
        aws.autoscaling.Tag(
            "orphan", autoscaling_group_name="no-such-group", tag={"key": "k", "value": "v"}
        )

    account = worker.WorkerAccount(region="us-east-1")
    with account, pytest.raises(EmulationError) as refused:
        run_program(program, stack="bad", account=account)
    assert (refused.value.resource_type, refused.value.name) == (TAG, "orphan")
    assert "no-such-group" in refused.value.message


def test_a_refused_tag_surfacing_at_an_echoed_resource_still_names_the_tag():
    """The next request after a Tag may be an id suffix for a type nothing emulates."""
    import pulumi
    import pulumi_aws as aws

    from gpuforge.emulator import run_program

    def program():
        tag = aws.autoscaling.Tag(
            "orphan", autoscaling_group_name="no-such-group", tag={"key": "k", "value": "v"}
        )
        aws.sqs.Queue("after", opts=pulumi.ResourceOptions(depends_on=[tag]))

    account = worker.WorkerAccount(region="us-east-1")
    with account, pytest.raises(EmulationError) as refused:
        run_program(program, stack="bad", account=account)
    assert (refused.value.resource_type, refused.value.name) == (TAG, "orphan")
