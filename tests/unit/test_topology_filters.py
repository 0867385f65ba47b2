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
    assert topology.connect_string(["a:2181", "b:2182"], "/kafka") == "a:2181,b:2182/kafka"


def test_endpoints_use_each_hosts_own_port_and_the_common_default_otherwise():
    # zk-b sets nothing: its port is the common role's default, not the calling host's 2281.
    hostvars = {"zk-a": {"zookeeper_client_port": 2281}, "zk-b": {}}
    assert topology.endpoints(["zk-a", "zk-b"], hostvars, "zookeeper_client_port") == ["zk-a:2281", "zk-b:2181"]


def test_host_fact_refuses_names_that_are_not_shared_facts():
    with pytest.raises(AnsibleFilterError, match="not a fact of roles/common"):
        topology.host_fact({"a": {}}, "a", "no_such_fact")


def test_leader_restarts_last():
    assert topology.leader_last(["a", "b", "c"], "a") == ["b", "c", "a"]
    assert topology.leader_last(["a", "b"], "") == ["a", "b"]
    assert topology.leader_last(["b", "c"], "a") == ["b", "c"]


def test_chaincode_peers_are_the_peers_of_the_member_organizations_of_its_channels():
    channels = [{"name": "ch1", "orgs": ["Org1", "Org2"]}, {"name": "ch2", "orgs": ["Org1"]}, {"name": "ch3", "orgs": ["Org3"]}]
    hostvars = {"p1": {"fabric_org": "Org1"}, "p2": {"fabric_org": "Org2"}, "p3": {"fabric_org": "Org3"}}
    assert topology.chaincode_peers({"channels": ["ch2"]}, channels, ["p1", "p2", "p3"], hostvars) == ["p1"]
    assert topology.chaincode_peers({"channels": ["ch1", "ch2"]}, channels, ["p1", "p2", "p3"], hostvars) == ["p1", "p2"]
