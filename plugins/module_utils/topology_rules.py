"""The rules a topology must follow before hlf-ansible touches a host.

Pure Python (no Ansible imports) so unit tests can run it directly; plugins/action/validate_topology.py
feeds it each host's effective settings (and the controller's, where the genesis block is made).
Every message names the host (or group, organization or channel), the variable and the rule.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import posixpath
import re

# Signature policies are checked with the compiler the lifecycle modules use (pure Python too).
_policy_spec = importlib.util.spec_from_file_location("hlf_fabric_policy", os.path.join(os.path.dirname(__file__), "fabric_policy.py"))
fabric_policy = importlib.util.module_from_spec(_policy_spec)
_policy_spec.loader.exec_module(fabric_policy)
# A chaincode's relative source is relative to the project directory (the one holding site.yml).
PROJECT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Roles whose defaults make up a host's effective settings ("common" first: the shared facts).
ROLES = ["common", "install_artifact", "zookeeper", "kafka", "fabric_artifacts", "orderer", "peer", "couchdb", "fabric_admin"]


class _Missing:
    """The value of a variable that neither the inventory nor a role default sets."""

    def __repr__(self):
        return "<not set>"


MISSING = _Missing()
# Where roles/fabric_artifacts makes the genesis block: its settings are the ones that count there.
CONTROLLER = "localhost"
# Fabric's default Orderer.BatchSize.AbsoluteMaxBytes (10 MiB); the inventory may set another.
DEFAULT_ORDERER_ABSOLUTE_MAX_BYTES = 10 * 1024 * 1024
ZOOKEEPER_ENSEMBLE_SIZES = (3, 5, 7)
KAFKA_MIN_BROKERS = 4
# Broker ids above reserved.broker.max.id (1000) are refused by Kafka when set by hand.
KAFKA_MAX_BROKER_ID = 1000

# server.properties keys kafka_extra_properties must not set: the role renders them from these
# variables (roles/kafka/templates/server.properties.j2), and the extra lines come last, so they win.
KAFKA_PROTECTED_PROPERTIES = {
    "broker.id": "kafka_broker_id",
    "listeners": "kafka_listen_address and kafka_port",
    "advertised.listeners": "kafka_advertised_host and kafka_port",
    "zookeeper.connect": "kafka_zookeeper_connect",
    "log.dir": "kafka_log_dirs",
    "log.dirs": "kafka_log_dirs",
    "default.replication.factor": "kafka_default_replication_factor",
    "min.insync.replicas": "kafka_min_insync_replicas",
    "unclean.leader.election.enable": "kafka_unclean_leader_election_enable",
    "log.retention.ms": "kafka_log_retention_ms",
    "log.retention.hours": "kafka_log_retention_ms",
    "log.retention.minutes": "kafka_log_retention_ms",
    "message.max.bytes": "kafka_message_max_bytes",
    "replica.fetch.max.bytes": "kafka_replica_fetch_max_bytes",
    "socket.request.max.bytes": "kafka_socket_request_max_bytes",
    "offsets.topic.replication.factor": "kafka_default_replication_factor",
    "transaction.state.log.replication.factor": "kafka_default_replication_factor",
    "transaction.state.log.min.isr": "kafka_min_insync_replicas",
    "num.network.threads": "kafka_num_network_threads",
    "num.io.threads": "kafka_num_io_threads",
}
# Keys that have no variable but would destroy or strand channel data: the only value allowed.
# Everything else (log.retention.check.interval.ms, log.segment.delete.delay.ms, log.segment.bytes,
# replica.lag.time.max.ms, ...) is tuning and may be set.
KAFKA_FIXED_PROPERTIES = {
    "log.retention.bytes": ("-1", "it must stay -1: size-based retention deletes channel data the orderers still read"),
    "log.cleanup.policy": ("delete", "it must stay delete, which never expires anything with log.retention.ms -1: compaction drops channel data"),
    "num.partitions": ("1", "Fabric orders each channel on one partition"),
    "controlled.shutdown.enable": ("true", "a broker moves its partition leadership away before it stops"),
    # Kafka's default is true; Fabric never deletes a topic, and a deleted topic is a channel lost for good.
    "delete.topic.enable": ("false", "only false, which forbids deleting a channel's topic, may be set"),
    "remote.log.storage.system.enable": ("false", "it must stay false: tiered storage moves channel data off the brokers"),
}
_KAFKA_BOOLEAN_PROPERTIES = {"controlled.shutdown.enable", "delete.topic.enable", "remote.log.storage.system.enable"}

# core.yaml settings the peer role derives from its variables (roles/peer/vars/main.yml): peer_core_extra,
# merged over them, must not replace them. (path, what to use instead or why it stays)
PEER_CORE_PROTECTED = [
    (("peer", "id"), "use the inventory name"),
    (("peer", "listenAddress"), "use peer_listen_address and peer_port"),
    (("peer", "address"), "use peer_external_host and peer_port"),
    (("peer", "chaincodeListenAddress"), "use peer_listen_address and peer_chaincode_port"),
    (("peer", "chaincodeAddress"), "use peer_external_host and peer_chaincode_port"),
    (("peer", "gossip", "bootstrap"), "use peer_gossip_bootstrap"),
    (("peer", "gossip", "externalEndpoint"), "use peer_external_host and peer_port"),
    (("peer", "gossip", "useLeaderElection"), "use peer_leader_election"),
    (("peer", "gossip", "orgLeader"), "use peer_leader_election and peer_org_leader"),
    (("peer", "tls", "enabled"), "TLS stays on: the orderers, the other peers and the admin host only speak TLS"),
    (("peer", "tls", "cert"), "the role installs the peer's own TLS material"),
    (("peer", "tls", "key"), "the role installs the peer's own TLS material"),
    (("peer", "tls", "rootcert"), "the role installs the peer's own TLS material"),
    (("peer", "fileSystemPath"), "use peer_data_dir"),
    (("peer", "mspConfigPath"), "the role installs the peer's own MSP"),
    (("peer", "localMspId"), "it is the organization's msp_id (fabric_org)"),
    (("chaincode", "externalBuilders"), "a list replaces the project's chaincode builder"),
    (("ledger", "state", "stateDatabase"), "use peer_state_database"),
    (("ledger", "state", "couchDBConfig", "couchDBAddress"), "use peer_couchdb_address"),
    (("ledger", "state", "couchDBConfig", "username"), "use peer_couchdb_username"),
    (("ledger", "state", "couchDBConfig", "password"), "use peer_couchdb_password"),
    (("ledger", "snapshots", "rootDir"), "it lives in peer_data_dir"),
    (("operations", "listenAddress"), "use peer_operations_address and peer_operations_port"),
]

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
# The systemd unit of each kind of node. The roles name it after the service (zookeeper, kafka: their
# jvm_service spec in roles/*/vars; orderer, peer: service_unit_name in their tasks; CouchDB: its
# package's unit), so one machine runs at most one node of each kind.
SERVICE_UNITS = {"zookeeper": "zookeeper", "kafka": "kafka", "orderer": "orderer", "peer": "peer", "couchdb": "couchdb"}
# Directories each kind of node owns on its machine (data, logs, configuration).
NODE_DIRECTORIES = {
    "zookeeper": ("zookeeper_data_dir", "zookeeper_data_log_dir", "zookeeper_log_dir", "zookeeper_config_dir"),
    "kafka": ("kafka_log_dirs", "kafka_log_dir", "kafka_config_dir"),
    "orderer": ("orderer_ledger_dir", "orderer_config_dir"),
    "peer": ("peer_data_dir", "peer_config_dir"),
    "couchdb": ("couchdb_data_dir", "couchdb_home"),
    "fabric_admin": ("fabric_admin_dir",),
}
NODE_KINDS = ("zookeeper", "kafka", "orderer", "peer", "couchdb", "fabric_admin")

# Names Fabric puts into channel configuration keys and policies (matched whole: re.fullmatch, so a
# trailing line break does not pass as '$' would let it).
CONFIG_KEY = re.compile(r"[A-Za-z0-9.-]+")
DNS_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
# Fabric's channel-name rule (configtx validation): lower case, digits, '.', '-', starting with a letter, < 250.
CHANNEL_NAME = re.compile(r"[a-z][a-z0-9.-]{0,248}")
# Fabric's chaincode name and version rules (core/chaincode/lifecycle), whole texts.
CHAINCODE_NAME = re.compile(r"[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*")
CHAINCODE_VERSION = re.compile(r"[A-Za-z0-9_.+-]+")
CHAINCODE_FIELDS = ("name", "version", "channels", "source", "port", "endorsement_policy", "init_required")


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


def _matches(pattern, value):
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _host_port(text):
    """(host, port) of 'host:port' or '[v6]:port', else None."""
    if not isinstance(text, str):
        return None
    host, separator, port = text.strip().rpartition(":")
    if not separator or not host or not port.isdigit():
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def is_wildcard(address):
    """Whether a listen address means every interface (0.0.0.0, ::, '', *, any)."""
    if not isinstance(address, str):
        return False
    address = address.strip().strip("[]").lower()
    if address in ("", "*", "any", "0"):
        return True
    try:
        return ipaddress.ip_address(address).is_unspecified
    except ValueError:
        return False


def is_loopback(address):
    if not isinstance(address, str):
        return False
    address = address.strip().strip("[]").lower()
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def path_relation(path, other):
    """'is also', 'is inside' or 'contains' when two normalized absolute paths overlap, else None."""
    if path == other:
        return "is also"
    if other == "/" or path.startswith(other + "/"):
        return "is inside"
    if path == "/" or other.startswith(path + "/"):
        return "contains"
    return None


def java_property(line):
    """(key, value) of one line of a .properties file as java.util.Properties.load reads it (what
    Kafka does with server.properties), or None for a blank or comment line.

    Leading whitespace is skipped; the key ends at the first unescaped '=', ':' or whitespace; the
    separator may have whitespace around it; escapes (\\uXXXX, \\t, \\n, \\r, \\f, any other
    \\c = c) are resolved in both. Raises ValueError for a malformed \\u escape (Kafka would not start).
    """
    whitespace = " \t\f"
    line = line.lstrip(whitespace)
    if not line or line[0] in "#!":
        return None
    key_end, value_start, separator, backslash = len(line), len(line), False, False
    for index, char in enumerate(line):
        if char in "=:" and not backslash:
            key_end, value_start, separator = index, index + 1, True
            break
        if char in whitespace and not backslash:
            key_end, value_start = index, index + 1
            break
        backslash = char == "\\" and not backslash
    while value_start < len(line):
        char = line[value_start]
        if char not in whitespace:
            if separator or char not in "=:":
                break
            separator = True
        value_start += 1
    return _unescape(line[:key_end]), _unescape(line[value_start:])


def _unescape(text):
    out, index = [], 0
    while index < len(text):
        char = text[index]
        index += 1
        if char != "\\" or index == len(text):
            out.append(char)
            continue
        char = text[index]
        index += 1
        if char == "u":
            digits = text[index : index + 4]
            if len(digits) != 4 or any(digit not in "0123456789abcdefABCDEF" for digit in digits):
                raise ValueError("malformed \\uxxxx escape")
            out.append(chr(int(digits, 16)))
            index += 4
        else:
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(char, char))
    return "".join(out)


class Checker:
    def __init__(self, groups, settings, controller=None):
        self.groups = groups
        self.settings = settings
        self.errors = []
        # The controller's settings (the genesis block's values), else the first host's.
        self.controller = controller if controller in settings else (self.group("all") or [None])[0]

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
        if value is MISSING:
            self.error(f"{host}: {name} is not set (true or false)")
            return None
        if not isinstance(value, bool):
            self.error(f"{host}: {name} must be true or false, got {_type_name(value)} {_plain(value)!r}")
            return None
        return value

    def absolute_paths(self, host, name, as_list=False):
        value = self.settings[host].get(name)
        if value is MISSING:
            self.error(f"{host}: {name} is not set (an absolute path{'s' if as_list else ''})")
            return
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

    def same_everywhere(self, hosts, name, why=""):
        """A cluster-wide setting must agree on every member: return it (from the first host)."""
        if not hosts:
            return None
        values = {host: self.settings[host].get(name) for host in hosts}
        first = hosts[0]
        for host in hosts[1:]:
            if values[host] is MISSING or values[first] is MISSING:
                continue  # reported where the value is read
            if values[host] != values[first]:
                self.error(
                    f"{host}: {name} {_plain(values[host])!r} differs from {first}'s {_plain(values[first])!r} (it must be the same on every member{why})"
                )
        return values[first]

    def address(self, host):
        """How the controller reaches the host: its ansible_host, else its inventory name (lower case)."""
        address = self.settings[host].get("ansible_host", host)
        return str(_plain(address)).strip().lower() if address is not MISSING else host.lower()

    def machine(self, host):
        """The machine a host is on: its address, with its ansible_port when the inventory sets one
        (one address with several SSH ports is port forwarding to several machines); the controller
        for a local connection."""
        settings = self.settings[host]
        if settings.get("ansible_connection", None) in ("local", "ansible.builtin.local"):
            return "localhost"
        port = settings.get("ansible_port") if settings.has("ansible_port") else MISSING
        return self.address(host) if port is MISSING else f"{self.address(host)}:{_plain(port)}"

    def fabric_node(self, host, kind):
        """Whether the host's node of this kind has settings that can be read (a peer needs its fabric_org)."""
        return kind != "peer" or self.settings[host].get("fabric_org") is not MISSING


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
    # zoo.cfg's server.N lines carry the quorum and election ports of the host that renders it, for
    # every server: they must be one value across the ensemble (ZooKeeper needs an identical server list).
    why = ": each server's zoo.cfg names every server with its own quorum and election ports"
    for name in ("zookeeper_quorum_port", "zookeeper_election_port"):
        check.same_everywhere(members, name, why)


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
        check_kafka_extra_properties(check, host)
        check.absolute_paths(host, "kafka_log_dirs", as_list=True)
        check_log_dirs_apart(check, host)
    for name in ("kafka_default_replication_factor", "kafka_min_insync_replicas", "kafka_message_max_bytes"):
        check.same_everywhere(brokers, name)
    check_zookeeper_connect(check)


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


