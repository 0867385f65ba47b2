"""Helpers for driving the ZooKeeper/Kafka cluster with its own tools from the test hosts."""

from __future__ import annotations

import os
import time

import pytest
import testinfra

ZOOKEEPERS = ["zookeeper0", "zookeeper1", "zookeeper2"]
BROKERS = {"kafka0": 0, "kafka1": 1, "kafka2": 2, "kafka3": 3}
BOOTSTRAP = ",".join(f"{name}:9092" for name in BROKERS)
ZK_CONNECT = ",".join(f"{name}:2181" for name in ZOOKEEPERS)


def host_of(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def four_letter(name, word):
    return host_of(name).run(f"printf {word} | nc -w 5 localhost 2181").stdout


def zk_mode(name):
    for line in four_letter(name, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


def zk_shell(*args):
    """Run ZooKeeper's own CLI on kafka0; return its last output line (the answer)."""
    placeholders = " ".join(["%s"] * len(args))
    result = host_of("kafka0").run("kafka-run-class org.apache.zookeeper.ZooKeeperMain -server %s " + placeholders, ZK_CONNECT, *args)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.rc, (lines[-1] if lines else "")


def registered_brokers():
    rc, last = zk_shell("ls", "/brokers/ids")
    if rc != 0 or not last.startswith("["):
        return []
    return sorted(int(item) for item in last.strip("[]").split(",") if item.strip())


def topic_command(*args):
    placeholders = " ".join(["%s"] * len(args))
    return host_of("kafka0").run("kafka-run-class org.apache.kafka.tools.TopicCommand --bootstrap-server %s " + placeholders, BOOTSTRAP, *args)


def produce(topic, messages, timeout_ms=10000):
    """Send with acks=all, synchronously; rc != 0 when Kafka refused a message."""
    messages_args = " ".join(["%s"] * len(messages))
    return host_of("kafka0").run(
        "printf '%%s\\n' " + messages_args + " | kafka-run-class kafka.tools.ConsoleProducer --bootstrap-server %s --topic %s --sync "
        "--request-required-acks all --producer-property delivery.timeout.ms=%s --producer-property request.timeout.ms=%s "
        "--producer-property linger.ms=0",
        *messages,
        BOOTSTRAP,
        topic,
        str(timeout_ms),
        str(min(timeout_ms, 5000)),
    )


def consume(topic, count):
    result = host_of("kafka0").run(
        "kafka-run-class org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server %s --topic %s "
        "--from-beginning --max-messages %s --timeout-ms 30000",
        BOOTSTRAP,
        topic,
        str(count),
    )
    return result.stdout.splitlines()


def wait_until(predicate, timeout, what, interval=2):
    """Poll a condition with a bound; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def cluster_healthy():
    if registered_brokers() != sorted(BROKERS.values()):
        return False
    result = topic_command("--describe", "--under-replicated-partitions")
    return result.rc == 0 and not result.stdout.strip()


def replicas_of(topic):
    """Broker ids holding the topic's partition 0, as TopicCommand describes them."""
    for line in topic_command("--describe", "--topic", topic).stdout.splitlines():
        if "Replicas:" in line:
            return [int(item) for item in line.split("Replicas:")[1].split()[0].split(",")]
    return []


def broker_host(broker_id):
    return next(name for name, ident in BROKERS.items() if ident == broker_id)
