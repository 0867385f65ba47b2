"""The channel modules' decisions, run as modules with only the command runner faked.

Every answer the fake gives is the real 2.5.16 CLI's (fixtures/fabric). Check mode must run reads
only; diff and changed must say exactly what changed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from pathlib import Path

import fabric_anchor_peers
import fabric_channel
import fabric_channel_member
import fabric_cli
import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from fabric_fakes import FakeRunner, answer, decoded, flag

ADMIN = {
    "msp_id": "Org1MSP",
    "msp_dir": "/etc/hyperledger/admin/Org1/msp",
    "orderer_address": "orderer0:7050",
    "orderer_tls_ca": "/etc/hyperledger/admin/OrdererOrg/tls-ca.pem",
    "retry_delay": 0,
}
PEER = {"peer_address": "peer0-org1:7051", "peer_tls_ca": "/etc/hyperledger/admin/Org1/tls-ca.pem"}
BLOCK_WITHOUT_ANCHORS = (0, decoded("config-block-channel1.json"), "")
BLOCK_WITH_ORG1_ANCHORS = (0, decoded("config-block-channel1-anchors.json"), "")
ORG1_ANCHORS = [{"host": "peer0-org1", "port": 7051}]


def run(module, args, runner, capsys, check=False):
    with patch_module_args({**args, "_ansible_check_mode": check, "_ansible_diff": True}), pytest.raises(SystemExit):
        module.main(runner=runner)
    result = json.loads(capsys.readouterr().out)
    temporary = [arg for argv, _ in runner.calls for arg in argv if arg.startswith(os.path.join(tempfile.gettempdir(), "fabric_"))]
    assert all(not Path(path).parent.exists() for path in temporary), temporary  # removed with its directory
    return result


@pytest.fixture
def channel_args(tmp_path):
    tx = tmp_path / "channel1.tx"
    tx.write_bytes(b"tx")
    return {**ADMIN, "name": "channel1", "creation_tx": str(tx)}


# -- fabric_channel ------------------------------------------------------------------------------


def test_absent_channel_in_check_mode_is_only_read(channel_args, capsys):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")))
    result = run(fabric_channel, channel_args, runner, capsys, check=True)
    assert result["changed"] is True and result["exists"] is False
    assert result["msg"] == "channel channel1 would be created"
    assert result["diff"] == {"before": {"channel": "channel1", "exists": False}, "after": {"channel": "channel1", "exists": True}}
    assert runner.writes() == [] and runner.done()


def test_absent_channel_is_created(channel_args, capsys):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")), ("peer channel create", answer("create")))
    result = run(fabric_channel, channel_args, runner, capsys)
    assert result["changed"] is True and result["exists"] is True
    create = runner.calls[1][0]
    assert flag(create, "-c") == "channel1" and flag(create, "-f") == channel_args["creation_tx"]
    assert flag(create, "-o") == "orderer0:7050" and flag(create, "--cafile") == ADMIN["orderer_tls_ca"] and "--tls" in create
    assert result["commands"] == [" ".join(argv) for argv, _ in runner.calls]


@pytest.mark.parametrize("check", [False, True])
def test_existing_channel_is_left_alone(channel_args, capsys, check):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-present")))
    result = run(fabric_channel, channel_args, runner, capsys, check=check)
    assert result["changed"] is False and result["exists"] is True
    assert result["diff"]["before"] == result["diff"]["after"] == {"channel": "channel1", "exists": True}
    assert runner.done()


def test_channel_created_meanwhile_is_no_change(channel_args, capsys):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")), ("peer channel create", answer("create-existing")))
    result = run(fabric_channel, channel_args, runner, capsys)
    assert result["changed"] is False and result["exists"] is True
    assert "meanwhile" in result["msg"]


def test_service_unavailable_then_absent_then_created(channel_args, capsys):
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-service-unavailable")),
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create")),
    )
    result = run(fabric_channel, channel_args, runner, capsys)
    assert result["changed"] is True and runner.done()


def test_unreachable_orderer_fails_with_the_cli_error(channel_args, capsys):
    runner = FakeRunner(*[("peer channel fetch oldest", answer("fetch-oldest-unreachable"))] * 3)
    result = run(fabric_channel, {**channel_args, "retries": 2}, runner, capsys)
    assert result["failed"] is True
    assert "still failing after 3 attempts" in result["msg"] and "Error:" in result["msg"]
    assert result["rc"] == 1 and result["stderr"] and len(result["commands"]) == 3
    assert runner.writes() == []


def test_forbidden_is_not_taken_for_an_absent_channel(channel_args, capsys):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-block0-forbidden")))
    result = run(fabric_channel, channel_args, runner, capsys, check=True)
    assert result["failed"] is True and "&{FORBIDDEN}" in result["msg"] and len(result["commands"]) == 1


def test_missing_creation_tx_fails_before_creating(channel_args, capsys):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")))
    result = run(fabric_channel, {**channel_args, "creation_tx": "/nonexistent/channel1.tx"}, runner, capsys)
    assert result["failed"] is True and "/nonexistent/channel1.tx is not a file" in result["msg"]
    assert runner.writes() == [] and runner.done()


def test_check_mode_reports_the_creation_before_the_transaction_exists(channel_args, capsys):
    """A check run of site.yml generates no artifact, so the new channel's transaction is not there yet."""
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")))
    result = run(fabric_channel, {**channel_args, "creation_tx": "/nonexistent/channel1.tx"}, runner, capsys, check=True)
    assert result["changed"] is True and "would be created" in result["msg"] and "is not there yet" in result["msg"]
    assert result["diff"] == {"before": {"channel": "channel1", "exists": False}, "after": {"channel": "channel1", "exists": True}}
    assert runner.writes() == [] and runner.done()


