"""A corpus of bad inventories, each one fault away from inventory/example, must be refused by
site.yml with a message naming the host (or group), the variable and the rule, and no host may
be touched.

How "no host touched" is proven: every host of these inventories uses the docker connection to a
container that does not exist, so any task that reached a host would show up as unreachable or
failed for it. The JSON callback lists every task that ran: only the controller-side validation
task may appear, and the recap must show ok=0 changed=0 unreachable=0 for every host but the one
the validation ran for (run_once).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventory" / "example"


def load_example():
    return yaml.safe_load((EXAMPLE / "hosts.yml").read_text())


def host(inventory, name):
    for group in inventory["all"]["children"].values():
        if name in group.get("hosts", {}):
            return group["hosts"][name]
    raise KeyError(name)


def group_hosts(inventory, group):
    return inventory["all"]["children"][group]["hosts"]


def set_var(name, var, value):
    def mutate(inventory):
        host(inventory, name)[var] = value

    return mutate


def del_var(name, var):
    def mutate(inventory):
        del host(inventory, name)[var]

    return mutate


def remove_host(group, name):
    def mutate(inventory):
        del group_hosts(inventory, group)[name]

    return mutate


def combine(*mutations):
    def mutate(inventory):
        for mutation in mutations:
            mutation(inventory)

    return mutate


def add_to_group(group, name, **variables):
    def mutate(inventory):
        group_hosts(inventory, group)[name] = variables

    return mutate


def clear_group(group):
    def mutate(inventory):
        inventory["all"]["children"][group]["hosts"] = {}

    return mutate


# (case id, mutation, expected message parts)
CASES = [
    ("zk-duplicate-id", set_var("zookeeper1", "zookeeper_id", 1), ["zookeeper1: zookeeper_id 1 is already used by zookeeper0"]),
    ("zk-missing-id", del_var("zookeeper2", "zookeeper_id"), ["zookeeper2: zookeeper_id is not set"]),
    ("zk-id-as-text", set_var("zookeeper1", "zookeeper_id", "2"), ["zookeeper1: zookeeper_id must be an integer, got the text '2'"]),
    ("zk-id-zero", set_var("zookeeper0", "zookeeper_id", 0), ["zookeeper0: zookeeper_id 0 is out of range (1..255)"]),
    ("zk-id-too-big", set_var("zookeeper0", "zookeeper_id", 256), ["zookeeper0: zookeeper_id 256 is out of range (1..255)"]),
    ("zk-even-ensemble", remove_host("zookeeper", "zookeeper2"), ["group zookeeper: an ensemble of 2 server(s) is refused"]),
    (
        "zk-single-without-override",
        combine(remove_host("zookeeper", "zookeeper2"), remove_host("zookeeper", "zookeeper1")),
        ["group zookeeper: an ensemble of 1 server(s) is refused", "zookeeper_allow_development_ensemble"],
    ),
    (
        "zk-data-dir-relative",
        set_var("zookeeper0", "zookeeper_data_dir", "zk/data"),
        ["zookeeper0: zookeeper_data_dir must hold absolute paths"],
    ),
    ("zk-group-empty", clear_group("zookeeper"), ["group kafka: the brokers need a ZooKeeper ensemble, but group zookeeper is empty"]),
    ("kafka-duplicate-id", set_var("kafka3", "kafka_broker_id", 2), ["kafka3: kafka_broker_id 2 is already used by kafka2"]),
    (
        "kafka-missing-id",
        del_var("kafka1", "kafka_broker_id"),
        ["kafka1: kafka_broker_id is not set (every host of group kafka needs its own)"],
    ),
    ("kafka-id-as-text", set_var("kafka1", "kafka_broker_id", "1"), ["kafka1: kafka_broker_id must be an integer, got the text '1'"]),
    ("kafka-id-above-reserved", set_var("kafka1", "kafka_broker_id", 1001), ["kafka1: kafka_broker_id 1001 is out of range (0..1000)"]),
    ("kafka-three-brokers", remove_host("kafka", "kafka3"), ["group kafka: 3 broker(s) cannot run Fabric's ordering safely"]),
    (
        "kafka-min-isr-one",
        set_var("kafka0", "kafka_min_insync_replicas", 1),
        ["kafka0: kafka_min_insync_replicas 1 and kafka_default_replication_factor 3"],
    ),
    (
        "kafka-min-isr-equals-rf",
        set_var("kafka0", "kafka_min_insync_replicas", 3),
        ["kafka0: kafka_min_insync_replicas 3 and kafka_default_replication_factor 3", "1 < min ISR < replication factor < brokers"],
    ),
    (
        "kafka-rf-equals-brokers",
        set_var("kafka0", "kafka_default_replication_factor", 4),
        ["kafka_default_replication_factor 4 with 4 brokers"],
    ),
    (
        "kafka-rf-above-brokers",
        set_var("kafka0", "kafka_default_replication_factor", 5),
        ["kafka0: kafka_default_replication_factor 5 is out of range (1..4)"],
    ),
    (
        "kafka-rf-as-text",
        set_var("kafka2", "kafka_default_replication_factor", "3"),
        ["kafka2: kafka_default_replication_factor must be an integer, got the text '3'"],
    ),
    ("kafka-finite-retention", set_var("kafka1", "kafka_log_retention_ms", 604800000), ["kafka1: kafka_log_retention_ms must be -1"]),
    (
        "kafka-unclean-election",
        set_var("kafka1", "kafka_unclean_leader_election_enable", True),
        ["kafka1: kafka_unclean_leader_election_enable must be false"],
    ),
    (
        "kafka-unclean-as-text",
        set_var("kafka1", "kafka_unclean_leader_election_enable", "false"),
        ["kafka1: kafka_unclean_leader_election_enable must be true or false, got the text 'false'"],
    ),
    (
        "kafka-fetch-above-message",
        set_var("kafka0", "kafka_replica_fetch_max_bytes", 103809025),
        ["kafka0: kafka_replica_fetch_max_bytes 103809025 must not exceed kafka_message_max_bytes 103809024"],
    ),
    (
        "kafka-message-above-request",
        combine(*(set_var(name, "kafka_socket_request_max_bytes", 103809024) for name in ("kafka0", "kafka1", "kafka2", "kafka3"))),
        ["kafka0: kafka_message_max_bytes 103809024 must be below kafka_socket_request_max_bytes 103809024"],
    ),
    (
        "block-size-above-fetch-limit",
        set_var("kafka3", "fabric_orderer_absolute_max_bytes", 104857600),
        ["kafka3: kafka_replica_fetch_max_bytes 103809024 must be above the orderers' block size fabric_orderer_absolute_max_bytes 104857600"],
    ),
    (
        "kafka-log-dirs-as-string",
        set_var("kafka2", "kafka_log_dirs", "/mnt/kafka"),
        ["kafka2: kafka_log_dirs must be a list of paths, got the text '/mnt/kafka'"],
    ),
    (
        "kafka-log-dirs-relative",
        set_var("kafka2", "kafka_log_dirs", ["data/kafka"]),
        ["kafka2: kafka_log_dirs must hold absolute paths, got 'data/kafka'"],
    ),
    (
        "kafka-extra-overrides-safety",
        set_var("kafka0", "kafka_extra_properties", {"unclean.leader.election.enable": "true"}),
        ["kafka0: kafka_extra_properties may not set unclean.leader.election.enable; use kafka_unclean_leader_election_enable"],
    ),
    (
        "kafka-message-limit-differs",
        set_var("kafka2", "kafka_message_max_bytes", 103809025),
        ["kafka2: kafka_message_max_bytes 103809025 differs from kafka0's 103809024"],
    ),
    ("kafka-port-out-of-range", set_var("kafka0", "kafka_port", 70000), ["kafka0: kafka_port 70000 is out of range (1..65535)"]),
    (
        "port-clash-on-shared-host",
        combine(add_to_group("kafka", "zookeeper0", kafka_broker_id=4, kafka_port=2181)),
        ["zookeeper0: kafka_port 2181 is already used by zookeeper_client_port on the same host"],
    ),
    (
        "broker-id-outside-kafka-group",
        set_var("zookeeper1", "kafka_broker_id", 7),
        ["zookeeper1: kafka_broker_id is set but zookeeper1 is not in group kafka"],
    ),
    (
        "two-faults-reported-together",
        combine(set_var("zookeeper1", "zookeeper_id", 1), set_var("kafka1", "kafka_log_retention_ms", 1000)),
        ["zookeeper1: zookeeper_id 1 is already used by zookeeper0", "kafka1: kafka_log_retention_ms must be -1"],
    ),
]


def set_network(name, value):
    """Change a shared Fabric variable of group_vars/all (applied by write_inventory)."""

    def mutate(inventory):
        inventory.setdefault("_group_vars_all", {})[name] = value

    return mutate


def edit_network(edit):
    def mutate(inventory):
        network = yaml.safe_load((EXAMPLE / "group_vars" / "all.yml").read_text())
        edit(network)
        inventory.setdefault("_group_vars_all", {}).update(network)

    return mutate


def _add_channel(channel):
    return edit_network(lambda network: network["fabric_channels"].append(channel))


def _set_anchor(org_index, anchors):
    return edit_network(lambda network: network["fabric_peer_orgs"][org_index].update(anchor_peers=anchors))


def _duplicate_msp(network):
    network["fabric_peer_orgs"][1]["msp_id"] = network["fabric_peer_orgs"][0]["msp_id"]


FABRIC_CASES = [
    ("peer-org-undeclared", set_var("peer1-org2", "fabric_org", "Org9"), ["peer1-org2: fabric_org Org9 is not in fabric_peer_orgs (Org1, Org2)"]),
    ("peer-org-missing", del_var("peer0-org1", "fabric_org"), ["peer0-org1: fabric_org is not set"]),
    ("orderer-in-peer-org", set_var("orderer1", "fabric_org", "Org1"), ["orderer1: fabric_org Org1 is not the orderer organization OrdererOrg"]),
    ("duplicate-msp-id", edit_network(_duplicate_msp), ["organization msp_id Org1MSP is used by more than one organization"]),
    (
        "anchor-peer-of-other-org",
        _set_anchor(0, ["peer0-org2"]),
        ["organization Org1: anchor peer peer0-org2 is not a host of group peer with fabric_org Org1"],
    ),
    ("anchor-peer-not-a-host", _set_anchor(1, ["peer9-org2"]), ["organization Org2: anchor peer peer9-org2 is not a host of group peer"]),
    (
        "gossip-bootstrap-other-org",
        set_var("peer0-org1", "peer_gossip_bootstrap", ["peer0-org2"]),
        ["peer0-org1: peer_gossip_bootstrap peer0-org2 is not a peer of the same organization Org1"],
    ),
    ("gossip-bootstrap-as-string", set_var("peer0-org1", "peer_gossip_bootstrap", "peer1-org1"), ["peer0-org1: peer_gossip_bootstrap must be a list"]),
    ("channel-name-upper-case", _add_channel({"name": "Channel3", "orgs": ["Org1"]}), ["channel 'Channel3': a channel name is lower case letters"]),
    (
        "channel-org-undeclared",
        _add_channel({"name": "channel3", "orgs": ["Org1", "Org7"]}),
        ["channel channel3: organization Org7 is not in fabric_peer_orgs"],
    ),
    ("channel-defined-twice", _add_channel({"name": "channel1", "orgs": ["Org1"]}), ["channel channel1 is defined more than once"]),
    ("channel-without-orgs", _add_channel({"name": "channel3", "orgs": []}), ["channel channel3: orgs must be a non-empty list"]),
    (
        "couchdb-without-password",
        combine(set_var("peer0-org1", "peer_state_database", "CouchDB"), set_var("peer0-org1", "peer_couchdb_username", "admin")),
        ["peer0-org1: peer_couchdb_password is empty but peer_state_database is CouchDB"],
    ),
    ("state-database-unknown", set_var("peer0-org1", "peer_state_database", "mysql"), ["peer0-org1: peer_state_database must be goleveldb or CouchDB"]),
    (
        "couchdb-admin-party",
        add_to_group("couchdb", "peer0-org1", couchdb_admin_password=""),
        ["peer0-org1: couchdb_admin_password is empty (CouchDB without an admin"],
    ),
    (
        "peer-port-clash",
        set_var("peer1-org1", "peer_chaincode_port", 9443),
        ["peer1-org1: peer_operations_port 9443 is already used by peer_chaincode_port on the same host"],
    ),
    ("orderer-ledger-relative", set_var("orderer2", "orderer_ledger_dir", "ledger"), ["orderer2: orderer_ledger_dir must hold absolute paths, got 'ledger'"]),
    ("peer-data-relative", set_var("peer1-org2", "peer_data_dir", "data"), ["peer1-org2: peer_data_dir must hold absolute paths, got 'data'"]),
    ("node-in-orderer-and-peer", add_to_group("orderer", "peer0-org1"), ["peer0-org1: is in both groups orderer and peer"]),
]
CASES += FABRIC_CASES


def write_inventory(directory, inventory):
    shutil.copytree(EXAMPLE / "group_vars", directory / "group_vars")
    network_changes = inventory.pop("_group_vars_all", None)
    if network_changes:
        network = yaml.safe_load((directory / "group_vars" / "all.yml").read_text())
        network.update(network_changes)
        (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(network, sort_keys=False))
    for name in list(inventory["all"]["children"]):
        members = inventory["all"]["children"][name]["hosts"]
        for host_name in members:
            # Any task that reached a host would fail on this connection: no such container.
            members[host_name] = {
                **(members[host_name] or {}),
                "ansible_connection": "community.docker.docker",
                "ansible_host": f"hlf-no-such-container-{host_name}",
            }
    (directory / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))


def run_site(inventory_dir):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inventory_dir), str(ROOT / "site.yml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return result, json.loads(result.stdout[result.stdout.index("{") :])


def tasks_run(report):
    return [task["task"]["name"] for play in report["plays"] for task in play["tasks"]]


@pytest.mark.parametrize(("case", "mutation", "expected"), CASES, ids=[case[0] for case in CASES])
def test_bad_inventory_is_refused_before_any_host_is_touched(tmp_path, case, mutation, expected):
    inventory = copy.deepcopy(load_example())
    mutation(inventory)
    write_inventory(tmp_path, inventory)
    result, report = run_site(tmp_path)

    assert result.returncode != 0, f"{case}: site.yml accepted a bad inventory"
    message = next(
        host_result["msg"] for play in report["plays"] for task in play["tasks"] for host_result in task["hosts"].values() if host_result.get("failed")
    )
    for part in expected:
        assert part in message, f"{case}: expected {part!r} in:\n{message}"
    assert tasks_run(report) == ["Check the topology on the controller"], tasks_run(report)
    for name, stats in report["stats"].items():
        assert stats["changed"] == 0 and stats["unreachable"] == 0, f"{name} was touched: {stats}"


def test_example_inventory_passes_validation():
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    result = subprocess.run(
        ["ansible-playbook", "-i", str(EXAMPLE), str(ROOT / "playbooks" / "validate.yml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "inventory valid" in result.stdout or "ok=1" in result.stdout
