"""Filters that derive cluster wiring (ZooKeeper server list, connect strings) from the inventory."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


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


def connect_string(hosts, port, chroot=""):
    """'a:2181,b:2181' plus an optional chroot, as zookeeper.connect wants it."""
    return ",".join(f"{host}:{port}" for host in hosts) + chroot


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
            "connect_string": connect_string,
            "leader_last": leader_last,
        }
