#!/usr/bin/python
"""An organization's anchor peers in a channel's configuration, updated only when they differ."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_anchor_peers
short_description: Set an organization's anchor peers in a Hyperledger Fabric channel
description:
  - Reads the channel's newest config block from the orderer (C(peer channel fetch config)), decodes it
    with C(configtxlator) and compares the organization's C(AnchorPeers) with the desired list
    (order does not matter).
  - Only when they differ, edits the configuration, computes the update with
    C(configtxlator compute_update), wraps it in an envelope and submits it with C(peer channel update)
    as the organization's admin (whose signature satisfies the organization's C(Admins) policy), then
    waits, at most I(commit_timeout) seconds, until the newest config block carries the desired anchor
    peers.
  - Never uses the one-shot C(configtxgen -outputAnchorPeersUpdate) transaction, which only works for
    an organization's first update.
  - Check mode only reads the config block and reports the old and the new list. When the channel does
    not exist yet (a check run before its creation), check mode reports the change that the real run
    would make after creating it.
  - Transient errors (C(SERVICE_UNAVAILABLE), connection failures, a command killed by
    I(command_timeout)) are retried a bounded number of times.
options:
  channel:
    description: The channel name.
    type: str
    required: true
  org:
    description:
      - The organization's group name in the channel configuration, under C(Application).
      - That is the organization's C(Name) in C(configtx.yaml) (for example C(Org1)), which need not be
        its MSP ID.
    type: str
    required: true
  anchor_peers:
    description:
      - The desired anchor peers. An empty list removes every anchor peer of the organization.
      - Each C(host:port) at most once.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The anchor peer's host name as other organizations' peers reach it.
        type: str
        required: true
      port:
        description: The anchor peer's port (1 to 65535).
        type: int
        default: 7051
  commit_timeout:
    description:
      - Seconds to wait, after the update was accepted, for the config block that carries it (a deadline
        on a monotonic clock, each read bounded by the time left). Must be greater than 0.
    type: int
    default: 60
  msp_id:
    description: MSP ID of the organization's admin identity that signs the update.
    type: str
    required: true
  orderer_address:
    description: The orderer endpoint, C(host:port).
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Only reads the config block; reports the old and the new anchor peers.
  diff_mode:
    support: full
    description: Shows the organization's anchor peers before and after.
seealso:
  - module: fabric_channel
  - module: fabric_channel_member
extends_documentation_fragment:
  - fabric_cli
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Make peer0-org1 Org1's anchor peer in channel1
  fabric_anchor_peers:
    channel: channel1
    org: Org1
    anchor_peers:
      - host: peer0-org1
        port: 7051
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
    orderer_address: orderer0:7050
    orderer_tls_ca: /etc/hyperledger/admin/OrdererOrg/tls-ca.pem
"""