def test_tls_needs_the_orderer_ca(channel_args, capsys):
    args = {key: value for key, value in channel_args.items() if key != "orderer_tls_ca"}
    result = run(fabric_channel, args, FakeRunner(), capsys)
    assert result["failed"] is True and "orderer_tls_ca" in result["msg"]


# -- fabric_channel_member -----------------------------------------------------------------------

MEMBER = {**ADMIN, **PEER, "channel": "channel1"}


@pytest.mark.parametrize("check", [False, True])
def test_joined_peer_is_left_alone(capsys, check):
    runner = FakeRunner(("peer channel list", answer("list-channel1-channel2")))
    result = run(fabric_channel_member, MEMBER, runner, capsys, check=check)
    assert result["changed"] is False and result["channels"] == ["channel1", "channel2"]
    assert result["diff"]["before"] == result["diff"]["after"] == {"joined": ["channel1", "channel2"]}
    assert runner.calls[0][1]["CORE_PEER_ADDRESS"] == "peer0-org1:7051"


def test_check_mode_only_lists_channels(capsys):
    runner = FakeRunner(("peer channel list", answer("list-none")))
    result = run(fabric_channel_member, MEMBER, runner, capsys, check=True)
    assert result["changed"] is True and result["msg"] == "peer0-org1:7051 would be joined to channel1"
    assert result["diff"] == {"before": {"joined": []}, "after": {"joined": ["channel1"]}}
    assert runner.words == ["peer channel list"] and runner.writes() == []


def test_peer_is_joined_from_block_0(capsys):
    runner = FakeRunner(
        ("peer channel list", answer("list-none")),
        ("peer channel fetch 0", answer("fetch-block0")),
        ("peer channel join", answer("join")),
        ("peer channel list", answer("list-channel1")),
    )
    result = run(fabric_channel_member, MEMBER, runner, capsys)
    assert result["changed"] is True and result["channels"] == ["channel1"]
    assert result["diff"] == {"before": {"joined": []}, "after": {"joined": ["channel1"]}}
    fetch, join = runner.calls[1][0], runner.calls[2][0]
    assert flag(fetch, "-c") == "channel1" and flag(fetch, "-o") == "orderer0:7050"
    assert flag(join, "-b") == fetch[4]


def test_similar_channel_names_are_not_a_join(capsys):
    _, stdout, stderr = answer("list-none")
    runner = FakeRunner(("peer channel list", (0, stdout + "channel10\n", stderr)))
    result = run(fabric_channel_member, MEMBER, runner, capsys, check=True)
    assert result["changed"] is True
    assert result["diff"]["after"] == {"joined": ["channel1", "channel10"]}


def test_ledger_already_there_is_no_change(capsys):
    runner = FakeRunner(
        ("peer channel list", answer("list-none")),
        ("peer channel fetch 0", answer("fetch-block0")),
        ("peer channel join", answer("join-existing")),
        ("peer channel list", answer("list-channel1")),
    )
    result = run(fabric_channel_member, MEMBER, runner, capsys)
    assert result["changed"] is False and "already" in result["msg"]


def test_join_of_a_channel_the_orderer_does_not_have_fails(capsys):
    runner = FakeRunner(("peer channel list", answer("list-none")), ("peer channel fetch 0", answer("fetch-oldest-absent")))
    result = run(fabric_channel_member, MEMBER, runner, capsys)
    assert result["failed"] is True and "&{NOT_FOUND}" in result["msg"]
    assert "peer channel join" not in runner.words


def test_join_not_listed_afterwards_fails(capsys):
    runner = FakeRunner(
        ("peer channel list", answer("list-none")),
        ("peer channel fetch 0", answer("fetch-block0")),
        ("peer channel join", answer("join")),
        ("peer channel list", answer("list-none")),
    )
    result = run(fabric_channel_member, MEMBER, runner, capsys)
    assert result["failed"] is True and "does not list it" in result["msg"]


