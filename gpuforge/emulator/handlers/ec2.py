"""EC2 and VPC resources, backed by moto's EC2 backend.

moto validates CIDRs (``InvalidSubnet.Range``, ``InvalidSubnet.Conflict``), VPC,
subnet, route table and gateway ids, flow log parameters and duplicate names.

The following are not yet implemented:
- PlacementGroup: moto has no placement groups; kept in the emulator's state
  (strategy and partition count are validated, nothing else).
- LaunchTemplate: the AMI, security groups and instance profile are not checked to
  exist (AWS checks them at launch, not at CreateLaunchTemplate either). A volume's
  ``kmsKeyId`` is checked to exist (stricter than AWS, which fails only at launch);
  its key policy is not evaluated.
- VpcEndpoint: the service name is not checked against the region's endpoint
  services; the policy is stored, not evaluated; gateway endpoints get no prefix list.
- Eip, NatGateway: addresses are moto's; no quota.
- Subnet/Vpc: IPv6 and IPAM pools are not modelled.
"""

from __future__ import annotations

import zlib
from typing import Any

from ..errors import AwsError
from ._base import (
    Context,
    camel,
    check_kms_key,
    num,
    pascal,
    policy_text,
    require,
    tag_specs,
)

_PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp"}


def vpc(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {"CidrBlock": require(inputs, "cidrBlock"), **tag_specs("vpc", tags)}
    if inputs.get("instanceTenancy"):
        kwargs["InstanceTenancy"] = inputs["instanceTenancy"]
    created = ec2.create_vpc(**kwargs)["Vpc"]
    vpc_id = created["VpcId"]
    dns_support = inputs.get("enableDnsSupport", True)
    dns_hostnames = inputs.get("enableDnsHostnames", False)
    if not dns_support:
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": False})
    if dns_hostnames:
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    by_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
    sg = ec2.describe_security_groups(
        Filters=[by_vpc, {"Name": "group-name", "Values": ["default"]}]
    )
    rtb = ec2.describe_route_tables(
        Filters=[by_vpc, {"Name": "association.main", "Values": ["true"]}]
    )
    acl = ec2.describe_network_acls(Filters=[by_vpc, {"Name": "default", "Values": ["true"]}])
    main_rtb = rtb["RouteTables"][0]["RouteTableId"]
    return vpc_id, {
        "arn": ctx.arn("ec2", f"vpc/{vpc_id}"),
        "cidrBlock": created["CidrBlock"],
        "defaultSecurityGroupId": sg["SecurityGroups"][0]["GroupId"],
        "defaultRouteTableId": main_rtb,
        "mainRouteTableId": main_rtb,
        "defaultNetworkAclId": acl["NetworkAcls"][0]["NetworkAclId"],
        "dhcpOptionsId": created.get("DhcpOptionsId", ""),
        "instanceTenancy": created.get("InstanceTenancy", "default"),
        "enableDnsSupport": dns_support,
        "enableDnsHostnames": dns_hostnames,
        "ownerId": ctx.account_id,
        "tagsAll": tags,
    }


def subnet(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {
        "VpcId": require(inputs, "vpcId"),
        "CidrBlock": require(inputs, "cidrBlock"),
        **tag_specs("subnet", tags),
    }
    if inputs.get("availabilityZone"):
        kwargs["AvailabilityZone"] = inputs["availabilityZone"]
    elif inputs.get("availabilityZoneId"):
        kwargs["AvailabilityZoneId"] = inputs["availabilityZoneId"]
    created = ec2.create_subnet(**kwargs)["Subnet"]
    subnet_id = created["SubnetId"]
    public_ip = bool(inputs.get("mapPublicIpOnLaunch", False))
    if public_ip:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return subnet_id, {
        "arn": created.get("SubnetArn") or ctx.arn("ec2", f"subnet/{subnet_id}"),
        "availabilityZone": created["AvailabilityZone"],
        "availabilityZoneId": created.get("AvailabilityZoneId", ""),
        "mapPublicIpOnLaunch": public_ip,
        "ownerId": ctx.account_id,
        "tagsAll": tags,
    }


def internet_gateway(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    igw_id = ec2.create_internet_gateway(**tag_specs("internet-gateway", tags))["InternetGateway"][
        "InternetGatewayId"
    ]
    if inputs.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=inputs["vpcId"])
    return igw_id, {
        "arn": ctx.arn("ec2", f"internet-gateway/{igw_id}"),
        "ownerId": ctx.account_id,
        "tagsAll": tags,
    }


def eip(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    tags = ctx.tags(inputs)
    created = ctx.client("ec2").allocate_address(Domain="vpc", **tag_specs("elastic-ip", tags))
    ip = created["PublicIp"]
    alloc = created["AllocationId"]
    return alloc, {
        "allocationId": alloc,
        "arn": ctx.arn("ec2", f"elastic-ip/{alloc}"),
        "domain": "vpc",
        "publicIp": ip,
        "publicDns": f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com",
        "networkBorderGroup": ctx.region,
        "tagsAll": tags,
    }


def nat_gateway(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    connectivity = inputs.get("connectivityType", "public")
    kwargs: dict[str, Any] = {
        "SubnetId": require(inputs, "subnetId"),
        "ConnectivityType": connectivity,
        **tag_specs("natgateway", tags),
    }
    if connectivity == "public":
        alloc = require(inputs, "allocationId")
        ec2.describe_addresses(AllocationIds=[alloc])  # InvalidAllocationID.NotFound
        kwargs["AllocationId"] = alloc
    created = ec2.create_nat_gateway(**kwargs)["NatGateway"]
    address = (created.get("NatGatewayAddresses") or [{}])[0]
    return created["NatGatewayId"], {
        "connectivityType": connectivity,
        "networkInterfaceId": address.get("NetworkInterfaceId", ""),
        "privateIp": address.get("PrivateIp", ""),
        "publicIp": address.get("PublicIp", ""),
        "tagsAll": tags,
    }


_ROUTE_TARGETS = {
    "gatewayId": "GatewayId",
    "natGatewayId": "NatGatewayId",
    "vpcEndpointId": "VpcEndpointId",
    "transitGatewayId": "TransitGatewayId",
    "networkInterfaceId": "NetworkInterfaceId",
    "vpcPeeringConnectionId": "VpcPeeringConnectionId",
    "egressOnlyGatewayId": "EgressOnlyInternetGatewayId",
    "egressOnlyInternetGatewayId": "EgressOnlyInternetGatewayId",
}
_ROUTE_DESTINATIONS = {
    "cidrBlock": "DestinationCidrBlock",
    "destinationCidrBlock": "DestinationCidrBlock",
    "ipv6CidrBlock": "DestinationIpv6CidrBlock",
    "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock",
    "destinationPrefixListId": "DestinationPrefixListId",
}


def _route_kwargs(route: dict) -> dict:
    kwargs = {aws: route[key] for key, aws in _ROUTE_DESTINATIONS.items() if route.get(key)}
    kwargs.update({aws: route[key] for key, aws in _ROUTE_TARGETS.items() if route.get(key)})
    return kwargs


def route_table(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    rtb_id = ec2.create_route_table(
        VpcId=require(inputs, "vpcId"), **tag_specs("route-table", tags)
    )["RouteTable"]["RouteTableId"]
    for route in inputs.get("routes") or []:
        ec2.create_route(RouteTableId=rtb_id, **_route_kwargs(route))
    return rtb_id, {
        "arn": ctx.arn("ec2", f"route-table/{rtb_id}"),
        "ownerId": ctx.account_id,
        "routes": inputs.get("routes") or [],
        "propagatingVgws": inputs.get("propagatingVgws") or [],
        "tagsAll": tags,
    }


def route(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    rtb_id = require(inputs, "routeTableId")
    kwargs = _route_kwargs(inputs)
    ctx.client("ec2").create_route(RouteTableId=rtb_id, **kwargs)
    destination = next((v for k, v in kwargs.items() if k.startswith("Destination")), "")
    return f"r-{rtb_id}{zlib.crc32(destination.encode())}", {
        "origin": "CreateRoute",
        "state": "active",
    }


def route_table_association(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    kwargs = {"RouteTableId": require(inputs, "routeTableId")}
    if inputs.get("subnetId"):
        kwargs["SubnetId"] = inputs["subnetId"]
    elif inputs.get("gatewayId"):
        kwargs["GatewayId"] = inputs["gatewayId"]
    else:
        raise AwsError("MissingParameter", "Either subnetId or gatewayId must be specified")
    assoc = ctx.client("ec2").associate_route_table(**kwargs)["AssociationId"]
    return assoc, {}


_FULL_ACCESS = (
    '{"Version":"2008-10-17","Statement":'
    '[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
)


def vpc_endpoint(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    kind = inputs.get("vpcEndpointType", "Gateway")
    kwargs: dict[str, Any] = {
        "VpcId": require(inputs, "vpcId"),
        "ServiceName": require(inputs, "serviceName"),
        "VpcEndpointType": kind,
        **tag_specs("vpc-endpoint", tags),
    }
    policy = policy_text(inputs["policy"]) if inputs.get("policy") else _FULL_ACCESS
    kwargs["PolicyDocument"] = policy
    if inputs.get("routeTableIds"):
        kwargs["RouteTableIds"] = inputs["routeTableIds"]
    if inputs.get("subnetIds"):
        ec2.describe_subnets(SubnetIds=inputs["subnetIds"])  # InvalidSubnetID.NotFound
        kwargs["SubnetIds"] = inputs["subnetIds"]
    if inputs.get("securityGroupIds"):
        ec2.describe_security_groups(GroupIds=inputs["securityGroupIds"])
        kwargs["SecurityGroupIds"] = inputs["securityGroupIds"]
    private_dns = bool(inputs.get("privateDnsEnabled", False))
    if kind == "Interface":
        kwargs["PrivateDnsEnabled"] = private_dns
    created = ec2.create_vpc_endpoint(**kwargs)["VpcEndpoint"]
    vpce_id = created["VpcEndpointId"]
    return vpce_id, {
        "arn": ctx.arn("ec2", f"vpc-endpoint/{vpce_id}"),
        "vpcEndpointType": kind,
        "policy": policy,
        "privateDnsEnabled": private_dns,
        "state": created.get("State", "available"),
        "dnsEntries": camel(created.get("DnsEntries") or []),
        "networkInterfaceIds": created.get("NetworkInterfaceIds") or [],
        "ownerId": ctx.account_id,
        "requesterManaged": False,
        "tagsAll": tags,
    }


def _permission(rule: dict) -> dict:
    """A Pulumi inline SG rule (``ingress``/``egress`` item) as an EC2 IpPermission."""
    protocol = str(rule.get("protocol", "-1"))
    perm: dict[str, Any] = {"IpProtocol": _PROTOCOLS.get(protocol, protocol)}
    if perm["IpProtocol"] != "-1":
        perm["FromPort"] = num(rule.get("fromPort", 0))
        perm["ToPort"] = num(rule.get("toPort", 0))
    desc = {"Description": rule["description"]} if rule.get("description") else {}
    if rule.get("cidrBlocks"):
        perm["IpRanges"] = [{"CidrIp": c, **desc} for c in rule["cidrBlocks"]]
    if rule.get("ipv6CidrBlocks"):
        perm["Ipv6Ranges"] = [{"CidrIpv6": c, **desc} for c in rule["ipv6CidrBlocks"]]
    if rule.get("prefixListIds"):
        perm["PrefixListIds"] = [{"PrefixListId": p, **desc} for p in rule["prefixListIds"]]
    groups = list(rule.get("securityGroups") or [])
    if groups:
        perm["UserIdGroupPairs"] = [{"GroupId": g, **desc} for g in groups]
    return perm


def _apply_inline_rules(ec2: Any, group_id: str, inputs: dict) -> None:
    for direction, call in (
        ("ingress", ec2.authorize_security_group_ingress),
        ("egress", ec2.authorize_security_group_egress),
    ):
        perms = []
        for rule in inputs.get(direction) or []:
            perm = _permission(rule)
            if rule.get("self"):
                perm.setdefault("UserIdGroupPairs", []).append({"GroupId": group_id})
            perms.append(perm)
        if perms:
            call(GroupId=group_id, IpPermissions=perms)


def security_group(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    ec2 = ctx.client("ec2")
    tags = ctx.tags(inputs)
    group_name = ctx.physical_name(name, inputs, kind="sg")
    description = inputs.get("description") or "Managed by Pulumi"
    kwargs: dict[str, Any] = {
        "GroupName": group_name,
        "Description": description,
        **tag_specs("security-group", tags),
    }
    if inputs.get("vpcId"):
        kwargs["VpcId"] = inputs["vpcId"]
    group_id = ec2.create_security_group(**kwargs)["GroupId"]
    if inputs.get("vpcId"):
        # Like the AWS provider: drop the allow-all egress AWS adds to a new VPC group.
        ec2.revoke_security_group_egress(
            GroupId=group_id,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
    _apply_inline_rules(ec2, group_id, inputs)
    return group_id, {
        "arn": ctx.arn("ec2", f"security-group/{group_id}"),
        "name": group_name,
        "description": description,
        "ingress": inputs.get("ingress") or [],
        "egress": inputs.get("egress") or [],
        "ownerId": ctx.account_id,
        "tagsAll": tags,
    }


def _rule_handler(egress: bool):
    def handler(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
        ec2 = ctx.client("ec2")
        group_id = require(inputs, "securityGroupId")
        protocol = str(require(inputs, "ipProtocol"))
        perm: dict[str, Any] = {"IpProtocol": _PROTOCOLS.get(protocol, protocol)}
        if perm["IpProtocol"] != "-1":
            perm["FromPort"] = num(inputs.get("fromPort", 0))
            perm["ToPort"] = num(inputs.get("toPort", 0))
        desc = {"Description": inputs["description"]} if inputs.get("description") else {}
        if inputs.get("cidrIpv4"):
            perm["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"], **desc}]
        elif inputs.get("cidrIpv6"):
            perm["Ipv6Ranges"] = [{"CidrIpv6": inputs["cidrIpv6"], **desc}]
        elif inputs.get("prefixListId"):
            perm["PrefixListIds"] = [{"PrefixListId": inputs["prefixListId"], **desc}]
        elif inputs.get("referencedSecurityGroupId"):
            ref = inputs["referencedSecurityGroupId"]
            ec2.describe_security_groups(GroupIds=[ref])  # InvalidGroup.NotFound
            perm["UserIdGroupPairs"] = [{"GroupId": ref, **desc}]
        else:
            raise AwsError(
                "MissingParameter",
                "One of cidrIpv4, cidrIpv6, prefixListId, referencedSecurityGroupId is required",
            )
        call = (
            ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
        )
        rules = call(GroupId=group_id, IpPermissions=[perm]).get("SecurityGroupRules") or []
        rule_id = (
            rules[0]["SecurityGroupRuleId"]
            if rules
            else f"sgr-{zlib.crc32(repr(perm).encode()):017x}"
        )
        tags = ctx.tags(inputs)
        return rule_id, {
            "arn": ctx.arn("ec2", f"security-group-rule/{rule_id}"),
            "securityGroupRuleId": rule_id,
            "tagsAll": tags,
        }

    return handler


def default_security_group(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    """Adopts the VPC's default group and replaces its rules with the declared ones."""
    ec2 = ctx.client("ec2")
    vpc_id = require(inputs, "vpcId")
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    if not found:
        raise AwsError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    group = found[0]
    group_id = group["GroupId"]
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )
    _apply_inline_rules(ec2, group_id, inputs)
    tags = ctx.tags(inputs)
    if tags:
        ec2.create_tags(
            Resources=[group_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )
    return group_id, {
        "arn": ctx.arn("ec2", f"security-group/{group_id}"),
        "name": "default",
        "description": group.get("Description", "default VPC security group"),
        "ingress": inputs.get("ingress") or [],
        "egress": inputs.get("egress") or [],
        "ownerId": ctx.account_id,
        "tagsAll": tags,
    }


_FLOW_LOG_RESOURCES = {
    "vpcId": "VPC",
    "subnetId": "Subnet",
    "eniId": "NetworkInterface",
    "transitGatewayId": "TransitGateway",
    "transitGatewayAttachmentId": "TransitGatewayAttachment",
}


def flow_log(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    resource = next(((k, v) for k, v in _FLOW_LOG_RESOURCES.items() if inputs.get(k)), None)
    if resource is None:
        raise AwsError("MissingParameter", "One of vpcId, subnetId, eniId is required")
    destination_type = inputs.get("logDestinationType", "cloud-watch-logs")
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {
        "ResourceType": resource[1],
        "ResourceIds": [inputs[resource[0]]],
        "TrafficType": inputs.get("trafficType", "ALL"),
        "LogDestinationType": destination_type,
        **tag_specs("vpc-flow-log", tags),
    }
    if inputs.get("logDestination"):
        kwargs["LogDestination"] = inputs["logDestination"]
    elif inputs.get("logGroupName"):
        kwargs["LogGroupName"] = inputs["logGroupName"]
    if inputs.get("iamRoleArn"):
        kwargs["DeliverLogsPermissionArn"] = inputs["iamRoleArn"]
    if inputs.get("logFormat"):
        kwargs["LogFormat"] = inputs["logFormat"]
    kwargs["MaxAggregationInterval"] = num(inputs.get("maxAggregationInterval", 600))
    created = ctx.client("ec2").create_flow_logs(**kwargs)
    if created.get("Unsuccessful"):
        error = created["Unsuccessful"][0]["Error"]
        raise AwsError(error.get("Code", "InvalidParameter"), error.get("Message", ""))
    flow_log_id = created["FlowLogIds"][0]
    return flow_log_id, {
        "arn": ctx.arn("ec2", f"vpc-flow-log/{flow_log_id}"),
        "logDestinationType": destination_type,
        "trafficType": kwargs["TrafficType"],
        "maxAggregationInterval": kwargs["MaxAggregationInterval"],
        "tagsAll": tags,
    }


_LT_DATA_KEYS = (
    "blockDeviceMappings",
    "capacityReservationSpecification",
    "cpuOptions",
    "creditSpecification",
    "disableApiStop",
    "disableApiTermination",
    "ebsOptimized",
    "enclaveOptions",
    "hibernationOptions",
    "iamInstanceProfile",
    "imageId",
    "instanceInitiatedShutdownBehavior",
    "instanceMarketOptions",
    "instanceRequirements",
    "instanceType",
    "kernelId",
    "keyName",
    "licenseSpecifications",
    "maintenanceOptions",
    "metadataOptions",
    "monitoring",
    "networkInterfaces",
    "placement",
    "privateDnsNameOptions",
    "ramDiskId",
    "securityGroupNames",
    "tagSpecifications",
    "userData",
    "vpcSecurityGroupIds",
)
_LT_RENAMES = {
    "vpcSecurityGroupIds": "SecurityGroupIds",
    "securityGroupNames": "SecurityGroups",
    "securityGroups": "Groups",
    "ramDiskId": "RamDiskId",
    "kmsKeyId": "KmsKeyId",
}
_LT_BOOLS = (
    "AssociatePublicIpAddress",
    "AssociateCarrierIpAddress",
    "DeleteOnTermination",
    "EbsOptimized",
    "Encrypted",
)


def launch_template_data(inputs: dict) -> dict:
    """Pulumi LaunchTemplate inputs as EC2 ``LaunchTemplateData``."""
    data = {k: inputs[k] for k in _LT_DATA_KEYS if inputs.get(k) is not None}
    specs = data.pop("tagSpecifications", None)
    out = pascal(data, renames=_LT_RENAMES, bools=_LT_BOOLS)
    if specs:
        out["TagSpecifications"] = [
            {
                "ResourceType": spec.get("resourceType", "instance"),
                "Tags": [{"Key": k, "Value": v} for k, v in (spec.get("tags") or {}).items()],
            }
            for spec in specs
        ]
    return out


def launch_template(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    tags = ctx.tags(inputs)
    lt_name = ctx.physical_name(name, inputs, kind="lt")
    for mapping in inputs.get("blockDeviceMappings") or []:
        key = (mapping.get("ebs") or {}).get("kmsKeyId")
        if key:
            check_kms_key(ctx, key)  # NotFoundException
    kwargs: dict[str, Any] = {
        "LaunchTemplateName": lt_name,
        "LaunchTemplateData": launch_template_data(inputs),
        **tag_specs("launch-template", tags),
    }
    if inputs.get("description"):
        kwargs["VersionDescription"] = inputs["description"]
    created = ctx.client("ec2").create_launch_template(**kwargs)["LaunchTemplate"]
    lt_id = created["LaunchTemplateId"]
    return lt_id, {
        "arn": ctx.arn("ec2", f"launch-template/{lt_id}"),
        "name": lt_name,
        "latestVersion": num(created.get("LatestVersionNumber", 1)),
        "defaultVersion": num(created.get("DefaultVersionNumber", 1)),
        "tagsAll": tags,
    }


def placement_group(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    group_name = ctx.physical_name(name, inputs, prefix_key=None, kind="pg")
    count = inputs.get("partitionCount")
    group = ctx.state.create_placement_group(
        group_name,
        require(inputs, "strategy"),
        num(count) if count is not None else None,
        inputs.get("spreadLevel"),
    )
    return group.name, {
        "arn": group.arn,
        "name": group.name,
        "placementGroupId": group.group_id,
        "partitionCount": group.partition_count or 0,
        "spreadLevel": group.spread_level or "",
        "tagsAll": ctx.tags(inputs),
    }


HANDLERS = {
    "aws:ec2/vpc:Vpc": vpc,
    "aws:ec2/subnet:Subnet": subnet,
    "aws:ec2/internetGateway:InternetGateway": internet_gateway,
    "aws:ec2/eip:Eip": eip,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/routeTable:RouteTable": route_table,
    "aws:ec2/route:Route": route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": route_table_association,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _rule_handler(egress=False),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _rule_handler(egress=True),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": default_security_group,
    "aws:ec2/flowLog:FlowLog": flow_log,
    "aws:ec2/launchTemplate:LaunchTemplate": launch_template,
    "aws:ec2/placementGroup:PlacementGroup": placement_group,
}
STATE_BACKED = {"aws:ec2/placementGroup:PlacementGroup"}
