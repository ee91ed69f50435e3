"""IAM principals a plan's account needs before the program runs (`planning.seed_preexisting`)."""

from __future__ import annotations

from typing import Any


def create_principals(account: Any, arns: list[str]) -> None:
    """The IAM roles and users `arns` name, in `account` (an open `EmulatedAccount`);
    another account's principals are skipped (AWS refuses them, and so does the emulator)."""
    iam = account.client("iam")
    account_id = account.client("sts").get_caller_identity()["Account"]
    trust = '{"Version":"2012-10-17","Statement":[]}'
    for arn in arns:
        if arn.split(":")[4] != account_id:
            continue
        kind, _, rest = arn.split(":", 5)[5].partition("/")
        path, _, name = rest.rpartition("/")
        path = f"/{path}/" if path else "/"
        if kind == "role":
            iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust)
        elif kind == "user":
            iam.create_user(UserName=name, Path=path)
