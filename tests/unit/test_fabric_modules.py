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
import fabric_ledger_info
import pytest
import yaml
from ansible.module_utils import _internal as module_internal
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args
from fabric_fakes import KILLED, FakeClock, FakeRunner, answer, decoded, flag

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


def test_absent_channel_is_created_and_confirmed_by_its_genesis_block(channel_args, capsys):
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create")),
        ("peer channel fetch 0", answer("fetch-block0")),
    )
    result = run(fabric_channel, channel_args, runner, capsys)
    assert result["changed"] is True and result["exists"] is True and result["msg"] == "channel channel1 created"
    assert result["diff"] == {"before": {"channel": "channel1", "exists": False}, "after": {"channel": "channel1", "exists": True}}
    create, fetch = runner.calls[1][0], runner.calls[2][0]
    assert flag(create, "-c") == "channel1" and flag(create, "-f") == channel_args["creation_tx"]
    assert flag(create, "-o") == "orderer0:7050" and flag(create, "--cafile") == ADMIN["orderer_tls_ca"] and "--tls" in create
    assert flag(fetch, "-c") == "channel1" and flag(fetch, "-o") == "orderer0:7050"
    assert result["commands"] == [" ".join(argv) for argv, _ in runner.calls] and runner.done()


@pytest.mark.parametrize("check", [False, True])
def test_existing_channel_is_left_alone(channel_args, capsys, check):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-present")))
    result = run(fabric_channel, channel_args, runner, capsys, check=check)
    assert result["changed"] is False and result["exists"] is True
    assert result["diff"]["before"] == result["diff"]["after"] == {"channel": "channel1", "exists": True}
    assert runner.done()


def test_channel_created_by_another_run_after_the_check_is_a_change(channel_args, capsys):
    """Absent when the task began, there at its end: changed, whoever's creation the orderer applied (see ensure_channel)."""
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create-existing")),
        ("peer channel fetch 0", answer("fetch-block0")),
    )
    result = run(fabric_channel, channel_args, runner, capsys)
    assert result["changed"] is True and result["exists"] is True and "another run" in result["msg"]
    assert result["diff"] == {"before": {"channel": "channel1", "exists": False}, "after": {"channel": "channel1", "exists": True}}
    assert runner.done()


def test_create_that_timed_out_waiting_is_not_retried_and_is_a_change(tmp_path, capsys):
    """Issue #14.5, as reported: the CLI gave up waiting (logging SERVICE_UNAVAILABLE on the way); that was retried,
    the retry got "existing channel", and the task said ok, changed=false. The creation was sent: it is a change."""
    tx = tmp_path / "captimeout1.tx"
    tx.write_bytes(b"tx")
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create-timeout")),
        ("peer channel fetch 0", answer("fetch0-after-create-timeout")),
    )
    result = run(fabric_channel, {**ADMIN, "name": "captimeout1", "creation_tx": str(tx)}, runner, capsys)
    assert result["changed"] is True and result["exists"] is True, result
    assert "timeout waiting for channel creation" in result["msg"] and runner.done()


def test_create_that_timed_out_waiting_is_confirmed_by_the_genesis_block(tmp_path, capsys):
    """Issue #14.5: the CLI logged SERVICE_UNAVAILABLE and gave up waiting; the creation was sent, and the channel is there.

    Not retried (its final error is no transient one), so no "existing channel" answer is taken
    for someone else's creation: changed, once the orderer serves block 0 (the real sequence of
    create-timeout-2, fetch0-created-unavailable, fetch0-created).
    """
    tx = tmp_path / "captimeout2.tx"
    tx.write_bytes(b"tx")
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create-timeout-2"), 0.2),
        ("peer channel fetch 0", answer("fetch0-created-unavailable"), 0.1),
        ("peer channel fetch 0", answer("fetch0-created"), 0.1),
        clock=FakeClock(),
    )
    result = run(fabric_channel, {**ADMIN, "name": "captimeout2", "creation_tx": str(tx)}, runner, capsys)
    assert result["changed"] is True and result["exists"] is True, result
    assert result["msg"] == "channel captimeout2 created, although peer channel create failed: Error: timeout waiting for channel creation"
    assert result["waited"] == pytest.approx(1.2)
    assert result["diff"] == {"before": {"channel": "captimeout2", "exists": False}, "after": {"channel": "captimeout2", "exists": True}}
    assert runner.words.count("peer channel create") == 1 and runner.done()