def test_unreachable_peer_fails_with_the_cli_error(capsys):
    runner = FakeRunner(("peer channel list", answer("list-unreachable")))
    result = run(fabric_channel_member, {**MEMBER, "retries": 0}, runner, capsys)
    assert result["failed"] is True and "Error:" in result["msg"]


def test_member_needs_the_peer_ca(capsys):
    args = {key: value for key, value in MEMBER.items() if key != "peer_tls_ca"}
    result = run(fabric_channel_member, args, FakeRunner(), capsys)
    assert result["failed"] is True and "peer_tls_ca" in result["msg"]


# -- fabric_anchor_peers -------------------------------------------------------------------------

ANCHORS = {**ADMIN, "channel": "channel1", "org": "Org1", "anchor_peers": [{"host": "peer0-org1"}]}


@pytest.mark.parametrize("check", [False, True])
def test_anchor_peers_as_desired_are_left_alone(capsys, check):
    runner = FakeRunner(("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS))
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys, check=check)
    assert result["changed"] is False and result["anchor_peers"] == ORG1_ANCHORS
    assert result["diff"]["before"] == result["diff"]["after"] == {"anchor_peers": ORG1_ANCHORS}
    assert runner.done()


def test_anchor_peers_check_mode_reads_only_and_shows_both_lists(capsys):
    runner = FakeRunner(("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS))
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys, check=True)
    assert result["changed"] is True and result["msg"] == "anchor peers of Org1 in channel1 would be updated"
    assert result["diff"] == {"before": {"anchor_peers": []}, "after": {"anchor_peers": ORG1_ANCHORS}}
    assert result["anchor_peers"] == [] and runner.writes() == [] and runner.done()


def test_anchor_peers_changed_in_check_mode_shows_old_and_new(capsys):
    runner = FakeRunner(("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS))
    desired = [{"host": "peer1-org1", "port": 7051}, {"host": "peer0-org1", "port": 7051}]
    result = run(fabric_anchor_peers, {**ANCHORS, "anchor_peers": desired}, runner, capsys, check=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"anchor_peers": ORG1_ANCHORS}, "after": {"anchor_peers": desired}}
    assert runner.writes() == []


def test_anchor_peers_are_updated_through_compute_update_and_an_envelope(capsys):
    seen = {}

    def keep_input(name, reply=(0, "", "")):
        def hook(argv):
            seen[name] = json.loads(Path(flag(argv, "--input")).read_text())
            return reply

        return hook

    runner = FakeRunner(
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
        ("configtxlator proto_encode", keep_input("original")),
        ("configtxlator proto_encode", keep_input("updated")),
        ("configtxlator compute_update", (0, "", "")),
        ("configtxlator proto_decode", (0, decoded("config-update-channel1-org1.json"), "")),
        ("configtxlator proto_encode", keep_input("envelope")),
        ("peer channel update", answer("update")),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS),
    )
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys)
    assert result["changed"] is True and result["anchor_peers"] == ORG1_ANCHORS and result["previous_anchor_peers"] == []
    assert result["diff"] == {"before": {"anchor_peers": []}, "after": {"anchor_peers": ORG1_ANCHORS}}
    assert runner.done()
    assert fabric_cli.anchor_peers(seen["original"], "Org1") == []
    assert fabric_cli.anchor_peers(seen["updated"], "Org1") == ORG1_ANCHORS
    assert seen["envelope"]["payload"]["header"]["channel_header"] == {"channel_id": "channel1", "type": 2}
    assert seen["envelope"]["payload"]["data"]["config_update"] == json.loads(decoded("config-update-channel1-org1.json"))
    types = [flag(argv, "--type") for argv, _ in runner.calls if "configtxlator" in argv[0]]
    assert types == ["common.Block", "common.Config", "common.Config", None, "common.ConfigUpdate", "common.Envelope", "common.Block"]
    compute = runner.calls[4][0]
    assert flag(compute, "--channel_id") == "channel1"
    update = runner.calls[7][0]
    assert flag(update, "-c") == "channel1" and flag(update, "-f") == flag(runner.calls[6][0], "--output")
    assert runner.calls[7][1]["CORE_PEER_LOCALMSPID"] == "Org1MSP"


UPDATE_STEPS = (
    ("peer channel fetch config", answer("fetch-config")),
    ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
    ("configtxlator proto_encode", (0, "", "")),
    ("configtxlator proto_encode", (0, "", "")),
    ("configtxlator compute_update", (0, "", "")),
    ("configtxlator proto_decode", (0, decoded("config-update-channel1-org1.json"), "")),
    ("configtxlator proto_encode", (0, "", "")),
)


def test_update_refused_as_already_applied_counts_when_the_block_has_it(capsys):
    runner = FakeRunner(
        *UPDATE_STEPS,
        ("peer channel update", answer("update-again")),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS),
    )
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys)
    assert result["changed"] is True and result["anchor_peers"] == ORG1_ANCHORS and runner.done()


