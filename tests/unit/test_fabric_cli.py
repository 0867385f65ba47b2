"""The Fabric CLI wrapper: parsing and retries, on answers captured from the real 2.5.16 CLI."""

from __future__ import annotations

import json

import fabric_cli
import pytest
from fabric_fakes import FakeRunner, answer, capture, decoded

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


def config(name):
    return fabric_cli.config_from_block(json.loads(decoded(name)))


# -- peer channel list ---------------------------------------------------------------------------


def test_channel_list_header_has_a_trailing_space_in_the_real_output():
    assert fabric_cli.CHANNEL_LIST_HEADER + "\n" in capture("list-none")["stdout"]


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


def test_create_waits_through_service_unavailable_itself():
    data = capture("create")
    assert data["rc"] == 0 and fabric_cli.SERVICE_UNAVAILABLE in data["stderr"]  # logged while it retried


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
    assert data["rc"] == 1
    assert fabric_cli.is_no_differences(data["stderr"])
    # The real CLI still wrote a 0-byte output file: never a guard.
    assert data["output_file_bytes"] == 0


def test_getinfo_height():
    info = fabric_cli.parse_blockchain_info(capture("getinfo")["stdout"])
    assert isinstance(info["height"], int) and info["height"] >= 1
    assert info["currentBlockHash"]


def test_getinfo_of_a_channel_not_joined():
    data = capture("getinfo-not-joined")
    assert data["rc"] == 1
    assert "Invalid chain ID, channel2" in data["stderr"]
    with pytest.raises(ValueError):
        fabric_cli.parse_blockchain_info(data["stdout"])


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
    assert envelope["payload"]["header"]["channel_header"] == {"channel_id": "channel1", "type": 2}
    assert envelope["payload"]["data"]["config_update"]["channel_id"] == "channel1"
    assert "Org1" in update["write_set"]["groups"]["Application"]["groups"]


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
    cli, _ = make_cli(runner, tmp_path)
    assert cli.create_channel("channel2", "/x/channel2.tx") is True  # rc 0 despite SERVICE_UNAVAILABLE in its log: no retry
    assert cli.create_channel("channel1", "/x/channel1.tx") is False
    assert cli.join("channel2", "/x/b") is True
    assert cli.join("channel1", "/x/b") is False
    assert runner.done()


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
