"""The Fabric CLI wrapper: parsing, retries and bounds, on answers captured from the real 2.5.16 CLI."""

from __future__ import annotations

import json
import re
import sys
import time

import fabric_cli
import pytest
from fabric_fakes import FIXTURES, KILLED, FakeClock, FakeRunner, answer, capture, decoded

PARAMS = {
    "msp_id": "Org1MSP",
    "msp_dir": "/etc/hyperledger/admin/Org1/msp",
    "tls": True,
    "fabric_bin_dir": "/opt/hlf/fabric-2.5.16/bin",
    "fabric_cfg_path": "/opt/hlf/fabric-2.5.16/config",
    "retries": 2,
    "retry_delay": 4.0,
    "orderer_address": "orderer0:7050",
    "orderer_tls_ca": "/etc/hyperledger/admin/OrdererOrg/tls-ca.pem",
    "orderer_tls_hostname_override": None,
    "peer_address": "peer0-org1:7051",
    "peer_tls_ca": "/etc/hyperledger/admin/Org1/tls-ca.pem",
    "peer_tls_hostname_override": None,
}


def make_cli(runner, tmp_path, **params):
    slept = []
    cli = fabric_cli.FabricCLI(runner, {**PARAMS, **params}, str(tmp_path), sleep=slept.append)
    return cli, slept


def timed_cli(runner, tmp_path, **params):
    """A CLI on the runner's fake clock (sleeping moves it)."""
    clock = runner.clock
    return fabric_cli.FabricCLI(runner, {**PARAMS, **params}, str(tmp_path), sleep=clock.sleep, clock=clock), clock


def config(name):
    return fabric_cli.config_from_block(json.loads(decoded(name)))


# -- peer channel list ---------------------------------------------------------------------------


def test_channel_list_of_a_peer_without_channels():
    assert fabric_cli.parse_channel_list(capture("list-none")["stdout"]) == []


def test_channel_list_after_joins():
    assert fabric_cli.parse_channel_list(capture("list-channel1")["stdout"]) == ["channel1"]
    assert fabric_cli.parse_channel_list(capture("list-channel1-channel2")["stdout"]) == ["channel1", "channel2"]


def test_channel_list_matches_whole_lines_only():
    stdout = capture("list-none")["stdout"] + "channel10\nmychannel1\n"
    assert not fabric_cli.is_joined(stdout, "channel1")
    assert fabric_cli.is_joined(stdout, "channel10")
    assert not fabric_cli.is_joined(capture("list-channel1")["stdout"], "channel")


def test_channel_list_without_header_is_refused():
    with pytest.raises(ValueError, match="Channels peers has joined"):
        fabric_cli.parse_channel_list(capture("getinfo")["stdout"])


# -- orderer answers -----------------------------------------------------------------------------


def test_not_found_is_the_absent_channel():
    data = capture("fetch-oldest-absent")
    assert data["rc"] == 1
    assert fabric_cli.is_not_found(data["stderr"])
    assert not fabric_cli.is_transient(data["stdout"], data["stderr"])
    assert fabric_cli.cli_error_text(data["stdout"], data["stderr"]) == "Error: can't read the block: &{NOT_FOUND}"


def test_present_channel_is_not_not_found():
    data = capture("fetch-oldest-present")
    assert data["rc"] == 0
    assert not fabric_cli.is_not_found(data["stderr"])


def test_service_unavailable_is_transient_not_absent():
    data = capture("fetch-oldest-service-unavailable")
    assert data["rc"] == 1
    assert fabric_cli.is_service_unavailable(data["stderr"])
    assert fabric_cli.is_transient(data["stdout"], data["stderr"])
    assert not fabric_cli.is_not_found(data["stderr"])


@pytest.mark.parametrize("name", ["fetch-oldest-unreachable", "list-unreachable"])
def test_connection_errors_are_transient(name):
    data = capture(name)
    assert data["rc"] != 0
    assert fabric_cli.is_transient(data["stdout"], data["stderr"])


@pytest.mark.parametrize("name", ["create-existing", "join-existing", "compute-update-no-differences", "getinfo-not-joined", "fetch-oldest-absent"])
def test_definite_errors_are_not_retried(name):
    data = capture(name)
    assert not fabric_cli.is_transient(data["stdout"], data["stderr"])