def test_create_killed_by_its_bound_then_existing_is_a_change(tmp_path, capsys):
    """Our own killed attempt made the channel: the retry's "existing channel" must not turn it into "no change"."""
    tx = tmp_path / "captimeout1.tx"
    tx.write_bytes(b"tx")
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", KILLED),
        ("peer channel create", answer("create-timeout-again")),
        ("peer channel fetch 0", answer("fetch0-after-create-timeout")),
    )
    result = run(fabric_channel, {**ADMIN, "name": "captimeout1", "creation_tx": str(tx)}, runner, capsys)
    assert result["changed"] is True and result["exists"] is True, result
    assert "attempt 2" in result["msg"] and "earlier attempt" in result["msg"]
    assert runner.done()


def test_create_whose_genesis_block_never_comes_fails_with_the_cli_error(tmp_path, capsys):
    tx = tmp_path / "captimeout2.tx"
    tx.write_bytes(b"tx")
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create-timeout-2"), 0.2),
        *[("peer channel fetch 0", answer("fetch0-created-unavailable"), 1)] * 5,
        clock=FakeClock(),
    )
    args = {**ADMIN, "name": "captimeout2", "creation_tx": str(tx), "create_timeout": 9}
    result = run(fabric_channel, args, runner, capsys)
    assert result["failed"] is True and "exists" not in result
    assert result["msg"] == (
        "creating channel captimeout2: peer channel create failed: Error: timeout waiting for channel creation; and orderer0:7050 "
        "did not serve the channel's genesis block within 9 s (create_timeout 9 s): Error: can't read the block: &{SERVICE_UNAVAILABLE}"
    )
    assert "peer channel create" in result["cmd"] and result["rc"] == 1 and "timeout waiting" in result["stderr"]
    assert runner.done()


def test_a_creation_the_orderer_refused_fails_at_once(tmp_path, capsys):
    tx = tmp_path / "capforbid1.tx"
    tx.write_bytes(b"tx")
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")), ("peer channel create", answer("create-forbidden")))
    args = {**ADMIN, "msp_id": "Org2MSP", "name": "capforbid1", "creation_tx": str(tx)}
    result = run(fabric_channel, args, runner, capsys)
    assert result["failed"] is True and result["msg"].startswith("creating channel capforbid1 failed: Error: got unexpected status: BAD_REQUEST")
    assert runner.done()  # no wait for a block that cannot come


def test_a_creation_that_never_reached_the_orderer_fails_without_waiting(tmp_path, capsys):
    tx = tmp_path / "capunreach1.tx"
    tx.write_bytes(b"tx")
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")), *[("peer channel create", answer("create-unreachable"))] * 3)
    result = run(fabric_channel, {**ADMIN, "name": "capunreach1", "creation_tx": str(tx), "retries": 2}, runner, capsys)
    assert result["failed"] is True and "still failing after 3 attempts" in result["msg"] and "connection refused" in result["msg"]
    assert runner.done()


def test_service_unavailable_then_absent_then_created(channel_args, capsys):
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-service-unavailable")),
        ("peer channel fetch oldest", answer("fetch-oldest-absent")),
        ("peer channel create", answer("create")),
        ("peer channel fetch 0", answer("fetch-block0")),
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


