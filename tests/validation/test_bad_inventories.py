"""A corpus of bad inventories, each one fault away from inventory/example, must be refused by
site.yml with a message naming the host (or group), the variable and the rule, and no host may
be touched.

How "no host touched" is proven: every host of these inventories uses the docker connection to a
container that does not exist, so any task that reached a host would show up as unreachable or
failed for it. The JSON callback lists every task that ran: only the controller-side validation
task (and the argument check of the roles the validation play loads, also a controller-side action)
may appear, and the recap must show changed=0 unreachable=0 for every host.
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


# In _group_vars_all: remove the variable from group_vars/all.yml.
DELETE = object()


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


def on_machine(name, machine, **variables):
    """Put an inventory host on another host's machine (its ansible_host), with extra variables."""

    def mutate(inventory):
        host(inventory, name).update(ansible_host=machine, **variables)

    return mutate


def couchdb_peer(name, **variables):
    """A peer with its state in CouchDB on its own host, consistent unless variables say otherwise."""
    settings = {
        "peer_state_database": "CouchDB",
        "peer_couchdb_username": "admin",
        "peer_couchdb_password": "s3cret",
        "couchdb_admin_user": "admin",
        "couchdb_admin_password": "s3cret",
    } | variables

    def mutate(inventory):
        host(inventory, name).update(settings)
        group_hosts(inventory, "couchdb")[name] = {}

    return mutate


