"""The files `gpuforge init` writes: a platform repository that uses gpuforge as a dependency.

Pure: `project_files(...)` returns {relative path: text} from the templates in
`gpuforge.templates` (`templates/init/`), and checks that the starter spec it wrote
is one the model accepts. Writing them is the command's job (`gpuforge.cli.init`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from gpuforge.model import catalog, spec_reference
from gpuforge.model.errors import SpecError
from gpuforge.model.install_source import Requirement, index_requirement
from gpuforge.model.rendering import secrets_provider, template_environment
from gpuforge.model.spec import EnvironmentSpec

STARTER_ENV = "dev"
# Small one-GPU types for the starter pool, in order of preference: the first one that
# the region's first two AZs (the VPC's, with `azs: 2`) both offer is used.
STARTER_GPU_TYPES = ("g6.xlarge", "g5.xlarge", "g4dn.xlarge")
STARTER_AZS = 2

# target path in the new repository -> template under templates/init/
FILES = {
    "Pulumi.yaml": "Pulumi.yaml.j2",
    "__main__.py": "__main__.py.j2",
    "requirements.txt": "requirements.txt.j2",
    f"stacks/{STARTER_ENV}.yaml": "dev.yaml.j2",
    # the spec reference that spec errors' hints point to ("see stacks/README.md")
    "stacks/README.md": "stacks-README.md.j2",
    ".gitignore": "gitignore.j2",
    "README.md": "README.md.j2",
    "policies/PulumiPolicy.yaml": "policies/PulumiPolicy.yaml.j2",
    "policies/__main__.py": "policies/__main__.py.j2",
}

# What Pulumi accepts as a project name.
_PROJECT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")  # fullmatch: `$` would let "x\n" by


@dataclass(frozen=True)
class StarterPool:
    """The starter spec's GPU pool for a region, and a comment that says why."""

    name: str
    instance_type: str
    note: str


def check_region(region: str) -> None:
    """Raise SpecError (`init: --region: ...`) unless `region` is an AWS region the model knows."""
    regions = catalog.regions()
    if region not in regions:
        near = catalog.close_names(region, list(regions))
        hint = f"did you mean {', '.join(near)}?" if near else "e.g. us-east-1, eu-west-1"
        raise SpecError("--region", f"unknown AWS region {region!r}", hint, file="init")


def check_project_name(name: str) -> None:
    if not _PROJECT_NAME.fullmatch(name):
        raise SpecError(
            "--name",
            f"{name!r} is not a valid Pulumi project name",
            "letters, digits, '-', '_' and '.', at most 100 characters",
            file="init",
        )


def check_admin_arns(admins: list[str]) -> None:
    """Raise SpecError (`init: --admin: ...`) unless each is an IAM role or user ARN."""
    from gpuforge.model.checks.cluster import check_principal

    for arn in admins:
        try:
            check_principal("--admin", arn)
        except SpecError as exc:
            problem = f"{exc.problem}, as cluster.admins needs"
            raise SpecError("--admin", problem, exc.hint, file="init") from None


