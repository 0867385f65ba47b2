"""playbooks/fabric_artifacts.yml on copies of inventory/example, with the real cryptogen and configtxgen.

The material is generated once and kept: a rerun changes no file, a new node is added without
changing any existing file, check mode writes nothing, and only fabric_artifacts_regenerate makes
new material (keeping the old directory as a backup). Every check that runs Fabric's tools is
skipped loudly when Fabric is not provided.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID
from hlf_env import CACHE, FABRIC_VERSION, ROOT, fabric_missing_reason

EXAMPLE = ROOT / "inventory" / "example"
PLAYBOOK = ROOT / "playbooks" / "fabric_artifacts.yml"
OUTPUT = ".fabric-artifacts"
CONFIGTXLATOR = CACHE / "controller" / f"fabric-{FABRIC_VERSION}" / "bin" / "configtxlator"
RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


@pytest.fixture(scope="module")
def fabric_provided():
    reason = fabric_missing_reason()
    if reason:
        pytest.skip("FABRIC NOT PROVIDED, crypto material and channel artifacts NOT CHECKED: " + " ".join(reason.split()))


# --- helpers ---


def copy_inventory(source, destination, with_material=False):
    """A copy of an inventory directory, with or without its generated material."""
    shutil.copytree(source, destination, ignore=None if with_material else shutil.ignore_patterns(OUTPUT + "*"))
    return destination


def run_playbook(inventory, *args):
    """The finished ansible-playbook run and the 'changed' count of its recap."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(PLAYBOOK), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    recap = RECAP.search(result.stdout)
    return result, int(recap.group(2)) if recap else None


def assert_ok(result):
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def words(output):
    """Output with whitespace normalized: the YAML callback folds long messages."""
    return " ".join(output.split())


def checksums(directory):
    """sha256 of every file under directory, by relative path."""
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(directory.rglob("*")) if path.is_file()}


def load_inventory(inventory):
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    fabric = yaml.safe_load((inventory / "group_vars" / "all.yml").read_text())
    return hosts, fabric


def group(hosts, name):
    """{host: its variables} of one group of hosts.yml."""
    members = hosts["all"]["children"].get(name, {}).get("hosts", {}) or {}
    return {host: variables or {} for host, variables in members.items()}


def write_hosts(inventory, hosts):
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))


def nodes(inventory):
    """(kind, org domain, inventory name) of every orderer and peer of the inventory."""
    hosts, fabric = load_inventory(inventory)
    domains = {org["name"]: org["domain"] for org in fabric["fabric_peer_orgs"]}
    result = [("orderer", fabric["fabric_orderer_org"]["domain"], host) for host in group(hosts, "orderer")]
    result += [("peer", domains[variables["fabric_org"]], host) for host, variables in group(hosts, "peer").items()]
    return result


def node_dir(material, kind, domain, host):
    organizations = "ordererOrganizations" if kind == "orderer" else "peerOrganizations"
    return material / "crypto-config" / organizations / domain / f"{kind}s" / f"{host}.{domain}"