def _property_label(key):
    return key if re.fullmatch(r"[\w.-]+", key) else repr(key)


def check_kafka_extra_properties(check, host):
    """Each entry becomes the line `key=value` at the end of server.properties (later lines win): read it
    the way Kafka's java.util.Properties does before comparing the key."""
    extra = check.settings[host].get("kafka_extra_properties", {})
    if extra is MISSING:
        return
    if not isinstance(extra, dict):
        check.error(f"{host}: kafka_extra_properties must be a mapping, got {_type_name(extra)} {_plain(extra)!r}")
        return
    for written in sorted(extra, key=str):
        key_text, value_text = str(_plain(written)), str(_plain(extra[written]))
        label = _property_label(key_text)
        if any(char in key_text + value_text for char in "\r\n"):
            check.error(f"{host}: kafka_extra_properties {label}: keys and values may not hold a line break (each entry is one line of server.properties)")
            continue
        line = f"{key_text}={value_text}"
        if (len(line) - len(line.rstrip("\\"))) % 2:
            check.error(f"{host}: kafka_extra_properties {label}: the line may not end with a backslash (it would swallow the next line of server.properties)")
            continue
        try:
            parsed = java_property(line)
        except ValueError:
            check.error(f"{host}: kafka_extra_properties {label}: malformed \\uxxxx escape (Kafka would not start)")
            continue
        if parsed is None or not parsed[0]:
            check.error(f"{host}: kafka_extra_properties {label}: Kafka reads this line as a comment or without a key, so it sets nothing")
            continue
        key, value = parsed
        spelled = "" if key == key_text else f" (written {key_text!r})"
        if key in KAFKA_PROTECTED_PROPERTIES:
            check.error(f"{host}: kafka_extra_properties may not set {key}{spelled}; use {KAFKA_PROTECTED_PROPERTIES[key]}")
        elif key in KAFKA_FIXED_PROPERTIES:
            allowed, reason = KAFKA_FIXED_PROPERTIES[key]
            effective = value.strip().lower() if key in _KAFKA_BOOLEAN_PROPERTIES else value.strip()
            if key == "log.cleanup.policy":
                effective = ",".join(sorted({part.strip() for part in value.split(",") if part.strip()}))
            if effective != allowed:
                check.error(f"{host}: kafka_extra_properties may not set {key}{spelled} to {value.strip()} ({reason})")


