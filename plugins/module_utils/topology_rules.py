"""The rules a topology must follow before hlf-ansible touches a host.

Pure Python (no Ansible imports) so unit tests can run it directly; plugins/action/validate_topology.py
feeds it each host's effective settings. Every message names the host (or group), the variable
and the rule.
"""

from __future__ import annotations

import posixpath
import re

# Roles whose defaults make up a host's effective settings.
ROLES = ["install_artifact", "zookeeper", "kafka", "fabric_artifacts", "orderer", "peer", "couchdb"]

MISSING = object()
# Fabric's default Orderer.BatchSize.AbsoluteMaxBytes (10 MiB); the orderer role may set another.
DEFAULT_ORDERER_ABSOLUTE_MAX_BYTES = 10 * 1024 * 1024
ZOOKEEPER_ENSEMBLE_SIZES = (3, 5, 7)
KAFKA_MIN_BROKERS = 4
# Broker ids above reserved.broker.max.id (1000) are refused by Kafka when set by hand.
KAFKA_MAX_BROKER_ID = 1000
# Settings kafka_extra_properties must not override: they are what keeps channels safe.
KAFKA_PROTECTED_PROPERTIES = {
    "broker.id": "kafka_broker_id",
    "default.replication.factor": "kafka_default_replication_factor",
    "min.insync.replicas": "kafka_min_insync_replicas",
    "unclean.leader.election.enable": "kafka_unclean_leader_election_enable",
    "log.retention.ms": "kafka_log_retention_ms",
    "log.retention.hours": "kafka_log_retention_ms",
    "log.retention.minutes": "kafka_log_retention_ms",
    "message.max.bytes": "kafka_message_max_bytes",
    "replica.fetch.max.bytes": "kafka_replica_fetch_max_bytes",
    "socket.request.max.bytes": "kafka_socket_request_max_bytes",
}


class Settings:
    """One host's effective variables: `raw` as written, `get` templated."""

    def __init__(self, host, variables, render=lambda value: value, explicit=None):
        self.host = host
        self._variables = variables
        self._render = render
        # Names the inventory sets for this host (the rest are the roles' defaults).
        self._explicit = set(variables) if explicit is None else set(explicit)

    def has(self, name):
        """Whether the inventory sets the variable for this host (a role default does not count)."""
        return name in self._explicit

    def raw(self, name, default=MISSING):
        return self._variables.get(name, default)

    def get(self, name, default=MISSING):
        if name not in self._variables:
            return default
        return self._render(self._variables[name])


