#!/usr/bin/python
"""A chaincode package on a peer: installed only when the peer lacks its package ID."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_chaincode_install
short_description: Install a Hyperledger Fabric chaincode package on a peer when the peer does not have it
description:
  - Asks the peer which packages it has (C(peer lifecycle chaincode queryinstalled -O json)) and
    installs I(package) with C(peer lifecycle chaincode install) only when its package ID is not
    among them.
  - The package ID is I(package_id) when given, else computed from the file by
    C(peer lifecycle chaincode calculatepackageid) (C(<label>:<sha256 of the file>), computed locally;
    a byte-identical package is the same package).
  - An install answered C(chaincode already successfully installed) (this task's earlier attempt whose
    answer was lost, or another run, installed it after the check) is not an error. Every install is
    confirmed by C(queryinstalled); the task fails when the peer does not list the package ID then.
  - Check mode only reads (the package ID and the peer's packages) and says whether the package would
    be installed. In check mode a peer that is not reachable at all (C(connection refused), C(no such
    host)) is taken for a peer not running yet, after one attempt, and would be installed (with a
    warning); so is a package file that is not there yet when I(package_id) is not given.
  - Runs the Fabric CLI on the target host as an admin of the peer's organization (the peer's
    C(_lifecycle) refuses an install by anyone else). Transient errors (connection failures, a command
    killed by I(command_timeout)) are retried a bounded number of times.
options:
  package:
    description:
      - The chaincode package file (a C(.tar.gz) of C(metadata.json) and C(code.tar.gz)) on the target
        host.
      - Read only to compute its ID (without I(package_id)) and to install it.
    type: path
    required: true
  package_id:
    description:
      - The package's ID, C(<label>:<sha256 of the file>). When given, no C(calculatepackageid) is run;
        it must be the file's ID, else the install is not confirmed and the task fails.
    type: str
  peer_address:
    description: The peer to install on, C(host:port) (C(CORE_PEER_ADDRESS)).
    type: str
    required: true
  msp_id:
    description: MSP ID of the identity running the CLI, an admin of the peer's organization.
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Only reads; reports whether the package would be installed.
  diff_mode:
    support: full
    description: Shows the peer's installed package IDs before and after.
notes:
  - A C(ccaas) package needs an external builder on the peer that claims it (C(chaincode.externalBuilders)
    of its C(core.yaml)); without one the peer answers C(docker build is disabled).
seealso:
  - module: fabric_chaincode_approve
  - module: fabric_chaincode_commit
extends_documentation_fragment:
  - fabric_lifecycle.peer_only
  - fabric_cli.peer
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Install the assets package on peer0-org1
  fabric_chaincode_install:
    package: /etc/hyperledger/admin/chaincode/assets_1.0.tar.gz
    peer_address: peer0-org1:7051
    peer_tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
  register: installed

- name: Approve it for Org1 with the package ID the install reported
  fabric_chaincode_approve:
    channel: channel1
    name: assets
    version: "1.0"
    package_id: "{{ installed.package_id }}"
    peer_address: peer0-org1:7051
    peer_tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
    orderer_address: orderer0:7050
    orderer_tls_ca: /etc/hyperledger/admin/OrdererOrg/tls-ca.pem
"""

