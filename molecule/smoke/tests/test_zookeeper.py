"""ZooKeeper from the Kafka classpath runs under systemd and answers its four-letter words."""

testinfra_hosts = ["smoke-zk"]


def test_zookeeper_runs_under_systemd(host):
    service = host.service("zookeeper")
    assert service.is_running
    assert service.is_enabled


def test_zookeeper_answers_ruok(host):
    assert host.run("printf ruok | nc -w 5 localhost 2181").stdout == "imok"
