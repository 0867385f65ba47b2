"""The chaincode lifecycle modules' decisions, run as modules with only the command runner faked.

Every answer the fake gives is the real 2.5.16 CLI's (fixtures/fabric/lifecycle, captured on the
lab: capture-cc on channel1 with Org1 and Org2, on channel2 with Org1). Check mode must run reads
only; diff and changed must say exactly what changed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import tarfile
import tempfile
from pathlib import Path

import fabric_cli
import fabric_lifecycle
import pytest
import yaml
from ansible.module_utils import _internal as module_internal
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args
from lifecycle_fakes import KILLED, LIFECYCLE, FakeClock, FakeRunner, answer, capture, flag, flags, stdout, writes

# Imported once lifecycle_fakes has registered ansible.module_utils.fabric_lifecycle, which they import.
fabric_chaincode_install = importlib.import_module("fabric_chaincode_install")
fabric_chaincode_approve = importlib.import_module("fabric_chaincode_approve")
fabric_chaincode_commit = importlib.import_module("fabric_chaincode_commit")

ROOT = Path(__file__).resolve().parents[2]
PKG1 = "capture-cc_1.0:bebec69d5ccea801cc300790e419ca165f3396ed0211689cfc6017e9a5bc8462"
PKG2 = "capture-cc_2.0:39478342fe4f0fd061dc7dc9a12c53871683285216faa71df8b2b1f2761dc772"
POLICY1 = "OR('Org1MSP.member','Org2MSP.member')"
POLICY2 = "OutOf(2, 'Org1MSP.peer', OR('Org2MSP.peer', 'Org2MSP.client'), 'Org1MSP.admin')"
COLLECTIONS = str(LIFECYCLE / "collections.json")

ORDERER = {"orderer_address": "orderer0:7050", "orderer_tls_ca": "/etc/hyperledger/admin/OrdererOrg/tls-ca.pem"}
ORG1 = {
    "msp_id": "Org1MSP",
    "msp_dir": "/etc/hyperledger/admin/Org1/msp",
    "peer_address": "peer0-org1:7051",
    "peer_tls_ca": "/etc/hyperledger/admin/Org1/tls-ca.pem",
    "retry_delay": 0,
}
ORG2 = {
    "msp_id": "Org2MSP",
    "msp_dir": "/etc/hyperledger/admin/Org2/msp",
    "peer_address": "peer0-org2:7051",
    "peer_tls_ca": "/etc/hyperledger/admin/Org2/tls-ca.pem",
    "retry_delay": 0,
}
# The definitions captured: capture-cc 1.0 (sequence 1) and 2.0 (sequence 2) on channel1, 1.0 on channel2.
V1 = {"channel": "channel1", "name": "capture-cc", "version": "1.0", "signature_policy": POLICY1, "collections_config": COLLECTIONS}
V2 = {**V1, "version": "2.0", "signature_policy": POLICY2}
CHANNEL2 = {"channel": "channel2", "name": "capture-cc", "version": "1.0", "init_required": True}
PEERS = [
    {"address": "peer0-org1:7051", "tls_ca": "/etc/hyperledger/admin/Org1/tls-ca.pem"},
    {"address": "peer0-org2:7051", "tls_ca": "/etc/hyperledger/admin/Org2/tls-ca.pem"},
]


def run(module, args, runner, capsys, check=False):
    """The module's result; on the runner's fake clock when it has one."""
    timing = {"sleep": runner.clock.sleep, "clock": runner.clock} if runner.clock else {}
    # As on a target host: warnings go into the result (other tests load controller code, which
    # makes them go to the display), and one module run per process (here many share one).
    controller, module_internal.is_controller = module_internal.is_controller, False
    module_warnings._global_warnings.clear()
    try:
        with patch_module_args({**args, "_ansible_check_mode": check, "_ansible_diff": True}), pytest.raises(SystemExit):
            module.main(runner=runner, **timing)
    finally:
        module_internal.is_controller = controller
    result = json.loads(capsys.readouterr().out)
    temporary = [arg for argv, _ in runner.calls for arg in argv if arg.startswith(os.path.join(tempfile.gettempdir(), "fabric_"))]
    assert all(not Path(path).parent.exists() for path in temporary), temporary  # removed with its directory
    return result


def warnings(result):
    """The warnings' texts (ansible-core 2.19 returns each as a WarningSummary of its event)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


@pytest.fixture
def package(tmp_path):
    path = tmp_path / "capture-cc_1.0.tar.gz"
    path.write_bytes((LIFECYCLE / "capture-cc_1.0.tar.gz").read_bytes())
    return str(path)


def without(args, *names):
    return {key: value for key, value in args.items() if key not in names}


def install_args(package, **extra):
    return {**ORG1, "package": package, **extra}


def approve_args(org, definition, package_id, **extra):
    return {**org, **ORDERER, **definition, "package_id": package_id, **extra}


def commit_args(definition, **extra):
    return {**ORG1, **ORDERER, **definition, "peers": PEERS, **extra}


# -- policies, collections and answers: the pure parsers against the captures -------------------


