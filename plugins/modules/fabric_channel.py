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
  - The check is a read, so check mode is honoured. In check mode nothing is submitted and the result
    says whether the channel would be created.
  - When another run creates the channel between the check and the creation, the orderer's version
    error is recognised and nothing is reported as changed.
  - Runs the Fabric CLI on the target host as the given organization's admin; transient errors
    (C(SERVICE_UNAVAILABLE), connection failures) are retried a bounded number of times.
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
  returned: always
  type: bool
  sample: true
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: channel channel1 created
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

from ansible.module_utils.fabric_cli import MSP_SPEC, ORDERER_SPEC, FabricCLIError, argument_spec, run_module


def ensure_channel(cli, params, check_mode):
    """The decision: read, then create only when absent (never in check mode)."""
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
    if cli.create_channel(name, params["creation_tx"]):
        result.update(changed=True, exists=True, msg=f"channel {name} created")
    else:
        unchanged = {"channel": name, "exists": True}
        result.update(exists=True, msg=f"channel {name} was created meanwhile by another run", diff={"before": unchanged, "after": dict(unchanged)})
    return result


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    name={"type": "str", "required": True},
    state={"type": "str", "choices": ["present"], "default": "present"},
    creation_tx={"type": "path", "required": True},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca"])]


def main(runner=None):
    run_module("fabric_channel", ensure_channel, ARGUMENT_SPEC, REQUIRED_IF, runner)


if __name__ == "__main__":
    main()