def check_log_dirs_apart(check, host):
    paths = check.settings[host].get("kafka_log_dirs")
    if not isinstance(paths, list):
        return
    paths = [posixpath.normpath(path) for path in paths if isinstance(path, str) and posixpath.isabs(path)]
    for index, path in enumerate(paths):
        for other in paths[:index]:
            relation = path_relation(path, other)
            if relation:
                check.error(f"{host}: kafka_log_dirs {path} {relation} {other} (each log directory is a separate store)")


def _zookeeper_servers(check):
    """{name or address (lower case): (server, client port or None)} of group zookeeper."""
    servers = {}
    for server in check.group("zookeeper"):
        port = check.settings[server].get("zookeeper_client_port")
        port = port if isinstance(port, int) and not isinstance(port, bool) else None
        servers.setdefault(check.address(server), (server, port))
        servers[server.lower()] = (server, port)
    return servers


def check_zookeeper_connect(check):
    """zookeeper.connect of every broker names the ensemble's servers at their own client ports, and one chroot."""
    brokers, members = check.group("kafka"), check.group("zookeeper")
    if not brokers or not members:
        return
    servers = _zookeeper_servers(check)
    chroots = {}
    for host in brokers:
        connect = check.settings[host].get("kafka_zookeeper_connect")
        if connect is MISSING:
            continue
        if not isinstance(connect, str) or not connect.strip().partition("/")[0].strip():
            check.error(f"{host}: kafka_zookeeper_connect names no ZooKeeper server, got {_plain(connect)!r}")
            continue
        addresses, slash, path = connect.strip().partition("/")
        named, wrong = [], False
        for entry in (part.strip() for part in addresses.split(",")):
            address = _host_port(entry)
            if address is None:
                check.error(f"{host}: kafka_zookeeper_connect names {entry!r}, which is not host:port")
                wrong = True
                continue
            server = servers.get(address[0].lower())
            if server is None:
                check.error(f"{host}: kafka_zookeeper_connect names {entry}, which is not a server of group zookeeper")
                wrong = True
                continue
            named.append(server[0])
            if server[1] is not None and address[1] != server[1]:
                check.error(f"{host}: kafka_zookeeper_connect names {entry}, but {server[0]}'s zookeeper_client_port is {server[1]}")
        left_out = [member for member in members if member not in named]
        if left_out and not wrong:
            check.error(
                f"{host}: kafka_zookeeper_connect leaves out {', '.join(left_out)} (name every server of the ensemble, "
                "or the broker loses ZooKeeper when the servers it names are down)"
            )
        chroot = slash + path
        if chroot and (chroot.endswith("/") or "//" in chroot):
            check.error(f"{host}: kafka_zookeeper_connect's chroot {chroot} is not a ZooKeeper path (no empty segment, no trailing '/')")
        expected = check.settings[host].get("kafka_zookeeper_chroot", MISSING)
        if expected is not MISSING and (expected or "") != chroot:
            check.error(
                f"{host}: kafka_zookeeper_connect's chroot {chroot!r} is not kafka_zookeeper_chroot {_plain(expected)!r} "
                "(the health gates and the status read the brokers' znodes there)"
            )
        chroots[host] = chroot
    first = next(iter(chroots), None)
    for host, chroot in chroots.items():
        if chroot != chroots[first]:
            check.error(f"{host}: kafka_zookeeper_connect's chroot {chroot!r} differs from {first}'s {chroots[first]!r} (one cluster, one chroot)")


