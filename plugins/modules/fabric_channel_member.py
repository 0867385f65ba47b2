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
  - In check mode a peer that is not reachable at all (C(connection refused), C(no such host)) is taken
    for a peer that is not running yet, as in a check run that adds it; after one attempt the result
    says it would be joined (changed, with the reason in I(msg) and a warning). Any other error fails
    as in a real run; outside check mode an unreachable peer is retried, then fails.
  - A join answered with C(already exists) (this task's earlier attempt whose answer was lost, or
    another run, joined the peer after the check) is not an error; it is a change, since the peer had
    not joined when the task began and has at its end.
  - Runs the Fabric CLI on the target host as an admin of the peer's organization; transient errors
    (C(SERVICE_UNAVAILABLE), connection failures, a command killed by I(command_timeout)) are retried
    a bounded number of times.
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
    description: Only lists the peer's channels; reports whether the peer would be joined (also when the peer is not reachable yet).
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
  description:
    - The channels the peer has joined after the run (in check mode, unchanged from before).
    - Empty when check mode found the peer unreachable.
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


from ansible.module_utils.fabric_cli import (
    MSP_SPEC,
    ORDERER_SPEC,
    PEER_SPEC,
    UNREACHABLE_MARKERS,
    FabricCLIError,
    argument_spec,
    cli_error_text,
    is_unreachable,
    run_module,
)


def unreachable(result):
    return is_unreachable(result.stdout, result.stderr)


def ensure_member(cli, params, check_mode):
    """The decision: list, then fetch block 0 and join only when not joined (never in check mode)."""
    channel, peer = params["channel"], params["peer_address"]
    try:
        # Check mode does not wait for a peer that is not there: one attempt when it is unreachable.
        joined = cli.channel_list(give_up=unreachable if check_mode else None)
    except FabricCLIError as exc:
        if not (check_mode and is_unreachable(exc.stdout, exc.stderr)):
            raise
        return predicted_join(cli, channel, peer, exc)
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
    # changed: the peer had not joined when this task began and has at its end. A join answered
    # "already exists" was this task's own earlier attempt (its answer lost, retried) or another
    # run's after the list above; either way the peer joined during this task (see fabric_channel).
    result.update(changed=True, channels=after)
    result["diff"]["after"] = {"joined": sorted(after)}
    result["msg"] = (
        f"{peer} joined {channel}"
        if joined_now
        else f"{peer} joined {channel}: the join found its ledger there, made by this task's earlier attempt (answer lost) or another run"
    )
    return result


def predicted_join(cli, channel, peer, exc):
    """Check mode, peer not reachable: taken for a peer that is not running yet (no channels), which the real run joins."""
    error = cli_error_text(exc.stdout, exc.stderr)
    reason = next(marker for marker in UNREACHABLE_MARKERS if marker in error)
    cli.warn(f"check mode: {peer} is not reachable ({error}); taken for a peer not running yet, which would be joined to {channel}")
    return {
        "changed": True,
        "channels": [],
        "diff": {"before": {"joined": []}, "after": {"joined": [channel]}},
        "msg": f"{peer} would be joined to {channel} (it is not reachable: {reason}; taken for a peer not running yet)",
    }


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    PEER_SPEC,
    channel={"type": "str", "required": True},
    state={"type": "str", "choices": ["present"], "default": "present"},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca", "peer_tls_ca"])]


def main(runner=None, sleep=None, clock=None):
    run_module("fabric_channel_member", ensure_member, ARGUMENT_SPEC, required_if=REQUIRED_IF, runner=runner, sleep=sleep, clock=clock)


if __name__ == "__main__":
    main()
