#!/usr/bin/python
"""A chaincode definition committed on a channel: committed only when it differs, and only once every organization approved it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_chaincode_commit
short_description: Commit a Hyperledger Fabric chaincode definition on a channel when the committed one differs
description:
  - Reads the definition committed on the channel (C(peer lifecycle chaincode querycommitted -O json)) and
    settles the sequence (see I(sequence)). When the committed definition has that sequence and equals
    the desired one (version, endorsement policy, I(init_required), collections, endorsement and
    validation plugin), nothing is done.
  - Otherwise asks C(peer lifecycle chaincode checkcommitreadiness -O json) which organizations of the
    channel approved exactly this definition, and fails, before any commit, when one has not, with a
    message naming them (C(Org2MSP has not approved assets sequence 2 on channel1)).
  - When every organization approved, commits with C(peer lifecycle chaincode commit), endorsed by
    I(peers) (one peer of each member organization; the channel's C(LifecycleEndorsement) policy, by
    default a majority of the organizations, must be met), then waits until C(querycommitted) on
    I(peer_address) shows the definition (at most I(commit_timeout) seconds, monotonic clock).
  - A commit that failed after it may have been applied (C(new definition must be sequence N+1) to a
    retried attempt, a command killed by I(command_timeout), a transient error other than an endpoint
    never reached) is judged by that read too; any other failure by one read, then the CLI's error.
  - Check mode only reads and says whether the definition would be committed. Organizations that have not
    approved yet do not fail a check run (the approvals of the same run are not made in check mode);
    the result names them in I(not_approved), with a warning that the real run fails unless they approve
    first. In check mode a peer not reachable at all, or not joined to the channel yet, is taken for one
    not running or joined yet, after one attempt (with a warning).
  - Runs the Fabric CLI on the target host as an admin of a member organization.
options:
  peers:
    description:
      - The peers that endorse the commit (C(--peerAddresses), C(--tlsRootCertFiles)), one of each member
        organization whose endorsement the channel's C(LifecycleEndorsement) policy needs. The CLI waits
        for the commit on each of them.
    type: list
    elements: dict
    required: true
    suboptions:
      address:
        description: The peer endpoint, C(host:port).
        type: str
        required: true
      tls_ca:
        description: The peer organization's TLS CA certificate; required with I(tls=true), refused with I(tls=false).
        type: path
  commit_timeout:
    description:
      - Seconds to wait, after a commit was submitted, until C(querycommitted) on I(peer_address) shows the
        definition. Greater than 0.
    type: int
    default: 60
  peer_address:
    description: The peer, C(host:port), that answers C(querycommitted) and C(checkcommitreadiness).
    type: str
    required: true
  msp_id:
    description: MSP ID of the identity running the CLI, an admin of a member organization.
    type: str
    required: true
  orderer_address:
    description: The orderer endpoint, C(host:port), that orders the commit.
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Only reads; reports whether the definition would be committed and who has not approved it yet.
  diff_mode:
    support: full
    description: Shows the committed definition before and after.
notes:
  - The committed definition keeps serving until the commit of the next sequence; the peers then run the
    package each organization approved for it.
seealso:
  - module: fabric_chaincode_install
  - module: fabric_chaincode_approve
extends_documentation_fragment:
  - fabric_lifecycle
  - fabric_cli
  - fabric_cli.peer
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Commit assets on channel1, endorsed by a peer of each organization
  fabric_chaincode_commit:
    channel: channel1
    name: assets
    version: "1.1"
    signature_policy: "OR('Org1MSP.member', 'Org2MSP.member')"
    collections_config: /etc/hyperledger/admin/chaincode/assets-collections.json
    peers:
      - address: peer0-org1:7051
        tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
      - address: peer0-org2:7051
        tls_ca: /etc/hyperledger/admin/Org2/tls-ca.pem
    peer_address: peer0-org1:7051
    peer_tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
    orderer_address: orderer0:7050
    orderer_tls_ca: /etc/hyperledger/admin/OrdererOrg/tls-ca.pem
"""