def check_orderer_kafka(check):
    """The orderers' Kafka.Topic.ReplicationFactor, block size and genesis broker list agree with the brokers."""
    orderers, brokers = check.group("orderer"), check.group("kafka")
    if not orderers:
        return
    replicas = check.settings[brokers[0]].get("kafka_default_replication_factor") if brokers else MISSING
    if isinstance(replicas, int) and not isinstance(replicas, bool):
        for host in orderers:
            value = check.integer(host, "orderer_kafka_replication_factor", 1, KAFKA_MAX_BROKER_ID + 1)
            if value is not None and value != replicas:
                check.error(
                    f"{host}: orderer_kafka_replication_factor {value} differs from the brokers' kafka_default_replication_factor {replicas} "
                    "(Fabric requires the channels' topics to be replicated like the brokers' default)"
                )
    check_block_size(check)
    if brokers:
        check_genesis_brokers(check)


def check_block_size(check):
    """fabric_orderer_absolute_max_bytes goes into the genesis block on the controller; every host that
    reads it (the brokers' limits are checked against it) must see the same value."""
    name, controller = "fabric_orderer_absolute_max_bytes", check.controller
    genesis = check.settings[controller].get(name, DEFAULT_ORDERER_ABSOLUTE_MAX_BYTES)
    if controller not in check.group("all"):
        genesis = check.integer(controller, name, 1, 2**31 - 1, DEFAULT_ORDERER_ABSOLUTE_MAX_BYTES)
    if genesis is None:
        return
    owner = "the controller's" if controller not in check.group("all") else f"{controller}'s"
    for host in check.group("all"):
        value = check.settings[host].get(name, DEFAULT_ORDERER_ABSOLUTE_MAX_BYTES)
        if host != controller and value != genesis:
            check.error(
                f"{host}: {name} {_plain(value)!r} differs from {owner} {_plain(genesis)!r} "
                "(the genesis block is made on the controller with its value; set it once for all hosts, in group_vars/all)"
            )