def test_join_killed_by_its_bound_then_already_there_is_a_change(capsys):
    """Not joined when the task began, joined at its end: the retry's "already exists" is this task's own join (or another run's)."""
    runner = FakeRunner(
        ("peer channel list", answer("list-none")),
        ("peer channel fetch 0", answer("fetch-block0")),
        ("peer channel join", KILLED),
        ("peer channel join", answer("join-existing")),
        ("peer channel list", answer("list-channel1")),
    )
    result = run(fabric_channel_member, MEMBER, runner, capsys)
    assert result["changed"] is True and "found its ledger there" in result["msg"]
    assert result["diff"] == {"before": {"joined": []}, "after": {"joined": ["channel1"]}}
    assert runner.done()


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
    runner = FakeRunner(*[("peer channel list", answer("list-unreachable"))] * 3)
    result = run(fabric_channel_member, {**MEMBER, "retries": 2}, runner, capsys)
    assert result["failed"] is True and "still failing after 3 attempts" in result["msg"] and "connection refused" in result["msg"]
    assert runner.done()


@pytest.mark.parametrize(("name", "reason"), [("list-unreachable", "connection refused"), ("list-no-such-host", "no such host")])
def test_check_mode_predicts_the_join_of_a_peer_not_running_yet(capsys, name, reason):
    """Issue #14.7: a check run that adds a peer; one attempt, no retry loop, a prediction with its reason and a warning."""
    runner = FakeRunner(*[("peer channel list", answer(name))] * 6)
    result = run(fabric_channel_member, MEMBER, runner, capsys, check=True)
    assert result["changed"] is True and result["channels"] == [], result
    assert result["msg"] == f"peer0-org1:7051 would be joined to channel1 (it is not reachable: {reason}; taken for a peer not running yet)"
    assert result["diff"] == {"before": {"joined": []}, "after": {"joined": ["channel1"]}}
    assert len(result["commands"]) == 1 and runner.writes() == []
    assert len(warnings(result)) == 1 and reason in warnings(result)[0] and warnings(result)[0].startswith("check mode: peer0-org1:7051 is not reachable")


def test_check_mode_fails_on_other_errors_of_the_peer(capsys):
    """A peer that answers, wrongly (here: TLS with the wrong CA), is no peer "not running yet"."""
    runner = FakeRunner(*[("peer channel list", answer("list-wrong-tls-ca"))] * 2)
    result = run(fabric_channel_member, {**MEMBER, "retries": 1}, runner, capsys, check=True)
    assert result["failed"] is True and "context deadline exceeded" in result["msg"] and runner.done()


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


def anchor_cli(runner, tmp_path, **params):
    params = {**ANCHORS, "tls": True, "retries": 0, "fabric_bin_dir": "/bin", "fabric_cfg_path": "/cfg", "commit_timeout": 3, **params}
    return fabric_cli.FabricCLI(runner, params, str(tmp_path), sleep=runner.clock.sleep, clock=runner.clock), params


def test_waits_for_the_config_block_with_the_update(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS),
        clock=FakeClock(),
    )
    cli, params = anchor_cli(runner, tmp_path)
    seen, config_block = fabric_anchor_peers.wait_for_anchor_peers(cli, "channel1", "Org1", ORG1_ANCHORS, params["commit_timeout"])
    assert seen == ORG1_ANCHORS
    assert config_block == int(json.loads(BLOCK_WITH_ORG1_ANCHORS[1])["header"]["number"]) == 1
    assert runner.clock.slept == [fabric_anchor_peers.POLL_SECONDS]


