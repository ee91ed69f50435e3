"""Write gpuforge/model/data/eks_instance_info.json from the EKS AMI's instance table.

nodeadm computes a node's max pods (and from it kube-reserved memory) from
`defaultMaxENIs` and `ipv4AddressesPerInterface` in its embedded
`nodeadm/internal/kubelet/instance-info.jsonl`. This keeps those two numbers for every
accelerated type in catalog.json. Usage:

    python scripts/gen_eks_max_pods.py <amazon-eks-ami checkout> <commit>
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "gpuforge" / "model" / "data"
TABLE = "nodeadm/internal/kubelet/instance-info.jsonl"


def main(repo: str, commit: str) -> None:
    catalog = json.loads((DATA / "catalog.json").read_text())["instance_types"]
    wanted = sorted(n for n, e in catalog.items() if "accelerator" in e)
    raw = subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{TABLE}"], capture_output=True, text=True, check=True
    ).stdout
    info = {d["instanceType"]: d for d in map(json.loads, raw.splitlines())}
    doc = {
        "source": f"awslabs/amazon-eks-ami@{commit}:{TABLE}",
        "note": "defaultMaxENIs and ipv4AddressesPerInterface of every accelerated type in "
        "catalog.json; written by scripts/gen_eks_max_pods.py",
        "instance_types": {
            n: {
                "default_max_enis": info[n]["defaultMaxENIs"],
                "ipv4_per_eni": info[n]["ipv4AddressesPerInterface"],
            }
            for n in wanted
            if n in info
        },
    }
    (DATA / "eks_instance_info.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
