"""The reference network, checked from its admin host with the real peer CLI."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from conftest import ADMIN, ORDERERS, ORG_DOMAINS, PEERS, SYSTEM_CHANNEL, address, host_of, joined_channels, newest_block_number, port

testinfra_hosts = ["cli"]

# inventory/lab/group_vars/all.yml: channel1 = Org1 + Org2, channel2 = Org1; the side effect
# side_effects/channels_check_mode.yml adds channel3 = Org2 the way an operator would.
EXPECTED_CHANNELS = {"Org1": ["channel1", "channel2"], "Org2": ["channel1", "channel3"]}
EXPECTED_ANCHORS = {
    ("channel1", "Org1"): "peer0-org1",
    ("channel1", "Org2"): "peer0-org2",
    ("channel2", "Org1"): "peer0-org1",
    ("channel3", "Org2"): "peer0-org2",
}


def wait_for(predicate, timeout, what, interval=2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.parametrize("orderer", ORDERERS)
def test_orderer_serves_system_channel_over_tls(orderer):
    assert newest_block_number(orderer) is not None
    ledger = host_of(orderer).file(f"/mnt/hyperledger/orderer/chains/{SYSTEM_CHANNEL}")
    assert ledger.is_directory
    assert ledger.user == "orderer"


@pytest.mark.parametrize("peer", PEERS)
def test_peer_is_healthy_and_answers_its_admin(peer):
    health = host_of(peer).run("curl -fsS http://127.0.0.1:9443/healthz")
    assert health.rc == 0 and '"status":"OK"' in health.stdout, health.stdout + health.stderr
    assert sorted(joined_channels(peer)) == EXPECTED_CHANNELS[PEERS[peer]]
    assert host_of(peer).file(f"/mnt/hyperledger/{PEERS[peer].lower()}/{peer}/ledgersData").is_directory


@pytest.mark.parametrize("name", ORDERERS + list(PEERS))
def test_private_keys_belong_to_the_node_only(name):
    host = host_of(name)
    service = "orderer" if name in ORDERERS else "peer"
    org = "OrdererOrg" if name in ORDERERS else PEERS[name]
    keys = host.run("find /etc/hyperledger -type f \\( -path '*keystore*' -o -name '*.key' \\) -printf '%m %u %p\\n'").stdout.splitlines()
    assert len(keys) == 2, keys  # the MSP signing key and the TLS key
    for line in keys:
        mode, owner, _ = line.split(" ", 2)
        assert (mode, owner) == ("600", service), line
    # Only its own organization's material, and no admin identity, on a node host.
    paths = host.run("find /etc/hyperledger").stdout
    assert "Admin@" not in paths
    for other, domain in ORG_DOMAINS.items():
        if other not in (org, "OrdererOrg"):
            assert domain not in paths, f"{name} holds material of {other}"


def test_admin_keys_are_only_on_the_admin_host():
    cli = host_of("cli")
    for org in ORG_DOMAINS:
        keystore = cli.file(f"{ADMIN}/{org}/msp/keystore")
        assert keystore.is_directory and keystore.mode == 0o700
        for key in cli.run("find %s -type f", keystore.path).stdout.split():
            assert cli.file(key).mode == 0o600 and cli.file(key).user == "root"


@pytest.mark.parametrize(("channel", "org"), sorted(EXPECTED_ANCHORS))
def test_anchor_peers_in_the_config_block_are_the_desired_ones(channel, org):
    cli = host_of("cli")
    fetched = cli.run(
        f". {ADMIN}/{org}/env && peer channel fetch config /tmp/config.block -c %s -o %s --tls --cafile %s/OrdererOrg/tls-ca.pem",
        channel,
        address("orderer0"),
        ADMIN,
    )
    assert fetched.rc == 0, fetched.stderr
    decoded = cli.run(". %s/%s/env && configtxlator proto_decode --type common.Block --input /tmp/config.block", ADMIN, org)
    assert decoded.rc == 0, decoded.stderr
    config = json.loads(decoded.stdout)["data"]["data"][0]["payload"]["data"]["config"]
    anchors = config["channel_group"]["groups"]["Application"]["groups"][org]["values"]["AnchorPeers"]["value"]["anchor_peers"]
    anchor = EXPECTED_ANCHORS[(channel, org)]
    assert anchors == [{"host": anchor, "port": port(anchor, "peer_port")}]


def test_org1_peer_sees_org2_peers_through_gossip():
    """Anchor peers at work: an Org1 peer's gossip membership of channel1 includes Org2's peers."""

    def seen():
        log = host_of("peer0-org1").run("journalctl -u peer --no-pager -o cat | grep 'peers went online'").stdout
        return all(address(peer) in log for peer in ("peer0-org2", "peer1-org2"))

    wait_for(seen, 120, "peer0-org1 to see Org2's peers online through gossip")


def heights():
    return {orderer: newest_block_number(orderer) for orderer in ORDERERS}


def all_heights():
    """Every orderer's height once every orderer answers, else None."""
    current = heights()
    return current if None not in current.values() else None


