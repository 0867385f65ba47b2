#!/usr/bin/python
"""An organization's approval of a chaincode definition on a channel: approved only when it differs."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_chaincode_approve
short_description: Approve a Hyperledger Fabric chaincode definition for an organization when its approval differs
description:
  - Reads the definition committed on the channel (C(peer lifecycle chaincode querycommitted -O json)) to
    settle the sequence (see I(sequence)), then this organization's approval for that sequence
    (C(peer lifecycle chaincode queryapproved --sequence N -O json)).
  - Approves with C(peer lifecycle chaincode approveformyorg) only when there is no approval for the
    sequence or it differs from the desired definition in version, endorsement policy (signature policy,
    or channel policy reference), I(init_required), collections, endorsement and validation plugin
    (Fabric's defaults C(escc), C(vscc)), or the package ID. The policies are compared as the bytes
    Fabric stores, the collections field by field with the CLI's defaults.
  - Approving an unchanged definition again is never done (Fabric refuses it, C(unchanged content)
    before a commit, C(ENDORSEMENT_POLICY_FAILURE) after).
  - The approval counts once C(queryapproved) shows it (polled for at most I(approve_timeout) seconds).
    An approval that failed after it may have been applied (C(unchanged content) to a retried attempt,
    a command killed by I(command_timeout), a transient error other than an endpoint never reached) is
    judged by that read too; any other failure by one read, then the CLI's error.
  - Check mode only reads and says whether, and at which sequence, the organization would approve. In
    check mode a peer not reachable at all, or not joined to the channel yet, is taken for one not
    running or joined yet (a check run that adds it); after one attempt the result says it would
    approve (with a warning).
  - Runs the Fabric CLI on the target host as an admin of the organization (C(approveformyorg) is
    endorsed by I(peer_address), a peer of the organization, and ordered by I(orderer_address)).
options:
  package_id:
    description:
      - The package this organization's peers run for the definition, C(<label>:<hash>) (as
        M(fabric_chaincode_install) returns it). The empty string approves the definition without a
        package (this organization's peers then do not run the chaincode).
    type: str
    required: true
  approve_timeout:
    description:
      - Seconds to wait, after an approval was submitted, until C(queryapproved) shows it. Greater than 0.
    type: int
    default: 60
  peer_address:
    description: A peer of the organization, C(host:port), that endorses the approval and answers the queries.
    type: str
    required: true
  msp_id:
    description: MSP ID of the identity running the CLI, an admin of the approving organization.
    type: str
    required: true
  orderer_address:
    description: The orderer endpoint, C(host:port), that orders the approval.
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Only reads; reports whether and at which sequence the organization would approve.
  diff_mode:
    support: full
    description: Shows the organization's approved definition for the sequence before and after.
notes:
  - An upgrade is a new package installed on every peer (M(fabric_chaincode_install)), a changed
    definition approved by the organizations with I(sequence=auto) (the committed sequence + 1), then
    M(fabric_chaincode_commit). The committed definition keeps serving until that commit.
seealso:
  - module: fabric_chaincode_install
  - module: fabric_chaincode_commit
extends_documentation_fragment:
  - fabric_lifecycle
  - fabric_cli
  - fabric_cli.peer
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Approve assets for Org1 on channel1 (the next sequence when the definition changed)
  fabric_chaincode_approve:
    channel: channel1
    name: assets
    version: "1.1"
    package_id: assets_1.1:39478342fe4f0fd061dc7dc9a12c53871683285216faa71df8b2b1f2761dc772
    signature_policy: "OR('Org1MSP.member', 'Org2MSP.member')"
    collections_config: /etc/hyperledger/admin/chaincode/assets-collections.json
    peer_address: peer0-org1:7051
    peer_tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
    orderer_address: orderer0:7050
    orderer_tls_ca: /etc/hyperledger/admin/OrdererOrg/tls-ca.pem
"""

