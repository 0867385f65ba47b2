"""Filters that derive cluster wiring (ZooKeeper server list, connect strings) from the inventory."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from ansible.errors import AnsibleFilterError

# The shared facts' defaults (ports, directories, versions), stated once for every role and host.
COMMON_DEFAULTS = Path(__file__).resolve().parents[2] / "roles" / "common" / "defaults" / "main.yml"


@functools.cache
def _common_defaults():
    return yaml.safe_load(COMMON_DEFAULTS.read_text(encoding="utf-8")) or {}


def host_fact(hostvars, host, name):
    """Another host's value of a shared fact: what the inventory sets for it, else the common default.

    hostvars carry no role defaults, and `hostvars[h].x | default(x)` would fall back to the *local*
    host's value, which is wrong wherever the local host overrides x. Only plain (untemplated)
    defaults can be read this way.
    """
    if host in hostvars and name in hostvars[host]:
        return hostvars[host][name]
    defaults = _common_defaults()
    if name not in defaults:
        raise AnsibleFilterError(f"{name} is not a fact of roles/common/defaults/main.yml")
    value = defaults[name]
    if isinstance(value, str) and "{{" in value:
        raise AnsibleFilterError(f"{name}: its default is a template; read it on the host itself")
    return value


def zookeeper_servers(hosts, hostvars, id_var="zookeeper_id"):
    """Return the ensemble as [{'id': N, 'host': name}], ordered by id.

    Ids come from each host's own variable, never from its position in the group.
    """
    servers = []
    for host in hosts:
        if id_var not in hostvars[host]:
            raise AnsibleFilterError(f"{host}: {id_var} is not set")
        servers.append({"id": int(hostvars[host][id_var]), "host": host})
    return sorted(servers, key=lambda server: server["id"])


def endpoints(hosts, hostvars, port_var):
    """['host:port', ...]: each host at its own port (host_fact), never at the local host's.

    A port is a per-host fact (two services may share a machine, a host may override it).
    """
    return [f"{host}:{int(host_fact(hostvars, host, port_var))}" for host in hosts]


def connect_string(addresses, chroot=""):
    """'a:2181,b:2181' plus an optional chroot, as zookeeper.connect wants it."""
    return ",".join(addresses) + chroot


def chaincode_peers(chaincode, channels, peers, hostvars):
    """The peers that run (and endorse with) a chaincode: every peer of every organization that is
    a member of one of the chaincode's channels, in inventory order."""
    orgs = {org for channel in channels if channel["name"] in chaincode["channels"] for org in channel["orgs"]}
    return [peer for peer in peers if hostvars[peer]["fabric_org"] in orgs]


def leader_last(hosts, leader):
    """Restart order: the given hosts in inventory order, the current leader (or controller) last.

    Restarting the leader last moves leadership once instead of once per restart.
    """
    hosts = list(hosts)
    return [host for host in hosts if host != leader] + [host for host in hosts if host == leader]


class FilterModule:
    def filters(self):
        return {
            "zookeeper_servers": zookeeper_servers,
            "host_fact": host_fact,
            "endpoints": endpoints,
            "connect_string": connect_string,
            "chaincode_peers": chaincode_peers,
            "leader_last": leader_last,
        }