@pytest.mark.parametrize(
    ("fixture", "options"),
    [
        ("queryapproved", {"signature_policy": POLICY1}),
        ("queryapproved-v2", {"signature_policy": POLICY2}),
        ("queryapproved-org2-other-definition", {}),  # no policy: the channel's default
        ("channel2-queryapproved", {"channel_config_policy": "/Channel/Application/Endorsement"}),
    ],
)
def test_the_policy_compiles_to_the_bytes_fabric_stored(fixture, options):
    """Fabric compares the validation parameter byte by byte: the compiled policy must be those bytes."""
    stored = base64.b64decode(json.loads(stdout(fixture))["validation_parameter"])
    compiled = fabric_lifecycle.Definition("capture-cc", "1.0", policy=fabric_lifecycle.application_policy(**options)).validation_parameter
    assert compiled == stored


def test_nested_principals_are_numbered_as_policydsl_numbers_them():
    """Nested gates first, then the gate's own principals (Org2's before Org1's here, as Fabric stored them)."""
    envelope = fabric_lifecycle.decode_application_policy(base64.b64decode(json.loads(stdout("queryapproved-v2"))["validation_parameter"]))[1]
    order = [fabric_lifecycle._principal_text(identity) for identity in envelope[2]]
    assert order == ["'Org2MSP.peer'", "'Org2MSP.client'", "'Org1MSP.peer'", "'Org1MSP.admin'"]
    assert fabric_lifecycle.render_envelope(envelope) == "OutOf(2, 'Org1MSP.peer', OR('Org2MSP.peer', 'Org2MSP.client'), 'Org1MSP.admin')"


def test_policies_equal_to_fabric_and_different_to_fabric():
    compile_ = fabric_lifecycle.compile_signature_policy
    assert compile_("AND('Org1MSP.member')") == compile_("or('Org1MSP.member')") == compile_("OutOf('1', 'Org1MSP.member')")
    assert compile_("OR('A.member', 'B.member')") != compile_("OR('B.member', 'A.member')")
    assert compile_(" OR ( \"Org1MSP.member\" , 'Org2MSP.member' ) ") == compile_(POLICY1)


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ("OR('Org1MSP.boss')", "is not a principal 'MSPID.role'"),
        ("XOR('Org1MSP.member')", "unknown function 'XOR'"),
        ("OutOf(-1, 'A.member', 'B.member')", "invalid t-out-of-n predicate, t -1, n 2"),
        ("OutOf(4, 'A.member', 'B.member')", "invalid t-out-of-n predicate, t 4, n 2"),
        ("OutOf(1)", "OutOf needs a number and at least one principal"),
        ("OR('A.member'", "the policy ends too early"),
        ("'A.member'", "a policy is AND(...), OR(...) or OutOf(n, ...)"),
        ("", "the policy is empty"),
    ],
)
def test_policies_fabric_refuses_are_refused(policy, reason):
    with pytest.raises(ValueError, match=None) as info:
        fabric_lifecycle.compile_signature_policy(policy)
    assert reason in str(info.value)


def test_the_collections_file_equals_the_collections_fabric_stored():
    """The CLI's defaults (requiredPeerCount 0, maxPeerCount 1, memberOnlyWrite false) and both kinds of endorsement policy."""
    from_file = fabric_lifecycle.collections_from_config(json.loads(Path(COLLECTIONS).read_text()))
    assert from_file == fabric_lifecycle.collections_from_json(json.loads(stdout("queryapproved"))["collections"])
    assert fabric_lifecycle.render_collections(from_file) == [
        {
            "name": "capturePrivateOrg1",
            "member_orgs_policy": "OR('Org1MSP.member')",
            "required_peer_count": 0,
            "maximum_peer_count": 1,
            "block_to_live": 100,
            "member_only_read": True,
            "member_only_write": False,
            "endorsement_policy": {"signature_policy": "OR('Org1MSP.peer')"},
        },
        {
            "name": "captureShared",
            "member_orgs_policy": "OR('Org1MSP.member', 'Org2MSP.member')",
            "required_peer_count": 0,
            "maximum_peer_count": 1,
            "block_to_live": 0,
            "member_only_read": True,
            "member_only_write": False,
            "endorsement_policy": {"channel_config_policy": "/Channel/Application/Endorsement"},
        },
    ]
    changed = json.loads(Path(COLLECTIONS).read_text())
    changed[0]["blockToLive"] = 101
    assert fabric_lifecycle.collections_from_config(changed) != from_file


def test_answers_parse_as_captured():
    assert fabric_lifecycle.parse_installed(stdout("queryinstalled-empty")) == []
    assert fabric_lifecycle.parse_installed(stdout("queryinstalled-referenced")) == [{"package_id": PKG1, "label": "capture-cc_1.0"}]
    assert [item["package_id"] for item in fabric_lifecycle.parse_installed(stdout("queryinstalled-two"))] == [PKG1, PKG2]
    assert fabric_lifecycle.parse_package_id(stdout("calculatepackageid-json")) == PKG1
    assert fabric_lifecycle.parse_approvals(stdout("checkcommitreadiness-one-of-two")) == {"Org1MSP": True, "Org2MSP": False}
    approved = fabric_lifecycle.parse_definition(stdout("channel2-queryapproved"), "capture-cc")
    assert (approved.sequence, approved.version, approved.init_required, approved.package_id, approved.collections) == (1, "1.0", True, PKG1, ())
    committed = fabric_lifecycle.parse_definition(stdout("querycommitted"), "capture-cc")
    assert committed.package_id is None and committed.approvals == {"Org1MSP": True, "Org2MSP": True}
    assert not committed.differences(fabric_lifecycle.parse_definition(stdout("queryapproved"), "capture-cc"))