def _type_name(value):
    # isinstance, not type(): Ansible hands over subclasses of str, list and dict.
    for kind, name in ((bool, "the boolean"), (str, "the text"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _plain(value):
    """The value as built-in types, so messages read 'x' rather than a wrapper's repr."""
    for kind in (bool, int, str):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


class Checker:
    def __init__(self, groups, settings):
        self.groups = groups
        self.settings = settings
        self.errors = []

    def error(self, message):
        self.errors.append(message)

    def group(self, name):
        return list(self.groups.get(name, []))

    def integer(self, host, name, low, high, default=MISSING):
        """The variable as an int within [low, high], or None after recording why not."""
        value = self.settings[host].get(name, default)
        if value is MISSING:
            self.error(f"{host}: {name} is not set")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            hint = " (write it without quotes)" if isinstance(value, str) and value.strip().lstrip("-").isdigit() else ""
            self.error(f"{host}: {name} must be an integer, got {_type_name(value)} {_plain(value)!r}{hint}")
            return None
        if not low <= value <= high:
            self.error(f"{host}: {name} {value} is out of range ({low}..{high})")
            return None
        return value

    def boolean(self, host, name):
        value = self.settings[host].get(name)
        if not isinstance(value, bool):
            self.error(f"{host}: {name} must be true or false, got {_type_name(value)} {_plain(value)!r}")
            return None
        return value

    def absolute_paths(self, host, name, as_list=False):
        value = self.settings[host].get(name)
        if as_list:
            if not isinstance(value, list):
                self.error(f"{host}: {name} must be a list of paths, got {_type_name(value)} {_plain(value)!r}")
                return
            paths = value
        else:
            paths = [value]
        for path in paths:
            if not isinstance(path, str) or not posixpath.isabs(path):
                self.error(f"{host}: {name} must hold absolute paths, got {_plain(path)!r}")

    def unique_ids(self, group, name, low, high):
        """Check each member's id; return {host: id} of the valid ones."""
        ids, owners = {}, {}
        for host in self.group(group):
            if not self.settings[host].has(name):
                self.error(f"{host}: {name} is not set (every host of group {group} needs its own)")
                continue
            value = self.integer(host, name, low, high)
            if value is None:
                continue
            if value in owners:
                self.error(f"{host}: {name} {value} is already used by {owners[value]}")
                continue
            owners[value] = host
            ids[host] = value
        for host in self.group("all"):
            if host not in self.group(group) and self.settings[host].has(name):
                self.error(f"{host}: {name} is set but {host} is not in group {group} (add it to the group or remove the variable)")
        return ids

    def same_everywhere(self, hosts, name):
        """A cluster-wide setting must agree on every member: return it (from the first host)."""
        values = {host: self.settings[host].get(name) for host in hosts}
        if not hosts:
            return None
        first = hosts[0]
        for host in hosts[1:]:
            if values[host] != values[first]:
                self.error(f"{host}: {name} {_plain(values[host])!r} differs from {first}'s {_plain(values[first])!r} (it must be the same on every member)")
        return values[first]


def check_zookeeper(check):
    members = check.group("zookeeper")
    check.unique_ids("zookeeper", "zookeeper_id", 1, 255)
    if not members:
        return
    size = len(members)
    development = any(check.settings[host].get("zookeeper_allow_development_ensemble", False) is True for host in members)
    if size not in ZOOKEEPER_ENSEMBLE_SIZES and not development:
        check.error(
            f"group zookeeper: an ensemble of {size} server(s) is refused; use 3, 5 or 7 "
            "(a majority must survive a failure), or set zookeeper_allow_development_ensemble: true for a development setup"
        )
    for host in members:
        check.absolute_paths(host, "zookeeper_data_dir")
        check.absolute_paths(host, "zookeeper_data_log_dir")


def check_kafka(check):
    brokers = check.group("kafka")
    check.unique_ids("kafka", "kafka_broker_id", 0, KAFKA_MAX_BROKER_ID)
    if not brokers:
        return
    count = len(brokers)
    development = any(check.settings[host].get("kafka_allow_development_cluster", False) is True for host in brokers)
    if count < KAFKA_MIN_BROKERS and not development:
        check.error(
            f"group kafka: {count} broker(s) cannot run Fabric's ordering safely; use at least {KAFKA_MIN_BROKERS} "
            "(1 < min ISR < replication factor < brokers), or set kafka_allow_development_cluster: true"
        )
    if not check.group("zookeeper"):
        check.error("group kafka: the brokers need a ZooKeeper ensemble, but group zookeeper is empty")
    for host in brokers:
        replicas = check.integer(host, "kafka_default_replication_factor", 1, count if count else 1)
        min_isr = check.integer(host, "kafka_min_insync_replicas", 1, 1000)
        if replicas is not None and min_isr is not None:
            if development:
                if not min_isr <= replicas <= count:
                    check.error(f"{host}: kafka_min_insync_replicas {min_isr} <= kafka_default_replication_factor {replicas} <= brokers {count} does not hold")
            elif not 1 < min_isr < replicas < count:
                check.error(
                    f"{host}: kafka_min_insync_replicas {min_isr} and kafka_default_replication_factor {replicas} with {count} brokers "
                    "break Fabric's rule 1 < min ISR < replication factor < brokers (minimum 2 < 3 < 4)"
                )
        retention = check.integer(host, "kafka_log_retention_ms", -1, 2**63 - 1)
        if retention is not None and retention != -1:
            check.error(
                f"{host}: kafka_log_retention_ms must be -1 (orderers re-read their topics from stored offsets: data must never expire), got {retention}"
            )
        unclean = check.boolean(host, "kafka_unclean_leader_election_enable")
        if unclean:
            check.error(f"{host}: kafka_unclean_leader_election_enable must be false (an out-of-sync replica as leader loses blocks)")
        check_message_limits(check, host)
        extra = check.settings[host].get("kafka_extra_properties", {})
        if not isinstance(extra, dict):
            check.error(f"{host}: kafka_extra_properties must be a mapping, got {_type_name(extra)} {_plain(extra)!r}")
        else:
            for key in sorted(set(extra) & set(KAFKA_PROTECTED_PROPERTIES)):
                check.error(f"{host}: kafka_extra_properties may not set {key}; use {KAFKA_PROTECTED_PROPERTIES[key]}")
        check.absolute_paths(host, "kafka_log_dirs", as_list=True)
    for name in ("kafka_default_replication_factor", "kafka_min_insync_replicas", "kafka_message_max_bytes"):
        check.same_everywhere(brokers, name)


def check_message_limits(check, host):
    """Orderer.AbsoluteMaxBytes < replica.fetch.max.bytes <= message.max.bytes < socket.request.max.bytes."""
    limit = 2**31 - 1
    block = check.integer(host, "fabric_orderer_absolute_max_bytes", 1, limit, DEFAULT_ORDERER_ABSOLUTE_MAX_BYTES)
    fetch = check.integer(host, "kafka_replica_fetch_max_bytes", 1, limit)
    message = check.integer(host, "kafka_message_max_bytes", 1, limit)
    request = check.integer(host, "kafka_socket_request_max_bytes", 1, limit)
    if None in (block, fetch, message, request):
        return
    if not block < fetch:
        check.error(f"{host}: kafka_replica_fetch_max_bytes {fetch} must be above the orderers' block size fabric_orderer_absolute_max_bytes {block}")
    if not fetch <= message:
        check.error(f"{host}: kafka_replica_fetch_max_bytes {fetch} must not exceed kafka_message_max_bytes {message}")
    if not message < request:
        check.error(f"{host}: kafka_message_max_bytes {message} must be below kafka_socket_request_max_bytes {request}")


# Ports each service opens on its host: (group, variable).
SERVICE_PORTS = [
    ("zookeeper", "zookeeper_client_port"),
    ("zookeeper", "zookeeper_quorum_port"),
    ("zookeeper", "zookeeper_election_port"),
    ("kafka", "kafka_port"),
    ("orderer", "orderer_port"),
    ("orderer", "orderer_operations_port"),
    ("orderer", "orderer_admin_port"),
    ("peer", "peer_port"),
    ("peer", "peer_chaincode_port"),
    ("peer", "peer_operations_port"),
    ("couchdb", "couchdb_port"),
]

# Names Fabric puts into channel configuration keys and policies.
CONFIG_KEY = re.compile(r"^[A-Za-z0-9.-]+$")
DNS_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
# Fabric's channel-name rule (configtx validation): lower case, digits, '.', '-', starting with a letter, < 250.
CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9.-]{0,248}$")


def check_ports(check):
    for host in check.group("all"):
        used = {}
        for group, name in SERVICE_PORTS:
            if host not in check.group(group) or (group == "peer" and check.settings[host].get("fabric_org") is MISSING):
                continue
            port = check.integer(host, name, 1, 65535)
            if port is None:
                continue
            if port in used:
                check.error(f"{host}: {name} {port} is already used by {used[port]} on the same host")
            else:
                used[port] = name


def _network(check):
    """The shared Fabric variables (group_vars/all), read from the first host."""
    first = check.group("all")[0]
    return {name: check.settings[first].get(name, MISSING) for name in ("fabric_orderer_org", "fabric_peer_orgs", "fabric_channels")} | {
        "fabric_system_channel": check.settings[first].get("fabric_system_channel", "system-channel"),
        "fabric_consortium": check.settings[first].get("fabric_consortium", "SampleConsortium"),
    }


def _organizations(check, network):
    """Check fabric_orderer_org and fabric_peer_orgs; return (orderer org, [peer orgs]) or None."""
    orderer_org, peer_orgs = network["fabric_orderer_org"], network["fabric_peer_orgs"]
    if not isinstance(orderer_org, dict):
        check.error(f"group all: fabric_orderer_org must be a mapping with name, msp_id and domain, got {_plain(orderer_org)!r}")
        return None
    if not isinstance(peer_orgs, list) or not peer_orgs or not all(isinstance(org, dict) for org in peer_orgs):
        check.error(f"group all: fabric_peer_orgs must be a non-empty list of mappings with name, msp_id and domain, got {_plain(peer_orgs)!r}")
        return None
    orgs = [orderer_org, *peer_orgs]
    for org in orgs:
        label = f"organization {org.get('name', '?')}"
        for key in ("name", "msp_id", "domain"):
            if not isinstance(org.get(key), str) or not org.get(key):
                check.error(f"{label}: {key} is not set (fabric_orderer_org, fabric_peer_orgs)")
        if isinstance(org.get("name"), str) and not CONFIG_KEY.match(org["name"]):
            check.error(f"{label}: the name may hold only letters, digits, '.' and '-' (it is a channel configuration key)")
        if isinstance(org.get("msp_id"), str) and not CONFIG_KEY.match(org["msp_id"]):
            check.error(f"{label}: msp_id {org['msp_id']} may hold only letters, digits, '.' and '-'")
        if isinstance(org.get("domain"), str) and not DNS_NAME.match(org["domain"]):
            check.error(f"{label}: domain {org['domain']} is not a DNS name")
    for key in ("name", "msp_id", "domain"):
        seen = set()
        for org in orgs:
            value = org.get(key)
            if value in seen:
                check.error(f"organization {key} {value} is used by more than one organization (fabric_orderer_org, fabric_peer_orgs)")
            seen.add(value)
    return orderer_org, peer_orgs


def check_fabric(check):
    """Organizations, nodes, anchor peers, gossip, channels and state databases of the Fabric network."""
    orderers, peers = check.group("orderer"), check.group("peer")
    if not orderers and not peers:
        return
    network = _network(check)
    organizations = _organizations(check, network)
    if organizations is None:
        return
    orderer_org, peer_orgs = organizations
    peer_org_names = [org["name"] for org in peer_orgs]
    if not orderers:
        check.error("group orderer: the peers need an ordering service, but group orderer is empty")
    if orderers and not check.group("kafka"):
        check.error("group kafka: Kafka ordering needs brokers for the genesis block, but group kafka is empty")
    for host in orderers + peers:
        if not DNS_NAME.match(host):
            check.error(f"{host}: the inventory name must be a DNS name (nodes reach each other by it; TLS certificates carry it)")
    for host in orderers:
        org = check.settings[host].get("fabric_org", orderer_org["name"])
        if org != orderer_org["name"]:
            check.error(f"{host}: fabric_org {org} is not the orderer organization {orderer_org['name']} (fabric_orderer_org)")
        if host in peers:
            check.error(f"{host}: is in both groups orderer and peer (a host is one Fabric node)")
        check.absolute_paths(host, "orderer_ledger_dir")
    for host in peers:
        org = check.settings[host].get("fabric_org")
        if org is MISSING:
            check.error(f"{host}: fabric_org is not set (every peer names its organization: {', '.join(peer_org_names)})")
            continue  # the peer's other settings derive from its organization
        if org not in peer_org_names:
            check.error(f"{host}: fabric_org {org} is not in fabric_peer_orgs ({', '.join(peer_org_names)})")
            continue
        check.absolute_paths(host, "peer_data_dir")
        check_gossip_bootstrap(check, host, org)
        check_state_database(check, host)
    for org in peer_orgs:
        anchors = org.get("anchor_peers", [])
        if not isinstance(anchors, list):
            check.error(f"organization {org['name']}: anchor_peers must be a list of peer hosts, got {_type_name(anchors)} {_plain(anchors)!r}")
            continue
        for anchor in anchors:
            if anchor not in peers or check.settings[anchor].get("fabric_org") != org["name"]:
                check.error(f"organization {org['name']}: anchor peer {anchor} is not a host of group peer with fabric_org {org['name']}")
    check_channels(check, network, peer_org_names)
    for host in check.group("couchdb"):
        if host not in peers:
            check.error(f"{host}: is in group couchdb but not in group peer (CouchDB runs next to the peer that uses it)")
        if not check.settings[host].get("couchdb_admin_password"):
            check.error(f"{host}: couchdb_admin_password is empty (CouchDB without an admin lets anyone change the peer's state)")


def check_gossip_bootstrap(check, host, org):
    if not check.settings[host].has("peer_gossip_bootstrap"):
        return
    bootstrap = check.settings[host].get("peer_gossip_bootstrap")
    if not isinstance(bootstrap, list):
        check.error(f"{host}: peer_gossip_bootstrap must be a list of peer hosts, got {_type_name(bootstrap)} {_plain(bootstrap)!r}")
        return
    for other in bootstrap:
        if other not in check.group("peer") or check.settings[other].get("fabric_org") != org:
            check.error(f"{host}: peer_gossip_bootstrap {other} is not a peer of the same organization {org}")


def check_state_database(check, host):
    database = check.settings[host].get("peer_state_database", "goleveldb")
    if database not in ("goleveldb", "CouchDB"):
        check.error(f"{host}: peer_state_database must be goleveldb or CouchDB, got {_plain(database)!r}")
    elif database == "CouchDB":
        for name in ("peer_couchdb_username", "peer_couchdb_password"):
            if not check.settings[host].get(name):
                check.error(f"{host}: {name} is empty but peer_state_database is CouchDB (never run CouchDB without credentials)")


def check_channels(check, network, peer_org_names):
    channels = network["fabric_channels"]
    if channels is MISSING:
        return
    if not isinstance(channels, list) or not all(isinstance(channel, dict) for channel in channels):
        check.error(f"group all: fabric_channels must be a list of mappings with name and orgs, got {_plain(channels)!r}")
        return
    consortium = network["fabric_consortium"]
    if not isinstance(consortium, str) or not CONFIG_KEY.match(consortium):
        check.error(f"group all: fabric_consortium {_plain(consortium)!r} may hold only letters, digits, '.' and '-'")
    names = [network["fabric_system_channel"]] + [channel.get("name") for channel in channels]
    for name in names:
        if not isinstance(name, str) or not CHANNEL_NAME.match(name):
            check.error(f"channel {_plain(name)!r}: a channel name is lower case letters, digits, '.' and '-', starting with a letter (at most 249)")
    for name in sorted({name for name in names if names.count(name) > 1 and isinstance(name, str)}):
        check.error(f"channel {name} is defined more than once (fabric_channels, fabric_system_channel)")
    for channel in channels:
        members = channel.get("orgs")
        if not isinstance(members, list) or not members:
            check.error(f"channel {channel.get('name')}: orgs must be a non-empty list of organizations, got {_plain(members)!r}")
            continue
        for org in members:
            if org not in peer_org_names:
                check.error(f"channel {channel.get('name')}: organization {org} is not in fabric_peer_orgs ({', '.join(peer_org_names)})")


def validate(groups, settings):
    """Return every fault of the topology, in a stable order (empty when it is valid)."""
    check = Checker(groups, settings)
    check_zookeeper(check)
    check_kafka(check)
    check_fabric(check)
    check_ports(check)
    return check.errors
