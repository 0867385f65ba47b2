"""Block headers and hashes read from real 2.5.16 blocks, the ledger module, and the catch-up filters.

The blocks under fixtures/fabric/blocks were fetched from a peer of the lab; the hashes they must
give are the ones `peer channel getinfo` printed for them (fixtures/fabric/README.md).
"""

from __future__ import annotations

import base64
import json
import shutil

import fabric_cli
import fabric_ledger_info
import ledgers  # plugins/filter/ledgers.py (on sys.path through tests/conftest.py)
import pytest
from ansible.module_utils.testing import patch_module_args
from fabric_fakes import FIXTURES, FakeRunner, capture, flag

BLOCKS = FIXTURES / "blocks"
PEER_SELF = {
    "msp_id": "Org1MSP",
    "msp_dir": "/etc/hyperledger/peer/msp",
    "peer_address": "127.0.0.1:7051",
    "peer_tls_ca": "/etc/hyperledger/peer/tls/ca.crt",
    "peer_tls_hostname_override": "peer0-org1",
    "retry_delay": 0,
}


def getinfo(name):
    return fabric_cli.parse_blockchain_info(capture(name)["stdout"])


def b64hex(value):
    return base64.b64decode(value).hex()


def test_header_of_a_real_block():
    header = fabric_cli.block_header((BLOCKS / "channel1-6.block").read_bytes())
    assert header["number"] == 6
    assert header["previous_hash"].hex() == b64hex(getinfo("getinfo-height7")["previousBlockHash"])


def test_hash_of_a_real_block_is_the_one_getinfo_prints():
    header = fabric_cli.block_header((BLOCKS / "channel1-6.block").read_bytes())
    assert fabric_cli.block_hash(header) == b64hex(getinfo("getinfo-height7")["currentBlockHash"])


def test_genesis_block_number_zero_and_no_previous_hash():
    header = fabric_cli.block_header((BLOCKS / "channel1-0.block").read_bytes())
    assert header["number"] == 0 and header["previous_hash"] == b""
    # getinfo at height 1 (fixtures/fabric/getinfo.json) printed the hash of channel1's block 0
    assert fabric_cli.block_hash(header) == b64hex(getinfo("getinfo")["currentBlockHash"])


def test_any_change_of_the_header_changes_the_hash():
    header = fabric_cli.block_header((BLOCKS / "channel1-6.block").read_bytes())
    assert fabric_cli.block_hash({**header, "number": 7}) != fabric_cli.block_hash(header)
    assert fabric_cli.block_hash({**header, "data_hash": bytes(32)}) != fabric_cli.block_hash(header)


@pytest.mark.parametrize("data", [b"", b"\x12\x03abc", (BLOCKS / "channel1-6.block").read_bytes()[:5]])
def test_what_is_not_a_block_is_refused(data):
    with pytest.raises(ValueError):
        fabric_cli.block_header(data)


def fetch_writing(name):
    """A successful `peer channel fetch` that writes the real block file, like the CLI."""

    def reply(argv):
        shutil.copyfile(BLOCKS / name, argv[4])
        return 0, "", "Received block"

    return reply


def run_module(args, runner, capsys, check=False):
    with patch_module_args({**args, "_ansible_check_mode": check}), pytest.raises(SystemExit):
        fabric_ledger_info.main(runner=runner)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("check", [False, True])
def test_ledgers_of_the_joined_channels_from_the_peer(capsys, check):
    runner = FakeRunner(
        ("peer channel list", (0, capture("list-channel1")["stdout"], "")),
        ("peer channel fetch newest", fetch_writing("channel1-6.block")),
        ("peer channel fetch 0", fetch_writing("channel1-0.block")),
    )
    result = run_module({**PEER_SELF, "blocks": [0, 6, 9]}, runner, capsys, check=check)
    assert result["changed"] is False and runner.done()
    info = result["ledgers"]["channel1"]
    assert info["height"] == 7
    assert info["hash"] == b64hex(getinfo("getinfo-height7")["currentBlockHash"])
    # block 6 is the newest (not fetched twice); block 9 does not exist yet and is left out
    assert info["blocks"] == {"0": b64hex(getinfo("getinfo")["currentBlockHash"]), "6": info["hash"]}
    # no orderer given: the peer's own deliver service answers (no -o)
    assert all("-o" not in argv for argv, _ in runner.calls)
    assert runner.calls[1][1]["CORE_PEER_TLS_SERVERHOSTOVERRIDE"] == "peer0-org1"


def test_an_orderer_needs_the_channels(capsys):
    args = {"msp_id": "OrdererMSP", "msp_dir": "/m", "orderer_address": "127.0.0.1:7050", "orderer_tls_ca": "/ca", "retry_delay": 0}
    runner = FakeRunner()
    result = run_module(args, runner, capsys)
    assert result["failed"] is True and "missing parameter(s) required by 'orderer_address': channels" in result["msg"]
    assert runner.calls == []


def test_reading_from_an_orderer_uses_its_address(capsys):
    args = {"msp_id": "OrdererMSP", "msp_dir": "/m", "orderer_address": "127.0.0.1:7050", "orderer_tls_ca": "/ca", "channels": ["channel1"], "retry_delay": 0}
    runner = FakeRunner(("peer channel fetch newest", fetch_writing("channel1-6.block")))
    result = run_module(args, runner, capsys)
    assert result["ledgers"]["channel1"]["height"] == 7
    assert flag(runner.calls[0][0], "-o") == "127.0.0.1:7050"


def test_a_channel_the_node_lacks_fails_with_the_cli_error(capsys):
    args = {"msp_id": "OrdererMSP", "msp_dir": "/m", "orderer_address": "127.0.0.1:7050", "orderer_tls_ca": "/ca", "channels": ["channel1"], "retries": 0}
    result = run_module(args, FakeRunner(("peer channel fetch newest", (1, "", capture("fetch-oldest-absent")["stderr"]))), capsys)
    assert result["failed"] is True and "&{NOT_FOUND}" in result["msg"]


def test_heights_and_max_heights_with_a_floor():
    node_a = {"channel1": {"height": 7}, "channel2": {"height": 2}}
    node_b = {"channel1": {"height": 9}}
    assert ledgers.ledger_heights(node_a) == {"channel1": 7, "channel2": 2}
    assert ledgers.ledger_max_heights([node_a, node_b]) == {"channel1": 9, "channel2": 2}
    assert ledgers.ledger_max_heights([node_b], channels=["channel1", "channel2"], floor={"channel2": 3}) == {"channel1": 9, "channel2": 3}
    assert ledgers.ledger_max_heights([node_a], channels=["channel1"]) == {"channel1": 7}


def test_lag_names_the_channels_below_and_the_missing_ones():
    node = {"channel1": {"height": 7}}
    assert ledgers.ledger_lag(node, {"channel1": 7}) == {}
    assert ledgers.ledger_lag(node, {"channel1": 8, "channel2": 1}) == {
        "channel1": {"height": 7, "wanted": 8},
        "channel2": {"height": 0, "wanted": 1},
    }
