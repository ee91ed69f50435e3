"""A tiny echo `pulumi.runtime.Mocks` and a helper that builds a Platform under it.

`new_resource` answers with the inputs plus a fake id, ARN and name, and the few
computed outputs the components read (cluster endpoint, CA and OIDC issuer,
launch-template version, node-group name and its Auto Scaling group). Every
registration is recorded with its URN, so tests can look at inputs and at the
parent chain. No moto, no AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

ACCOUNT = "123456789012"


@dataclass
class Recorded:
    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    id: str = ""

    @property
    def parent_type(self) -> str:
        """Type token of the direct parent (from the URN's type chain)."""
        chain = self.urn.split("::")[2].split("$")
        return chain[-2] if len(chain) > 1 else ""


class EchoMocks(pulumi.runtime.Mocks):
    def __init__(self, region: str) -> None:
        self.region = region
        self.records: list[tuple[str, str, dict, str]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        out = dict(args.inputs)
        rid = f"{args.name}-id"
        service = args.typ.split(":")[1].split("/")[0]
        out.setdefault("name", args.name)
        out["arn"] = f"arn:aws:{service}:{self.region}:{ACCOUNT}:{args.name}"
        if args.typ == "aws:s3/bucket:Bucket":
            out["bucket"] = args.inputs.get("bucket", args.name)
            out["arn"] = f"arn:aws:s3:::{out['bucket']}"
            rid = out["bucket"]
        elif args.typ == "aws:kms/key:Key":
            out["keyId"] = rid
        elif args.typ == "aws:ec2/eip:Eip":
            out["allocationId"] = f"eipalloc-{args.name}"
        elif args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            out["latestVersion"] = 1
        elif args.typ == "aws:eks/nodeGroup:NodeGroup":
            out["nodeGroupName"] = args.name
            out["resources"] = [{"autoscalingGroups": [{"name": f"eks-{args.name}"}]}]
        elif args.typ == "aws:eks/cluster:Cluster":
            out["endpoint"] = f"https://{args.name}.eks.example"
            out["certificateAuthority"] = {"data": "LS0tQ0EtLS0="}
            out["identities"] = [{"oidcs": [{"issuer": "https://oidc.eks.example/id/ABC"}]}]
            out["vpcConfig"] = {**args.inputs["vpcConfig"], "clusterSecurityGroupId": "sg-cluster"}
        self.records.append((args.typ, args.name, dict(args.inputs), rid))
        return rid, out

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{ACCOUNT}:user/test"
            return {"accountId": ACCOUNT, "arn": arn, "id": ACCOUNT, "userId": "AIDTEST"}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        return dict(args.args)


@dataclass
class Built:
    resources: list[Recorded]
    exports: dict[str, Any]

    def of(self, type_token: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, type_token: str, name: str) -> Recorded:
        found = [r for r in self.of(type_token) if r.name == name]
        assert len(found) == 1, f"{type_token} {name}: {len(found)} found"
        return found[0]


def build(program: Callable[[], Any], region: str, stack: str) -> Built:
    """Run `program` under echo mocks; the resources it declared and what it returned, resolved.

    `program` returns a dict of outputs (or plain values); they come back as `Built.exports`.
    """
    mocks = EchoMocks(region)
    monitor = MockMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="gpuforge", stack=stack, preview=False, monitor=monitor)
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output:
        return pulumi.Output.from_input(program()).apply(exports.update)

    run()
    by_key = {}
    for urn in monitor.resources:
        types = urn.split("::")[2]
        by_key[(types.split("$")[-1], urn.split("::")[3])] = urn
    resources = [
        Recorded(urn=by_key[(typ, name)], type=typ, name=name, inputs=inputs, id=rid)
        for typ, name, inputs, rid in mocks.records
    ]
    return Built(resources=resources, exports=exports)


def build_platform(spec: Any) -> Built:
    """Build `Platform(spec.cluster_name, ...)` under echo mocks; resources and resolved exports."""

    def program() -> dict[str, Any]:
        from gpuforge.components.platform import Platform, PlatformArgs

        return Platform(spec.cluster_name, PlatformArgs(spec=spec)).exports()

    return build(program, spec.region, spec.environment)
