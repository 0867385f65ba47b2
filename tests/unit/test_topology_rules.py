"""topology_rules on hand-made topologies (plain values, no Ansible): the rules of issue #14 items
10-18 one at a time, the java.util.Properties reading of kafka_extra_properties, and that no message
ever shows an internal placeholder when a variable is missing."""

from __future__ import annotations

import copy

import pytest
import topology_rules as rules

ZOOKEEPERS = ["zookeeper0", "zookeeper1", "zookeeper2"]
BROKERS = ["kafka0", "kafka1", "kafka2", "kafka3"]
ORDERERS = ["orderer0", "orderer1", "orderer2"]
PEERS = {"peer0-org1": "Org1", "peer1-org1": "Org1", "peer0-org2": "Org2", "peer1-org2": "Org2"}

NETWORK = {
    "fabric_orderer_org": {"name": "OrdererOrg", "msp_id": "OrdererMSP", "domain": "example.com"},
    "fabric_peer_orgs": [
        {"name": "Org1", "msp_id": "Org1MSP", "domain": "org1.example.com", "anchor_peers": ["peer0-org1"]},
        {"name": "Org2", "msp_id": "Org2MSP", "domain": "org2.example.com", "anchor_peers": ["peer0-org2"]},
    ],
    "fabric_channels": [{"name": "channel1", "orgs": ["Org1", "Org2"]}, {"name": "channel2", "orgs": ["Org1"]}],
    "fabric_system_channel": "system-channel",
    "fabric_consortium": "SampleConsortium",
    "fabric_orderer_absolute_max_bytes": 10485760,
}
# The roles' defaults, as the action plugin would render them.
DEFAULTS = {
    "zookeeper_client_port": 2181,
    "kafka_port": 9092,
    "orderer_port": 7050,
    "peer_port": 7051,
    "couchdb_port": 5984,
    "kafka_zookeeper_chroot": "",
    "kafka_default_replication_factor": 3,
    "kafka_min_insync_replicas": 2,
    "zookeeper_quorum_port": 2888,
    "zookeeper_election_port": 3888,
    "zookeeper_data_dir": "/mnt/hyperledger/zookeeper/data",
    "zookeeper_data_log_dir": "/mnt/hyperledger/zookeeper/datalog",
    "zookeeper_log_dir": "/var/log/zookeeper",
    "zookeeper_config_dir": "/etc/zookeeper",
    "kafka_zookeeper_connect": "zookeeper0:2181,zookeeper1:2181,zookeeper2:2181",
    "kafka_log_retention_ms": -1,
    "kafka_unclean_leader_election_enable": False,
    "kafka_message_max_bytes": 103809024,
    "kafka_replica_fetch_max_bytes": 103809024,
    "kafka_socket_request_max_bytes": 104857600,
    "kafka_log_dirs": ["/mnt/hyperledger/kafka/data"],
    "kafka_log_dir": "/var/log/kafka",
    "kafka_config_dir": "/etc/kafka",
    "kafka_extra_properties": {},
    "fabric_artifacts_kafka_group": "kafka",
    "fabric_artifacts_kafka_brokers": [f"{broker}:9092" for broker in BROKERS],
    "orderer_kafka_replication_factor": 3,
    "orderer_operations_address": "127.0.0.1",
    "orderer_operations_port": 8443,
    "orderer_admin_port": 9444,
    "orderer_config_dir": "/etc/hyperledger/orderer",
    "orderer_ledger_dir": "/mnt/hyperledger/orderer",
    "peer_chaincode_port": 7052,
    "peer_operations_address": "127.0.0.1",
    "peer_operations_port": 9443,
    "peer_config_dir": "/etc/hyperledger/peer",
    "peer_state_database": "goleveldb",
    "peer_couchdb_address": "127.0.0.1:5984",
    "peer_couchdb_username": "",
    "peer_couchdb_password": "",
    "peer_core_extra": {},
    "couchdb_admin_user": "admin",
    "couchdb_admin_password": "",
    "couchdb_bind_address": "127.0.0.1",
    "couchdb_data_dir": "/mnt/hyperledger/couchdb",
    "couchdb_home": "/opt/couchdb",
    "fabric_admin_dir": "/etc/hyperledger/admin",
}