def test_the_package_id_is_the_label_and_the_sha256_of_the_file():
    """What calculatepackageid printed for the captured package: a byte-identical package is the same package."""
    data = (LIFECYCLE / "capture-cc_1.0.tar.gz").read_bytes()
    with tarfile.open(LIFECYCLE / "capture-cc_1.0.tar.gz") as tar:
        label = json.load(tar.extractfile("metadata.json"))["label"]
    assert f"{label}:{hashlib.sha256(data).hexdigest()}" == PKG1 == stdout("calculatepackageid").strip()


@pytest.mark.parametrize(
    ("committed", "desired", "option", "expected"),
    [
        (None, V1, "auto", 1),  # a new chaincode
        ("querycommitted", V1, "auto", 1),  # unchanged: the committed sequence
        ("querycommitted", V2, "auto", 2),  # changed: the next one
        ("querycommitted", {**V1, "init_required": True}, "auto", 2),
        ("querycommitted", V1, 1, 1),
        ("querycommitted-v2", V2, "auto", 2),
    ],
)
def test_auto_sequence(tmp_path, committed, desired, option, expected):
    definition, _ = fabric_lifecycle.desired_definition(desired, str(tmp_path))
    current = fabric_lifecycle.parse_definition(stdout(committed), "capture-cc") if committed else None
    assert fabric_lifecycle.resolve_sequence(option, current, definition) == expected


@pytest.mark.parametrize(
    ("desired", "option", "error"),
    [
        (
            V2,
            1,
            "sequence 1 is committed with another definition (differs in version, endorsement_policy); "
            "a changed definition needs sequence 2 (or sequence: auto)",
        ),
        (V1, 3, "sequence 3 is beyond the next sequence 2 (committed: 1)"),
    ],
)
def test_an_explicit_sequence_fabric_would_refuse_is_refused(tmp_path, desired, option, error):
    definition, _ = fabric_lifecycle.desired_definition(desired, str(tmp_path))
    with pytest.raises(ValueError) as info:
        fabric_lifecycle.resolve_sequence(option, fabric_lifecycle.parse_definition(stdout("querycommitted"), "capture-cc"), definition)
    assert str(info.value) == error


def test_usage_is_cut_from_the_cli_error():
    error = fabric_lifecycle.strip_usage(capture("queryinstalled-unreachable")["stderr"])
    assert error.startswith("Error: failed to retrieve endorser client for queryinstalled") and error.endswith('connect: connection refused"')


@pytest.mark.parametrize(
    ("reply", "marker", "applied"),
    [
        (answer("approve"), None, True),
        (KILLED, None, True),  # killed by its bound: it may have been sent
        (answer("approve-again"), fabric_lifecycle.UNCHANGED_APPROVAL.format(sequence=1, name="capture-cc"), True),
        (answer("commit-again"), fabric_lifecycle.SEQUENCE_COMMITTED.format(sequence=1, next=2), True),
        (answer("approve-orderer-unreachable"), None, False),  # connection refused: never sent
        (answer("commit-peer-unreachable"), None, False),
        (answer("commit-not-agreed"), None, False),
        (answer("approve-committed-same"), None, False),  # invalidated: read once
    ],
)
def test_which_failures_may_have_been_applied(reply, marker, applied):
    result = fabric_cli.Result(["peer", "lifecycle", "chaincode", "approveformyorg"], *reply, bound=60)
    assert fabric_lifecycle.may_have_been_applied(result, *([marker] if marker else [])) is applied


# -- fabric_chaincode_install ------------------------------------------------------------------


def test_missing_package_is_installed_and_confirmed(package, capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-empty")),
        ("peer lifecycle chaincode install", answer("install")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-one")),
    )
    result = run(fabric_chaincode_install, install_args(package), runner, capsys)
    assert result["changed"] is True and result["package_id"] == PKG1 and result["msg"] == f"installed {PKG1} on peer0-org1:7051"
    assert result["installed"] == [{"package_id": PKG1, "label": "capture-cc_1.0"}]
    assert result["diff"] == {"before": {"installed": []}, "after": {"installed": [PKG1]}}
    install, env = runner.calls[2]
    assert install[-1] == package and env["CORE_PEER_ADDRESS"] == "peer0-org1:7051" and env["CORE_PEER_LOCALMSPID"] == "Org1MSP"
    assert runner.done()


@pytest.mark.parametrize("check", [False, True])
def test_installed_package_is_left_alone(package, capsys, check):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-two")),
    )
    result = run(fabric_chaincode_install, install_args(package), runner, capsys, check=check)
    assert result["changed"] is False and result["msg"] == f"{PKG1} is installed on peer0-org1:7051"
    assert result["diff"]["before"] == result["diff"]["after"] == {"installed": [PKG1, PKG2]}
    assert writes(runner) == [] and runner.done()