def test_ledgers_survive_service_restarts():
    before = heights()
    for name in ORDERERS + list(PEERS):
        host_of(name).run_expect([0], "systemctl restart %s", "orderer" if name in ORDERERS else "peer")
    after = wait_for(all_heights, 180, "orderers to serve again")
    for orderer in ORDERERS:
        assert after[orderer] >= before[orderer], (orderer, before, after)
    for peer in PEERS:
        wait_for(lambda peer=peer: host_of(peer).run("curl -fsS http://127.0.0.1:9443/healthz").rc == 0, 120, f"{peer} healthy")


def test_ledgers_survive_host_restarts():
    before = heights()
    subprocess.run(["docker", "restart", "-t", "60", *ORDERERS, *PEERS], check=True, timeout=600)
    after = wait_for(all_heights, 300, "orderers to serve after host restarts")
    for orderer in ORDERERS:
        assert after[orderer] >= before[orderer], (orderer, before, after)
        assert host_of(orderer).service("orderer").is_running
    for peer in PEERS:
        wait_for(lambda peer=peer: host_of(peer).run("curl -fsS http://127.0.0.1:9443/healthz").rc == 0, 120, f"{peer} healthy")
        assert host_of(peer).file(f"/mnt/hyperledger/{PEERS[peer].lower()}/{peer}/ledgersData").is_directory


# The sample chaincode of inventory/lab (assets) on both channels: Org1 is in channel1 and channel2,
# Org2 in channel1 (and channel3, which the chaincode is not defined on).
CHAINCODE = "assets"
CHAINCODE_CHANNELS = {"Org1": ["channel1", "channel2"], "Org2": ["channel1"]}


def txclient(org, mode, *options):
    """hlf-txclient (installed on the admin host by roles/fabric_admin) as org's admin, through its peers' gateways."""
    peers = " ".join(f"--peer {address(peer)}" for peer, member in PEERS.items() if member == org)
    channels = " ".join(f"--channel {channel}" for channel in CHAINCODE_CHANNELS[org])
    return host_of("cli").run(
        f"hlf-txclient {mode} --msp-id {org}MSP --cert {ADMIN}/{org}/msp --tls-ca {ADMIN}/{org}/tls-ca.pem "
        f"{peers} {channels} --chaincode {CHAINCODE} {' '.join(options)}"
    )


@pytest.mark.parametrize("org", sorted(CHAINCODE_CHANNELS))
def test_chaincode_answers_transactions_through_the_gateway(org):
    """A create committed and read back on every channel of the chaincode, as each organization."""
    result = txclient(org, "smoke")  # new keys each run: the default prefix is the start time
    assert result.rc == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["ok"] and sorted(entry["channel"] for entry in summary["channels"]) == CHAINCODE_CHANNELS[org], summary
    assert all(entry["ok"] and entry["block_number"] is not None for entry in summary["channels"]), summary


@pytest.mark.parametrize("peer", PEERS)
def test_chaincode_server_runs_as_its_own_user_with_its_own_tls_and_asks_for_client_certificates(peer):
    host = host_of(peer)
    # One server (the side effects upgraded the chaincode once: it runs in its second slot).
    settings = host.run("ls /etc/chaincode/servers/").stdout.split()
    assert len(settings) == 1 and settings[0].startswith(f"{CHAINCODE}-"), settings
    instance = settings[0].removesuffix(".env")
    server_port = int(host.run("sed -n 's/^CHAINCODE_PORT=//p' /etc/chaincode/servers/%s.env", instance).stdout)
    service = host.service(f"chaincode@{instance}")
    assert service.is_running and service.is_enabled
    user = host.run("systemctl show -p User --value chaincode@%s", instance).stdout.strip()
    assert user == "chaincode"
    key = host.file("/etc/chaincode/server.key")
    assert key.user == "chaincode" and key.mode == 0o600
    # It serves its own certificate, issued by the org's TLS CA for this host, and asks every client
    # for a certificate of that CA (mutual TLS: the peer dials it with its own TLS key pair).
    domain = ORG_DOMAINS[PEERS[peer]]
    handshake = host.run("echo | timeout 5 openssl s_client -connect 127.0.0.1:%s -CAfile /etc/chaincode/ca.crt 2>&1", str(server_port)).stdout
    assert f"depth=0 CN = {peer}.{domain}" in handshake and "Verify return code: 0 (ok)" in handshake, handshake[-1500:]
    requested = handshake.split("Acceptable client certificate CA names\n", 1)
    assert len(requested) == 2 and requested[1].splitlines()[0].endswith(f"CN = tlsca.{domain}"), handshake[-1500:]