RETURN = r"""
sequence:
  description: The sequence approved (or that would be); null when check mode could not read the channel.
  returned: always
  type: int
  sample: 2
committed_sequence:
  description: The sequence committed on the channel when the task began; 0 for a chaincode never committed.
  returned: always
  type: int
  sample: 1
approved:
  description:
    - This organization's approved definition for I(sequence) after the run (in check mode, unchanged from
      before); null when there is none. Policies as strings (C(signature_policy) or C(channel_config_policy)).
  returned: always
  type: dict
  sample:
    name: assets
    sequence: 2
    version: "1.1"
    package_id: assets_1.1:39478342fe4f0fd061dc7dc9a12c53871683285216faa71df8b2b1f2761dc772
    endorsement_policy:
      signature_policy: OR('Org1MSP.member', 'Org2MSP.member')
    init_required: false
    collections: []
    endorsement_plugin: escc
    validation_plugin: vscc
differences:
  description: The fields in which the approval differed from the desired definition (all of them when there was none).
  returned: always
  type: list
  elements: str
  sample: [version, package_id]
waited:
  description: Seconds from the approval's answer until C(queryapproved) showed it.
  returned: when an approval was made
  type: float
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: Org1MSP approved assets sequence 2 on channel1
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
    UNCHANGED_APPROVAL,
    Lifecycle,
    NotThere,
    definition_errors,
    desired_definition,
    may_have_been_applied,
    parse_sequence,
    resolve_sequence,
    strip_usage,
    timeout_errors,
    unreachable_reason,
)

ALL_FIELDS = ["version", "endorsement_policy", "init_required", "collections", "endorsement_plugin", "validation_plugin", "package_id"]


def ensure_approved(cli, params, check_mode):
    """The decision: committed definition -> sequence -> this org's approval; approve only when it differs (never in check mode), confirmed."""
    lifecycle = Lifecycle(cli, check_mode)
    channel, name, org = params["channel"], params["name"], params["msp_id"]
    desired, note = desired_definition(params, cli.tmpdir, package=True)
    option = parse_sequence(params["sequence"])
    try:
        committed = lifecycle.query_committed(channel, name)
        try:
            desired.sequence = resolve_sequence(option, committed, desired)
        except ValueError as exc:
            raise FabricCLIError(f"approving {name} on {channel} for {org}: {exc}") from None
        approved = lifecycle.query_approved(channel, name, desired.sequence)
    except NotThere as exc:
        return predicted(cli, params, desired, option, exc)

    differences = approved.differences(desired, package=True) if approved else list(ALL_FIELDS)
    before = approved.describe(package=True) if approved else None
    result = {
        "changed": False,
        "sequence": desired.sequence,
        "committed_sequence": committed.sequence if committed else 0,
        "approved": before,
        "differences": differences,
        "diff": {"before": {"approved": before}, "after": {"approved": before}},
    }
    what = f"{name} sequence {desired.sequence} on {channel}"
    if not differences:
        result["msg"] = f"{org} has approved {what}"
        return result
    result["diff"]["after"] = {"approved": desired.describe(package=True)}
    if committed and desired.sequence == committed.sequence:
        cli.warn(
            f"{org} approves package {desired.package_id or '(none)'} for the committed sequence {desired.sequence} of {name} on {channel}: "
            "its peers switch to it at once, without a commit; change the version to roll a new package out with a commit"
        )
    because = "nothing approved for that sequence yet" if approved is None else f"its approval differs in {', '.join(differences)}"
    if check_mode:
        result.update(changed=True, msg=f"{org} would approve {what} ({because}{'; ' + note if note else ''})")
        return result
    if desired.collections is None:
        raise FabricCLIError(f"approving {what} for {org}: the collections_config {params['collections_config']} is not a file")

    answer = lifecycle.approve(channel, desired)
    confirmed, waited, after = confirm(lifecycle, channel, desired, answer, params["approve_timeout"])
    if not confirmed:
        if not answer.ok:
            raise lifecycle.error(f"approving {what} for {org}", answer)
        shown = "nothing" if after is None else f"a definition that differs in {', '.join(after.differences(desired, package=True))}"
        raise FabricCLIError(
            f"approving {what} for {org}: approveformyorg succeeded, but queryapproved on {params['peer_address']} showed {shown} "
            f"for {seconds(waited)} s (approve_timeout {params['approve_timeout']} s)",
            cmd=" ".join(answer.argv),
            rc=answer.rc,
            stdout=answer.stdout,
            stderr=answer.stderr,
        )
    # changed: the approval differed when the task began and is the desired one at its end, whoever's
    # transaction made it (an "unchanged content" answer is this task's earlier attempt, or another run).
    result.update(changed=True, approved=after.describe(package=True), waited=round(waited, 3))
    result["diff"]["after"] = {"approved": result["approved"]}
    if answer.ok:
        result["msg"] = f"{org} approved {what} ({because})"
    else:
        result["msg"] = (
            f"{org} approved {what}: approveformyorg failed ({strip_usage(answer.error_text)}) but the approval is there "
            "(this task's earlier attempt, answer lost, or another run)"
        )
    return result


def confirm(lifecycle, channel, desired, answer, timeout):
    """Whether queryapproved shows the desired approval: polled up to `timeout` s after an approval that was or may have been applied, else read once."""

    def matches(approved):
        return approved is not None and not approved.differences(desired, package=True)

    def read(deadline):
        return lifecycle.query_approved(channel, desired.name, desired.sequence, retry=False, deadline=deadline)

    if may_have_been_applied(answer, UNCHANGED_APPROVAL.format(sequence=desired.sequence, name=desired.name)):
        return lifecycle.wait_for(read, matches, timeout)
    after = lifecycle.query_approved(channel, desired.name, desired.sequence)
    return matches(after), 0.0, after


def predicted(cli, params, desired, option, exc):
    """Check mode, the peer not reachable or not joined to the channel: taken for one not running or joined yet; the real run approves."""
    org, name, channel, peer = params["msp_id"], params["name"], params["channel"], params["peer_address"]
    reason = unreachable_reason(exc)
    cli.warn(
        f"check mode: {peer} cannot answer for {channel} ({strip_usage(exc.msg)}); taken for a peer not running or joined yet, where {org} would approve {name}"
    )
    desired.sequence = option if option != "auto" else None
    return {
        "changed": True,
        "sequence": desired.sequence,
        "committed_sequence": 0,
        "approved": None,
        "differences": list(ALL_FIELDS),
        "diff": {"before": {"approved": None}, "after": {"approved": desired.describe(package=True)}},
        "msg": f"{org} would approve {name} on {channel} ({peer}: {reason}; taken for a peer not running or joined yet)",
    }


def check_options(params):
    errors = definition_errors(params) + timeout_errors(params, "approve_timeout")
    package_id = params.get("package_id")
    if package_id and (not package_id.partition(":")[0] or not package_id.partition(":")[2]):
        errors.append(f"package_id must be <label>:<hash> or empty, got {package_id!r}")
    return errors


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    ORDERER_SPEC,
    PEER_SPEC,
    DEFINITION_SPEC,
    package_id={"type": "str", "required": True},
    approve_timeout={"type": "int", "default": 60},
)
REQUIRED_IF = [("tls", True, ["orderer_tls_ca", "peer_tls_ca"])]


def main(runner=None, sleep=None, clock=None):
    run_module(
        "fabric_chaincode_approve",
        ensure_approved,
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