class Topology:
    """inventory/example as plain settings: groups, per-host inventory variables, the controller."""

    def __init__(self):
        self.groups = {
            "zookeeper": list(ZOOKEEPERS),
            "kafka": list(BROKERS),
            "orderer": list(ORDERERS),
            "peer": list(PEERS),
            "couchdb": [],
            "fabric_admin": ["cli"],
        }
        self.hosts = {}
        for index, host in enumerate(ZOOKEEPERS):
            self.hosts[host] = {"ansible_host": f"192.0.2.{10 + index}", "zookeeper_id": index + 1}
        for index, host in enumerate(BROKERS):
            self.hosts[host] = {"ansible_host": f"192.0.2.{20 + index}", "kafka_broker_id": index}
        for index, host in enumerate(ORDERERS):
            self.hosts[host] = {"ansible_host": f"192.0.2.{30 + index}"}
        for index, (host, org) in enumerate(PEERS.items()):
            self.hosts[host] = {"ansible_host": f"192.0.2.{40 + index}", "fabric_org": org}
        self.hosts["cli"] = {"ansible_host": "192.0.2.50"}
        self.network = copy.deepcopy(NETWORK)
        self.controller = {}

    def set(self, host, **variables):
        self.hosts[host].update(variables)
        return self

    def add(self, group, host, **variables):
        self.groups[group].append(host)
        self.hosts.setdefault(host, {}).update(variables)
        return self

    def settings_of(self, host, inventory):
        derived = {"peer_external_host": host}
        if inventory.get("fabric_org"):
            derived["peer_data_dir"] = f"/mnt/hyperledger/{str(inventory['fabric_org']).lower()}/{host}"
        variables = DEFAULTS | derived | self.network | inventory
        return rules.Settings(host, variables, explicit=set(self.network) | set(inventory))

    def validate(self, drop=()):
        """Every fault; drop: (host, variable) pairs removed from the effective settings."""
        groups = {"all": [host for host in self.hosts if host != rules.CONTROLLER]} | self.groups
        settings = {host: self.settings_of(host, inventory) for host, inventory in self.hosts.items()}
        settings[rules.CONTROLLER] = self.settings_of(rules.CONTROLLER, self.controller)
        for host, name in drop:
            variables = dict(settings[host]._variables)
            variables.pop(name, None)
            settings[host] = rules.Settings(host, variables, explicit=set(variables) & settings[host]._explicit)
        return rules.validate(groups, settings, rules.CONTROLLER)


def faults(topology):
    return "\n".join(topology.validate())


def test_the_example_topology_is_valid():
    assert Topology().validate() == []


# --- 10. Nodes on one machine ----------------------------------------------------------------


def test_a_host_without_ansible_host_is_the_machine_of_its_name():
    topology = Topology()
    del topology.hosts["zookeeper0"]["ansible_host"]
    topology.set("kafka0", ansible_host="zookeeper0", kafka_port=2181)
    assert "kafka0: kafka_port 2181 is already used by zookeeper0's zookeeper_client_port on the same machine zookeeper0" in faults(topology)


def test_one_address_with_other_ssh_ports_is_other_machines():
    topology = Topology().set("peer0-org1", ansible_host="10.0.0.1", ansible_port=2201).set("peer1-org1", ansible_host="10.0.0.1", ansible_port=2202)
    assert topology.validate() == []
    topology.set("peer1-org1", ansible_port=2201)
    assert "peer1-org1: the systemd unit peer.service is already used by peer0-org1 on the same machine 10.0.0.1:2201" in faults(topology)