def test_create_of_an_existing_channel():
    data = capture("create-existing")
    assert data["rc"] == 1
    assert fabric_cli.is_existing_channel(data["stderr"], "channel1")
    assert not fabric_cli.is_existing_channel(data["stderr"], "channel")
    assert "BAD_REQUEST" in fabric_cli.cli_error_text(data["stdout"], data["stderr"])
    assert not fabric_cli.is_existing_channel(capture("create")["stderr"], "channel2")


def test_a_replayed_config_update_is_not_an_existing_channel():
    data = capture("update-again")
    assert data["rc"] == 1 and "existing channel 'channel2'" in data["stderr"]
    assert not fabric_cli.is_existing_channel(data["stderr"], "channel2")


@pytest.mark.parametrize("name", ["create", "create-timeout", "create-timeout-2", "list-wrong-tls-ca"])
def test_what_the_cli_logs_while_it_waits_is_not_its_error(name):
    """`peer channel create` logs &{SERVICE_UNAVAILABLE} while it waits for the new chain; that is no verdict on how it ended."""
    data = capture(name)
    assert not fabric_cli.is_service_unavailable(data["stderr"]) and not fabric_cli.is_not_found(data["stderr"])
    if data["rc"] == 0:
        assert fabric_cli.final_error(data["stdout"], data["stderr"]) == ""
        assert not fabric_cli.is_transient(data["stdout"], data["stderr"])


@pytest.mark.parametrize("name", ["create-timeout", "create-timeout-2"])
def test_transient_is_judged_by_the_final_error_not_the_log(name):
    """Issue #14.5: a create that gave up waiting is not "SERVICE_UNAVAILABLE, try again"."""
    data = capture(name)
    assert not fabric_cli.is_transient(data["stdout"], data["stderr"])
    assert fabric_cli.final_error(data["stdout"], data["stderr"]) == "Error: timeout waiting for channel creation"
    assert fabric_cli.is_creation_wait_timeout(data["stderr"])
    assert not fabric_cli.is_creation_wait_timeout(capture("create-existing")["stderr"])


def test_a_create_that_gave_up_waiting_is_not_retried(tmp_path):
    runner = FakeRunner(("peer channel create", answer("create-timeout")))
    cli, slept = make_cli(runner, tmp_path)
    result = cli.create_channel("captimeout1", "/x/captimeout1.tx")
    assert not result.ok and not result.transient and result.attempts == 1
    assert slept == [] and runner.done()


def test_a_handshake_failure_is_judged_by_its_final_error(tmp_path):
    """list-wrong-tls-ca logs three TLS handshake failures and ends on `context deadline exceeded` (transient, not unreachable)."""
    data = capture("list-wrong-tls-ca")
    assert fabric_cli.is_transient(data["stdout"], data["stderr"])
    assert not fabric_cli.is_unreachable(data["stdout"], data["stderr"])


@pytest.mark.parametrize("name", ["list-unreachable", "list-no-such-host", "fetch-oldest-unreachable", "create-unreachable"])
def test_unreachable_endpoints(name):
    data = capture(name)
    assert fabric_cli.is_unreachable(data["stdout"], data["stderr"])


@pytest.mark.parametrize("name", ["fetch-oldest-service-unavailable", "list-wrong-tls-ca", "create-timeout", "fetch-oldest-absent"])
def test_other_errors_are_not_unreachable(name):
    data = capture(name)
    assert not fabric_cli.is_unreachable(data["stdout"], data["stderr"])


def test_refusals_of_the_orderer():
    assert fabric_cli.is_orderer_refusal(capture("create-forbidden")["stderr"])
    assert fabric_cli.is_orderer_refusal(capture("create-existing")["stderr"])
    assert not fabric_cli.is_existing_channel(capture("create-forbidden")["stderr"], "capforbid1")
    assert not fabric_cli.is_orderer_refusal(capture("create-timeout")["stderr"])
    assert not fabric_cli.is_orderer_refusal(capture("create-unreachable")["stderr"])


def test_forbidden_is_neither_absent_nor_transient():
    data = capture("fetch-block0-forbidden")
    assert data["rc"] == 1 and "&{FORBIDDEN}" in data["stderr"]
    assert not fabric_cli.is_not_found(data["stderr"]) and not fabric_cli.is_transient(data["stdout"], data["stderr"])