def default_project_name(directory_name: str) -> str:
    """A Pulumi project name from a directory name (`My Platform` -> `My-Platform`)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory_name).strip("-.")[:100]
    return name or "gpu-platform"


def starter_pool(region: str) -> StarterPool | None:
    """The smallest starter GPU type the starter AZs of `region` offer (AWS's offering data).

    Preference: a starter type both AZs offer, then one either offers (the node group
    launches where it can), then any one-GPU NVIDIA type either offers. None when AWS's
    data says neither AZ offers an NVIDIA GPU (the starter spec then has no GPU pool).
    """
    zones = catalog.zones(region)[:STARTER_AZS]
    if not zones:
        return _pool(STARTER_GPU_TYPES[0], f"no offering data for {region}: check it offers this")

    def offered(type_name: str) -> list[str]:
        return [z for z in zones if catalog.offered_in(region, z, type_name)]

    for type_name in STARTER_GPU_TYPES:
        if len(offered(type_name)) == len(zones):
            return _pool(type_name, f"offered in {' and '.join(zones)} (AWS offering data)")
    fallbacks = [*STARTER_GPU_TYPES, *_one_gpu_nvidia_types()]
    for type_name in fallbacks:
        where = offered(type_name)
        if where:
            return _pool(type_name, f"offered in {' and '.join(where)} only (AWS offering data)")
    return None


def _one_gpu_nvidia_types() -> list[str]:
    """NVIDIA types with one GPU, fewest vCPUs first (the cheapest way to try a pool)."""
    found = []
    for name in catalog.accelerated_types():
        instance = catalog.instance_type(name)
        accel = instance.accelerator if instance else None
        if accel and accel.kind == "gpu" and accel.manufacturer == "NVIDIA" and instance.gpus == 1:
            found.append((instance.vcpus, name))
    return [name for _, name in sorted(found)]


def _pool(type_name: str, why: str) -> StarterPool:
    instance = catalog.instance_type(type_name)
    assert instance is not None and instance.accelerator is not None, type_name
    model = instance.accelerator.model
    return StarterPool(
        name=re.sub(r"[^a-z0-9-]+", "-", model.lower()).strip("-"),
        instance_type=type_name,
        note=f"{type_name}: {instance.gpus} x {model}; {why}.",
    )


PLACEHOLDER_ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
"""The starter spec's admin when `init` is given none: it validates and plans offline (the
emulated account is 123456789012); `pulumi up` needs the team's real role ARNs."""


def _admins_block(admins: list[str] | None) -> str:
    """The starter spec's `cluster.admins`, with a note when it is the placeholder."""
    lines = []
    if not admins:
        lines += [
            "  # Replace with your platform admins' IAM role ARNs before `pulumi up`: they get",
            "  # cluster admin through EKS access entries (the deployer keeps none).",
        ]
    lines.append("  admins:")
    # Checked for the ARN grammar first (check_admin_arns) and written JSON-quoted, which
    # YAML reads as a double-quoted scalar: a value can never add a line or a key.
    lines += [f"    - {json.dumps(arn)}" for arn in admins or [PLACEHOLDER_ADMIN]]
    return "\n".join(lines) + "\n"


def project_files(
    *,
    region: str,
    name: str,
    version: str,
    admins: list[str] | None = None,
    requirement: Requirement | None = None,
) -> dict[str, str]:
    """Every file of a new platform repository, by path relative to its root.

    Raises SpecError for a bad region or project name. The starter spec is
    validated through the same model as `gpuforge validate`.
    """
    check_region(region)
    check_project_name(name)
    check_admin_arns(admins or [])
    pool = starter_pool(region)
    values = {
        "name": name,
        "version": version,
        "requirement": (requirement or index_requirement(version)).line,
        "requirement_note": (requirement or index_requirement(version)).note,
        "admins_block": _admins_block(admins),
        "region": region,
        "k8s_version": catalog.EKS_DEFAULT_VERSION,
        "gpu_pool": pool.name if pool else None,
        "gpu_type": pool.instance_type if pool else None,
        "gpu_note": pool.note if pool else None,
        "secrets_provider": secrets_provider(STARTER_ENV, region),
        "reference": spec_reference.table(EnvironmentSpec),
    }
    env = template_environment()
    files = {
        target: env.get_template(f"init/{template}").render(**values)
        for target, template in FILES.items()
    }
    _check_starter_spec(files[f"stacks/{STARTER_ENV}.yaml"])
    return files


def _check_starter_spec(text: str) -> None:
    from gpuforge.model.hardened_yaml import parse_yaml
    from gpuforge.model.loader import spec_from_data

    shown = f"stacks/{STARTER_ENV}.yaml"
    data, lines = parse_yaml(text, shown)
    spec_from_data(data, shown, lines)