def test_local_connections_are_all_on_the_controller():
    topology = Topology().set("orderer0", ansible_connection="local").set("orderer1", ansible_connection="local")
    assert "orderer1: the systemd unit orderer.service is already used by orderer0 on the same machine localhost" in faults(topology)


def test_two_peers_on_one_machine_clash_on_unit_ports_and_configuration():
    message = faults(Topology().set("peer1-org1", ansible_host="192.0.2.40"))
    assert "peer1-org1: the systemd unit peer.service is already used by peer0-org1 on the same machine 192.0.2.40" in message
    assert "peer1-org1: peer_port 7051 is already used by peer0-org1's peer_port" in message
    assert "peer1-org1: peer_config_dir /etc/hyperledger/peer is also peer0-org1's peer_config_dir" in message
    # Their data directories are their own (the default carries the inventory name).
    assert "peer_data_dir" not in message


def test_services_of_different_kinds_may_share_a_machine():
    assert Topology().set("kafka0", ansible_host="192.0.2.10").set("orderer0", ansible_host="192.0.2.10").validate() == []


def test_directories_are_compared_normalized():
    topology = Topology().set("kafka0", ansible_host="192.0.2.10", kafka_log_dir="/etc/zookeeper/../zookeeper/")
    assert "kafka0: kafka_log_dir /etc/zookeeper is also zookeeper0's zookeeper_config_dir on the same machine" in faults(topology)


def test_kafka_log_dirs_do_not_nest():
    message = faults(Topology().set("kafka1", kafka_log_dirs=["/data/kafka", "/data/kafka/more"]))
    assert "kafka1: kafka_log_dirs /data/kafka/more is inside /data/kafka" in message


@pytest.mark.parametrize(
    ("path", "other", "relation"),
    [("/a", "/a", "is also"), ("/a/b", "/a", "is inside"), ("/a", "/a/b", "contains"), ("/ab", "/a", None), ("/x", "/", "is inside")],
)
def test_path_relation(path, other, relation):
    assert rules.path_relation(path, other) == relation


# --- 11. CouchDB -------------------------------------------------------------------------------


def couchdb_peer(topology, host, **variables):
    settings = {
        "peer_state_database": "CouchDB",
        "peer_couchdb_username": "admin",
        "peer_couchdb_password": "s3cret",
        "couchdb_admin_password": "s3cret",
    } | variables
    return topology.add("couchdb", host, **settings)


def test_a_consistent_couchdb_peer_is_valid():
    assert couchdb_peer(Topology(), "peer0-org1").validate() == []


def test_couchdb_on_one_address_reached_at_that_address_is_valid():
    topology = couchdb_peer(Topology(), "peer0-org1", couchdb_bind_address="10.1.0.4", peer_couchdb_address="10.1.0.4:5984")
    assert topology.validate() == []


def test_couchdb_bound_to_another_address_than_the_peer_dials():
    message = faults(couchdb_peer(Topology(), "peer0-org1", couchdb_bind_address="10.1.0.4"))
    assert "peer0-org1: peer_couchdb_address 127.0.0.1:5984 does not reach its CouchDB, which listens on 10.1.0.4:5984" in message


def test_a_goleveldb_peer_in_group_couchdb_is_refused():
    message = faults(Topology().add("couchdb", "peer1-org1", couchdb_admin_password="x"))
    assert "peer1-org1: is in group couchdb but its peer_state_database is not CouchDB" in message


def test_the_couchdb_password_never_shows_in_a_message():
    message = faults(couchdb_peer(Topology(), "peer0-org1", peer_couchdb_password="the-peers-secret"))
    assert "peer0-org1: peer_couchdb_password differs from couchdb_admin_password" in message
    assert "the-peers-secret" not in message and "s3cret" not in message


# --- 12. Settings two services must agree on ------------------------------------------------------


def test_zookeeper_connect_must_name_every_server():
    message = faults(Topology().set("kafka2", kafka_zookeeper_connect="zookeeper0:2181,zookeeper1:2181"))
    assert "kafka2: kafka_zookeeper_connect leaves out zookeeper2" in message