def check_genesis_brokers(check):
    """The genesis block's Kafka.Brokers: not empty, only brokers of group kafka at their own kafka_port."""
    controller = check.controller
    listed = check.settings[controller].get("fabric_artifacts_kafka_brokers")
    if listed is MISSING:
        return
    if not isinstance(listed, list) or not listed:
        group = check.settings[controller].get("fabric_artifacts_kafka_group", "kafka")
        check.error(
            f"group all: fabric_artifacts_kafka_brokers (the genesis block's Kafka.Brokers) is empty or not a list, got {_plain(listed)!r}: "
            f"the orderers would know no broker (fabric_artifacts_kafka_group is {_plain(group)!r}; the brokers are group kafka)"
        )
        return
    brokers = {}
    for broker in check.group("kafka"):
        for name in (broker, check.address(broker), check.settings[broker].get("kafka_advertised_host", broker)):
            if isinstance(name, str):
                brokers.setdefault(name.lower(), broker)
    for entry in listed:
        address = _host_port(entry)
        if address is None:
            check.error(f"group all: fabric_artifacts_kafka_brokers names {_plain(entry)!r}, which is not host:port")
            continue
        broker = brokers.get(address[0].lower())
        if broker is None:
            check.error(f"group all: fabric_artifacts_kafka_brokers names {entry}, which is not a broker of group kafka")
            continue
        port = check.settings[broker].get("kafka_port")
        if isinstance(port, int) and address[1] != port:
            check.error(f"group all: fabric_artifacts_kafka_brokers names {entry}, but {broker}'s kafka_port is {port}")


def _collect_ports(check):
    """{host: [(variable, port)]} of every service each host runs (invalid ports reported)."""
    ports = {}
    for host in check.group("all"):
        ports[host] = []
        for group, name in SERVICE_PORTS:
            if host not in check.group(group) or not check.fabric_node(host, group):
                continue
            port = check.integer(host, name, 1, 65535)
            if port is not None:
                ports[host].append((name, port))
        if host in check.group("peer") and check.fabric_node(host, "peer"):
            for chaincode in _chaincodes_of(check, host):
                # Two server slots: an upgrade's new server starts on the next port (roles/chaincode).
                ports[host].append((f"the port of chaincode {chaincode['name']}", chaincode["port"]))
                ports[host].append((f"the upgrade port of chaincode {chaincode['name']} (its port + 1)", chaincode["port"] + 1))
    return ports


def _chaincodes_of(check, peer):
    """The valid chaincodes (name and integer port) whose channels the peer's organization is a member of."""
    network = _network(check)
    chaincodes, channels = network["fabric_chaincodes"], network["fabric_channels"]
    if not isinstance(chaincodes, list) or not isinstance(channels, list):
        return []
    org = check.settings[peer].get("fabric_org")
    orgs_of = {channel.get("name"): channel.get("orgs") or [] for channel in channels if isinstance(channel, dict)}
    return [
        chaincode
        for chaincode in chaincodes
        if isinstance(chaincode, dict)
        and isinstance(chaincode.get("port"), int)
        and not isinstance(chaincode.get("port"), bool)
        and isinstance(chaincode.get("channels"), list)
        and any(org in orgs_of.get(channel, []) for channel in chaincode["channels"] if isinstance(channel, str))
    ]


def _node_directories(check, host, kind):
    """[(variable, normalized absolute path)] of one node."""
    found = []
    for name in NODE_DIRECTORIES[kind]:
        value = check.settings[host].get(name)
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, str) and posixpath.isabs(path):
                found.append((name, posixpath.normpath(path)))
    return found


def check_machines(check):
    """Nodes on one machine (same address, or one inventory host in several groups) share its
    ports, systemd unit names and directories: none may be used twice, no directory may hold another's."""
    machines = {}
    for host in check.group("all"):
        machines.setdefault(check.machine(host), []).append(host)
    ports = _collect_ports(check)
    for machine, hosts in machines.items():
        where = {host: f"on the same machine {machine}" for host in hosts}
        used = {}
        for host in hosts:
            for name, port in ports[host]:
                if port not in used:
                    used[port] = (host, name)
                elif used[port][0] == host:
                    check.error(f"{host}: {name} {port} is already used by {used[port][1]} on the same host")
                else:
                    check.error(f"{host}: {name} {port} is already used by {used[port][0]}'s {used[port][1]} {where[host]}")
        units = {}
        for host in hosts:
            for kind, unit in SERVICE_UNITS.items():
                if host not in check.group(kind):
                    continue
                if unit in units:
                    check.error(
                        f"{host}: the systemd unit {unit}.service is already used by {units[unit]} {where[host]} "
                        f"(the roles name the unit after the service: one machine runs at most one {kind} node)"
                    )
                else:
                    units[unit] = host
        nodes = [(host, kind) for host in hosts for kind in NODE_KINDS if host in check.group(kind) and check.fabric_node(host, kind)]
        seen = []
        for host, kind in nodes:
            directories = _node_directories(check, host, kind)
            for name, path in directories:
                for other_host, other_kind, other_name, other_path in seen:
                    relation = path_relation(path, other_path)
                    if relation is None or (other_host, other_kind) == (host, kind):
                        continue
                    place = "on the same host" if other_host == host else where[host]
                    detail = "" if relation == "is also" else f" {other_path}"
                    check.error(f"{host}: {name} {path} {relation} {other_host}'s {other_name}{detail} {place}")
            seen.extend((host, kind, name, path) for name, path in directories)


def _network(check):
    """The shared Fabric variables (group_vars/all), read from the first host."""
    first = check.group("all")[0]
    return {name: check.settings[first].get(name, MISSING) for name in ("fabric_orderer_org", "fabric_peer_orgs", "fabric_channels")} | {
        "fabric_chaincodes": check.settings[first].get("fabric_chaincodes", []),
        "fabric_system_channel": check.settings[first].get("fabric_system_channel", "system-channel"),
        "fabric_consortium": check.settings[first].get("fabric_consortium", "SampleConsortium"),
    }