def test_update_not_in_a_config_block_in_time_fails(tmp_path):
    runner = FakeRunner(*[("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS)] * 4, clock=FakeClock())
    cli, params = anchor_cli(runner, tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError, match=r"after 3 s \(commit_timeout 3 s\) the config block still has \[\]$"):
        fabric_anchor_peers.wait_for_anchor_peers(cli, "channel1", "Org1", ORG1_ANCHORS, params["commit_timeout"])
    assert runner.clock.slept == [1.0, 1.0, 1.0] and runner.done()


def test_commit_wait_is_a_deadline_not_a_count_of_polls(tmp_path):
    """Issue #14.8: reads of 10 s each; a count of 25 polls would wait 275 s and say "after 25 s"."""
    runner = FakeRunner(
        *[("peer channel fetch config", answer("fetch-config"), 10), ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS)] * 2,
        ("peer channel fetch config", answer("fetch-config"), 10),
        clock=FakeClock(),
    )
    cli, _ = anchor_cli(runner, tmp_path)
    start = runner.clock()
    with pytest.raises(fabric_cli.FabricCLIError) as error:
        fabric_anchor_peers.wait_for_anchor_peers(cli, "channel1", "Org1", ORG1_ANCHORS, 25)
    assert runner.clock() - start == 25 and runner.done()
    assert runner.timeouts[-1] == 3.0  # the last read gets the 3 s left, and is killed at the deadline
    assert error.value.msg.startswith(
        "the update of the anchor peers of Org1 in channel1 was submitted, but after 25 s (commit_timeout 25 s) the config block still has []"
    )
    assert "did not finish within 3 s (the time left of the wait)" in error.value.msg


def test_update_killed_by_its_bound_counts_once_the_block_has_it(capsys):
    runner = FakeRunner(
        *UPDATE_STEPS,
        ("peer channel update", KILLED),
        ("peer channel update", KILLED),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITH_ORG1_ANCHORS),
    )
    result = run(fabric_anchor_peers, {**ANCHORS, "retries": 1}, runner, capsys)
    assert result["changed"] is True and result["anchor_peers"] == ORG1_ANCHORS and runner.done()


def test_update_killed_and_never_committed_fails_with_both_errors(capsys):
    runner = FakeRunner(
        *UPDATE_STEPS,
        ("peer channel update", KILLED, 1),
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS),
        *[("peer channel fetch config", answer("fetch-config")), ("configtxlator proto_decode", BLOCK_WITHOUT_ANCHORS)] * 3,
        clock=FakeClock(),
    )
    result = run(fabric_anchor_peers, {**ANCHORS, "retries": 0, "commit_timeout": 2}, runner, capsys)
    assert result["failed"] is True and runner.done()
    assert result["msg"].startswith("submitting the config update of channel1 failed: peer channel update did not finish within 60 s (command_timeout)")
    assert "after 2 s (commit_timeout 2 s) the config block still has []" in result["msg"]


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


@pytest.mark.parametrize("module", [fabric_channel, fabric_channel_member, fabric_anchor_peers, fabric_ledger_info])
def test_documentation_matches_the_argument_spec(module):
    doc = with_fragments(yaml.safe_load(module.DOCUMENTATION))
    actual = {name: {key: value for key, value in entry.items() if value not in (None, False)} for name, entry in module.ARGUMENT_SPEC.items()}
    for entry in actual.values():
        if "options" in entry:
            entry["options"] = {name: {k: v for k, v in sub.items() if v not in (None, False)} for name, sub in entry["options"].items()}
    assert documented(doc["options"]) == actual
    assert doc["attributes"]["check_mode"]["support"] == "full"


# -- invalid option combinations: refused before any command, in every module -------------------

LEDGER_FROM_ORDERER = {"msp_id": "OrdererMSP", "msp_dir": "/m", "orderer_address": "127.0.0.1:7050", "orderer_tls_ca": "/ca", "channels": ["channel1"]}
LEDGER_FROM_PEER = {"msp_id": "Org1MSP", "msp_dir": "/m", "peer_address": "127.0.0.1:7051", "peer_tls_ca": "/ca"}


def without(args, *names):
    return {key: value for key, value in args.items() if key not in names}