def certificate(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def dns_names(path):
    return certificate(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def organizational_units(path):
    return [attribute.value for attribute in certificate(path).subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]


def decode(path, message_type):
    result = subprocess.run(
        [str(CONFIGTXLATOR), "proto_decode", "--type", message_type, "--input", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- one generated inventory, shared by the checks that do not change it ---


@pytest.fixture(scope="module")
def generated(fabric_provided, tmp_path_factory):
    inventory = copy_inventory(EXAMPLE, tmp_path_factory.mktemp("generated") / "inventory")
    # Two nodes off the default ports: the genesis block must carry each node's own port.
    hosts, _ = load_inventory(inventory)
    group(hosts, "orderer")["orderer2"]["orderer_port"] = 7060
    group(hosts, "kafka")["kafka3"]["kafka_port"] = 9093
    write_hosts(inventory, hosts)
    result, changed = run_playbook(inventory)
    assert_ok(result)
    assert changed, result.stdout[-3000:]
    return inventory


def test_every_node_and_org_admin_has_msp_and_tls_material(generated):
    material = generated / OUTPUT
    for kind, domain, host in nodes(generated):
        directory = node_dir(material, kind, domain, host)
        for part in ("msp/keystore/priv_sk", f"msp/signcerts/{host}.{domain}-cert.pem", "msp/cacerts", "msp/tlscacerts", "msp/config.yaml"):
            assert (directory / part).exists(), f"{host}: {directory / part} is missing"
        for part in ("tls/server.crt", "tls/server.key", "tls/ca.crt"):
            assert (directory / part).is_file(), f"{host}: {directory / part} is missing"
        # EnableNodeOUs: the identity says what it is, which the org policies rely on.
        assert organizational_units(directory / f"msp/signcerts/{host}.{domain}-cert.pem") == [kind]
    _, fabric = load_inventory(generated)
    orgs = [("ordererOrganizations", fabric["fabric_orderer_org"])] + [("peerOrganizations", org) for org in fabric["fabric_peer_orgs"]]
    for organizations, org in orgs:
        admin = material / "crypto-config" / organizations / org["domain"] / "users" / f"Admin@{org['domain']}"
        signcert = admin / "msp" / "signcerts" / f"Admin@{org['domain']}-cert.pem"
        assert signcert.is_file() and (admin / "msp/keystore/priv_sk").is_file(), f"{org['name']}: no admin MSP in {admin}"
        assert (admin / "tls/client.crt").is_file() and (admin / "tls/client.key").is_file(), f"{org['name']}: no admin TLS client pair"
        assert organizational_units(signcert) == ["admin"]


def test_tls_server_certificates_carry_the_inventory_name(generated):
    for kind, domain, host in nodes(generated):
        names = dns_names(node_dir(generated / OUTPUT, kind, domain, host) / "tls" / "server.crt")
        assert host in names and f"{host}.{domain}" in names, f"{host}: TLS certificate names {names}"


def test_chaincode_servers_get_tls_of_their_own_from_the_org_tls_ca(generated):
    """Every peer host of a chaincode's channels: a key and a certificate for its chaincode servers,
    issued by its organization's TLS CA, naming the host (the address its peer dials)."""
    hosts, fabric = load_inventory(generated)
    domains = {org["name"]: org["domain"] for org in fabric["fabric_peer_orgs"]}
    assert fabric["fabric_chaincodes"], "the example inventory deploys a chaincode"
    for host, variables in group(hosts, "peer").items():
        domain = domains[variables["fabric_org"]]
        directory = generated / OUTPUT / "crypto-config" / "peerOrganizations" / domain / "chaincode" / host
        server = certificate(directory / "server.crt")
        ca = certificate(generated / OUTPUT / "crypto-config" / "peerOrganizations" / domain / "tlsca" / f"tlsca.{domain}-cert.pem")
        assert server.issuer == ca.subject, host
        assert host in dns_names(directory / "server.crt"), host
        assert stat.S_IMODE((directory / "server.key").stat().st_mode) == 0o600


def test_private_keys_are_owner_only(generated):
    material = generated / OUTPUT
    assert stat.S_IMODE(material.stat().st_mode) == 0o700
    keys = [path for path in material.rglob("*") if path.is_file() and (path.name == "priv_sk" or path.suffix == ".key")]
    # A CA and a TLS CA per organization, MSP and TLS keys per node and user.
    assert len(keys) >= 2 * 3 + 2 * len(nodes(generated))
    loose = {str(path): oct(stat.S_IMODE(path.stat().st_mode)) for path in keys if stat.S_IMODE(path.stat().st_mode) != 0o600}
    assert not loose, loose


def test_genesis_block_is_a_kafka_system_channel_from_the_inventory(generated):
    hosts, fabric = load_inventory(generated)
    block = decode(generated / OUTPUT / "channel-artifacts" / "genesis.block", "common.Block")
    envelope = block["data"]["data"][0]["payload"]
    assert envelope["header"]["channel_header"]["channel_id"] == fabric["fabric_system_channel"]
    channel = envelope["data"]["config"]["channel_group"]
    orderer = channel["groups"]["Orderer"]

    assert orderer["values"]["ConsensusType"]["value"]["type"] == "kafka"
    kafka = group(hosts, "kafka")
    assert orderer["values"]["KafkaBrokers"]["value"]["brokers"] == [f"{host}:{variables.get('kafka_port', 9092)}" for host, variables in kafka.items()]
    assert "kafka3:9093" in orderer["values"]["KafkaBrokers"]["value"]["brokers"]
    batch = orderer["values"]["BatchSize"]["value"]
    assert batch["absolute_max_bytes"] == fabric["fabric_orderer_absolute_max_bytes"]
    assert batch["max_message_count"] == fabric["fabric_batch_max_message_count"]
    assert batch["preferred_max_bytes"] == fabric["fabric_batch_preferred_max_bytes"]
    assert orderer["values"]["BatchTimeout"]["value"]["timeout"] == fabric["fabric_batch_timeout"]

    orderer_org = fabric["fabric_orderer_org"]
    endpoints = orderer["groups"][orderer_org["name"]]["values"]["Endpoints"]["value"]["addresses"]
    assert endpoints == [f"{host}:{variables.get('orderer_port', 7050)}" for host, variables in group(hosts, "orderer").items()]
    assert "orderer2:7060" in endpoints
    assert orderer["groups"][orderer_org["name"]]["values"]["MSP"]["value"]["config"]["name"] == orderer_org["msp_id"]

    for level in (channel, orderer):
        assert level["values"]["Capabilities"]["value"]["capabilities"] == {"V2_0": {}}
    consortium = channel["groups"]["Consortiums"]["groups"][fabric["fabric_consortium"]]["groups"]
    assert sorted(consortium) == sorted(org["name"] for org in fabric["fabric_peer_orgs"]) == ["Org1", "Org2"]
    for org in fabric["fabric_peer_orgs"]:
        assert consortium[org["name"]]["values"]["MSP"]["value"]["config"]["name"] == org["msp_id"]


def test_a_creation_transaction_per_channel_without_anchor_peers(generated):
    _, fabric = load_inventory(generated)
    assert [channel["orgs"] for channel in fabric["fabric_channels"]] == [["Org1", "Org2"], ["Org1"]]
    for channel in fabric["fabric_channels"]:
        envelope = decode(generated / OUTPUT / "channel-artifacts" / f"{channel['name']}.tx", "common.Envelope")
        update = envelope["payload"]["data"]["config_update"]
        assert update["channel_id"] == channel["name"]
        write_set = update["write_set"]
        assert write_set["values"]["Consortium"]["value"]["name"] == fabric["fabric_consortium"]
        members = write_set["groups"]["Application"]["groups"]
        assert sorted(members) == sorted(channel["orgs"])
        assert all(member["values"] == {} for member in members.values()), "a creation transaction carries no anchor peers"


def test_second_run_changes_nothing(generated):
    before = checksums(generated / OUTPUT)
    result, changed = run_playbook(generated)
    assert_ok(result)
    assert changed == 0, result.stdout[-4000:]
    assert checksums(generated / OUTPUT) == before


def test_new_nodes_and_orgs_are_added_without_changing_any_existing_file(generated, tmp_path):
    inventory = copy_inventory(generated, tmp_path / "inventory", with_material=True)
    before = checksums(inventory / OUTPUT)
    hosts, fabric = load_inventory(inventory)
    hosts["all"]["children"]["peer"]["hosts"]["peer2-org1"] = {"ansible_host": "192.0.2.44", "fabric_org": "Org1"}
    hosts["all"]["children"]["peer"]["hosts"]["peer0-org3"] = {"ansible_host": "192.0.2.45", "fabric_org": "Org3"}
    write_hosts(inventory, hosts)
    grown = copy.deepcopy(fabric)
    grown["fabric_peer_orgs"].append({"name": "Org3", "msp_id": "Org3MSP", "domain": "org3.example.com"})
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump(grown, sort_keys=False))

    result, changed = run_playbook(inventory)
    assert_ok(result)
    assert changed, result.stdout[-4000:]
    # The genesis block is kept: a new org joins the consortium by a channel configuration update.
    assert "the genesis block and the existing channel creation transactions" in words(result.stdout)
    after = checksums(inventory / OUTPUT)
    # The generator's inputs list the new nodes; nothing else that existed may change.
    changed = {path for path in before if after.get(path) != before[path]}
    assert changed == {"crypto-config.yaml", "configtx.yaml"}, sorted(changed)
    material = inventory / OUTPUT
    assert "peer2-org1" in dns_names(node_dir(material, "peer", "org1.example.com", "peer2-org1") / "tls" / "server.crt")
    assert "peer0-org3" in dns_names(node_dir(material, "peer", "org3.example.com", "peer0-org3") / "tls" / "server.crt")
    assert (material / "crypto-config/peerOrganizations/org3.example.com/users/Admin@org3.example.com/msp/signcerts").is_dir()
    # The new peer is issued by its organization's existing CA.
    org1_ca = certificate(material / "crypto-config/peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem")
    new_peer = certificate(node_dir(material, "peer", "org1.example.com", "peer2-org1") / "msp/signcerts/peer2-org1.org1.example.com-cert.pem")
    new_peer.verify_directly_issued_by(org1_ca)

    result, changed = run_playbook(inventory)
    assert_ok(result)
    assert changed == 0, result.stdout[-4000:]


@pytest.mark.usefixtures("fabric_provided")
def test_check_mode_on_a_fresh_inventory_writes_nothing(tmp_path):
    inventory = copy_inventory(EXAMPLE, tmp_path / "inventory")
    before = {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")}
    result, changed = run_playbook(inventory, "--check")
    assert_ok(result)
    assert changed, "check mode should report what a real run would generate"
    assert {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")} == before


def test_regenerate_makes_new_material_and_keeps_the_old_as_backup(generated, tmp_path):
    inventory = copy_inventory(generated, tmp_path / "inventory", with_material=True)
    old = checksums(inventory / OUTPUT)
    result, _ = run_playbook(inventory, "-e", "fabric_artifacts_regenerate=true")
    assert_ok(result)
    backups = sorted(inventory.glob(OUTPUT + ".backup-*"))
    assert len(backups) == 1, backups
    assert checksums(backups[0]) == old
    new = checksums(inventory / OUTPUT)
    assert set(new) == set(old)
    regenerated = {path for path in old if new[path] != old[path]}
    for path in ("channel-artifacts/genesis.block", "crypto-config/ordererOrganizations/example.com/ca/priv_sk"):
        assert path in regenerated


def test_a_bad_topology_is_refused_before_anything_is_written(tmp_path):
    # Needs no Fabric: the topology is checked before the tools are looked for.
    inventory = copy_inventory(EXAMPLE, tmp_path / "inventory")
    hosts, fabric = load_inventory(inventory)
    hosts["all"]["children"]["peer"]["hosts"]["peer1-org2"]["fabric_org"] = "Org9"
    write_hosts(inventory, hosts)
    fabric["fabric_channels"].append({"name": "channel3", "orgs": ["Org1", "Org7"]})
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump(fabric, sort_keys=False))

    result, _ = run_playbook(inventory)
    assert result.returncode != 0
    for part in ("peer1-org2: fabric_org Org9 is not in fabric_peer_orgs (Org1, Org2)", "channel channel3: organization Org7 is not in fabric_peer_orgs"):
        assert part in words(result.stdout), result.stdout[-3000:]
    assert not (inventory / OUTPUT).exists()