# Issue #14, items 10-18: classes of bad inventories the validator used to accept.
MORE_CASES = [
    # 10. Two inventory hosts on one machine: ports, systemd units, directories.
    (
        "machine-port-clash",
        on_machine("kafka0", "192.0.2.10", kafka_port=2888),
        ["kafka0: kafka_port 2888 is already used by zookeeper0's zookeeper_quorum_port on the same machine"],
    ),
    (
        "machine-unit-clash",
        on_machine(
            "orderer1",
            "192.0.2.30",
            orderer_port=7060,
            orderer_operations_port=8453,
            orderer_admin_port=9454,
            orderer_ledger_dir="/mnt/hyperledger/orderer1",
            orderer_config_dir="/etc/hyperledger/orderer1",
        ),
        ["orderer1: the systemd unit orderer.service is already used by orderer0 on the same machine"],
    ),
    (
        "machine-data-dir-inside-other",
        on_machine("kafka0", "192.0.2.10", kafka_log_dirs=["/mnt/hyperledger/zookeeper/data/kafka"]),
        [
            "kafka0: kafka_log_dirs /mnt/hyperledger/zookeeper/data/kafka is inside zookeeper0's zookeeper_data_dir "
            "/mnt/hyperledger/zookeeper/data on the same machine"
        ],
    ),
    (
        "machine-config-dir-shared",
        on_machine("peer0-org1", "192.0.2.30", peer_config_dir="/etc/hyperledger/orderer"),
        ["peer0-org1: peer_config_dir /etc/hyperledger/orderer is also orderer0's orderer_config_dir on the same machine"],
    ),
    (
        "dir-overlap-on-shared-host",
        add_to_group("kafka", "zookeeper0", kafka_broker_id=4, kafka_log_dirs=["/mnt/hyperledger/zookeeper"]),
        ["zookeeper0: kafka_log_dirs /mnt/hyperledger/zookeeper contains zookeeper0's zookeeper_data_dir /mnt/hyperledger/zookeeper/data on the same host"],
    ),
    # 11. CouchDB: the peer must have one, and reach and log in to it with its settings.
    (
        "couchdb-peer-outside-group",
        combine(
            set_var("peer0-org1", "peer_state_database", "CouchDB"),
            set_var("peer0-org1", "peer_couchdb_username", "admin"),
            set_var("peer0-org1", "peer_couchdb_password", "s3cret"),
        ),
        ["peer0-org1: peer_state_database is CouchDB but peer0-org1 is not in group couchdb"],
    ),
    (
        "couchdb-credentials-differ",
        couchdb_peer("peer1-org2", peer_couchdb_username="fabric", peer_couchdb_password="other-secret"),
        [
            "peer1-org2: peer_couchdb_username fabric differs from couchdb_admin_user admin",
            "peer1-org2: peer_couchdb_password differs from couchdb_admin_password",
        ],
    ),
    (
        "couchdb-port-differs",
        couchdb_peer("peer0-org2", couchdb_port=5985, peer_couchdb_address="127.0.0.1:5984"),
        ["peer0-org2: peer_couchdb_address 127.0.0.1:5984 does not reach its CouchDB, which listens on 127.0.0.1:5985 (couchdb_bind_address, couchdb_port)"],
    ),
    # 12. Settings two services must agree on.
    (
        "kafka-zookeeper-port-differs",
        set_var("kafka1", "kafka_zookeeper_connect", "zookeeper0:2181,zookeeper1:2181,zookeeper2:2191"),
        ["kafka1: kafka_zookeeper_connect names zookeeper2:2191, but zookeeper2's zookeeper_client_port is 2181"],
    ),
    (
        "zk-quorum-port-differs",
        set_var("zookeeper1", "zookeeper_quorum_port", 2889),
        ["zookeeper1: zookeeper_quorum_port 2889 differs from zookeeper0's 2888 (it must be the same on every member"],
    ),
    (
        "orderer-replication-factor-differs",
        set_var("orderer1", "orderer_kafka_replication_factor", 2),
        ["orderer1: orderer_kafka_replication_factor 2 differs from the brokers' kafka_default_replication_factor 3"],
    ),
    (
        "block-size-differs-on-orderer",
        set_var("orderer0", "fabric_orderer_absolute_max_bytes", 104857600),
        ["orderer0: fabric_orderer_absolute_max_bytes 104857600 differs from the controller's 10485760"],
    ),
    (
        "genesis-brokers-empty",
        set_network("fabric_artifacts_kafka_group", "brokers"),
        ["group all: fabric_artifacts_kafka_brokers (the genesis block's Kafka.Brokers) is empty"],
    ),
    (
        "genesis-broker-wrong-port",
        set_network("fabric_artifacts_kafka_brokers", ["kafka0:9093", "zookeeper0:2181"]),
        [
            "group all: fabric_artifacts_kafka_brokers names kafka0:9093, but kafka0's kafka_port is 9092",
            "group all: fabric_artifacts_kafka_brokers names zookeeper0:2181, which is not a broker of group kafka",
        ],
    ),
    # 13. kafka_extra_properties read the way Kafka reads server.properties (java.util.Properties).
    (
        "kafka-extra-key-with-whitespace",
        set_var("kafka0", "kafka_extra_properties", {" unclean.leader.election.enable ": "true"}),
        [
            "kafka0: kafka_extra_properties may not set unclean.leader.election.enable (written ' unclean.leader.election.enable '); "
            "use kafka_unclean_leader_election_enable"
        ],
    ),
    (
        "kafka-extra-retention-bytes",
        set_var("kafka1", "kafka_extra_properties", {"log.retention.bytes": 1073741824}),
        ["kafka1: kafka_extra_properties may not set log.retention.bytes to 1073741824 (it must stay -1"],
    ),
    (
        "kafka-extra-compaction",
        set_var("kafka2", "kafka_extra_properties", {"log.cleanup.policy": "compact"}),
        ["kafka2: kafka_extra_properties may not set log.cleanup.policy to compact (it must stay delete"],
    ),
    (
        "kafka-extra-log-dirs",
        set_var("kafka3", "kafka_extra_properties", {"log.dirs": "/tmp/kafka-logs"}),
        ["kafka3: kafka_extra_properties may not set log.dirs; use kafka_log_dirs"],
    ),
    (
        "kafka-extra-line-break",
        set_var("kafka0", "kafka_extra_properties", {"log.segment.bytes": "8\nlog.retention.ms=1000"}),
        ["kafka0: kafka_extra_properties log.segment.bytes: keys and values may not hold a line break"],
    ),
    # 14. Channels need the admin host.
    (
        "fabric-admin-group-empty",
        clear_group("fabric_admin"),
        ["group fabric_admin: is empty, but the inventory has peers and channels"],
    ),
    # 16. Endpoints and listeners.
    (
        "peer-external-endpoint-shared",
        set_var("peer1-org1", "peer_external_host", "peer0-org1"),
        ["peer1-org1: advertises peer0-org1:7051 (peer_external_host, peer_port), which peer0-org1 advertises too"],
    ),
    (
        "peer-tls-off-through-core-extra",
        set_var("peer0-org2", "peer_core_extra", {"peer": {"tls": {"enabled": False}}}),
        ["peer0-org2: peer_core_extra may not set peer.tls.enabled (TLS stays on"],
    ),
    (
        "peer-operations-on-all-interfaces",
        set_var("peer1-org2", "peer_operations_address", "0.0.0.0"),
        ["peer1-org2: peer_operations_address 0.0.0.0 listens on every interface"],
    ),
    (
        "orderer-operations-on-all-interfaces",
        set_var("orderer2", "orderer_operations_address", "::"),
        ["orderer2: orderer_operations_address :: listens on every interface"],
    ),
    (
        "couchdb-on-all-interfaces",
        couchdb_peer("peer0-org1", couchdb_bind_address="0.0.0.0"),
        ["peer0-org1: couchdb_bind_address 0.0.0.0 listens on every interface"],
    ),
    # 17. Names end where the text ends (no trailing line break).
    (
        "channel-name-trailing-newline",
        _add_channel({"name": "channel3\n", "orgs": ["Org1"]}),
        ["channel 'channel3\\n': a channel name is lower case letters"],
    ),
    # 18. A required setting that is absent is reported as not set.
    (
        "orderer-org-missing",
        set_network("fabric_orderer_org", DELETE),
        ["group all: fabric_orderer_org is not set"],
    ),
]
CASES += MORE_CASES