def test_join_of_a_joined_channel():
    data = capture("join-existing")
    assert data["rc"] == 1
    assert fabric_cli.is_already_joined(data["stderr"], "channel1")
    assert not fabric_cli.is_already_joined(data["stderr"], "channel")
    assert not fabric_cli.is_already_joined(capture("join")["stderr"], "channel2")


def test_compute_update_without_differences():
    data = capture("compute-update-no-differences")
    assert fabric_cli.is_no_differences(data["stderr"])
    assert not fabric_cli.is_no_differences(capture("compute-update")["stderr"])


def test_getinfo_height():
    info = fabric_cli.parse_blockchain_info(capture("getinfo")["stdout"])
    assert isinstance(info["height"], int) and info["height"] >= 1
    assert info["currentBlockHash"]


def test_getinfo_of_a_channel_not_joined():
    with pytest.raises(ValueError, match="no 'Blockchain info: ' line"):
        fabric_cli.parse_blockchain_info(capture("getinfo-not-joined")["stdout"])


# -- config blocks -------------------------------------------------------------------------------


def test_application_groups_are_named_after_configtx_org_names_not_msp_ids():
    assert fabric_cli.application_orgs(config("config-block-channel1.json")) == ["Org1", "Org2"]


def test_anchor_peers_absent_before_the_first_update():
    cfg = config("config-block-channel1.json")
    assert "AnchorPeers" not in cfg["channel_group"]["groups"]["Application"]["groups"]["Org1"]["values"]
    assert fabric_cli.anchor_peers(cfg, "Org1") == []
    assert fabric_cli.anchor_peers(cfg, "Org2") == []


def test_anchor_peers_after_an_update():
    cfg = config("config-block-channel1-anchors.json")
    assert fabric_cli.anchor_peers(cfg, "Org1") == [{"host": "peer0-org1", "port": 7051}]


def test_unknown_org_names_the_members():
    with pytest.raises(ValueError, match=r"'Org1MSP' is not in the channel's Application groups \['Org1', 'Org2'\]"):
        fabric_cli.anchor_peers(config("config-block-channel1.json"), "Org1MSP")


def test_config_from_something_else_is_refused():
    with pytest.raises(ValueError, match="not a decoded config block"):
        fabric_cli.config_from_block({"data": {"data": []}})


def test_with_anchor_peers_adds_the_value_with_version_0():
    cfg = config("config-block-channel1.json")
    updated = fabric_cli.with_anchor_peers(cfg, "Org1", [{"host": "peer0-org1", "port": 7051}])
    value = updated["channel_group"]["groups"]["Application"]["groups"]["Org1"]["values"]["AnchorPeers"]
    assert value == {"mod_policy": "Admins", "version": "0", "value": {"anchor_peers": [{"host": "peer0-org1", "port": 7051}]}}
    assert "AnchorPeers" not in cfg["channel_group"]["groups"]["Application"]["groups"]["Org1"]["values"]  # a copy


def test_with_anchor_peers_keeps_the_existing_version_and_policy():
    cfg = config("config-block-channel1-anchors.json")
    before = cfg["channel_group"]["groups"]["Application"]["groups"]["Org1"]["values"]["AnchorPeers"]
    updated = fabric_cli.with_anchor_peers(cfg, "Org1", [{"host": "peer1-org1", "port": 7051}])
    after = updated["channel_group"]["groups"]["Application"]["groups"]["Org1"]["values"]["AnchorPeers"]
    assert (after["version"], after["mod_policy"]) == (before["version"], before["mod_policy"])
    assert fabric_cli.anchor_peers(updated, "Org1") == [{"host": "peer1-org1", "port": 7051}]


def test_anchor_peer_comparison_ignores_order_and_types():
    a = [{"host": "p1", "port": 7051}, {"host": "p0", "port": "7051"}]
    b = [{"host": "p0", "port": 7051}, {"host": "p1", "port": 7051}]
    assert fabric_cli.normalize_anchor_peers(a) == fabric_cli.normalize_anchor_peers(b)
    assert fabric_cli.normalize_anchor_peers(None) == []


