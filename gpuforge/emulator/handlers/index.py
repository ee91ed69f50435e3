"""Account-level invokes (``aws:index/*``): caller identity, partition, region, zones.

Zones come from moto's EC2 backend (the real zone names and ids of the region);
identity from moto's STS.
"""

from __future__ import annotations

from ._base import Context


def get_caller_identity(ctx: Context, args: dict) -> dict:
    found = ctx.client("sts").get_caller_identity()
    return {
        "id": found["Account"],
        "accountId": found["Account"],
        "arn": found["Arn"],
        "userId": found["UserId"],
    }


def get_partition(ctx: Context, args: dict) -> dict:
    return {
        "id": ctx.partition,
        "partition": ctx.partition,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    }


def get_region(ctx: Context, args: dict) -> dict:
    region = args.get("region") or args.get("name") or ctx.region
    return {
        "id": region,
        "name": region,
        "region": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }


def get_availability_zones(ctx: Context, args: dict) -> dict:
    filters = [{"Name": "state", "Values": [args.get("state") or "available"]}]
    zones = ctx.client("ec2").describe_availability_zones(Filters=filters)["AvailabilityZones"]
    excluded = set(args.get("excludeNames") or []) | set(args.get("excludeZoneIds") or [])
    zones = [z for z in zones if z["ZoneName"] not in excluded and z["ZoneId"] not in excluded]
    zones.sort(key=lambda z: z["ZoneName"])
    return {
        "id": ctx.region,
        "names": [z["ZoneName"] for z in zones],
        "zoneIds": [z["ZoneId"] for z in zones],
        "groupNames": sorted({z.get("GroupName", ctx.region) for z in zones}),
        "state": args.get("state") or "available",
    }


INVOKES = {
    "aws:index/getCallerIdentity:getCallerIdentity": get_caller_identity,
    "aws:index/getPartition:getPartition": get_partition,
    "aws:index/getRegion:getRegion": get_region,
    "aws:index/getAvailabilityZones:getAvailabilityZones": get_availability_zones,
}