def _chaincode(**changes):
    """The example's chaincode with some fields changed (None removes one)."""

    def edit(network):
        chaincode = network["fabric_chaincodes"][0]
        for field, value in changes.items():
            if value is None:
                chaincode.pop(field, None)
            else:
                chaincode[field] = value

    return edit_network(edit)


def _second_chaincode(**fields):
    return edit_network(lambda network: network["fabric_chaincodes"].append({**network["fabric_chaincodes"][0], **fields}))


CHAINCODE_CASES = [
    (
        "chaincode-unknown-channel",
        _chaincode(channels=["channel1", "channel9"]),
        ["chaincode assets: channel channel9 is not in fabric_channels (channel1, channel2)"],
    ),
    (
        "chaincode-policy-org-not-in-channel",
        _chaincode(endorsement_policy="OR('Org1MSP.peer', 'Org2MSP.peer')"),
        ["chaincode assets: endorsement_policy names Org2MSP, which is not a member of channel channel2 (Org1MSP)"],
    ),
    (
        "chaincode-policy-malformed",
        _chaincode(endorsement_policy="OR('Org1MSP.peer'"),
        ["chaincode assets: endorsement_policy \"OR('Org1MSP.peer'\" is not a signature policy"],
    ),
    (
        "chaincode-policy-bad-role",
        _chaincode(endorsement_policy="OR('Org1MSP.boss')"),
        ["chaincode assets: endorsement_policy", "is not a principal 'MSPID.role'"],
    ),
    ("chaincode-defined-twice", _second_chaincode(port=9998), ["chaincode assets: is defined more than once in fabric_chaincodes"]),
    ("chaincode-name-invalid", _chaincode(name="my assets"), ["chaincode my assets: name 'my assets' is not a chaincode name"]),
    ("chaincode-version-as-number", _chaincode(version=1.0), ["chaincode assets: version 1.0 must be text"]),
    (
        "chaincode-source-missing",
        _chaincode(source="chaincode/no-such-dir"),
        ["chaincode assets: source chaincode/no-such-dir has no package.json on the controller"],
    ),
    ("chaincode-port-clash", _chaincode(port=7051), ["peer0-org1: the port of chaincode assets 7051 is already used by peer_port on the same host"]),
    (
        "chaincode-upgrade-port-clash",
        _chaincode(port=7050),
        ["peer0-org1: the upgrade port of chaincode assets (its port + 1) 7051 is already used by peer_port on the same host"],
    ),
    ("chaincode-unknown-field", _chaincode(chanels=["channel1"]), ["chaincode assets: unknown field chanels"]),
    ("chaincode-without-port", _chaincode(port=None), ["chaincode assets: port is not set"]),
]
CASES += CHAINCODE_CASES


