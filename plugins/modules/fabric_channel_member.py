#!/usr/bin/python
"""A peer joined to a channel: joined (from the channel's block 0) only when it is not yet."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_channel_member
short_description: Join a Hyperledger Fabric peer to a channel when it has not joined yet
description:
  - Asks the peer which channels it has joined (C(peer channel list)) and compares whole lines, never
    substrings (C(channel1) is not C(channel10)).
  - Only when the peer has not joined, fetches the channel's block 0 from the orderer and joins the
    peer with C(peer channel join).
  - Check mode only lists the peer's channels (no block is fetched, nothing is joined) and says whether
    the peer would be joined.
  - A peer that already has the channel's ledger (another run joined it meanwhile) is not an error and
    not a change.
  - Runs the Fabric CLI on the target host as an admin of the peer's organization; transient errors
    (C(SERVICE_UNAVAILABLE), connection failures) are retried a bounded number of times.
options:
  channel:
    description: The channel name.
    type: str
    required: true
  state:
    description: Only C(present) is supported (a peer leaves a channel only while stopped).
    type: str
    choices: [present]
    default: present
  peer_address:
    description: The peer endpoint, C(host:port) (C(CORE_PEER_ADDRESS)).
    type: str
    required: true
  msp_id:
    description: MSP ID of the identity running the CLI (an admin of the peer's organization).
    type: str
    required: true
  orderer_address:
    description: The orderer endpoint, C(host:port), from which block 0 is fetched.
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Only lists the peer's channels; reports whether the peer would be joined.
  diff_mode:
    support: full
    description: Shows the peer's joined channels before and after.
seealso:
  - module: fabric_channel
  - module: fabric_anchor_peers
extends_documentation_fragment:
  - fabric_cli
  - fabric_cli.peer
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Join peer0-org1 to channel1
  fabric_channel_member:
    channel: channel1
    peer_address: peer0-org1:7051
    peer_tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
    orderer_address: orderer0:7050
    orderer_tls_ca: /etc/hyperledger/admin/OrdererOrg/tls-ca.pem
"""

RETURN = r"""
channels:
  description: The channels the peer has joined after the run (in check mode, unchanged from before).
  returned: always
  type: list
  elements: str
  sample: [channel1, channel2]
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: peer0-org1:7051 joined channel1
commands:
  description: The CLI commands that were run, in order (retries included).
  returned: always
  type: list
  elements: str
cmd:
  description: The failing command.
  returned: failure
  type: str
stderr:
  description: The failing command's error output (the CLI's own error text is also in I(msg)).
  returned: failure
  type: str
"""


from ansible.module_utils.fabric_cli import MSP_SPEC, ORDERER_SPEC, PEER_SPEC, FabricCLIError, argument_spec, run_module


def ensure_member(cli, params, check_mode):
    """The decision: list, then fetch block 0 and join only when not joined (never in check mode)."""
    channel, peer = params["channel"], params["peer_address"]
    joined = cli.channel_list()
    result = {"changed": False, "channels": joined, "diff": {"before": {"joined": sorted(joined)}, "after": {"joined": sorted(joined)}}}
    if channel in joined:
        result["msg"] = f"{peer} has joined {channel}"
        return result
    result["diff"]["after"] = {"joined": sorted([*joined, channel])}
    if check_mode:
        result.update(changed=True, msg=f"{peer} would be joined to {channel}")
        return result
    block = cli.fetch_block(channel, 0, f"fetching block 0 of {channel} from {params['orderer_address']}")
    joined_now = cli.join(channel, block)
    after = cli.channel_list()
    if channel not in after:
        raise FabricCLIError(f"{peer} accepted the join of {channel} but does not list it: {after}")
    result.update(changed=joined_now, channels=after)
    result["diff"]["after"] = {"joined": sorted(after)}
    result["msg"] = f"{peer} joined {channel}" if joined_now else f"{peer} had the ledger of {channel} already"
    return result


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    PEER_SPEC,
    channel={"type": "str", "required": True},
    state={"type": "str", "choices": ["present"], "default": "present"},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca", "peer_tls_ca"])]


def main(runner=None):
    run_module("fabric_channel_member", ensure_member, ARGUMENT_SPEC, REQUIRED_IF, runner)


if __name__ == "__main__":
    main()