def test_update_refused_fails_with_the_cli_error(capsys):
    runner = FakeRunner(
        *UPDATE_STEPS,
        ("peer channel update", answer("update-again")),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
    )
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys)
    assert result["failed"] is True and "BAD_REQUEST" in result["msg"] and "Error: got unexpected status" in result["msg"]


def test_no_differences_from_configtxlator_is_no_change(capsys):
    runner = FakeRunner(
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
        ("configtxlator proto_encode", (0, "", "")),
        ("configtxlator proto_encode", (0, "", "")),
        ("configtxlator compute_update", answer("compute-update-no-differences")),
    )
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys)
    assert result["changed"] is False and "no difference" in result["msg"]
    assert "peer channel update" not in runner.words and runner.done()


def test_anchor_check_before_the_channel_exists_reports_the_change(capsys):
    runner = FakeRunner(("peer channel fetch config", answer("fetch-oldest-absent")))
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys, check=True)
    assert result["changed"] is True and "does not exist yet" in result["msg"]
    assert result["diff"] == {"before": {"anchor_peers": []}, "after": {"anchor_peers": ORG1_ANCHORS}}


def test_anchor_update_of_a_missing_channel_fails(capsys):
    runner = FakeRunner(("peer channel fetch config", answer("fetch-oldest-absent")))
    result = run(fabric_anchor_peers, ANCHORS, runner, capsys)
    assert result["failed"] is True and "&{NOT_FOUND}" in result["msg"]


def test_anchor_peers_of_an_org_outside_the_channel_fail(capsys):
    runner = FakeRunner(("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS))
    result = run(fabric_anchor_peers, {**ANCHORS, "org": "Org1MSP"}, runner, capsys, check=True)
    assert result["failed"] is True and "['Org1', 'Org2']" in result["msg"]


def anchor_cli(runner, tmp_path):
    slept = []
    params = {**ANCHORS, "tls": True, "retries": 0, "fabric_bin_dir": "/bin", "fabric_cfg_path": "/cfg", "commit_timeout": 3}
    return fabric_cli.FabricCLI(runner, params, str(tmp_path), sleep=slept.append), params, slept


def test_waits_for_the_config_block_with_the_update(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS),
    )
    cli, params, slept = anchor_cli(runner, tmp_path)
    seen, config_block = fabric_anchor_peers.wait_for_anchor_peers(cli, "channel1", "Org1", ORG1_ANCHORS, params["commit_timeout"])
    assert seen == ORG1_ANCHORS
    assert config_block == int(json.loads(BLOCK_WITH_ORG1_ANCHORS[1])["header"]["number"]) == 1
    assert slept == [fabric_anchor_peers.POLL_SECONDS]


def test_update_not_in_a_config_block_in_time_fails(tmp_path):
    runner = FakeRunner(*[("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS)] * 3)
    cli, params, slept = anchor_cli(runner, tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError, match="after 3 s the config block still has"):
        fabric_anchor_peers.wait_for_anchor_peers(cli, "channel1", "Org1", ORG1_ANCHORS, params["commit_timeout"])
    assert len(slept) == 2 and runner.done()


# -- documentation matches the argument spec -----------------------------------------------------


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
    """The module's documentation with the options of its doc fragments merged in, as ansible-doc shows it."""
    path = Path(__file__).resolve().parents[2] / "plugins" / "doc_fragments" / "fabric_cli.py"
    spec = importlib.util.spec_from_file_location("fabric_cli_doc_fragment", path)
    fragment_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fragment_module)
    for name in doc.pop("extends_documentation_fragment", []):
        attribute = name.partition(".")[2].upper() or "DOCUMENTATION"
        doc["options"].update(yaml.safe_load(getattr(fragment_module.ModuleDocFragment, attribute))["options"])
    return doc


@pytest.mark.parametrize("module", [fabric_channel, fabric_channel_member, fabric_anchor_peers])
def test_documentation_matches_the_argument_spec(module):
    doc = with_fragments(yaml.safe_load(module.DOCUMENTATION))
    actual = {name: {key: value for key, value in entry.items() if value not in (None, False)} for name, entry in module.ARGUMENT_SPEC.items()}
    for entry in actual.values():
        if "options" in entry:
            entry["options"] = {name: {k: v for k, v in sub.items() if v not in (None, False)} for name, sub in entry["options"].items()}
    assert documented(doc["options"]) == actual
    assert doc["attributes"]["check_mode"]["support"] == "full"