def write_inventory(directory, inventory):
    shutil.copytree(EXAMPLE / "group_vars", directory / "group_vars")
    network_changes = inventory.pop("_group_vars_all", None)
    if network_changes:
        network = yaml.safe_load((directory / "group_vars" / "all.yml").read_text())
        network.update(network_changes)
        network = {name: value for name, value in network.items() if value is not DELETE}
        (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(network, sort_keys=False))
    # The machine each inventory host is on (its ansible_host, else its name), kept in the container
    # name: two inventory hosts on one machine stay on one (nonexistent) machine.
    machines = {}
    for name in inventory["all"]["children"]:
        for host_name, variables in inventory["all"]["children"][name]["hosts"].items():
            if variables and "ansible_host" in variables:
                machines[host_name] = variables["ansible_host"]
    for name in list(inventory["all"]["children"]):
        members = inventory["all"]["children"][name]["hosts"]
        for host_name in members:
            # Any task that reached a host would fail on this connection: no such container.
            members[host_name] = {
                **(members[host_name] or {}),
                "ansible_connection": "community.docker.docker",
                "ansible_host": f"hlf-no-such-container-{machines.get(host_name, host_name)}",
            }
    (directory / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))


def run_site(inventory_dir, playbook=ROOT / "site.yml", **env_overrides):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), **env_overrides)
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inventory_dir), str(playbook)],
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


def is_argument_check(task_name):
    """A role's argument check (validate_argument_spec): an action on the controller, no connection."""
    return " : Validating arguments against arg spec " in task_name


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
    assert "object at 0x" not in message, f"{case}: a message shows an internal value:\n{message}"
    assert [task for task in tasks_run(report) if not is_argument_check(task)] == ["Check the topology on the controller"], tasks_run(report)
    for name, stats in report["stats"].items():
        assert stats["changed"] == 0 and stats["unreachable"] == 0, f"{name} was touched: {stats}"


def test_example_inventory_passes_validation():
    result, report = run_site(EXAMPLE, ROOT / "playbooks" / "validate.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    validation = [task for play in report["plays"] for task in play["tasks"] if task["task"]["name"] == "Check the topology on the controller"]
    assert len(validation) == 1, tasks_run(report)
    (outcome,) = validation[0]["hosts"].values()
    hosts = sum(len(group["hosts"]) for group in load_example()["all"]["children"].values())
    assert outcome["msg"] == f"inventory valid ({hosts} hosts)", outcome
    assert outcome["errors"] == [] and not outcome.get("failed"), outcome
    for name, stats in report["stats"].items():
        assert stats["failures"] == 0 and stats["unreachable"] == 0, f"{name}: {stats}"


# A key written twice in one YAML file: YAML keeps the second silently unless duplicate keys are errors
# (ansible.cfg), and an inventory that fails to parse must stop the run, not leave only localhost.
# The corpus writes YAML with yaml.safe_dump, which cannot write a key twice: these edit the text.
def _rename_line(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def _host_twice(directory):
    # zookeeper2's entry renamed to zookeeper1, as a copy-and-paste that forgot to rename it.
    _rename_line(directory / "hosts.yml", "\n        zookeeper2:\n", "\n        zookeeper1:\n")


def _variable_twice(directory):
    with (directory / "group_vars" / "kafka.yml").open("a") as handle:
        handle.write("kafka_heap_size: 2g\n")


DUPLICATE_CASES = [("host-twice-in-hosts-yml", _host_twice, "zookeeper1"), ("variable-twice-in-group-vars", _variable_twice, "kafka_heap_size")]


@pytest.mark.parametrize(("case", "edit", "key"), DUPLICATE_CASES, ids=[case[0] for case in DUPLICATE_CASES])
def test_duplicate_yaml_key_is_refused_before_any_host_is_touched(tmp_path, case, edit, key):
    write_inventory(tmp_path, copy.deepcopy(load_example()))
    edit(tmp_path)
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    result = subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path), str(ROOT / "site.yml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0, f"{case}: site.yml accepted a YAML file with a duplicate key"
    # A duplicate in hosts.yml stops the run while the inventory is read (before the first play); one
    # in group_vars when the controller-side validation first reads the variables. Either way no task
    # reached a host.
    report = json.loads(result.stdout[result.stdout.index("{") :]) if "{" in result.stdout else {"plays": [], "stats": {}}
    failures = [outcome.get("msg", "") for play in report["plays"] for task in play["tasks"] for outcome in task["hosts"].values() if outcome.get("failed")]
    errors = "\n".join([line for line in result.stderr.splitlines() if not line.startswith("[WARNING]")] + failures)
    assert f"Found duplicate mapping key '{key}'" in errors, errors[-3000:] or result.stdout[-3000:]
    assert set(tasks_run(report)) <= {"Check the topology on the controller"}, tasks_run(report)
    for name, stats in report["stats"].items():
        assert stats["changed"] == 0 and stats["unreachable"] == 0, f"{name} was touched: {stats}"
