"""Helpers for checking the Fabric network from its admin host with the peer CLI."""

from __future__ import annotations

import os
import re

import testinfra

ORDERERS = ["orderer0", "orderer1", "orderer2"]
PEERS = {"peer0-org1": "Org1", "peer1-org1": "Org1", "peer0-org2": "Org2", "peer1-org2": "Org2"}
ORG_DOMAINS = {"Org1": "org1.example.com", "Org2": "org2.example.com", "OrdererOrg": "example.com"}
SYSTEM_CHANNEL = "system-channel"
ADMIN = "/etc/hyperledger/admin"


def host_of(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def as_admin(org, command, *args):
    """Run the peer CLI on the admin host as org's admin (environment from roles/fabric_admin)."""
    return host_of("cli").run(f". {ADMIN}/{org}/env && " + command, *args)


def newest_block_number(orderer, channel=SYSTEM_CHANNEL):
    """Fetch the channel's newest block from one orderer over TLS; return its number (or None)."""
    result = as_admin(
        "OrdererOrg",
        "peer channel fetch newest /tmp/newest.block -c %s -o %s:7050 --tls --cafile %s/OrdererOrg/tls-ca.pem 2>&1",
        channel,
        orderer,
        ADMIN,
    )
    match = re.search(r"Received block: (\d+)", result.stdout)
    return int(match.group(1)) if result.rc == 0 and match else None


def joined_channels(peer):
    org = PEERS[peer]
    result = as_admin(org, "CORE_PEER_ADDRESS=%s:7051 peer channel list", peer)
    assert result.rc == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Channels peers has joined: ", lines
    return lines[1:]
