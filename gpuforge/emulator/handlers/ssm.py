"""SSM parameters (the ``aws:ssm/getParameter`` invoke), backed by moto's SSM backend.

AWS publishes EKS-optimized AMI ids as public parameters under
``/aws/service/eks/optimized-ami/<k8s>/<os>/...``; moto ships none of them. On the
first read of such a name the emulator registers a matching AMI in moto's EC2
(so ``describe_images`` finds the id) and seeds the parameters beside it
(``image_id``, ``image_name``, ``release_version`` and the ``recommended`` JSON).

The following are not yet implemented:
- The AMI catalogue is synthetic: one AMI per (Kubernetes version, OS, arch,
  variant), with a fixed build date; real release versions differ.
"""

from __future__ import annotations

import json
import re
import threading

from ._base import Context, require

EKS_AMI_BUILD = "20250715"
_K8S_PATCH = {"1.29": 15, "1.30": 14, "1.31": 10, "1.32": 6, "1.33": 2, "1.34": 0}
_EKS_AMI = re.compile(
    r"/aws/service/eks/optimized-ami/(?P<k8s>[0-9]+\.[0-9]+)/"
    r"(?:amazon-linux-2023/(?P<arch>x86_64|arm64)/(?P<variant>standard|nvidia|neuron)"
    r"|(?P<al2>amazon-linux-2(?:-gpu|-arm64)?))/recommended(?:/(?P<field>[a-z_]+))?"
)
_seed_lock = threading.Lock()


def _seed_eks_ami(ctx: Context, name: str) -> None:
    match = _EKS_AMI.fullmatch(name)
    if not match:
        return
    k8s = match["k8s"]
    if match["al2"]:
        os_path = match["al2"]
        arch = "arm64" if os_path.endswith("arm64") else "x86_64"
        flavour = os_path.removeprefix("amazon-linux-2")  # "", "-gpu", "-arm64"
        image_name = f"amazon-eks{flavour}-node-{k8s}-v{EKS_AMI_BUILD}"
    else:
        arch, variant = match["arch"], match["variant"]
        os_path = f"amazon-linux-2023/{arch}/{variant}"
        image_name = f"amazon-eks-node-al2023-{arch}-{variant}-{k8s}-v{EKS_AMI_BUILD}"
    base = f"/aws/service/eks/optimized-ami/{k8s}/{os_path}/recommended"
    backend = ctx.emulation.account.backend("ssm")
    with _seed_lock:
        if f"{base}/image_id" in backend._parameters:  # noqa: SLF001 (moto keeps no public seam)
            return
        image_id = ctx.client("ec2").register_image(
            Name=image_name,
            Description=f"EKS-optimized Kubernetes node based on {os_path}, ({k8s})",
            Architecture=arch,
            RootDeviceName="/dev/xvda",
            VirtualizationType="hvm",
        )["ImageId"]
        release = f"{k8s}.{_K8S_PATCH.get(k8s, 0)}-{EKS_AMI_BUILD}"
        values = {"image_id": image_id, "image_name": image_name, "release_version": release}
        for field, value in {**values, "": json.dumps(values)}.items():
            _put_public_parameter(ctx, f"{base}/{field}" if field else base, value)


def _put_public_parameter(ctx: Context, name: str, value: str) -> None:
    from moto.ssm.models import Parameter

    from ..determinism import EPOCH

    backend = ctx.emulation.account.backend("ssm")
    backend._parameters[name].append(  # noqa: SLF001 (AWS-owned names cannot be put via the API)
        Parameter(
            account_id=ctx.account_id,
            name=name,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=EPOCH,
            version=1,
            data_type="aws:ec2:image" if name.endswith("image_id") else "text",
        )
    )


def get_parameter(ctx: Context, args: dict) -> dict:
    name = require(args, "name")
    _seed_eks_ami(ctx, name)
    decrypt = args.get("withDecryption", True)
    found = ctx.client("ssm").get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]
    return {
        "id": found["Name"],
        "name": found["Name"],
        "arn": found.get("ARN", ""),
        "type": found["Type"],
        "value": found["Value"],
        "insecureValue": found["Value"] if found["Type"] != "SecureString" else "",
        "version": found.get("Version", 1),
        "withDecryption": decrypt,
    }


INVOKES = {"aws:ssm/getParameter:getParameter": get_parameter}
