#!/usr/bin/python
"""A channel on the ordering service: created from its creation transaction only when absent."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_channel
short_description: Create a Hyperledger Fabric channel on the ordering service when it does not exist
description:
  - Asks the orderer for the channel's oldest block (C(peer channel fetch oldest)). C(NOT_FOUND) means
    the channel does not exist; only then is it created from its creation transaction with
    C(peer channel create).
  - A creation counts only once the orderer serves the channel's genesis block (C(peer channel fetch 0),
    polled for at most I(create_timeout) seconds). A C(peer channel create) that failed after it may
    have sent the creation (it gave up waiting for the new Kafka chain, was killed by
    I(command_timeout), or lost its connection) is judged by that fetch too; when the block is not
    served in time the task fails with the CLI's error.
  - When the orderer answers C(existing channel) (to a retried creation whose first answer was lost,
    or because another run created the channel after this task's check), the channel is there, and the
    task reports a change, since the channel did not exist when the task began and exists at its end.
  - The check is a read, so check mode is honoured. In check mode nothing is submitted and the result
    says whether the channel would be created.
  - Runs the Fabric CLI on the target host as the given organization's admin; transient errors
    (C(SERVICE_UNAVAILABLE), connection failures, a command killed by I(command_timeout)) are
    retried a bounded number of times. Only a command's final error is classified, never the lines
    it logs while it waits.
options:
  name:
    description: The channel name.
    type: str
    required: true
  state:
    description: Only C(present) is supported (the ordering service cannot delete a channel).
    type: str
    choices: [present]
    default: present
  creation_tx:
    description:
      - The channel creation transaction (C(configtxgen -outputCreateChannelTx)) on the target host.
      - Read only when the channel has to be created; in check mode it need not exist yet (a check run
        of the playbooks that generate it writes nothing).
    type: path
    required: true
  msp_id:
    description: MSP ID of the identity running the CLI (an admin of a member organization for creation).
    type: str
    required: true
  orderer_address:
    description: The orderer endpoint, C(host:port).
    type: str
    required: true
  create_timeout:
    description:
      - Seconds to wait, after a creation was submitted, until the orderer serves the channel's genesis
        block (a new Kafka chain needs a moment to start). Must be greater than 0.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Only reads the orderer; reports whether the channel would be created.
  diff_mode:
    support: full
    description: Shows whether the channel exists before and after.
notes:
  - The creation transaction does not carry anchor peers; set them with M(fabric_anchor_peers).
seealso:
  - module: fabric_channel_member
  - module: fabric_anchor_peers
extends_documentation_fragment:
  - fabric_cli
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Create channel1 on the ordering service
  fabric_channel:
    name: channel1
    creation_tx: /etc/hyperledger/admin/channel-artifacts/channel1.tx
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
    orderer_address: orderer0:7050
    orderer_tls_ca: /etc/hyperledger/admin/OrdererOrg/tls-ca.pem
"""

RETURN = r"""
exists:
  description: Whether the orderer has the channel after the run (in check mode, unchanged from before).
    After a creation, true only once the orderer served the channel's genesis block.
  returned: always
  type: bool
  sample: true
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: channel channel1 created
waited:
  description: Seconds from the creation's answer until the orderer served the channel's genesis block.
  returned: when the channel was created
  type: float
  sample: 0.4
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

import os

from ansible.module_utils.fabric_cli import (
    MSP_SPEC,
    ORDERER_SPEC,
    FabricCLIError,
    argument_spec,
    is_creation_wait_timeout,
    is_existing_channel,
    is_orderer_refusal,
    is_unreachable,
    run_module,
    seconds,
)


def may_have_been_created(result):
    """Whether a failed `peer channel create` may have sent the creation to the orderer.

    Yes when it gave up waiting for the genesis block (the creation was sent), was killed by its
    bound, or ended on another transient error (a lost connection: unknown). No when it never
    reached the orderer (connection refused, no such host) or the orderer refused it (a status
    other than SUCCESS), or on any other error (a bad transaction file, ...).
    """
    if result.timed_out or is_creation_wait_timeout(result.stderr):
        return True
    if is_unreachable(result.stdout, result.stderr) or is_orderer_refusal(result.stderr):
        return False
    return result.transient


def ensure_channel(cli, params, check_mode):
    """The decision: read, then create only when absent (never in check mode), and confirm by the genesis block."""
    name = params["name"]
    before = {"channel": name, "exists": cli.channel_exists(name)}
    result = {"changed": False, "exists": before["exists"], "diff": {"before": before, "after": dict(before)}}
    if before["exists"]:
        result["msg"] = f"channel {name} exists"
        return result
    have_tx = os.path.isfile(params["creation_tx"])
    result["diff"]["after"]["exists"] = True
    if check_mode:
        # The transaction may not be generated yet: a check run of site.yml writes no artifact.
        note = "" if have_tx else f" (its creation transaction {params['creation_tx']} is not there yet)"
        result.update(changed=True, msg=f"channel {name} would be created{note}")
        return result
    if not have_tx:
        raise FabricCLIError(f"channel {name} does not exist and its creation transaction {params['creation_tx']} is not a file")

    created = cli.create_channel(name, params["creation_tx"])
    # changed means: the channel did not exist when this task began (the fetch above said NOT_FOUND)
    # and exists at its end (its genesis block is served, below). That holds whoever's creation the
    # orderer applied. An "existing channel" answer cannot tell this task's own earlier attempt
    # (whose answer was lost, e.g. killed by command_timeout, then retried) from another run's
    # creation between the check and ours; calling it "no change" would hide the creation this
    # task made, the worse error (nothing notified, a report that says nothing happened). In a real
    # race both runs report the change they both saw, as their diffs do: exists false -> true.
    if created.ok:
        how = f"channel {name} created"
    elif is_existing_channel(created.stderr, name):
        if created.attempts > 1:
            how = (
                f"channel {name} created: the orderer answered 'existing channel' to attempt {created.attempts}, "
                "so this task's earlier attempt (whose answer was lost) or another run created it"
            )
        else:
            how = f"channel {name} created by another run after this task found it absent (the orderer answered 'existing channel')"
    elif may_have_been_created(created):
        how = f"channel {name} created, although peer channel create failed: {created.error_text}"
    else:
        raise cli.error(f"creating channel {name}", created)

    served, waited, last = cli.wait_for_block(name, 0, params["create_timeout"])
    if not served:
        said = "succeeded" if created.ok else f"failed: {created.error_text}"
        raise FabricCLIError(
            f"creating channel {name}: peer channel create {said}; and {params['orderer_address']} did not serve the channel's "
            f"genesis block within {seconds(waited)} s (create_timeout {params['create_timeout']} s): {last.error_text}",
            cmd=" ".join(created.argv),
            rc=created.rc,
            stdout=created.stdout,
            stderr=created.stderr,
        )
    result.update(changed=True, exists=True, msg=how, waited=round(waited, 3))
    return result


def check_options(params):
    return [] if params["create_timeout"] > 0 else [f"create_timeout must be greater than 0, got {params['create_timeout']}"]


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    name={"type": "str", "required": True},
    state={"type": "str", "choices": ["present"], "default": "present"},
    creation_tx={"type": "path", "required": True},
    create_timeout={"type": "int", "default": 60},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca"])]


def main(runner=None, sleep=None, clock=None):
    run_module("fabric_channel", ensure_channel, ARGUMENT_SPEC, required_if=REQUIRED_IF, runner=runner, sleep=sleep, clock=clock, check_options=check_options)


if __name__ == "__main__":
    main()
