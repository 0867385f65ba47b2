#!/usr/bin/python
"""The height and block hashes of a node's channel ledgers, read through its deliver service."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_ledger_info
short_description: Read the heights and block hashes of a Hyperledger Fabric orderer's or peer's ledgers
description:
  - For each channel, fetches the newest block (and any blocks asked for by number) from one node's
    deliver service with C(peer channel fetch), from the orderer when I(orderer_address) is given,
    else from the peer at I(peer_address).
  - Reports the height and the hash of the newest block, and the hash of each requested block. The
    hash is Fabric's block hash (SHA-256 of the header's ASN.1 encoding), the value
    C(peer channel getinfo) prints as C(currentBlockHash), so it can be compared across orderers and
    peers, whose blocks differ only in their signatures.
  - Only reads; never changes anything, so it runs in check mode too.
  - Exactly one of I(orderer_address) and I(peer_address) is given, and only that endpoint's TLS
    options (with I(tls=true) its CA is required). Reading from an orderer needs I(channels).
  - Used by the rolling restarts to prove that no block was lost and that a restarted node caught up.
options:
  channels:
    description:
      - The channels to read.
      - Defaults to the channels the peer has joined (C(peer channel list)); required with I(orderer_address).
    type: list
    elements: str
  blocks:
    description:
      - Block numbers (0 or more) whose hash is read on every channel, besides the newest block; numbers above
        the newest block are left out.
    type: list
    elements: int
    default: []
  msp_id:
    description: MSP ID of the identity running the CLI (a reader of the channels, e.g. the node's own).
    type: str
    required: true
  orderer_address:
    description:
      - The orderer endpoint, C(host:port), to read the blocks from.
      - Mutually exclusive with I(peer_address); with I(tls=true) it needs I(orderer_tls_ca).
    type: str
  peer_address:
    description:
      - The peer endpoint, C(host:port), to read the blocks from.
      - Mutually exclusive with I(orderer_address); with I(tls=true) it needs I(peer_tls_ca).
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only; behaves the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: fabric_channel_member
extends_documentation_fragment:
  - fabric_cli
  - fabric_cli.peer
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Heights of the orderer's channels, read on the orderer host as the orderer itself
  fabric_ledger_info:
    channels: [system-channel, channel1]
    msp_id: OrdererMSP
    msp_dir: /etc/hyperledger/orderer/msp
    orderer_address: 127.0.0.1:7050
    orderer_tls_ca: /etc/hyperledger/orderer/tls/ca.crt
    orderer_tls_hostname_override: orderer0
  register: ledgers

- name: Heights of every channel the peer has joined, and the hash of block 3 of each
  fabric_ledger_info:
    blocks: [3]
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/peer/msp
    peer_address: 127.0.0.1:7051
    peer_tls_ca: /etc/hyperledger/peer/tls/ca.crt
    peer_tls_hostname_override: peer0-org1
"""

RETURN = r"""
ledgers:
  description: Per channel, the height, the newest block's hash and previous hash, and the requested blocks' hashes.
  returned: success
  type: dict
  sample:
    channel1:
      height: 5
      hash: 6f0c1e...
      previous_hash: 2b9a44...
      blocks: {"3": 9d41c7...}
source:
  description: The endpoint the blocks were read from.
  returned: always
  type: str
  sample: 127.0.0.1:7050
commands:
  description: The CLI commands that were run, in order (retries included).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.fabric_cli import MSP_SPEC, ORDERER_SPEC, PEER_SPEC, argument_spec, run_module


def read_ledgers(cli, params, check_mode):
    """The newest block (and the requested ones) of each channel; reads only, so check mode changes nothing."""
    del check_mode  # the same reads either way
    source = cli.source()
    channels = params["channels"]
    if channels is None:  # a peer (REQUIRED_BY: an orderer has channels)
        channels = cli.channel_list()
    ledgers = {}
    for channel in channels:
        newest = cli.block_info(channel, "newest")
        blocks = {}
        for number in sorted(set(params["blocks"])):
            if number < newest["number"]:
                blocks[str(number)] = cli.block_info(channel, number)["hash"]
            elif number == newest["number"]:
                blocks[str(number)] = newest["hash"]
        ledgers[channel] = {"height": newest["number"] + 1, "hash": newest["hash"], "previous_hash": newest["previous_hash"], "blocks": blocks}
    return {"changed": False, "ledgers": ledgers, "source": source}


# The shared orderer and peer options, with exactly one address (REQUIRED_ONE_OF, MUTUALLY_EXCLUSIVE);
# the TLS options of the endpoint in use only, its CA required with TLS (fabric_cli.option_errors).
ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    PEER_SPEC,
    channels={"type": "list", "elements": "str"},
    blocks={"type": "list", "elements": "int", "default": []},
    orderer_address={"type": "str"},
    peer_address={"type": "str"},
)
REQUIRED_ONE_OF = [("orderer_address", "peer_address")]
MUTUALLY_EXCLUSIVE = [("orderer_address", "peer_address")]
REQUIRED_BY = {"orderer_address": ["channels"]}


def check_options(params):
    negative = [number for number in params["blocks"] if number < 0]
    return [f"blocks must be 0 or more, got {negative}"] if negative else []


def main(runner=None, sleep=None, clock=None):
    run_module(
        "fabric_ledger_info",
        read_ledgers,
        ARGUMENT_SPEC,
        runner=runner,
        sleep=sleep,
        clock=clock,
        check_options=check_options,
        required_one_of=REQUIRED_ONE_OF,
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        required_by=REQUIRED_BY,
    )


if __name__ == "__main__":
    main()