def test_zookeeper_connect_names_only_servers_of_the_ensemble():
    message = faults(Topology().set("kafka2", kafka_zookeeper_connect="zookeeper0:2181,zookeeper1:2181,kafka0:2181"))
    assert "kafka2: kafka_zookeeper_connect names kafka0:2181, which is not a server of group zookeeper" in message


def test_zookeeper_connect_may_name_servers_by_address():
    assert Topology().set("kafka0", kafka_zookeeper_connect="192.0.2.10:2181,192.0.2.11:2181,192.0.2.12:2181").validate() == []


def test_per_host_client_ports_are_fine_when_the_brokers_dial_them():
    topology = Topology().set("zookeeper2", zookeeper_client_port=2182)
    for broker in BROKERS:
        topology.set(broker, kafka_zookeeper_connect="zookeeper0:2181,zookeeper1:2181,zookeeper2:2182")
    assert topology.validate() == []


def test_the_chroot_is_the_one_the_gates_read_and_the_same_on_every_broker():
    message = faults(Topology().set("kafka1", kafka_zookeeper_connect="zookeeper0:2181,zookeeper1:2181,zookeeper2:2181/kafka"))
    assert "kafka1: kafka_zookeeper_connect's chroot '/kafka' is not kafka_zookeeper_chroot ''" in message
    assert "kafka1: kafka_zookeeper_connect's chroot '/kafka' differs from kafka0's ''" in message


def test_election_ports_must_agree():
    assert "zookeeper2: zookeeper_election_port 3889 differs from zookeeper0's 3888" in faults(Topology().set("zookeeper2", zookeeper_election_port=3889))


def test_the_controllers_block_size_is_the_genesis_blocks():
    topology = Topology()
    topology.controller = {"fabric_orderer_absolute_max_bytes": 20971520}
    assert "kafka0: fabric_orderer_absolute_max_bytes 10485760 differs from the controller's 20971520" in faults(topology)


def test_genesis_brokers_may_use_the_advertised_name():
    topology = Topology().set("kafka0", kafka_advertised_host="broker0.example.com")
    topology.controller = {"fabric_artifacts_kafka_brokers": ["broker0.example.com:9092", "kafka1:9092"]}
    assert topology.validate() == []


def test_genesis_brokers_must_be_a_list():
    topology = Topology()
    topology.controller = {"fabric_artifacts_kafka_brokers": "kafka0:9092"}
    assert "group all: fabric_artifacts_kafka_brokers (the genesis block's Kafka.Brokers) is empty or not a list" in faults(topology)


# --- 13. kafka_extra_properties as Kafka reads them -------------------------------------------------


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("a.b=c", ("a.b", "c")),
        ("  a.b = c ", ("a.b", "c ")),
        ("a.b c", ("a.b", "c")),
        ("a.b:c", ("a.b", "c")),
        ("a.b  =  =c", ("a.b", "=c")),
        ("a=b=c", ("a", "b=c")),
        ("a\\.b=1", ("a.b", "1")),
        ("a\\ b=1", ("a b", "1")),
        ("a\\=b=1", ("a=b", "1")),
        ("log.retention\\u002ems=5", ("log.retention.ms", "5")),
        ("\\u006cog.dirs=/x", ("log.dirs", "/x")),
        ("key=", ("key", "")),
        ("key", ("key", "")),
        ("\t\fkey=v", ("key", "v")),
        ("#key=v", None),
        ("  !key=v", None),
        ("   ", None),
    ],
)
def test_java_properties_reading(line, parsed):
    assert rules.java_property(line) == parsed


def test_a_malformed_unicode_escape_is_an_error():
    with pytest.raises(ValueError, match="uxxxx"):
        rules.java_property("a\\u12=b")


def extra(properties, host="kafka0"):
    return faults(Topology().set(host, kafka_extra_properties=properties))