INVALID = [
    # fabric_ledger_info: the orderer in use, only the peer's CA given (was: TypeError, `--cafile None`)
    (fabric_ledger_info, {**without(LEDGER_FROM_ORDERER, "orderer_tls_ca"), "peer_tls_ca": "/p"}, "orderer_tls_ca is required with tls=true"),
    (fabric_ledger_info, {**LEDGER_FROM_ORDERER, "peer_address": "127.0.0.1:7051", "peer_tls_ca": "/p"}, "mutually exclusive: orderer_address|peer_address"),
    (fabric_ledger_info, without(LEDGER_FROM_ORDERER, "channels"), "missing parameter(s) required by 'orderer_address': channels"),
    (fabric_ledger_info, {**LEDGER_FROM_PEER, "orderer_tls_hostname_override": "orderer0"}, "orderer_tls_hostname_override given without orderer_address"),
    (fabric_ledger_info, {**LEDGER_FROM_PEER, "tls": False}, "peer_tls_ca given with tls=false"),
    (fabric_ledger_info, {**LEDGER_FROM_PEER, "blocks": [3, -1]}, "blocks must be 0 or more, got [-1]"),
    (fabric_ledger_info, without(LEDGER_FROM_PEER, "peer_tls_ca"), "peer_tls_ca is required with tls=true"),
    (fabric_channel, {**ADMIN, "name": "channel1", "creation_tx": "/x.tx", "tls": False}, "orderer_tls_ca given with tls=false"),
    (fabric_channel, {**ADMIN, "name": "channel1", "creation_tx": "/x.tx", "create_timeout": 0}, "create_timeout must be greater than 0, got 0"),
    (fabric_channel, {**ADMIN, "name": "channel1", "creation_tx": "/x.tx", "command_timeout": -5}, "command_timeout must be greater than 0, got -5"),
    (fabric_channel, {**ADMIN, "name": "channel1", "creation_tx": "/x.tx", "retries": -1}, "retries must be at least 0, got -1"),
    (
        fabric_channel_member,
        {**MEMBER, "tls": False, "orderer_tls_ca": None, "peer_tls_ca": None, "peer_tls_hostname_override": "p"},
        "peer_tls_hostname_override given with tls=false",
    ),
    (fabric_channel_member, {**MEMBER, "retry_delay": -1}, "retry_delay must be at least 0"),
    (fabric_anchor_peers, {**ANCHORS, "commit_timeout": 0}, "commit_timeout must be greater than 0, got 0"),
    (fabric_anchor_peers, {**ANCHORS, "anchor_peers": [{"host": "peer0-org1", "port": 70510}]}, "port 70510 of peer0-org1 is not between 1 and 65535"),
    (fabric_anchor_peers, {**ANCHORS, "anchor_peers": [{"host": "peer0-org1"}, {"host": "peer0-org1", "port": 7051}]}, "peer0-org1:7051 given more than once"),
    (fabric_anchor_peers, {**ANCHORS, "anchor_peers": [{"host": " "}]}, "a host is empty"),
    (fabric_anchor_peers, {**ANCHORS, "tls": False}, "orderer_tls_ca given with tls=false"),
]


@pytest.mark.parametrize(("module", "args", "error"), INVALID, ids=[f"{m.__name__}-{i}" for i, (m, _, _) in enumerate(INVALID)])
def test_invalid_option_combinations_are_refused_before_any_command(capsys, module, args, error):
    """Issue #14.6, in every module: a clear error naming the options, never a crash, and no command run."""
    runner = FakeRunner()
    result = run(module, args, runner, capsys)
    assert result["failed"] is True and error in result["msg"], result["msg"]
    assert runner.calls == []


def test_an_orderer_read_with_only_the_peer_ca_is_refused(capsys):
    """Issue #14.6: was `TypeError: sequence item 8: expected str instance, NoneType found`."""
    args = {**without(LEDGER_FROM_ORDERER, "orderer_tls_ca"), "peer_tls_ca": "/etc/hyperledger/peer/tls/ca.crt"}
    runner = FakeRunner()
    result = run(fabric_ledger_info, args, runner, capsys)
    assert result["failed"] is True and "orderer_tls_ca is required with tls=true to reach orderer_address 127.0.0.1:7050" in result["msg"]
    assert "peer_tls_ca given without peer_address" in result["msg"] and runner.calls == []