def test_update_envelope_is_a_config_update_envelope():
    update = json.loads(decoded("config-update-channel1-org1.json"))
    envelope = fabric_cli.update_envelope("channel1", update)
    assert envelope == {"payload": {"header": {"channel_header": {"channel_id": "channel1", "type": 2}}, "data": {"config_update": update}}}


# -- environment ---------------------------------------------------------------------------------


def test_environment_of_an_identity(tmp_path):
    cli, _ = make_cli(None, tmp_path, peer_tls_hostname_override="peer0.org1.example.com")
    assert cli.env() == {
        "FABRIC_CFG_PATH": "/opt/hlf/fabric-2.5.16/config",
        "CORE_PEER_LOCALMSPID": "Org1MSP",
        "CORE_PEER_MSPCONFIGPATH": "/etc/hyperledger/admin/Org1/msp",
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_ADDRESS": "peer0-org1:7051",
        "CORE_PEER_TLS_ROOTCERT_FILE": "/etc/hyperledger/admin/Org1/tls-ca.pem",
        "CORE_PEER_TLS_SERVERHOSTOVERRIDE": "peer0.org1.example.com",
    }
    assert cli.orderer_args() == ["-o", "orderer0:7050", "--tls", "--cafile", "/etc/hyperledger/admin/OrdererOrg/tls-ca.pem"]


def test_orderer_hostname_override_and_no_tls(tmp_path):
    cli, _ = make_cli(None, tmp_path, orderer_tls_hostname_override="orderer0.example.com")
    assert cli.orderer_args()[-2:] == ["--ordererTLSHostnameOverride", "orderer0.example.com"]
    cli, _ = make_cli(None, tmp_path, tls=False, peer_address=None)
    assert cli.orderer_args() == ["-o", "orderer0:7050"]
    assert cli.env()["CORE_PEER_TLS_ENABLED"] == "false"
    assert "CORE_PEER_TLS_ROOTCERT_FILE" not in cli.env() and "CORE_PEER_ADDRESS" not in cli.env()


# -- running, retries ----------------------------------------------------------------------------


def test_service_unavailable_is_retried_with_the_delay(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-service-unavailable")),
        ("peer channel fetch oldest", answer("fetch-oldest-service-unavailable")),
        ("peer channel fetch oldest", answer("fetch-oldest-present")),
    )
    cli, slept = make_cli(runner, tmp_path)
    assert cli.channel_exists("channel1") is True
    assert slept == [4.0, 4.0]
    assert runner.done()
    assert all(env["CORE_PEER_LOCALMSPID"] == "Org1MSP" for _, env in runner.calls)


def test_retries_are_bounded_and_the_cli_error_is_surfaced(tmp_path):
    runner = FakeRunner(*[("peer channel fetch oldest", answer("fetch-oldest-unreachable"))] * 3)
    cli, slept = make_cli(runner, tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError) as error:
        cli.channel_exists("channel1")
    assert len(slept) == 2 and runner.done()
    assert "still failing after 3 attempts" in error.value.msg
    assert fabric_cli.cli_error_text("", capture("fetch-oldest-unreachable")["stderr"]) in error.value.msg
    assert error.value.details()["rc"] == 1 and "orderer0:7050" in error.value.details()["cmd"]


def test_not_found_is_answered_at_once(tmp_path):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-oldest-absent")))
    cli, slept = make_cli(runner, tmp_path)
    assert cli.channel_exists("channel1") is False
    assert slept == [] and runner.done()


def test_other_fetch_errors_raise(tmp_path):
    runner = FakeRunner(("peer channel fetch oldest", answer("fetch-block0-forbidden")))
    cli, _ = make_cli(runner, tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError, match="FORBIDDEN"):
        cli.channel_exists("channel1")


def test_zero_retries_means_one_attempt(tmp_path):
    runner = FakeRunner(("peer channel list", answer("list-unreachable")))
    cli, slept = make_cli(runner, tmp_path, retries=0)
    with pytest.raises(fabric_cli.FabricCLIError) as error:
        cli.channel_list()
    assert slept == [] and "still failing" not in error.value.msg


