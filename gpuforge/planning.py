"""The offline plan: run the Pulumi program in the emulated AWS account, then judge it.

Kept apart from the Click command so tests, the demo and benchmarks can call
it directly. Heavy imports (pulumi, moto, pulumi_aws) happen inside `plan()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from gpuforge.model import served_apis
from gpuforge.model.costing import CostEstimate, estimate
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.stack_config import config_from_spec
from gpuforge.policies import SEVERITIES as RULE_SEVERITIES

SEVERITIES = tuple(reversed(RULE_SEVERITIES))  # most severe first


@dataclass
class PlanReport:
    """Everything `gpuforge plan` shows, for people and as JSON."""

    environment: str
    region: str
    resources: list[Any]  # emulator ResourceRecord
    outputs: dict[str, Any]
    findings: list[Any]  # policies.Finding
    cost: CostEstimate
    emulated_types: list[str]
    echoed_types: list[str]
    seconds: float
    emulation_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    custom_resources: list[str] = field(default_factory=list)
    """`<kind>.<group>` the cluster serves: its controllers' CRDs (`served_apis`)."""

    @property
    def cloud_resources(self) -> list[Any]:
        return [r for r in self.resources if r.kind in ("emulated", "echoed")]

    @property
    def kubernetes_resources(self) -> list[Any]:
        """Kubernetes objects and Helm releases: recorded, never applied or rendered."""
        return [r for r in self.resources if r.kind == "kubernetes"]

    @property
    def mandatory_failures(self) -> list[Any]:
        return [f for f in self.findings if f.enforcement == "mandatory"]

    def pool_priorities(self) -> dict[str, str]:
        """Each GPU pool's place in cluster-autoscaler's priority expander ("1" is tried
        first), from the chart values the plan recorded; empty without that expander."""
        import yaml

        for r in self.kubernetes_resources:
            text = (r.inputs.get("values") or {}).get("expanderPriorities")
            if r.inputs.get("name") != "cluster-autoscaler" or not isinstance(text, str):
                continue
            tiers = sorted(yaml.safe_load(text).items(), key=lambda kv: -int(kv[0]))
            groups = self.outputs.get("autoscalingGroups") or {}
            order: dict[str, str] = {}
            for rank, (_, patterns) in enumerate(tiers, start=1):
                for pool, group in groups.items():
                    if f"^{group}$" in patterns:
                        order[pool] = str(rank)
            return order
        return {}

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.cloud_resources:
            counts[r.type] = counts.get(r.type, 0) + 1
        return dict(sorted(counts.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "region": self.region,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "inputs": r.inputs,
                    "outputs": r.outputs,
                }
                for r in self.resources
                if r.kind != "provider"
            ],
            "outputs": self.outputs,
            "kubernetes": {
                **kubernetes_summary(self.kubernetes_resources),
                "custom_resources": self.custom_resources,
            },
            "findings": [f.as_dict() for f in self.findings],
            "cost": self.cost.as_dict(),
            "emulation": {
                "emulated_types": self.emulated_types,
                "echoed_types": self.echoed_types,
            },
            "seconds": round(self.seconds, 3),
        }


CHARTS_NOT_RENDERED = (
    "Helm charts are listed with their pinned versions and values; they were not fetched "
    "or rendered, so what they template is not shown or checked"
)


def kubernetes_summary(records: list[Any]) -> dict[str, Any]:
    """The Kubernetes side of a plan: objects by kind and name, charts with their values."""
    objects, charts = [], []
    for r in records:
        if r.type == "kubernetes:helm.sh/v3:Release":
            repo = (r.inputs.get("repositoryOpts") or {}).get("repo")
            charts.append(
                {
                    "release": r.inputs.get("name"),
                    "namespace": r.inputs.get("namespace"),
                    "chart": r.inputs.get("chart"),
                    "version": r.inputs.get("version"),
                    "repository": repo,
                    "values": r.inputs.get("values") or {},
                }
            )
        else:
            meta = r.inputs.get("metadata") or {}
            objects.append(
                {
                    "kind": r.inputs.get("kind") or r.type.rsplit(":", 1)[-1],
                    "apiVersion": r.inputs.get("apiVersion"),
                    "namespace": meta.get("namespace"),
                    "name": meta.get("name"),
                    "spec": r.inputs.get("spec"),
                }
            )
    return {"objects": objects, "charts": charts, "note": CHARTS_NOT_RENDERED}