def _organizations(check, network):
    """Check fabric_orderer_org and fabric_peer_orgs; return (orderer org, [peer orgs]) or None."""
    orderer_org, peer_orgs = network["fabric_orderer_org"], network["fabric_peer_orgs"]
    if orderer_org is MISSING:
        check.error("group all: fabric_orderer_org is not set (a mapping with name, msp_id and domain)")
        return None
    if not isinstance(orderer_org, dict):
        check.error(f"group all: fabric_orderer_org must be a mapping with name, msp_id and domain, got {_plain(orderer_org)!r}")
        return None
    if peer_orgs is MISSING:
        check.error("group all: fabric_peer_orgs is not set (a non-empty list of mappings with name, msp_id and domain)")
        return None
    if not isinstance(peer_orgs, list) or not peer_orgs or not all(isinstance(org, dict) for org in peer_orgs):
        check.error(f"group all: fabric_peer_orgs must be a non-empty list of mappings with name, msp_id and domain, got {_plain(peer_orgs)!r}")
        return None
    orgs = [orderer_org, *peer_orgs]
    for org in orgs:
        name = org.get("name", "?")
        label = f"organization {name if _matches(CONFIG_KEY, name) else repr(_plain(name))}"
        for key in ("name", "msp_id", "domain"):
            if not isinstance(org.get(key), str) or not org.get(key):
                check.error(f"{label}: {key} is not set (fabric_orderer_org, fabric_peer_orgs)")
        if isinstance(org.get("name"), str) and not _matches(CONFIG_KEY, org["name"]):
            check.error(f"{label}: the name may hold only letters, digits, '.' and '-' (it is a channel configuration key)")
        if isinstance(org.get("msp_id"), str) and not _matches(CONFIG_KEY, org["msp_id"]):
            check.error(f"{label}: msp_id {_plain(org['msp_id'])!r} may hold only letters, digits, '.' and '-'")
        if isinstance(org.get("domain"), str) and not _matches(DNS_NAME, org["domain"]):
            check.error(f"{label}: domain {_plain(org['domain'])!r} is not a DNS name")
    for key in ("name", "msp_id", "domain"):
        seen = set()
        for org in orgs:
            value = org.get(key)
            if isinstance(value, str) and value in seen:
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
        if not _matches(DNS_NAME, host):
            check.error(f"{host}: the inventory name must be a DNS name (nodes reach each other by it; TLS certificates carry it)")
    for host in orderers:
        org = check.settings[host].get("fabric_org", orderer_org["name"])
        if org != orderer_org["name"]:
            check.error(f"{host}: fabric_org {_plain(org)} is not the orderer organization {orderer_org['name']} (fabric_orderer_org)")
        if host in peers:
            check.error(f"{host}: is in both groups orderer and peer (a host is one Fabric node)")
        check.absolute_paths(host, "orderer_ledger_dir")
        check_local_listener(check, host, "orderer_operations_address", "the operations service is plain HTTP without authentication")
    valid_peers = []
    for host in peers:
        org = check.settings[host].get("fabric_org")
        if org is MISSING:
            check.error(f"{host}: fabric_org is not set (every peer names its organization: {', '.join(peer_org_names)})")
            continue  # the peer's other settings derive from its organization
        if org not in peer_org_names:
            check.error(f"{host}: fabric_org {_plain(org)} is not in fabric_peer_orgs ({', '.join(peer_org_names)})")
            continue
        valid_peers.append(host)
        check.absolute_paths(host, "peer_data_dir")
        check_gossip_bootstrap(check, host, org)
        check_state_database(check, host)
        check_peer_core_extra(check, host)
        check_local_listener(check, host, "peer_operations_address", "the operations service is plain HTTP without authentication")
    check_peer_endpoints(check, valid_peers, {org["name"]: org for org in peer_orgs})
    for org in peer_orgs:
        anchors = org.get("anchor_peers", [])
        if not isinstance(anchors, list):
            check.error(f"organization {org['name']}: anchor_peers must be a list of peer hosts, got {_type_name(anchors)} {_plain(anchors)!r}")
            continue
        for anchor in anchors:
            if anchor not in peers or check.settings[anchor].get("fabric_org") != org["name"]:
                check.error(f"organization {org['name']}: anchor peer {_plain(anchor)} is not a host of group peer with fabric_org {org['name']}")
    check_channels(check, network, peer_org_names)
    check_chaincodes(check, network, peer_orgs)
    check_admin_host(check, network)
    for host in check.group("couchdb"):
        if host not in peers:
            check.error(f"{host}: is in group couchdb but not in group peer (CouchDB runs next to the peer that uses it)")
        elif check.settings[host].get("peer_state_database", "goleveldb") != "CouchDB":
            check.error(f"{host}: is in group couchdb but its peer_state_database is not CouchDB (CouchDB would run unused)")
        if not check.settings[host].get("couchdb_admin_password"):
            check.error(f"{host}: couchdb_admin_password is empty (CouchDB without an admin lets anyone change the peer's state)")
        check_local_listener(check, host, "couchdb_bind_address", "CouchDB speaks plain HTTP and takes its admin login there")


def check_local_listener(check, host, name, why):
    address = check.settings[host].get(name)
    if is_wildcard(address):
        check.error(f"{host}: {name} {_plain(address)} listens on every interface ({why}); bind it to 127.0.0.1, or to the one address it must serve")