RETURN = r"""
anchor_peers:
  description: The organization's anchor peers after the run (in check mode, the current ones).
  returned: always
  type: list
  elements: dict
  sample: [{host: peer0-org1, port: 7051}]
previous_anchor_peers:
  description: The organization's anchor peers before the run (empty when the channel does not exist yet).
  returned: always
  type: list
  elements: dict
  sample: []
config_block:
  description: Number of the channel's newest config block, the one carrying I(anchor_peers) (after an update, the update's block).
  returned: when the channel exists
  type: int
  sample: 3
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: anchor peers of Org1 in channel1 updated
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
    POLL_SECONDS,
    FabricCLIError,
    anchor_peers,
    argument_spec,
    is_not_found,
    normalize_anchor_peers,
    run_module,
    seconds,
    with_anchor_peers,
)


def current_anchor_peers(cli, channel, org, deadline=None):
    """(config, the org's anchor peers, number of the config block) from the channel's newest config block."""
    block, config = cli.channel_config(channel, deadline=deadline)
    try:
        return config, anchor_peers(config, org), int(block.get("header", {}).get("number", 0))
    except ValueError as exc:
        raise FabricCLIError(f"channel {channel}: {exc}") from exc


def ensure_anchor_peers(cli, params, check_mode):
    """The decision: read, then compute and submit an update only when the anchors differ (never in check mode)."""
    channel, org = params["channel"], params["org"]
    desired = [{"host": peer["host"], "port": int(peer["port"])} for peer in params["anchor_peers"]]
    label = f"anchor peers of {org} in {channel}"
    try:
        config, current, config_block = current_anchor_peers(cli, channel, org)
    except FabricCLIError as exc:
        if not (check_mode and is_not_found(exc.stderr)):
            raise
        # Check run before the channel exists: the real run creates it first, without anchor peers.
        changed = bool(desired)
        return {
            "changed": changed,
            "anchor_peers": [],
            "previous_anchor_peers": [],
            "diff": {"before": {"anchor_peers": []}, "after": {"anchor_peers": desired}},
            "msg": f"channel {channel} does not exist yet; {label} would be {'set' if changed else 'left empty'} after its creation",
        }
    result = {
        "changed": False,
        "anchor_peers": current,
        "previous_anchor_peers": current,
        "config_block": config_block,
        "diff": {"before": {"anchor_peers": current}, "after": {"anchor_peers": current}},
    }
    if normalize_anchor_peers(current) == normalize_anchor_peers(desired):
        result["msg"] = f"{label} are as desired"
        return result
    result["diff"]["after"] = {"anchor_peers": desired}
    if check_mode:
        result.update(changed=True, msg=f"{label} would be updated")
        return result
    envelope = cli.config_update_envelope(channel, config, with_anchor_peers(config, org, desired))
    if envelope is None:
        result.update(msg=f"{label}: configtxlator found no difference", diff={"before": {"anchor_peers": current}, "after": {"anchor_peers": current}})
        return result
    committed = None
    try:
        cli.submit_update(channel, envelope)
    except FabricCLIError as exc:
        # An update accepted whose answer was lost is refused when retried (version error): the
        # config block then already carries it. One that was killed by its bound or ended on a
        # transient error may still be committed: the wait below decides. Anything else is the
        # error it says.
        _, seen, _ = current_anchor_peers(cli, channel, org)
        if normalize_anchor_peers(seen) != normalize_anchor_peers(desired):
            if not exc.transient:
                raise
            try:
                committed = wait_for_anchor_peers(cli, channel, org, desired, params["commit_timeout"])
            except FabricCLIError as waited:
                raise FabricCLIError(f"{exc.msg}; and {waited.msg}", **exc.details()) from None
    seen, config_block = committed or wait_for_anchor_peers(cli, channel, org, desired, params["commit_timeout"])
    result.update(changed=True, anchor_peers=seen, config_block=config_block, msg=f"{label} updated")
    return result


def wait_for_anchor_peers(cli, channel, org, desired, timeout):
    """Re-read the newest config block until it carries the desired anchor peers, for at most `timeout` seconds.

    A deadline on the CLI's monotonic clock: every read is bounded by the time left, and the message
    says how long it really waited.
    """
    start = cli.clock()
    deadline = start + timeout
    seen, last = None, ""
    while True:
        try:
            _, seen, config_block = current_anchor_peers(cli, channel, org, deadline=deadline)
        except FabricCLIError as exc:
            if not (exc.transient and cli.clock() >= deadline):
                raise
            last = f" (the last read: {exc.msg})"
            break
        if normalize_anchor_peers(seen) == normalize_anchor_peers(desired):
            return seen, config_block
        now = cli.clock()
        if now >= deadline:
            break
        cli.sleep(min(POLL_SECONDS, deadline - now))
    has = "could not be read" if seen is None else f"still has {seen}"
    raise FabricCLIError(
        f"the update of the anchor peers of {org} in {channel} was submitted, but after {seconds(cli.clock() - start)} s "
        f"(commit_timeout {timeout} s) the config block {has}{last}"
    )


def check_options(params):
    errors = [] if params["commit_timeout"] > 0 else [f"commit_timeout must be greater than 0, got {params['commit_timeout']}"]
    endpoints = [(peer["host"], peer["port"]) for peer in params["anchor_peers"]]
    errors += [f"anchor_peers: port {port} of {host} is not between 1 and 65535" for host, port in endpoints if not 1 <= port <= 65535]
    errors += ["anchor_peers: a host is empty" for host, _ in endpoints if not host.strip()][:1]
    twice = sorted({f"{host}:{port}" for host, port in endpoints if endpoints.count((host, port)) > 1})
    if twice:
        errors.append(f"anchor_peers: {', '.join(twice)} given more than once")
    return errors


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    channel={"type": "str", "required": True},
    org={"type": "str", "required": True},
    anchor_peers={
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {"host": {"type": "str", "required": True}, "port": {"type": "int", "default": 7051}},
    },
    commit_timeout={"type": "int", "default": 60},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca"])]


def main(runner=None, sleep=None, clock=None):
    run_module(
        "fabric_anchor_peers", ensure_anchor_peers, ARGUMENT_SPEC, required_if=REQUIRED_IF, runner=runner, sleep=sleep, clock=clock, check_options=check_options
    )


if __name__ == "__main__":
    main()