@pytest.mark.parametrize(
    ("key", "canonical"),
    [
        ("log.retention\\u002ems", "log.retention.ms"),
        ("log\\.dirs", "log.dirs"),
        ("\tmin.insync.replicas", "min.insync.replicas"),
        ("broker.id ", "broker.id"),
    ],
)
def test_protected_keys_are_recognised_however_they_are_written(key, canonical):
    assert f"kafka0: kafka_extra_properties may not set {canonical} (written {key!r}); use" in extra({key: "1"})


@pytest.mark.parametrize(
    "properties",
    [
        {"log.retention.check.interval.ms": 300000},
        {"log.segment.delete.delay.ms": 60000},
        {"log.segment.bytes": 536870912},
        {"replica.lag.time.max.ms": 30000},
        {"log.retention.bytes": -1},
        {"log.cleanup.policy": "delete"},
        {"delete.topic.enable": False},
        {"delete.topic.enable": "FALSE"},
        {"controlled.shutdown.enable": True},
    ],
)
def test_harmless_and_safe_values_are_allowed(properties):
    assert extra(properties) == ""


@pytest.mark.parametrize(
    ("properties", "part"),
    [
        ({"log.cleanup.policy": "delete,compact"}, "may not set log.cleanup.policy to delete,compact (it must stay delete"),
        ({"delete.topic.enable": "true"}, "may not set delete.topic.enable to true (only false"),
        ({"num.partitions": 3}, "may not set num.partitions to 3 (Fabric orders each channel on one partition)"),
        ({"remote.log.storage.system.enable": True}, "may not set remote.log.storage.system.enable to True"),
        ({"listeners": "PLAINTEXT://0.0.0.0:9093"}, "may not set listeners; use kafka_listen_address and kafka_port"),
        ({"zookeeper.connect": "elsewhere:2181"}, "may not set zookeeper.connect; use kafka_zookeeper_connect"),
        ({"offsets.topic.replication.factor": 1}, "may not set offsets.topic.replication.factor; use kafka_default_replication_factor"),
        ({"#log.retention.ms": -1}, "'#log.retention.ms': Kafka reads this line as a comment or without a key"),
        ({"log.segment.bytes": "1\\"}, "log.segment.bytes: the line may not end with a backslash"),
        ({"log.segment.bytes": "1\r"}, "log.segment.bytes: keys and values may not hold a line break"),
        ({"a\\u00": 1}, "'a\\\\u00': malformed \\uxxxx escape"),
    ],
)
def test_destructive_or_broken_entries_are_refused(properties, part):
    assert f"kafka0: kafka_extra_properties {part}" in extra(properties)


# --- 14. The admin host ------------------------------------------------------------------------


def test_peers_without_channels_still_need_the_admin_host():
    topology = Topology()
    topology.groups["fabric_admin"] = []
    del topology.hosts["cli"]
    topology.network["fabric_channels"] = []
    assert "group fabric_admin: is empty, but the inventory has peers: nothing would" in faults(topology)


# --- 16. Endpoints and listeners ---------------------------------------------------------------


def test_endpoints_compare_without_case():
    assert "peer1-org2: advertises PEER0-ORG2:7051" in faults(Topology().set("peer1-org2", peer_external_host="PEER0-ORG2"))


def test_the_advertised_name_must_be_in_the_tls_certificate():
    message = faults(Topology().set("peer0-org1", peer_external_host="peer0.example.net"))
    assert "peer0-org1: peer_external_host peer0.example.net is not a name in its TLS certificate" in message
    topology = Topology().set("peer0-org1", peer_external_host="peer0.example.net", fabric_tls_sans=["peer0.example.net"])
    assert topology.validate() == []
    assert Topology().set("peer0-org1", peer_external_host="peer0-org1.org1.example.com").validate() == []