def test_check_mode_installs_nothing(package, capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-empty")),
    )
    result = run(fabric_chaincode_install, install_args(package), runner, capsys, check=True)
    assert result["changed"] is True and result["msg"] == f"{PKG1} would be installed on peer0-org1:7051"
    assert result["diff"] == {"before": {"installed": []}, "after": {"installed": [PKG1]}}
    assert writes(runner) == [] and runner.done()


def test_a_given_package_id_is_not_calculated(capsys):
    runner = FakeRunner(("peer lifecycle chaincode queryinstalled", answer("queryinstalled-one")))
    result = run(fabric_chaincode_install, install_args("/absent/capture-cc_1.0.tar.gz", package_id=PKG1), runner, capsys)
    assert result["changed"] is False and runner.done()


def test_check_mode_before_the_package_is_made(capsys):
    """A check run of the playbook that makes the package: no file yet, no package ID given."""
    runner = FakeRunner(("peer lifecycle chaincode queryinstalled", answer("queryinstalled-one")))
    result = run(fabric_chaincode_install, install_args("/absent/capture-cc_3.0.tar.gz"), runner, capsys, check=True)
    assert result["changed"] is True and result["package_id"] == ""
    assert (
        result["msg"] == "/absent/capture-cc_3.0.tar.gz would be installed on peer0-org1:7051 (its package file /absent/capture-cc_3.0.tar.gz is not there yet)"
    )
    assert writes(runner) == []


def test_install_killed_then_already_installed_is_a_change(package, capsys):
    """Our own killed attempt installed it: the retry's 'already successfully installed' is no error and no 'no change'."""
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-empty")),
        ("peer lifecycle chaincode install", KILLED),
        ("peer lifecycle chaincode install", answer("install-again")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-one")),
    )
    result = run(fabric_chaincode_install, install_args(package), runner, capsys)
    assert result["changed"] is True and "already successfully installed" in result["msg"]
    assert result["diff"]["after"] == {"installed": [PKG1]} and runner.done()


def test_transient_error_is_retried(package, capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-unreachable")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-unreachable")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-one")),
    )
    result = run(fabric_chaincode_install, install_args(package, retries=2), runner, capsys)
    assert result["changed"] is False and runner.done()


def test_unreachable_peer_fails_with_the_cli_error_after_the_retries(package, capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        *[("peer lifecycle chaincode queryinstalled", answer("queryinstalled-unreachable"))] * 3,
    )
    result = run(fabric_chaincode_install, install_args(package, retries=2), runner, capsys)
    assert result["failed"] is True and "still failing after 3 attempts" in result["msg"]
    assert result["msg"].endswith('dial tcp 172.28.50.12:7059: connect: connection refused"')  # the CLI's usage text cut off
    assert writes(runner) == [] and runner.done()


def test_check_mode_predicts_the_install_on_a_peer_not_running_yet(package, capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-unreachable")),
    )
    result = run(fabric_chaincode_install, install_args(package, retries=5), runner, capsys, check=True)
    assert result["changed"] is True and "(not reachable: connection refused; taken for a peer not running yet)" in result["msg"]
    assert len(warnings(result)) == 1 and runner.done()  # one attempt, no retries


def test_a_peer_without_a_builder_fails_with_the_cli_error(package, capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode calculatepackageid", answer("calculatepackageid-json")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-empty")),
        ("peer lifecycle chaincode install", answer("install-no-builder")),
    )
    result = run(fabric_chaincode_install, install_args(package), runner, capsys)
    assert result["failed"] is True and result["msg"].startswith(f"installing {package} on peer0-org1:7051 failed: Error: chaincode install failed")
    assert result["msg"].endswith("could not build chaincode: docker build failed: docker build is disabled")


def test_an_install_the_peer_does_not_list_fails(package, capsys):
    """A package_id that is not the file's: the install answers, the peer lists another ID."""
    runner = FakeRunner(
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-empty")),
        ("peer lifecycle chaincode install", answer("install")),
        ("peer lifecycle chaincode queryinstalled", answer("queryinstalled-one")),
    )
    result = run(fabric_chaincode_install, install_args(package, package_id=PKG2), runner, capsys)
    assert result["failed"] is True and f"does not list {PKG2}" in result["msg"]


# -- fabric_chaincode_approve ------------------------------------------------------------------


def test_new_chaincode_is_approved_at_sequence_1(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-none")),
        ("peer lifecycle chaincode approveformyorg", answer("approve")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V1, PKG1), runner, capsys)
    assert result["changed"] is True and result["sequence"] == 1 and result["committed_sequence"] == 0
    assert result["msg"] == "Org1MSP approved capture-cc sequence 1 on channel1 (nothing approved for that sequence yet)"
    assert result["diff"]["before"] == {"approved": None}
    after = result["diff"]["after"]["approved"]
    assert after == result["approved"] and after["package_id"] == PKG1 and after["version"] == "1.0"
    assert after["endorsement_policy"] == {"signature_policy": "OR('Org1MSP.member', 'Org2MSP.member')"} and len(after["collections"]) == 2
    approve = runner.calls[2][0]
    assert flag(approve, "-C") == "channel1" and flag(approve, "-n") == "capture-cc" and flag(approve, "-v") == "1.0"
    assert flag(approve, "--sequence") == "1" and flag(approve, "--package-id") == PKG1 and flag(approve, "--signature-policy") == POLICY1
    assert flag(approve, "--collections-config") == COLLECTIONS and "--init-required" not in approve
    assert flag(approve, "-o") == "orderer0:7050" and flag(approve, "--cafile") == ORDERER["orderer_tls_ca"]
    assert flag(runner.calls[1][0], "--sequence") == "1" and runner.done()


