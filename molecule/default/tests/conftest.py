"""Helpers for checking the Fabric network from its admin host with the peer CLI."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import testinfra
import yaml

ORDERERS = ["orderer0", "orderer1", "orderer2"]
PEERS = {"peer0-org1": "Org1", "peer1-org1": "Org1", "peer0-org2": "Org2", "peer1-org2": "Org2"}
ORG_DOMAINS = {"Org1": "org1.example.com", "Org2": "org2.example.com", "OrdererOrg": "example.com"}
SYSTEM_CHANNEL = "system-channel"
ADMIN = "/etc/hyperledger/admin"
COMMON_DEFAULTS = yaml.safe_load((Path(__file__).resolve().parents[3] / "roles" / "common" / "defaults" / "main.yml").read_text())


def host_of(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


@functools.cache
def inventory_value(name, variable):
    """A host's variable as the inventory sets it (molecule.yml moves some ports off the defaults), else the common default."""
    return host_of(name).ansible.get_variables().get(variable, COMMON_DEFAULTS.get(variable))


def port(name, variable):
    return int(inventory_value(name, variable))


def address(name):
    """host:port of an orderer or a peer."""
    return f"{name}:{port(name, 'orderer_port' if name in ORDERERS else 'peer_port')}"


def as_admin(org, command, *args):
    """Run the peer CLI on the admin host as org's admin (environment from roles/fabric_admin)."""
    return host_of("cli").run(f". {ADMIN}/{org}/env && " + command, *args)


def newest_block_number(orderer, channel=SYSTEM_CHANNEL):
    """Fetch the channel's newest block from one orderer over TLS; return its number (or None)."""
    result = as_admin(
        "OrdererOrg",
        "peer channel fetch newest /tmp/newest.block -c %s -o %s --tls --cafile %s/OrdererOrg/tls-ca.pem 2>&1",
        channel,
        address(orderer),
        ADMIN,
    )
    match = re.search(r"Received block: (\d+)", result.stdout)
    return int(match.group(1)) if result.rc == 0 and match else None


def joined_channels(peer):
    org = PEERS[peer]
    result = as_admin(org, "CORE_PEER_ADDRESS=%s peer channel list", address(peer))
    assert result.rc == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Channels peers has joined: ", lines
    return lines[1:]
