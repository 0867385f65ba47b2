import pytest
import topology
from ansible.errors import AnsibleFilterError


def test_servers_ordered_by_their_own_ids_not_inventory_order():
    hostvars = {"zk-a": {"zookeeper_id": 3}, "zk-b": {"zookeeper_id": 1}, "zk-c": {"zookeeper_id": 2}}
    assert topology.zookeeper_servers(["zk-a", "zk-b", "zk-c"], hostvars) == [
        {"id": 1, "host": "zk-b"},
        {"id": 2, "host": "zk-c"},
        {"id": 3, "host": "zk-a"},
    ]


def test_missing_id_names_the_host():
    with pytest.raises(AnsibleFilterError, match="zk-b: zookeeper_id is not set"):
        topology.zookeeper_servers(["zk-a", "zk-b"], {"zk-a": {"zookeeper_id": 1}, "zk-b": {}})


def test_connect_string_with_chroot():
    assert topology.connect_string(["a", "b"], 2181, "/kafka") == "a:2181,b:2181/kafka"


def test_leader_restarts_last():
    assert topology.leader_last(["a", "b", "c"], "a") == ["b", "c", "a"]
    assert topology.leader_last(["a", "b"], "") == ["a", "b"]
    assert topology.leader_last(["b", "c"], "a") == ["b", "c"]