@pytest.mark.parametrize(
    ("core_extra", "setting"),
    [
        ({"peer": {"tls": "off"}}, "peer.tls.enabled"),
        ({"peer": {"address": "elsewhere:7051"}}, "peer.address; use peer_external_host and peer_port"),
        ({"peer": {"gossip": {"externalEndpoint": "peer0-org1:7051"}}}, "peer.gossip.externalEndpoint"),
        ({"operations": {"listenAddress": "0.0.0.0:9443"}}, "operations.listenAddress; use peer_operations_address"),
        ({"ledger": {"state": {"couchDBConfig": {"password": "x"}}}}, "ledger.state.couchDBConfig.password; use peer_couchdb_password"),
        ({"chaincode": {"externalBuilders": []}}, "chaincode.externalBuilders (a list replaces"),
    ],
)
def test_peer_core_extra_may_not_replace_managed_settings(core_extra, setting):
    assert f"peer0-org1: peer_core_extra may not set {setting}" in faults(Topology().set("peer0-org1", peer_core_extra=core_extra))


def test_peer_core_extra_may_tune_the_rest():
    core_extra = {
        "peer": {"gossip": {"pvtData": {"pushAckTimeout": "5s"}}, "tls": {"clientAuthRequired": True}},
        "ledger": {"history": {"enableHistoryDatabase": False}},
    }
    assert Topology().set("peer0-org1", peer_core_extra=core_extra).validate() == []


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "[::]", "", "*", "any", "0:0:0:0:0:0:0:0", " 0.0.0.0 "])
def test_wildcard_addresses(address):
    assert rules.is_wildcard(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.0.0.5", "localhost", "peer0-org1"])
def test_specific_addresses(address):
    assert not rules.is_wildcard(address)


def test_operations_on_one_interface_are_allowed():
    assert Topology().set("orderer1", orderer_operations_address="10.0.0.31").set("peer0-org1", peer_operations_address="10.0.0.40").validate() == []


# --- 17. Names match whole --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "part"),
    [
        (lambda network: network["fabric_peer_orgs"][0].update(name="Org1\n"), "organization 'Org1\\n': the name may hold only"),
        (lambda network: network["fabric_peer_orgs"][1].update(msp_id="Org2MSP\n"), "msp_id 'Org2MSP\\n' may hold only"),
        (lambda network: network["fabric_orderer_org"].update(domain="example.com\n"), "domain 'example.com\\n' is not a DNS name"),
        (lambda network: network.update(fabric_consortium="SampleConsortium\n"), "fabric_consortium 'SampleConsortium\\n' may hold only"),
        (lambda network: network.update(fabric_system_channel="system-channel\n"), "channel 'system-channel\\n': a channel name is"),
    ],
)
def test_a_trailing_line_break_is_refused(edit, part):
    topology = Topology()
    edit(topology.network)
    assert part in faults(topology)


# --- 18. Missing variables are reported as not set -------------------------------------------


def test_no_message_shows_a_placeholder_whatever_variable_is_missing():
    topology = Topology()
    couchdb_peer(topology, "peer0-org1")
    for host, inventory in list(topology.hosts.items()):
        names = set(DEFAULTS) | set(NETWORK) | set(inventory) | {"peer_external_host", "peer_data_dir"}
        for name in sorted(names):
            for message in topology.validate(drop=[(host, name)]):
                assert "object at 0x" not in message and "<not set>" not in message, (host, name, message)


@pytest.mark.parametrize("name", ["fabric_orderer_org", "fabric_peer_orgs"])
def test_a_missing_organization_setting_is_not_set(name):
    topology = Topology()
    drop = [(host, name) for host in topology.hosts]
    assert f"group all: {name} is not set" in "\n".join(topology.validate(drop=drop))


def test_a_missing_boolean_and_path_are_not_set():
    message = "\n".join(Topology().validate(drop=[("kafka1", "kafka_unclean_leader_election_enable"), ("kafka2", "kafka_log_dirs")]))
    assert "kafka1: kafka_unclean_leader_election_enable is not set" in message
    assert "kafka2: kafka_log_dirs is not set" in message