def check_gossip_bootstrap(check, host, org):
    if not check.settings[host].has("peer_gossip_bootstrap"):
        return
    bootstrap = check.settings[host].get("peer_gossip_bootstrap")
    if not isinstance(bootstrap, list):
        check.error(f"{host}: peer_gossip_bootstrap must be a list of peer hosts, got {_type_name(bootstrap)} {_plain(bootstrap)!r}")
        return
    for other in bootstrap:
        if other not in check.group("peer") or check.settings[other].get("fabric_org") != org:
            check.error(f"{host}: peer_gossip_bootstrap {_plain(other)} is not a peer of the same organization {org}")


def check_state_database(check, host):
    settings = check.settings[host]
    database = settings.get("peer_state_database", "goleveldb")
    if database not in ("goleveldb", "CouchDB"):
        check.error(f"{host}: peer_state_database must be goleveldb or CouchDB, got {_plain(database)!r}")
        return
    if database != "CouchDB":
        return
    for name in ("peer_couchdb_username", "peer_couchdb_password"):
        if not settings.get(name, ""):
            check.error(f"{host}: {name} is empty but peer_state_database is CouchDB (never run CouchDB without credentials)")
    if host not in check.group("couchdb"):
        check.error(
            f"{host}: peer_state_database is CouchDB but {host} is not in group couchdb "
            f"(nothing would install CouchDB on it, and the peer would dial {_plain(settings.get('peer_couchdb_address', '?'))}); add it to group couchdb"
        )
        return
    user, admin = settings.get("peer_couchdb_username", ""), settings.get("couchdb_admin_user", MISSING)
    if user and admin is not MISSING and user != admin:
        check.error(
            f"{host}: peer_couchdb_username {_plain(user)} differs from couchdb_admin_user {_plain(admin)} (the peer logs in to its CouchDB as that user)"
        )
    password, admin_password = settings.get("peer_couchdb_password", ""), settings.get("couchdb_admin_password", MISSING)
    if password and admin_password and admin_password is not MISSING and password != admin_password:
        check.error(f"{host}: peer_couchdb_password differs from couchdb_admin_password (the peer logs in to its CouchDB with it)")
    address, bind, port = settings.get("peer_couchdb_address", MISSING), settings.get("couchdb_bind_address", MISSING), settings.get("couchdb_port", MISSING)
    if MISSING in (address, bind, port):
        return
    dialed = _host_port(address)
    if dialed is None:
        check.error(f"{host}: peer_couchdb_address must be host:port, got {_plain(address)!r}")
        return
    reached = is_wildcard(bind) or (is_loopback(bind) and is_loopback(dialed[0])) or str(bind).lower() == dialed[0].lower()
    if not reached or dialed[1] != port:
        check.error(f"{host}: peer_couchdb_address {address} does not reach its CouchDB, which listens on {bind}:{port} (couchdb_bind_address, couchdb_port)")


def check_peer_core_extra(check, host):
    extra = check.settings[host].get("peer_core_extra", {})
    if extra is MISSING:
        return
    if not isinstance(extra, dict):
        check.error(f"{host}: peer_core_extra must be a mapping (merged over core.yaml), got {_type_name(extra)} {_plain(extra)!r}")
        return
    for path, why in PEER_CORE_PROTECTED:
        node, hit = extra, False
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
            # A non-mapping above the setting replaces the whole section (recursive combine).
            if depth == len(path) - 1 or not isinstance(node, dict):
                hit = True
                break
        if hit:
            separator = "; " if why.startswith("use ") else " ("
            check.error(f"{host}: peer_core_extra may not set {'.'.join(path)}{separator}{why}{'' if separator == '; ' else ')'}")


def check_peer_endpoints(check, peers, orgs):
    """Each peer advertises its own endpoint (peer.address, gossip.externalEndpoint), carried by its TLS certificate."""
    advertised = {}
    for host in peers:
        settings = check.settings[host]
        external, port = settings.get("peer_external_host", host), settings.get("peer_port")
        if not isinstance(external, str) or not isinstance(port, int):
            continue
        endpoint = f"{external}:{port}".lower()
        if endpoint in advertised:
            check.error(
                f"{host}: advertises {external}:{port} (peer_external_host, peer_port), which {advertised[endpoint]} advertises too "
                "(gossip and clients would reach the wrong peer)"
            )
        else:
            advertised[endpoint] = host
        domain = orgs[settings.get("fabric_org")].get("domain", "")
        sans = settings.get("fabric_tls_sans", [])
        names = {host.lower(), f"{host}.{domain}".lower()} | {str(_plain(name)).lower() for name in (sans if isinstance(sans, list) else [])}
        if external.lower() not in names:
            check.error(
                f"{host}: peer_external_host {external} is not a name in its TLS certificate (the inventory name, {host}.{domain}, fabric_tls_sans): "
                "other peers and clients would refuse its TLS handshake"
            )


def check_channels(check, network, peer_org_names):
    channels = network["fabric_channels"]
    if channels is MISSING:
        return
    if not isinstance(channels, list) or not all(isinstance(channel, dict) for channel in channels):
        check.error(f"group all: fabric_channels must be a list of mappings with name and orgs, got {_plain(channels)!r}")
        return
    consortium = network["fabric_consortium"]
    if not _matches(CONFIG_KEY, consortium):
        check.error(f"group all: fabric_consortium {_plain(consortium)!r} may hold only letters, digits, '.' and '-'")
    names = [network["fabric_system_channel"]] + [channel.get("name") for channel in channels]
    for name in names:
        if not _matches(CHANNEL_NAME, name):
            check.error(f"channel {_plain(name)!r}: a channel name is lower case letters, digits, '.' and '-', starting with a letter (at most 249)")
    for name in sorted({name for name in names if isinstance(name, str) and names.count(name) > 1}):
        check.error(f"channel {name} is defined more than once (fabric_channels, fabric_system_channel)")
    for channel in channels:
        members = channel.get("orgs")
        if not isinstance(members, list) or not members:
            check.error(f"channel {_plain(channel.get('name'))}: orgs must be a non-empty list of organizations, got {_plain(members)!r}")
            continue
        for org in members:
            if org not in peer_org_names:
                check.error(f"channel {_plain(channel.get('name'))}: organization {_plain(org)} is not in fabric_peer_orgs ({', '.join(peer_org_names)})")


