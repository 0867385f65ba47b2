"""Parsing of ZooKeeper four-letter-word answers, on answers captured from a real 3.8.4 ensemble."""

from pathlib import Path

import zookeeper

FIXTURES = Path(__file__).parent / "fixtures" / "zookeeper"


def answer(name):
    return (FIXTURES / name).read_text()


def test_modes_from_real_answers():
    assert zookeeper.server_mode(answer("srvr-leader.txt")) == "leader"
    assert zookeeper.server_mode(answer("srvr-follower.txt")) == "follower"
    assert zookeeper.server_mode(answer("srvr-not-serving.txt")) is None


def test_mntr_fields():
    fields = zookeeper.parse_fields("mntr", answer("mntr-leader.txt"))
    assert fields["zk_server_state"] == "leader"
    assert fields["zk_synced_followers"] == "2"
    assert zookeeper.parse_fields("mntr", answer("mntr-follower.txt"))["zk_server_state"] == "follower"


def test_healthy_ensemble():
    state = zookeeper.ensemble_state(
        {"a:2181": answer("srvr-follower.txt"), "b:2181": answer("srvr-leader.txt"), "c:2181": answer("srvr-follower.txt")},
        answer("mntr-leader.txt"),
    )
    assert state["healthy"]
    assert state["leader"] == "b:2181"
    assert state["followers"] == ["a:2181", "c:2181"]
    assert state["synced_followers"] == 2


def test_unreachable_or_out_of_quorum_servers_are_unhealthy():
    state = zookeeper.ensemble_state(
        {"a:2181": None, "b:2181": answer("srvr-leader.txt"), "c:2181": answer("srvr-not-serving.txt")},
        answer("mntr-leader.txt"),
    )
    assert not state["healthy"]
    assert state["not_serving"] == ["a:2181", "c:2181"]


def test_followers_not_yet_synced_are_unhealthy():
    mntr = answer("mntr-leader.txt").replace("zk_synced_followers\t2", "zk_synced_followers\t1")
    state = zookeeper.ensemble_state({"a:2181": answer("srvr-follower.txt"), "b:2181": answer("srvr-leader.txt"), "c:2181": answer("srvr-follower.txt")}, mntr)
    assert not state["healthy"]
    assert state["synced_followers"] == 1


def test_no_leader_is_unhealthy():
    state = zookeeper.ensemble_state({"a:2181": answer("srvr-follower.txt"), "b:2181": answer("srvr-follower.txt")})
    assert not state["healthy"]
    assert state["leader"] is None


def test_standalone_server_is_healthy():
    standalone = answer("srvr-leader.txt").replace("Mode: leader", "Mode: standalone")
    assert zookeeper.ensemble_state({"a:2181": standalone})["healthy"]
