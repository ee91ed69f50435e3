"""AWS-managed prefix lists (the ``aws:ec2/getPrefixList`` invoke), from moto's EC2.

moto seeds each region's managed lists (``com.amazonaws.<region>.s3`` and others) with
sample CIDRs; the invoke answers by name or id as the provider does
(``DescribePrefixLists``: ``PrefixListId``, ``PrefixListName``, ``Cidrs``).

The following are not yet implemented: ``filters``.
"""

from __future__ import annotations

from ._base import AwsError, Context


def get_prefix_list(ctx: Context, args: dict) -> dict:
    ec2 = ctx.client("ec2")
    kwargs: dict = {}
    if args.get("prefixListId"):
        kwargs["PrefixListIds"] = [args["prefixListId"]]
    found = [
        pl
        for pl in ec2.describe_prefix_lists(**kwargs)["PrefixLists"]
        if not args.get("name") or pl["PrefixListName"] == args["name"]
    ]
    if len(found) != 1:
        raise AwsError(
            "InvalidPrefixListID.NotFound" if not found else "InvalidParameterValue",
            f"no matching prefix list found ({len(found)} matched)",
        )
    (pl,) = found
    cidrs = pl.get("Cidrs")
    if cidrs is None:  # moto's describe_prefix_lists leaves the entries out
        cidrs = [
            e["Cidr"]
            for e in ec2.get_managed_prefix_list_entries(PrefixListId=pl["PrefixListId"])["Entries"]
        ]
    return {
        "id": pl["PrefixListId"],
        "prefixListId": pl["PrefixListId"],
        "name": pl["PrefixListName"],
        "cidrBlocks": list(cidrs),
        "filters": [],
    }


INVOKES = {"aws:ec2/getPrefixList:getPrefixList": get_prefix_list}