def check_chaincodes(check, network, peer_orgs):
    """fabric_chaincodes: names, versions, channels, sources, ports and endorsement policies."""
    chaincodes = network["fabric_chaincodes"]
    if not isinstance(chaincodes, list) or not all(isinstance(chaincode, dict) for chaincode in chaincodes):
        check.error(f"group all: fabric_chaincodes must be a list of mappings ({', '.join(CHAINCODE_FIELDS)}), got {_plain(chaincodes)!r}")
        return
    channels = network["fabric_channels"] if isinstance(network["fabric_channels"], list) else []
    members = {channel.get("name"): channel.get("orgs") or [] for channel in channels if isinstance(channel, dict)}
    msp_ids = {org["name"]: org["msp_id"] for org in peer_orgs}
    names = [chaincode.get("name") for chaincode in chaincodes]
    for index, chaincode in enumerate(chaincodes):
        name = chaincode.get("name")
        label = f"chaincode {name}" if isinstance(name, str) and name else f"fabric_chaincodes[{index}]"
        for field in sorted(set(chaincode) - set(CHAINCODE_FIELDS)):
            check.error(f"{label}: unknown field {_plain(field)} (fields: {', '.join(CHAINCODE_FIELDS)})")
        if not _matches(CHAINCODE_NAME, name):
            check.error(f"{label}: name {_plain(name)!r} is not a chaincode name (letters and digits, joined by single '-' or '_')")
        elif names.count(name) > 1 and names.index(name) == index:
            check.error(f"{label}: is defined more than once in fabric_chaincodes")
        version = chaincode.get("version", MISSING)
        if version is MISSING:
            check.error(f"{label}: version is not set")
        elif not _matches(CHAINCODE_VERSION, version):
            check.error(f"{label}: version {_plain(version)!r} must be text of letters, digits and '_.+-' (write it in quotes, e.g. \"1.0\")")
        chaincode_channels = chaincode.get("channels", MISSING)
        if not isinstance(chaincode_channels, list) or not chaincode_channels:
            check.error(f"{label}: channels must be a non-empty list of channels of fabric_channels, got {_plain(chaincode_channels)!r}")
            chaincode_channels = []
        for channel in chaincode_channels:
            if channel not in members:
                known = ", ".join(str(known) for known in members) or "none"
                check.error(f"{label}: channel {_plain(channel)} is not in fabric_channels ({known})")
        source = chaincode.get("source", MISSING)
        if source is MISSING:
            check.error(f"{label}: source is not set (the chaincode's directory on the controller)")
        elif not isinstance(source, str) or not source:
            check.error(f"{label}: source must be a directory, got {_plain(source)!r}")
        else:
            directory = source if os.path.isabs(source) else os.path.join(PROJECT_DIR, source)
            if not os.path.isfile(os.path.join(directory, "package.json")):
                check.error(f"{label}: source {source} has no package.json on the controller (looked in {os.path.normpath(directory)})")
        port = chaincode.get("port", MISSING)
        if port is MISSING:
            check.error(f"{label}: port is not set (its server listens there on each member peer's host)")
        elif isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65534:
            check.error(f"{label}: port must be an integer in 1..65534 (an upgrade uses the next one too), got {_type_name(port)} {_plain(port)!r}")
        if "init_required" in chaincode and not isinstance(chaincode["init_required"], bool):
            check.error(f"{label}: init_required must be true or false, got {_type_name(chaincode['init_required'])} {_plain(chaincode['init_required'])!r}")
        policy = chaincode.get("endorsement_policy", MISSING)
        if policy is MISSING:
            continue
        try:
            principals = fabric_policy.signature_policy_principals(policy)
        except ValueError as exc:
            check.error(f"{label}: endorsement_policy {_plain(policy)!r} is not a signature policy: {exc}")
            continue
        for channel in chaincode_channels:
            channel_msps = {msp_ids[org] for org in members.get(channel, []) if org in msp_ids}
            for msp_id in sorted({msp for msp, _ in principals} - channel_msps):
                check.error(f"{label}: endorsement_policy names {msp_id}, which is not a member of channel {channel} ({', '.join(sorted(channel_msps))})")


def check_admin_host(check, network):
    """The channels are created, joined and given anchor peers from the first host of group fabric_admin."""
    if check.group("fabric_admin"):
        return
    channels = network["fabric_channels"]
    has = [what for what, present in (("peers", check.group("peer")), ("channels", isinstance(channels, list) and channels)) if present]
    if has:
        check.error(
            f"group fabric_admin: is empty, but the inventory has {' and '.join(has)}"
            f"{' (fabric_channels)' if 'channels' in has else ''}: nothing would create a channel or join a peer; add the admin host"
        )


def validate(groups, settings, controller=CONTROLLER):
    """Return every fault of the topology, in a stable order (empty when it is valid).

    settings holds each host of groups['all'] and, under the name `controller`, the controller's own
    settings (where the genesis block is made); without them the first host stands in for it.
    """
    check = Checker(groups, settings, controller)
    if not check.group("all"):
        return check.errors
    check_zookeeper(check)
    check_kafka(check)
    check_fabric(check)
    check_orderer_kafka(check)
    check_machines(check)
    return check.errors