def test_channel_list_through_the_cli(tmp_path):
    runner = FakeRunner(("peer channel list", answer("list-channel1-channel2")))
    cli, _ = make_cli(runner, tmp_path)
    assert cli.channel_list() == ["channel1", "channel2"]
    assert runner.calls[0][0] == ["/opt/hlf/fabric-2.5.16/bin/peer", "channel", "list"]


def test_create_and_join_outcomes(tmp_path):
    runner = FakeRunner(
        ("peer channel create", answer("create")),
        ("peer channel create", answer("create-existing")),
        ("peer channel join", answer("join")),
        ("peer channel join", answer("join-existing")),
    )
    cli, slept = make_cli(runner, tmp_path)
    created = cli.create_channel("channel2", "/x/channel2.tx")
    assert created.ok and created.attempts == 1  # SERVICE_UNAVAILABLE in its log: no retry
    existing = cli.create_channel("channel1", "/x/channel1.tx")
    assert not existing.ok and fabric_cli.is_existing_channel(existing.stderr, "channel1") and existing.attempts == 1
    assert cli.join("channel2", "/x/b") is True
    assert cli.join("channel1", "/x/b") is False
    assert runner.done() and slept == []


def test_getinfo_through_the_cli(tmp_path):
    runner = FakeRunner(("peer channel getinfo", answer("getinfo")), ("peer channel getinfo", answer("getinfo-not-joined")))
    cli, slept = make_cli(runner, tmp_path)
    assert cli.getinfo("channel1")["height"] == 1
    with pytest.raises(fabric_cli.FabricCLIError, match="Invalid chain ID, channel2"):
        cli.getinfo("channel2")
    assert slept == []


def test_compute_update_no_differences_despite_the_output_file(tmp_path):
    runner = FakeRunner(("configtxlator compute_update", answer("compute-update-no-differences")))
    cli, _ = make_cli(runner, tmp_path)
    out = tmp_path / "update.pb"
    assert cli.compute_update("channel1", "a.pb", "b.pb", str(out)) is False
    assert out.exists() and out.stat().st_size == 0


def test_configtxlator_errors_are_not_retried(tmp_path):
    runner = FakeRunner(("configtxlator compute_update", (1, "", "configtxlator: error: Error computing update: boom\n")))
    cli, slept = make_cli(runner, tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError, match="configtxlator: error: Error computing update: boom"):
        cli.compute_update("channel1", "a.pb", "b.pb", str(tmp_path / "u.pb"))
    assert slept == []


def test_channel_config_fetches_and_decodes(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch config", answer("fetch-config")),
        ("configtxlator proto_decode", (0, decoded("config-block-channel1.json"), "")),
    )
    cli, _ = make_cli(runner, tmp_path)
    _, cfg = cli.channel_config("channel1")
    assert fabric_cli.application_orgs(cfg) == ["Org1", "Org2"]
    decode = runner.calls[1][0]
    assert decode[decode.index("--type") + 1] == "common.Block"
    assert decode[decode.index("--input") + 1] == runner.calls[0][0][4]


# -- invalid options: a clear error, never a TypeError -----------------------------------------


def test_orderer_arguments_without_the_ca_are_a_clear_error(tmp_path):
    """Issue #14.6: `--cafile None` was a TypeError in " ".join(argv)."""
    cli, _ = make_cli(FakeRunner(), tmp_path, orderer_tls_ca=None)
    with pytest.raises(fabric_cli.FabricCLIError, match="orderer_tls_ca is required with tls=true to reach orderer_address orderer0:7050"):
        cli.channel_exists("channel1")
    assert cli.commands == []