RETURN = r"""
package_id:
  description:
    - The package's ID. Empty when check mode found the package file not there yet (and no I(package_id)
      was given).
  returned: always
  type: str
  sample: assets_1.0:bebec69d5ccea801cc300790e419ca165f3396ed0211689cfc6017e9a5bc8462
installed:
  description:
    - The packages the peer has after the run (in check mode, unchanged from before), as
      C(queryinstalled) lists them. Empty when check mode found the peer unreachable.
  returned: always
  type: list
  elements: dict
  contains:
    package_id:
      description: The package ID.
      type: str
    label:
      description: The package's label (from its C(metadata.json)).
      type: str
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: installed assets_1.0:bebe... on peer0-org1:7051
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

from ansible.module_utils.fabric_cli import MSP_SPEC, PEER_SPEC, FabricCLIError, argument_spec, run_module
from ansible.module_utils.fabric_lifecycle import ALREADY_INSTALLED, Lifecycle, NotThere, strip_usage, unreachable_reason


def ids(installed):
    return sorted(item["package_id"] for item in installed)


def ensure_installed(cli, params, check_mode):
    """The decision: the package's ID, the peer's packages, then install only when missing (never in check mode), confirmed."""
    lifecycle = Lifecycle(cli, check_mode)
    package, peer = params["package"], params["peer_address"]
    package_id = params.get("package_id") or ""
    note = ""
    if not package_id:
        if os.path.isfile(package):
            package_id = lifecycle.calculate_package_id(package)
        elif check_mode:
            note = f" (its package file {package} is not there yet)"
        else:
            raise FabricCLIError(f"the chaincode package {package} is not a file")
    try:
        installed = lifecycle.query_installed()
    except NotThere as exc:
        # Check mode: a peer not running yet (a check run that adds it); the real run installs.
        cli.warn(f"check mode: {peer} is not reachable ({strip_usage(exc.msg)}); taken for a peer not running yet, where the package would be installed")
        after = [package_id] if package_id else []
        return {
            "changed": True,
            "package_id": package_id,
            "installed": [],
            "diff": {"before": {"installed": []}, "after": {"installed": after}},
            "msg": f"{package_id or package} would be installed on {peer} (not reachable: {unreachable_reason(exc)}; taken for a peer not running yet){note}",
        }
    before = ids(installed)
    result = {"changed": False, "package_id": package_id, "installed": installed, "diff": {"before": {"installed": before}, "after": {"installed": before}}}
    if package_id and package_id in before:
        result["msg"] = f"{package_id} is installed on {peer}"
        return result
    result["diff"]["after"] = {"installed": sorted([*before, package_id]) if package_id else before}
    if check_mode:
        result.update(changed=True, msg=f"{package_id or package} would be installed on {peer}{note}")
        return result
    if not os.path.isfile(package):
        raise FabricCLIError(f"{package_id} is not installed on {peer} and the chaincode package {package} is not a file")

    answer = lifecycle.install(package)
    already = not answer.ok and ALREADY_INSTALLED.format(package_id=package_id) in answer.stderr
    if not answer.ok and not already:
        raise lifecycle.error(f"installing {package} on {peer}", answer)
    after = lifecycle.query_installed()
    if package_id not in ids(after):
        raise FabricCLIError(
            f"peer lifecycle chaincode install of {package} on {peer} answered, but the peer does not list {package_id}: {ids(after)}",
            cmd=" ".join(answer.argv),
            rc=answer.rc,
            stdout=answer.stdout,
            stderr=answer.stderr,
        )
    # changed: the peer lacked the package when the task began and has it at its end. "Already
    # successfully installed" is this task's earlier attempt (its answer lost, retried) or another
    # run's install after the check; either way it was installed during this task.
    result.update(changed=True, installed=after)
    result["diff"]["after"] = {"installed": ids(after)}
    result["msg"] = (
        f"installed {package_id} on {peer}"
        if answer.ok
        else f"installed {package_id} on {peer}: the peer answered 'already successfully installed' (this task's earlier attempt, answer lost, or another run)"
    )
    return result


def check_options(params):
    package_id = params.get("package_id")
    if package_id is not None and (":" not in package_id or not package_id.partition(":")[0] or not package_id.partition(":")[2]):
        return [f"package_id must be <label>:<hash>, got {package_id!r}"]
    return []


ARGUMENT_SPEC = argument_spec(
    MSP_SPEC,
    PEER_SPEC,
    package={"type": "path", "required": True},
    package_id={"type": "str"},
)
REQUIRED_IF = [("tls", True, ["peer_tls_ca"])]


def main(runner=None, sleep=None, clock=None):
    run_module(
        "fabric_chaincode_install",
        ensure_installed,
        ARGUMENT_SPEC,
        required_if=REQUIRED_IF,
        runner=runner,
        sleep=sleep,
        clock=clock,
        check_options=check_options,
    )


if __name__ == "__main__":
    main()