@pytest.mark.parametrize("check", [False, True])
def test_equal_approval_is_left_alone(capsys, check):
    """Org1's approval of sequence 1 before the commit: nothing to do (approving it again would be refused)."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V1, PKG1), runner, capsys, check=check)
    assert result["changed"] is False and result["differences"] == [] and result["msg"] == "Org1MSP has approved capture-cc sequence 1 on channel1"
    assert result["diff"]["before"] == result["diff"]["after"] and writes(runner) == [] and runner.done()


def test_a_different_approval_is_replaced(capsys):
    """Org2 had approved version 0.9 with the default policy and no collections; it approves Org1's definition."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-org2-other-definition")),
        ("peer lifecycle chaincode approveformyorg", answer("approve-org2-redefine")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-org2")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG2, V1, PKG1), runner, capsys)
    assert result["changed"] is True and result["differences"] == ["version", "endorsement_policy", "collections"]
    assert result["msg"] == "Org2MSP approved capture-cc sequence 1 on channel1 (its approval differs in version, endorsement_policy, collections)"
    before, after = result["diff"]["before"]["approved"], result["diff"]["after"]["approved"]
    assert before["version"] == "0.9" and before["endorsement_policy"] == {"channel_config_policy": "/Channel/Application/Endorsement"}
    assert before["collections"] == [] and after["version"] == "1.0" and runner.calls[2][1]["CORE_PEER_ADDRESS"] == "peer0-org2:7051"


def test_check_mode_approves_nothing(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-next-none")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V2, PKG2), runner, capsys, check=True)
    assert result["changed"] is True and result["sequence"] == 2 and result["committed_sequence"] == 1
    assert result["msg"] == "Org1MSP would approve capture-cc sequence 2 on channel1 (nothing approved for that sequence yet)"
    assert result["diff"]["after"]["approved"]["endorsement_policy"] == {"signature_policy": POLICY2}
    assert writes(runner) == [] and runner.done()


def test_unchanged_committed_definition_keeps_its_sequence(capsys):
    """auto: the committed definition equals the desired one -> the committed sequence, whose approval is there."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-after-commit-nosequence")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V1, PKG1), runner, capsys)
    assert result["changed"] is False and result["sequence"] == 1 and flag(runner.calls[1][0], "--sequence") == "1"


def test_changed_definition_takes_the_next_sequence(capsys):
    """The upgrade: version 2.0, another policy, a new package -> committed 1 + 1."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-next-none")),
        ("peer lifecycle chaincode approveformyorg", answer("approve-v2")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-v2")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V2, PKG2), runner, capsys)
    assert result["changed"] is True and result["sequence"] == 2 and result["approved"]["package_id"] == PKG2
    assert flag(runner.calls[2][0], "--sequence") == "2" and flag(runner.calls[2][0], "--signature-policy") == POLICY2


def test_a_new_package_for_the_committed_definition_is_approved_at_its_sequence_with_a_warning(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-org2")),
        ("peer lifecycle chaincode approveformyorg", answer("approve-committed-new-package")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-committed-new-package")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG2, V1, PKG2), runner, capsys)
    assert result["changed"] is True and result["sequence"] == 1 and result["differences"] == ["package_id"]
    assert "its peers switch to it at once, without a commit" in warnings(result)[0]


def test_approval_killed_then_unchanged_content_is_a_change(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-none")),
        ("peer lifecycle chaincode approveformyorg", KILLED),
        ("peer lifecycle chaincode approveformyorg", answer("approve-again")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved")),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V1, PKG1), runner, capsys)
    assert result["changed"] is True and "but the approval is there" in result["msg"] and "with unchanged content" in result["msg"]


def test_approval_waits_for_queryapproved(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-none")),
        ("peer lifecycle chaincode approveformyorg", answer("approve")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-none")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved")),
        clock=FakeClock(),
    )
    result = run(fabric_chaincode_approve, approve_args(ORG1, V1, PKG1), runner, capsys)
    assert result["changed"] is True and result["waited"] == 1.0 and runner.clock.slept == [1.0]


def test_approval_the_orderer_never_got_fails_without_waiting(capsys):
    """Connection refused by the orderer: nothing was sent; retried, read once, then the CLI's error (without its usage)."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("channel2-querycommitted")),
        ("peer lifecycle chaincode queryapproved", answer("channel2-queryapproved-next-none")),
        ("peer lifecycle chaincode approveformyorg", answer("approve-orderer-unreachable")),
        ("peer lifecycle chaincode approveformyorg", answer("approve-orderer-unreachable")),
        ("peer lifecycle chaincode queryapproved", answer("channel2-queryapproved-next-none")),
    )
    args = approve_args(ORG1, {**CHANNEL2, "version": "9.9"}, PKG1, retries=1)
    result = run(fabric_chaincode_approve, args, runner, capsys)
    assert result["failed"] is True and result["msg"].startswith(
        "approving capture-cc sequence 2 on channel2 for Org1MSP failed (still failing after 2 attempts"
    )
    assert result["msg"].endswith('connect: connection refused"') and runner.done()


@pytest.mark.parametrize(
    ("sequence", "error"),
    [
        (3, "approving capture-cc on channel1 for Org1MSP: sequence 3 is beyond the next sequence 2 (committed: 1)"),
        (1, "approving capture-cc on channel1 for Org1MSP: sequence 1 is committed with another definition (differs in version, endorsement_policy)"),
    ],
)
def test_a_sequence_fabric_refuses_fails_before_approving(capsys, sequence, error):
    runner = FakeRunner(("peer lifecycle chaincode querycommitted", answer("querycommitted")))
    result = run(fabric_chaincode_approve, approve_args(ORG1, V2, PKG2, sequence=sequence), runner, capsys)
    assert result["failed"] is True and result["msg"].startswith(error) and writes(runner) == []


def test_check_mode_on_a_peer_not_joined_yet_predicts_the_approval(capsys):
    runner = FakeRunner(("peer lifecycle chaincode querycommitted", answer("channel2-querycommitted-not-joined")))
    result = run(fabric_chaincode_approve, approve_args(ORG2, CHANNEL2, PKG1), runner, capsys, check=True)
    assert result["changed"] is True and result["sequence"] is None and "not joined to the channel" in result["msg"]
    assert "channel 'channel2' not found" in warnings(result)[0]


def test_not_joined_outside_check_mode_fails(capsys):
    runner = FakeRunner(("peer lifecycle chaincode querycommitted", answer("channel2-querycommitted-not-joined")))
    result = run(fabric_chaincode_approve, approve_args(ORG2, CHANNEL2, PKG1), runner, capsys)
    assert result["failed"] is True and result["msg"].endswith("Error: query failed with status: 500 - channel 'channel2' not found")


def test_inline_collections_are_written_for_the_cli_and_compared(capsys):
    """The same collections given inline equal the file's: nothing to do."""
    inline = {**without(V1, "collections_config"), "collections": json.loads(Path(COLLECTIONS).read_text())}
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved")),
    )
    assert run(fabric_chaincode_approve, approve_args(ORG1, inline, PKG1), runner, capsys)["changed"] is False


def test_check_mode_before_the_collections_file_is_there(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode queryapproved", answer("queryapproved-next-none")),
    )
    args = approve_args(ORG1, {**V1, "collections_config": "/absent/collections.json"}, PKG1)
    result = run(fabric_chaincode_approve, args, runner, capsys, check=True)
    assert result["changed"] is True and result["sequence"] == 2 and "its collections_config /absent/collections.json is not there yet" in result["msg"]


# -- fabric_chaincode_commit -------------------------------------------------------------------


def test_commit_when_every_org_approved(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-both")),
        ("peer lifecycle chaincode commit", answer("commit")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
    )
    result = run(fabric_chaincode_commit, commit_args(V1), runner, capsys)
    assert result["changed"] is True and result["msg"] == "committed capture-cc sequence 1 on channel1" and result["sequence"] == 1
    assert result["approvals"] == {"Org1MSP": True, "Org2MSP": True} and result["not_approved"] == []
    assert result["diff"]["before"] == {"committed": None} and result["committed"]["approvals"] == {"Org1MSP": True, "Org2MSP": True}
    commit = runner.calls[2][0]
    assert flags(commit, "--peerAddresses") == ["peer0-org1:7051", "peer0-org2:7051"]
    assert flags(commit, "--tlsRootCertFiles") == [peer["tls_ca"] for peer in PEERS]
    assert flag(commit, "--sequence") == "1" and flag(commit, "--signature-policy") == POLICY1 and "--package-id" not in commit
    readiness = runner.calls[1][0]
    assert flag(readiness, "--sequence") == "1" and flag(readiness, "-O") == "json" and flag(readiness, "--collections-config") == COLLECTIONS
    assert runner.done()


@pytest.mark.parametrize(
    ("fixture", "missing"), [("checkcommitreadiness-one-of-two", "Org2MSP has"), ("checkcommitreadiness-none", "Org1MSP and Org2MSP have")]
)
def test_commit_is_refused_naming_the_orgs_that_have_not_approved(capsys, fixture, missing):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode checkcommitreadiness", answer(fixture)),
    )
    result = run(fabric_chaincode_commit, commit_args(V1), runner, capsys)
    assert result["failed"] is True and result["msg"].startswith(f"{missing} not approved capture-cc sequence 1 on channel1: not committed")
    assert writes(runner) == [] and runner.done()


def test_an_org_that_approved_something_else_has_not_approved(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-org2-differs")),
    )
    result = run(fabric_chaincode_commit, commit_args(V1), runner, capsys)
    assert "Org2MSP has not approved capture-cc sequence 1 on channel1" in result["msg"] and "Org1MSP: approved, Org2MSP: not approved" in result["msg"]


def test_check_mode_with_approvals_missing_reports_them_and_commits_nothing(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-v2-one-of-two")),
    )
    result = run(fabric_chaincode_commit, commit_args(V2), runner, capsys, check=True)
    assert result["changed"] is True and result["not_approved"] == ["Org2MSP"] and result["sequence"] == 2
    assert "Org2MSP has not approved capture-cc sequence 2 on channel1 yet" in warnings(result)[0]
    assert result["diff"]["before"]["committed"]["version"] == "1.0" and result["diff"]["after"]["committed"]["version"] == "2.0"
    assert result["msg"] == "capture-cc sequence 2 on channel1 would be committed once Org2MSP approves it"
    assert "approvals" not in result["diff"]["before"]["committed"] and result["committed"]["approvals"] == {"Org1MSP": True, "Org2MSP": True}
    assert writes(runner) == [] and runner.done()


def test_check_mode_when_ready_commits_nothing(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-v2-both")),
    )
    result = run(fabric_chaincode_commit, commit_args(V2), runner, capsys, check=True)
    assert result["changed"] is True and result["msg"] == "capture-cc sequence 2 on channel1 would be committed (approved by Org1MSP, Org2MSP)"
    assert writes(runner) == []


@pytest.mark.parametrize("sequence", ["auto", 2, "2"])
@pytest.mark.parametrize("check", [False, True])
def test_committed_definition_is_left_alone(capsys, check, sequence):
    runner = FakeRunner(("peer lifecycle chaincode querycommitted", answer("querycommitted-v2")))
    result = run(fabric_chaincode_commit, commit_args(V2, sequence=sequence), runner, capsys, check=check)
    assert result["changed"] is False and result["msg"] == "capture-cc sequence 2 on channel1 is committed" and runner.done()


def test_upgrade_is_committed_at_the_next_sequence(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-before-upgrade-commit")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-v2-both")),
        ("peer lifecycle chaincode commit", answer("commit-v2")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-v2")),
    )
    result = run(fabric_chaincode_commit, commit_args(V2), runner, capsys)
    assert result["changed"] is True and result["sequence"] == 2 and result["committed_sequence"] == 1
    assert result["diff"]["before"]["committed"]["sequence"] == 1 and result["diff"]["after"]["committed"]["sequence"] == 2


def test_commit_waits_until_querycommitted_shows_it(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-v2-both")),
        ("peer lifecycle chaincode commit", answer("commit-v2")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-before-upgrade-commit")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-before-upgrade-commit")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-v2")),
        clock=FakeClock(),
    )
    result = run(fabric_chaincode_commit, commit_args(V2), runner, capsys)
    assert result["changed"] is True and result["waited"] == 2.0 and runner.done()


def test_commit_wait_is_a_deadline(capsys):
    """Each read takes 3 s: with commit_timeout 10 the third gets the 2 s left and is killed at the deadline; no read after it."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-v2-both")),
        ("peer lifecycle chaincode commit", answer("commit-v2")),
        *[("peer lifecycle chaincode querycommitted", answer("querycommitted-before-upgrade-commit"), 3.0)] * 3,
        clock=FakeClock(),
    )
    result = run(fabric_chaincode_commit, commit_args(V2, commit_timeout=10), runner, capsys)
    assert result["failed"] is True and "showed sequence 1 for 10 s (commit_timeout 10 s)" in result["msg"]
    assert runner.timeouts[-1] == 2.0 and runner.done()  # the last read got only the time left


def test_commit_killed_then_already_committed_is_a_change(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-both")),
        ("peer lifecycle chaincode commit", KILLED),
        ("peer lifecycle chaincode commit", answer("commit-again")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted")),
    )
    result = run(fabric_chaincode_commit, commit_args(V1), runner, capsys)
    assert result["changed"] is True and "requested sequence is 1, but new definition must be sequence 2" in result["msg"]
    assert result["committed"]["sequence"] == 1


def test_commit_refused_by_a_peer_fails_with_the_cli_error(capsys):
    """checkcommitreadiness said ready, then Org2 approved something else before the commit (a race)."""
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("checkcommitreadiness-both")),
        ("peer lifecycle chaincode commit", answer("commit-not-agreed")),
        ("peer lifecycle chaincode querycommitted", answer("querycommitted-absent")),
    )
    result = run(fabric_chaincode_commit, commit_args(V1), runner, capsys)
    assert result["failed"] is True and result["msg"].endswith("chaincode definition not agreed to by this org (Org2MSP)")


def test_single_org_channel_commit(capsys):
    runner = FakeRunner(
        ("peer lifecycle chaincode querycommitted", answer("channel2-querycommitted-absent")),
        ("peer lifecycle chaincode checkcommitreadiness", answer("channel2-checkcommitreadiness")),
        ("peer lifecycle chaincode commit", answer("channel2-commit")),
        ("peer lifecycle chaincode querycommitted", answer("channel2-querycommitted")),
    )
    result = run(fabric_chaincode_commit, commit_args(CHANNEL2, peers=PEERS[:1]), runner, capsys)
    assert result["changed"] is True and result["committed"]["init_required"] is True and result["approvals"] == {"Org1MSP": True}
    commit = runner.calls[2][0]
    assert "--init-required" in commit and "--signature-policy" not in commit and "--channel-config-policy" not in commit
    assert flags(commit, "--peerAddresses") == ["peer0-org1:7051"]


# -- options and documentation ----------------------------------------------------------------

INVALID = [
    (fabric_chaincode_commit, commit_args(V1, peers=[]), "peers is empty"),
    (fabric_chaincode_commit, commit_args(V1, peers=[{"address": "peer0-org1:7051"}]), "peers: peer0-org1:7051 needs tls_ca with tls=true"),
    (fabric_chaincode_commit, commit_args(V1, peers=[PEERS[0], PEERS[0]]), "peers: peer0-org1:7051 given more than once"),
    (fabric_chaincode_commit, commit_args(V1, commit_timeout=0), "commit_timeout must be greater than 0, got 0"),
    (fabric_chaincode_commit, commit_args(V1, sequence=0), "sequence must be 'auto' or an integer of 1 or more, got 0"),
    (fabric_chaincode_commit, commit_args(V1, sequence="next"), "sequence must be 'auto' or an integer of 1 or more, got 'next'"),
    (fabric_chaincode_approve, approve_args(ORG1, V1, PKG1, signature_policy="OR('Org1MSP.boss')"), "signature_policy \"OR('Org1MSP.boss')\" is not a"),
    (fabric_chaincode_approve, approve_args(ORG1, V1, PKG1, channel_config_policy="/Channel/Application/Endorsement"), "mutually exclusive"),
    (fabric_chaincode_approve, approve_args(ORG1, V1, "capture-cc_1.0"), "package_id must be <label>:<hash> or empty"),
    (
        fabric_chaincode_approve,
        approve_args(ORG1, {**V1, "collections": [{"name": "x", "policy": "OR('A.member')", "blockToLive": -1}]}, PKG1),
        "mutually exclusive",
    ),
    (
        fabric_chaincode_approve,
        approve_args(ORG1, {**without(V1, "collections_config"), "collections": [{"name": "x", "policy": "OR('A.member')", "blockToLive": -1}]}, PKG1),
        "collections: collection 'x': blockToLive must be an integer (0 or more), got -1",
    ),
    (fabric_chaincode_approve, {**approve_args(ORG1, V1, PKG1), "orderer_tls_ca": None}, "orderer_tls_ca"),
    (fabric_chaincode_install, install_args("/p.tar.gz", package_id="nolabel"), "package_id must be <label>:<hash>"),
    (fabric_chaincode_install, install_args("/p.tar.gz", tls=False), "peer_tls_ca given with tls=false"),
]


@pytest.mark.parametrize(("module", "args", "error"), INVALID, ids=[f"{m.__name__}-{i}" for i, (m, _, _) in enumerate(INVALID)])
def test_invalid_options_are_refused_before_any_command(capsys, module, args, error):
    runner = FakeRunner()
    result = run(module, args, runner, capsys)
    assert result["failed"] is True and error in result["msg"], result["msg"]
    assert runner.calls == []


def fragment(name):
    path = ROOT / "plugins" / "doc_fragments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_doc_fragment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ModuleDocFragment


def documented(options):
    spec = {}
    for name, doc in options.items():
        entry = {"type": doc.get("type", "str")}
        for key in ("required", "default", "choices", "elements"):
            if doc.get(key) not in (None, False):
                entry[key] = doc[key]
        if "suboptions" in doc:
            entry["options"] = documented(doc["suboptions"])
        spec[name] = entry
    return spec


def with_fragments(doc):
    for name in doc.pop("extends_documentation_fragment", []):
        file, _, attribute = name.partition(".")
        doc["options"].update(yaml.safe_load(getattr(fragment(file), attribute.upper() or "DOCUMENTATION"))["options"])
    return doc


def spec_of(argument_spec):
    def clean(entry):
        out = {key: value for key, value in entry.items() if value not in (None, False)}
        if "options" in out:
            out["options"] = {name: clean(sub) for name, sub in out["options"].items()}
        return out

    return {name: clean(entry) for name, entry in argument_spec.items()}


@pytest.mark.parametrize("module", [fabric_chaincode_install, fabric_chaincode_approve, fabric_chaincode_commit])
def test_documentation_matches_the_argument_spec(module):
    doc = with_fragments(yaml.safe_load(module.DOCUMENTATION))
    assert documented(doc["options"]) == spec_of(module.ARGUMENT_SPEC)
    assert doc["attributes"]["check_mode"]["support"] == "full" and doc["attributes"]["diff_mode"]["support"] == "full"
    assert yaml.safe_load(module.EXAMPLES) and yaml.safe_load(module.RETURN)


def test_the_peer_only_fragment_is_the_shared_one_without_the_orderer():
    """fabric_lifecycle.PEER_ONLY repeats fabric_cli.DOCUMENTATION (install has no orderer): they must not drift apart."""
    shared = yaml.safe_load(fragment("fabric_cli").DOCUMENTATION)["options"]
    for name in ("orderer_tls_ca", "orderer_tls_hostname_override"):
        shared.pop(name)
    assert yaml.safe_load(fragment("fabric_lifecycle").PEER_ONLY)["options"] == shared
