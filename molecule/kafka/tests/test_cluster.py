"""The ZooKeeper ensemble and the Kafka cluster, checked with their own tools."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import uuid

import pytest
from conftest import (
    BROKERS,
    ZOOKEEPERS,
    broker_host,
    cluster_healthy,
    consume,
    four_letter,
    host_of,
    produce,
    registered_brokers,
    replicas_of,
    topic_command,
    wait_until,
    zk_mode,
    zk_shell,
)

# Cluster-level tests: run once (from kafka0), reaching the other hosts explicitly.
testinfra_hosts = ["kafka0"]

TOPIC = "hlf-verify-" + uuid.uuid4().hex[:8]
ZNODE = "/hlf-verify-" + uuid.uuid4().hex[:8]


def test_ensemble_has_one_leader_and_two_followers():
    modes = sorted(zk_mode(name) for name in ZOOKEEPERS)
    assert modes == ["follower", "follower", "leader"], modes
    for name in ZOOKEEPERS:
        assert four_letter(name, "ruok") == "imok"


def test_every_broker_is_registered():
    assert registered_brokers() == sorted(BROKERS.values())


def test_brokers_run_fabric_settings():
    for name in BROKERS:
        config = host_of(name).file("/etc/kafka/server.properties").content_string
        for line in (
            "unclean.leader.election.enable=false",
            "log.retention.ms=-1",
            "default.replication.factor=3",
            "min.insync.replicas=2",
            "message.max.bytes=103809024",
            "replica.fetch.max.bytes=103809024",
        ):
            assert line in config.splitlines(), f"{name}: {line} missing"
        assert host_of(name).file("/mnt/hyperledger/kafka/data/meta.properties").contains(f"broker.id={BROKERS[name]}")


def test_min_isr_is_enforced_and_no_acknowledged_message_is_lost():
    assert topic_command("--create", "--topic", TOPIC, "--partitions", "1", "--replication-factor", "3").rc == 0
    wait_until(lambda: len(replicas_of(TOPIC)) == 3, 60, f"topic {TOPIC} to have 3 replicas")
    assert produce(TOPIC, ["all-up-1", "all-up-2"]).rc == 0

    replicas = [broker_host(ident) for ident in replicas_of(TOPIC)]
    stopped = []
    try:
        # One replica down: 2 in sync = min ISR, acks=all writes still succeed.
        host_of(replicas[0]).run_expect([0], "systemctl stop kafka")
        stopped.append(replicas[0])
        assert produce(TOPIC, ["one-down-1"], timeout_ms=30000).rc == 0

        # Two down: 1 in sync < min ISR, the write must be refused.
        host_of(replicas[1]).run_expect([0], "systemctl stop kafka")
        stopped.append(replicas[1])
        refused = produce(TOPIC, ["two-down-refused"], timeout_ms=8000)
        assert refused.rc != 0, "a write with 1 in-sync replica was accepted: min.insync.replicas is not in force"
        assert "NotEnoughReplicas" in refused.stderr, refused.stderr[-2000:]
    finally:
        for name in stopped:
            host_of(name).run("systemctl start kafka")
    wait_until(cluster_healthy, 180, "all brokers back and no under-replicated partition")
    # Every acknowledged message is there, in order; the refused one is not.
    assert consume(TOPIC, 3) == ["all-up-1", "all-up-2", "one-down-1"]


def test_zookeeper_data_written():
    rc, _ = zk_shell("create", ZNODE, "kept-across-restarts")
    assert rc == 0
    assert zk_shell("get", ZNODE)[1] == "kept-across-restarts"


def test_data_survives_service_restarts():
    for name in ZOOKEEPERS + list(BROKERS):
        service = "zookeeper" if name in ZOOKEEPERS else "kafka"
        host_of(name).run_expect([0], f"systemctl restart {service}")
    wait_until(cluster_healthy, 240, "the cluster to recover after service restarts")
    assert consume(TOPIC, 3) == ["all-up-1", "all-up-2", "one-down-1"]
    assert zk_shell("get", ZNODE)[1] == "kept-across-restarts"


def test_data_survives_host_restarts():
    # Every container restarts (a power cycle of all hosts); systemd brings the services back.
    subprocess.run(["docker", "restart", "-t", "60", *ZOOKEEPERS, *BROKERS], check=True, timeout=600)
    wait_until(cluster_healthy, 300, "the cluster to recover after host restarts", interval=5)
    assert consume(TOPIC, 3) == ["all-up-1", "all-up-2", "one-down-1"]
    assert zk_shell("get", ZNODE)[1] == "kept-across-restarts"
    modes = sorted(zk_mode(name) for name in ZOOKEEPERS)
    assert modes == ["follower", "follower", "leader"], modes


def test_configuration_change_restarted_one_node_at_a_time():
    """side_effect.yml changed a setting of each service; check the order the roles took."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "restart_log.json")
    with open(path, encoding="utf-8") as handle:
        log = json.load(handle)
    for service, expected in (("zookeeper", ZOOKEEPERS), ("kafka", list(BROKERS))):
        restarts = [entry for entry in log[service] if entry["service"] == service]
        print(f"{service} restarts:")
        for entry in restarts:
            print(f"  {entry['host']}: {entry['ready'] - entry['began']:.1f} s from restart to healthy")
        assert sorted(entry["host"] for entry in restarts) == sorted(expected)
        for earlier, later in itertools.pairwise(restarts):
            assert later["began"] >= earlier["ready"], f"{later['host']} restarted before {earlier['host']} was healthy"
    leader = log["zookeeper_leader_before"].split(":")[0]
    assert leader and log["zookeeper"][-1]["host"] == leader, "the ZooKeeper leader must restart last"
    controller_id = json.loads(next(line for line in log["kafka_controller_before"].splitlines() if "brokerid" in line))["brokerid"]
    assert log["kafka"][-1]["host"] == broker_host(controller_id), "the Kafka controller must restart last"


@pytest.mark.parametrize("name", ZOOKEEPERS)
def test_zookeeper_data_under_mnt(name):
    host = host_of(name)
    assert host.file("/mnt/hyperledger/zookeeper/data/myid").content_string.strip() == str(ZOOKEEPERS.index(name) + 1)
    assert host.file("/mnt/hyperledger/zookeeper/datalog/version-2").is_directory
    assert host.file("/mnt/hyperledger/zookeeper/data").user == "zookeeper"