RETURN = r"""
sequence:
  description: The sequence committed (or that would be); null when check mode could not read the channel.
  returned: always
  type: int
  sample: 2
committed_sequence:
  description: The sequence committed when the task began; 0 for a chaincode never committed.
  returned: always
  type: int
  sample: 1
committed:
  description:
    - The committed definition after the run (in check mode, unchanged from before), with its C(approvals)
      as C(querycommitted) reports them; null for a chaincode never committed.
  returned: always
  type: dict
approvals:
  description: C(checkcommitreadiness) of the desired definition, MSP ID -> approved; empty when it was not needed.
  returned: always
  type: dict
  sample: {Org1MSP: true, Org2MSP: false}
not_approved:
  description: The organizations that have not approved the desired definition (only check mode gets this far with some).
  returned: always
  type: list
  elements: str
  sample: [Org2MSP]
waited:
  description: Seconds from the commit's answer until C(querycommitted) showed the definition.
  returned: when a commit was made
  type: float
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: committed assets sequence 2 on channel1
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

from ansible.module_utils.fabric_cli import MSP_SPEC, ORDERER_SPEC, PEER_SPEC, FabricCLIError, argument_spec, run_module, seconds
from ansible.module_utils.fabric_lifecycle import (
    DEFINITION_MUTUALLY_EXCLUSIVE,
    DEFINITION_SPEC,
    SEQUENCE_COMMITTED,
    Lifecycle,
    NotThere,
    definition_errors,
    desired_definition,
    may_have_been_applied,
    not_approved_message,
    org_list,
    parse_sequence,
    resolve_sequence,
    strip_usage,
    timeout_errors,
    unreachable_reason,
)


def describe(definition):
    """The committed definition with its approvals as querycommitted reports them (the diff shows the definition only)."""
    if definition is None:
        return None
    out = definition.describe()
    out["approvals"] = dict(sorted((definition.approvals or {}).items()))
    return out


def definition_of(definition):
    return definition.describe() if definition is not None else None


def ensure_committed(cli, params, check_mode):
    """The decision: committed definition -> sequence; if it differs, every org's approval, then commit (never in check mode), confirmed."""
    lifecycle = Lifecycle(cli, check_mode)
    channel, name = params["channel"], params["name"]
    desired, note = desired_definition(params, cli.tmpdir)
    option = parse_sequence(params["sequence"])
    try:
        committed = lifecycle.query_committed(channel, name)
        try:
            desired.sequence = resolve_sequence(option, committed, desired)
        except ValueError as exc:
            raise FabricCLIError(f"committing {name} on {channel}: {exc}") from None
        what = f"{name} sequence {desired.sequence} on {channel}"
        before = definition_of(committed)
        result = {
            "changed": False,
            "sequence": desired.sequence,
            "committed_sequence": committed.sequence if committed else 0,
            "committed": describe(committed),
            "approvals": {},
            "not_approved": [],
            "diff": {"before": {"committed": before}, "after": {"committed": before}},
        }
        if committed and committed.sequence == desired.sequence:
            result["msg"] = f"{what} is committed"
            return result
        result["diff"]["after"] = {"committed": desired.describe()}
        if desired.collections is None:
            if check_mode:
                result.update(changed=True, msg=f"{what} would be committed ({note}; its approvals not checked)")
                return result
            raise FabricCLIError(f"committing {what}: the collections_config {params['collections_config']} is not a file")
        approvals = lifecycle.check_commit_readiness(channel, desired)
    except NotThere as exc:
        return predicted(cli, params, desired, option, exc)

    not_approved = sorted(org for org, ok in approvals.items() if not ok)
    result.update(approvals=dict(sorted(approvals.items())), not_approved=not_approved)
    if not_approved:
        message = not_approved_message(not_approved, name, desired.sequence, channel)
        if not check_mode:
            raise FabricCLIError(f"{message}: not committed (checkcommitreadiness on {params['peer_address']}: {format_approvals(approvals)})")
        cli.warn(f"check mode: {message} yet; the real run commits only if they approve it first (as the approve tasks of the same run do)")
        verb = "approves" if len(not_approved) == 1 else "approve"
        result.update(changed=True, msg=f"{what} would be committed once {org_list(not_approved)} {verb} it")
        return result
    if check_mode:
        result.update(changed=True, msg=f"{what} would be committed (approved by {', '.join(sorted(approvals))})")
        return result

    answer = lifecycle.commit(channel, desired, params["peers"])
    confirmed, waited, after = confirm(lifecycle, channel, desired, answer, params["commit_timeout"])
    if not confirmed:
        if not answer.ok:
            raise lifecycle.error(f"committing {what}", answer)
        shown = "no definition" if after is None else f"sequence {after.sequence}"
        raise FabricCLIError(
            f"committing {what}: the commit succeeded, but querycommitted on {params['peer_address']} showed {shown} "
            f"for {seconds(waited)} s (commit_timeout {params['commit_timeout']} s)",
            cmd=" ".join(answer.argv),
            rc=answer.rc,
            stdout=answer.stdout,
            stderr=answer.stderr,
        )
    # changed: the definition was not committed when the task began and is at its end, whoever's
    # transaction committed it (an answer "must be sequence N+1" is this task's earlier attempt, or another run).
    result.update(changed=True, committed=describe(after), waited=round(waited, 3))
    result["diff"]["after"] = {"committed": definition_of(after)}
    if answer.ok:
        result["msg"] = f"committed {what}"
    else:
        result["msg"] = (
            f"committed {what}: the commit failed ({strip_usage(answer.error_text)}) but the definition is committed "
            "(this task's earlier attempt, answer lost, or another run)"
        )
    return result