def test_an_argument_that_is_not_a_string_is_a_clear_error(tmp_path):
    cli, _ = make_cli(FakeRunner(), tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError, match="peer channel join: an argument is not a string"):
        cli.join("channel1", None)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            {"orderer_address": "o:7050", "orderer_tls_ca": None, "peer_tls_ca": "/p"},
            "orderer_tls_ca is required with tls=true to reach orderer_address o:7050",
        ),
        ({"peer_address": "p:7051"}, "peer_tls_ca is required with tls=true to reach peer_address p:7051"),
        ({"tls": False, "orderer_address": "o:7050", "orderer_tls_ca": "/ca"}, "orderer_tls_ca given with tls=false, where nothing uses it"),
        (
            {"tls": False, "peer_address": "p:7051", "peer_tls_ca": "/ca", "peer_tls_hostname_override": "p"},
            "peer_tls_ca and peer_tls_hostname_override given with tls=false",
        ),
        ({"orderer_address": "o:7050", "orderer_tls_ca": "/ca", "peer_tls_hostname_override": "p"}, "peer_tls_hostname_override given without peer_address"),
        ({"orderer_address": "o:7050", "orderer_tls_ca": "/ca", "retries": -1}, "retries must be at least 0, got -1"),
        ({"orderer_address": "o:7050", "orderer_tls_ca": "/ca", "retry_delay": -0.5}, "retry_delay must be at least 0, got -0.5"),
        ({"orderer_address": "o:7050", "orderer_tls_ca": "/ca", "command_timeout": 0}, "command_timeout must be greater than 0, got 0"),
    ],
)
def test_option_errors(params, error):
    assert any(error in message for message in fabric_cli.option_errors({"tls": True, **params})), fabric_cli.option_errors({"tls": True, **params})


def test_valid_options_have_no_errors():
    assert fabric_cli.option_errors(PARAMS) == []
    assert fabric_cli.option_errors({**PARAMS, "tls": False, "orderer_tls_ca": None, "peer_tls_ca": None}) == []


# -- bounds in seconds ----------------------------------------------------------------------------


def test_every_command_runs_under_command_timeout(tmp_path):
    runner = FakeRunner(("peer channel list", answer("list-channel1")), ("peer channel fetch oldest", answer("fetch-oldest-present")))
    cli, _ = make_cli(runner, tmp_path)
    cli.channel_list()
    cli, _ = make_cli(runner, tmp_path, command_timeout=7)
    cli.channel_exists("channel1")
    assert runner.timeouts == [60.0, 7.0]


def test_a_command_killed_by_its_bound_names_the_command_and_the_bound_and_is_retried(tmp_path):
    """Issue #14.8: the deliver waits for a block without a deadline; the bound stops it, and that is transient."""
    runner = FakeRunner(*[("peer channel fetch 2", answer("fetch-next-block-killed"), 3)] * 3, clock=FakeClock())
    cli, clock = timed_cli(runner, tmp_path, command_timeout=3)
    start = clock()
    with pytest.raises(fabric_cli.FabricCLIError) as error:
        cli.fetch_block("channel2", 2, "fetching block 2 of channel2")
    assert error.value.transient and error.value.rc == fabric_cli.TIMED_OUT
    assert error.value.msg == (
        "fetching block 2 of channel2 failed (still failing after 3 attempts in 17 s): "
        "peer channel fetch 2 did not finish within 3 s (command_timeout) and was killed"
    )
    assert clock() - start == 3 * 3 + 2 * PARAMS["retry_delay"]
    assert runner.timeouts == [3.0, 3.0, 3.0] and clock.slept == [4.0, 4.0]


def test_a_command_that_outlasts_its_bound_is_killed_at_the_bound(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch oldest", answer("fetch-oldest-present"), 500), ("peer channel fetch oldest", answer("fetch-oldest-present")), clock=FakeClock()
    )
    cli, clock = timed_cli(runner, tmp_path, command_timeout=30)
    start = clock()
    assert cli.channel_exists("channel1") is True
    assert clock() - start == 30 + PARAMS["retry_delay"]
    assert len(cli.commands) == 2


def test_retries_end_at_the_deadline_and_the_last_attempt_gets_the_time_left(tmp_path):
    runner = FakeRunner(*[("peer channel fetch 0", answer("fetch-oldest-service-unavailable"), 2)] * 3, clock=FakeClock())
    cli, clock = timed_cli(runner, tmp_path, retries=5)
    result = cli.fetch("channel1", 0, str(tmp_path / "b"), deadline=clock() + 10)
    # 2 s + 4 s delay + 2 s = 8 s: a third delay would end past the deadline.
    assert result.attempts == 2 and not result.ok and runner.timeouts == [10.0, 4.0]
    assert result.bound_by == "the time left of the wait"