def seed_preexisting(account: Any, spec: EnvironmentSpec) -> None:
    """Create what the spec names but the stack does not own: the cluster admins' and the
    teams' people's IAM roles.

    In a real account they exist before `pulumi up`; in a fresh emulated account they
    must be made, or EKS access entries for them fail as they would against AWS. An
    account held by a worker process (`emulator.worker.WorkerAccount`) makes them there.
    """
    from gpuforge.model.team_grants import access_grants

    arns = [*spec.cluster.admins, *(grant.principal for grant in access_grants(spec))]
    if hasattr(account, "create_principals"):
        account.create_principals(arns)
    else:
        from gpuforge.emulator.principals import create_principals

        create_principals(account, arns)


WORKER_ENV = "GPUFORGE_PLAN_WORKER"
"""`0` runs a plan's emulated account in the plan's own process (`plan(worker=None)`)."""


def worker_enabled() -> bool:
    """Whether a plan's fresh account runs in a worker process (unless GPUFORGE_PLAN_WORKER=0)."""
    import os

    return os.environ.get(WORKER_ENV, "1") != "0"


@contextmanager
def prestart_worker() -> Iterator[None]:
    """Start the worker process the next `plan()` here takes, now (unless
    GPUFORGE_PLAN_WORKER=0), and stop it on the way out if no plan took it (bad input)."""
    if not worker_enabled():
        yield
        return
    from gpuforge.emulator import worker

    worker.prestart()
    try:
        yield
    finally:
        worker.discard_prestarted()


def plan(
    spec: EnvironmentSpec,
    *,
    account: Any = None,
    mode: str = "inprocess",
    worker: bool | None = None,
) -> PlanReport:
    """Build the environment's platform in an emulated account and evaluate the policy.

    Without `account`, a fresh one is started and stopped around the run: by default
    in a worker process (`emulator.worker`; the same plan, in about 0.85x the
    one-process time on two cores), in this process with `worker=False` or `GPUFORGE_PLAN_WORKER=0`.
    Pass a started `emulator.EmulatedAccount` to inspect it afterwards through boto3.
    """
    from gpuforge.emulator import collector

    if account is None and mode == "inprocess":
        if worker is None:
            worker = worker_enabled()
        if worker:
            from gpuforge.emulator.worker import WorkerAccount

            # started before anything heavy is imported here: the two sides overlap
            with (
                collector.paused(),
                WorkerAccount(region=spec.region, account_id=spec.expected_account) as fresh,
            ):
                return plan(spec, account=fresh)

    from gpuforge import lazy_packages, lazy_types

    lazy_packages.install()  # before pulumi_aws: only the provider modules the program touches
    lazy_types.install()  # and only the typed classes (args, outputs, enums) it uses
    from gpuforge import policies
    from gpuforge.emulator import EmulatedAccount, run_program
    from gpuforge.program import main as program

    if account is None:
        # The account validate checked the admins against, so plan accepts what validate did.
        account_id = spec.expected_account
        with (
            collector.paused(),
            EmulatedAccount(region=spec.region, mode=mode, account_id=account_id) as fresh,
        ):
            return plan(spec, account=fresh)
    started = time.perf_counter()
    seed_preexisting(account, spec)
    result = run_program(
        program,
        stack=spec.environment,
        config=config_from_spec(spec),
        account=account,
    )
    context = policies.RuleContext(
        environment=spec.environment,
        monthly_budget_usd=spec.cost.monthly_budget_usd,
        protected=spec.protected,
    )
    findings = policies.evaluate(result.policy_resources(), context)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order.get(f.severity, 9), f.rule, f.urn))
    return PlanReport(
        environment=spec.environment,
        region=spec.region,
        resources=result.resources,
        outputs=result.outputs,
        findings=findings,
        cost=estimate(spec),
        emulated_types=result.emulated_types,
        echoed_types=result.echoed_types,
        seconds=time.perf_counter() - started,
        emulation_seconds=result.seconds,
        custom_resources=[f"{r.kind}.{r.group}" for r in served_apis.served_resources(spec)],
    )