def format_approvals(approvals):
    return ", ".join(f"{org}: {'approved' if ok else 'not approved'}" for org, ok in sorted(approvals.items()))


def confirm(lifecycle, channel, desired, answer, timeout):
    """Whether querycommitted shows the desired definition: polled up to `timeout` s after a commit that was or may have been applied, else read once."""

    def matches(committed):
        return committed is not None and committed.sequence == desired.sequence and not committed.differences(desired)

    def read(deadline):
        return lifecycle.query_committed(channel, desired.name, retry=False, deadline=deadline)

    if may_have_been_applied(answer, SEQUENCE_COMMITTED.format(sequence=desired.sequence, next=desired.sequence + 1)):
        return lifecycle.wait_for(read, matches, timeout)
    after = lifecycle.query_committed(channel, desired.name)
    return matches(after), 0.0, after


def predicted(cli, params, desired, option, exc):
    """Check mode, the peer not reachable or not joined to the channel: taken for one not running or joined yet; the real run commits."""
    name, channel, peer = params["name"], params["channel"], params["peer_address"]
    cli.warn(
        f"check mode: {peer} cannot answer for {channel} ({strip_usage(exc.msg)}); taken for a peer not running or joined yet, where {name} would be committed"
    )
    desired.sequence = option if option != "auto" else None
    return {
        "changed": True,
        "sequence": desired.sequence,
        "committed_sequence": 0,
        "committed": None,
        "approvals": {},
        "not_approved": [],
        "diff": {"before": {"committed": None}, "after": {"committed": desired.describe()}},
        "msg": f"{name} would be committed on {channel} ({peer}: {unreachable_reason(exc)}; taken for a peer not running or joined yet)",
    }


def check_options(params):
    errors = definition_errors(params) + timeout_errors(params, "commit_timeout")
    peers = params.get("peers") or []
    if not peers:
        errors.append("peers is empty: the commit needs a peer of each organization the LifecycleEndorsement policy names")
    seen = set()
    for peer in peers:
        address = (peer.get("address") or "").strip()
        if not address:
            errors.append("peers: an address is empty")
            continue
        if address in seen:
            errors.append(f"peers: {address} given more than once")
        seen.add(address)
        if params.get("tls", True) and not peer.get("tls_ca"):
            errors.append(f"peers: {address} needs tls_ca with tls=true")
        if not params.get("tls", True) and peer.get("tls_ca"):
            errors.append(f"peers: tls_ca of {address} given with tls=false, where nothing uses it")
    return errors


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    PEER_SPEC,
    DEFINITION_SPEC,
    peers={"type": "list", "elements": "dict", "required": True, "options": {"address": {"type": "str", "required": True}, "tls_ca": {"type": "path"}}},
    commit_timeout={"type": "int", "default": 60},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca", "peer_tls_ca"])]


def main(runner=None, sleep=None, clock=None):
    run_module(
        "fabric_chaincode_commit",
        ensure_committed,
        ARGUMENT_SPEC,
        required_if=REQUIRED_IF,
        runner=runner,
        sleep=sleep,
        clock=clock,
        check_options=check_options,
        mutually_exclusive=DEFINITION_MUTUALLY_EXCLUSIVE,
    )


if __name__ == "__main__":
    main()