def test_wait_for_block_is_a_deadline_and_says_how_long_it_waited(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch 0", answer("fetch0-created-unavailable"), 2),
        ("peer channel fetch 0", answer("fetch-oldest-absent"), 2),
        ("peer channel fetch 0", answer("fetch0-created-unavailable"), 2),
        clock=FakeClock(),
    )
    cli, _ = timed_cli(runner, tmp_path)
    served, waited, last = cli.wait_for_block("captimeout2", 0, 7)
    # 2 s, 1 s poll, 2 s, 1 s poll, then 1 s left: the third fetch is killed at the deadline.
    assert (served, waited) == (False, 7.0) and runner.done() and runner.timeouts == [7.0, 4.0, 1.0]
    assert last.error_text == "peer channel fetch 0 did not finish within 1 s (the time left of the wait) and was killed"


def test_wait_for_block_returns_when_served(tmp_path):
    runner = FakeRunner(
        ("peer channel fetch 0", answer("fetch0-created-unavailable"), 0.2), ("peer channel fetch 0", answer("fetch0-created"), 0.2), clock=FakeClock()
    )
    cli, _ = timed_cli(runner, tmp_path)
    served, waited, _ = cli.wait_for_block("captimeout2", 0, 60)
    assert served and waited == pytest.approx(1.4) and runner.done()


def test_wait_for_block_fails_at_once_on_other_errors(tmp_path):
    runner = FakeRunner(("peer channel fetch 0", answer("fetch-block0-forbidden")), clock=FakeClock())
    cli, _ = timed_cli(runner, tmp_path)
    with pytest.raises(fabric_cli.FabricCLIError, match="FORBIDDEN"):
        cli.wait_for_block("channel2", 0, 60)


def test_a_killed_command_of_the_real_runner_is_timed_out(tmp_path):
    run = fabric_cli.subprocess_runner(kill_grace=0.5)
    start = time.monotonic()
    rc, out, _ = run([sys.executable, "-c", "import sys, time; print('started', flush=True); time.sleep(30)"], {}, 0.5)
    assert (rc, out) == (fabric_cli.TIMED_OUT, "started\n") and time.monotonic() - start < 5


def test_the_real_runner_kills_a_command_that_ignores_sigterm(tmp_path):
    run = fabric_cli.subprocess_runner(kill_grace=0.3)
    start = time.monotonic()
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ignoring', flush=True); time.sleep(30)"
    rc, out, _ = run([sys.executable, "-c", script], {}, 0.5)
    assert (rc, out) == (fabric_cli.TIMED_OUT, "ignoring\n") and time.monotonic() - start < 5


def test_the_real_runner_passes_the_environment_and_the_answer(tmp_path):
    run = fabric_cli.subprocess_runner()
    script = "import os, sys; print(os.environ['CORE_PEER_LOCALMSPID']); print('Error: boom', file=sys.stderr); sys.exit(3)"
    assert run([sys.executable, "-c", script], {"CORE_PEER_LOCALMSPID": "Org1MSP"}, 30) == (3, "Org1MSP\n", "Error: boom\n")


def test_the_real_runner_names_a_missing_binary(tmp_path):
    with pytest.raises(fabric_cli.FabricCLIError, match=f"cannot run {tmp_path}/peer"):
        fabric_cli.subprocess_runner()([str(tmp_path / "peer"), "channel", "list"], {}, 30)


def test_killed_is_what_the_real_runner_answers():
    assert KILLED[0] == fabric_cli.TIMED_OUT


# -- the fixtures themselves ----------------------------------------------------------------------


def test_every_fixture_is_listed_in_the_readme():
    """fixtures/fabric/README.md says where each capture came from; a file it does not name has no provenance."""
    readme = (FIXTURES / "README.md").read_text()
    named = set(re.findall(r"`([^`]+)`", readme))
    files = [path for path in [*FIXTURES.glob("*.json"), *(FIXTURES / "blocks").iterdir()] if path.is_file()]  # what this README covers
    assert [path.name for path in files if path.name not in named and path.stem not in named] == []


def test_every_capture_has_its_command_identity_and_answer():
    for path in FIXTURES.glob("*.json"):
        data = json.loads(path.read_text())
        if "rc" in data:  # a capture (the others are decoded protos)
            assert {"cmd", "identity", "rc", "stdout", "stderr"} <= set(data), path.name
