"""What the side effects saw (molecule/default/side_effects, results under the scenario's
ephemeral directory): channel operations in check, diff and real runs, a rolling restart under
load, a full stop and start, and a gate that fails. The playbooks' own JSON output and reports
are the evidence; nothing here is re-computed from the playbooks' assumptions.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
from pathlib import Path

import pytest
from conftest import ORDERERS, PEERS, host_of

testinfra_hosts = ["cli"]

RESULTS = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "results"
KAFKA_DATA = "/mnt/hyperledger/kafka/data"  # kafka_log_dirs of the lab inventory (the role's default)
NEW_CHANNEL = "channel3"
ORG1_ANCHORS_BEFORE = [{"host": "peer0-org1", "port": 7051}]
ORG1_ANCHORS_AFTER = [{"host": "peer0-org1", "port": 7051}, {"host": "peer1-org1", "port": 7051}]


def result(name):
    path = RESULTS / f"{name}.json"
    assert path.exists(), f"{path} is missing: its side effect did not run"
    return json.loads(path.read_text())


def item_results(run, name, host="cli"):
    """The per-item results of one task of a JSON-callback run (or its single result as a list)."""
    for play in run["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == name and host in task["hosts"]:
                outcome = task["hosts"][host]
                return outcome.get("results", [outcome])
    raise AssertionError(f"no task {name!r} on {host} in the run")


def task_name(task):
    """A task's name without its role prefix ("service_unit : Restart ..." -> "Restart ...")."""
    return task["task"]["name"].split(" : ", 1)[-1]


def changed_items(run, name, key):
    return sorted(key(entry["item"]) for entry in item_results(run, name) if entry.get("changed"))


CREATE = "Create each channel (only when the ordering service does not have it)"
JOIN = "Join every member peer (only peers not joined yet)"
ANCHORS = "Set each member organization's anchor peers (only where they differ)"


def anchor_key(item):
    return (item["channel"], item["org"])


# -- channel modules (check, diff, real) -----------------------------------------------------------


def test_site_check_run_predicts_the_new_channel_its_joins_and_anchors_and_leaves_it_absent():
    assert all(rc != 0 and not_found for rc, not_found in result("new_channel_before").values())
    check = result("new_channel_check")
    assert check["rc"] == 0
    assert changed_items(check, CREATE, lambda item: item["name"]) == [NEW_CHANNEL]
    assert changed_items(check, JOIN, lambda item: (item["peer"], item["channel"])) == [("peer0-org2", NEW_CHANNEL), ("peer1-org2", NEW_CHANNEL)]
    assert changed_items(check, ANCHORS, anchor_key) == [(NEW_CHANNEL, "Org2")]
    # the whole site ran in check mode: no node changed, only the new channel's artifacts are predicted
    assert all(stats["changed"] == 0 for host, stats in check["stats"].items() if host not in ("cli", "localhost")), check["stats"]
    # every orderer still answers NOT_FOUND after the check run
    after = result("new_channel_after_check")
    assert sorted(after) == ORDERERS and all(rc != 0 and not_found for rc, not_found in after.values())


def test_real_run_creates_the_new_channel_and_joins_its_members():
    real = result("new_channel_real")
    assert real["rc"] == 0
    assert changed_items(real, CREATE, lambda item: item["name"]) == [NEW_CHANNEL]
    assert changed_items(real, JOIN, lambda item: (item["peer"], item["channel"])) == [("peer0-org2", NEW_CHANNEL), ("peer1-org2", NEW_CHANNEL)]
    assert all(rc == 0 and not not_found for rc, not_found in result("new_channel_after_real").values())


def test_anchor_check_shows_old_and_new_lists_and_changes_no_ledger():
    check = result("anchors_check")
    assert check["rc"] == 0
    changed = [entry for entry in item_results(check, ANCHORS) if entry.get("changed")]
    assert sorted(anchor_key(entry["item"]) for entry in changed) == [("channel1", "Org1"), ("channel2", "Org1")]
    for entry in changed:
        assert entry["diff"]["before"]["anchor_peers"] == ORG1_ANCHORS_BEFORE
        assert entry["diff"]["after"]["anchor_peers"] == ORG1_ANCHORS_AFTER
    # every node's every channel: same height and same newest block as before the check run
    assert result("ledgers_after_anchor_check.ledgers") == result("ledgers_before_anchor_check.ledgers")


def test_anchor_real_run_changes_exactly_those_anchors_once():
    real = result("anchors_real")
    assert real["rc"] == 0
    changed = [entry for entry in item_results(real, ANCHORS) if entry.get("changed")]
    assert sorted(anchor_key(entry["item"]) for entry in changed) == [("channel1", "Org1"), ("channel2", "Org1")]
    before = result("ledgers_before_anchor_check.ledgers")["orderer0"]
    for entry in changed:
        assert entry["anchor_peers"] == ORG1_ANCHORS_AFTER
        # the update is the channel's next block
        assert entry["config_block"] == before[entry["item"]["channel"]]["height"]
    again = result("anchors_again")
    assert again["rc"] == 0 and again["stats"]["cli"]["changed"] == 0


# -- rolling restart under load --------------------------------------------------------------------


def restart_report():
    return result("rolling_restart.report")


def parse_time(text):
    """A timestamp of systemd (us+utc), the Java services' logs (UTC, ms) or the journal (ISO) as seconds."""
    text = text.strip()
    for pattern in ("%a %Y-%m-%d %H:%M:%S.%f UTC", "%Y-%m-%d %H:%M:%S,%f", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            stamp = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.UTC)).timestamp()
    raise ValueError(f"not a timestamp: {text!r}")


def restarts_from_records():
    """Per node, from systemd and the service's own log: when its stop began, when it ran again and
    when it said it was ready (ZooKeeper serving, broker started, every channel's start phase on
    an orderer, peer started), in the order the stops began."""
    nodes = []
    for node, lines in result("rolling_restart.records_after").items():
        props = dict(line.split("=", 1) for line in lines if not line.startswith("Ready="))
        stopped, running = parse_time(props["ActiveExitTimestamp"]), parse_time(props["ActiveEnterTimestamp"])
        ready_lines = [line.removeprefix("Ready=").split(" ") for line in lines if line.startswith("Ready=")]
        tier = "orderer" if node in ORDERERS else "peer" if node in PEERS else "zookeeper" if node.startswith("zookeeper") else "kafka"
        if tier == "orderer":
            # ready when every channel has started its chain in this run
            first_per_channel = {}
            for stamp, channel in ready_lines:
                first_per_channel.setdefault(channel, parse_time(stamp))
            ready = max(first_per_channel.values())
        else:
            # the Java services append to one log file: the first ready line after this start
            stamps = sorted(parse_time(" ".join(parts)) for parts in ready_lines)
            ready = next(stamp for stamp in stamps if stamp >= running)
        nodes.append({"host": node, "tier": tier, "stopped": stopped, "running": running, "ready": ready})
    return sorted(nodes, key=lambda node: node["stopped"])


def test_rolling_restart_order_follows_the_rules_by_the_services_own_records():
    restarts = restarts_from_records()
    report = restart_report()["restarts"]
    began = min(restart["began"] for restart in report)
    # every node stopped once during the run, tier after tier
    assert all(node["stopped"] >= began - 1 for node in restarts), restarts
    assert [node["tier"] for node in restarts] == ["zookeeper"] * 3 + ["kafka"] * 4 + ["orderer"] * 3 + ["peer"] * 4, restarts
    # one node at a time: the next stop began only after the previous node said it was ready
    for earlier, later in itertools.pairwise(restarts):
        assert earlier["stopped"] < earlier["running"] <= earlier["ready"] < later["stopped"], (earlier, later)
    # the leader and the controller, as the services named them before the run, went last
    before = result("rolling_restart.records_before")
    leaders = [host for host, mode in before["modes"].items() if mode == "leader"]
    assert len(leaders) == 1, before["modes"]
    zookeeper = [node["host"] for node in restarts if node["tier"] == "zookeeper"]
    assert zookeeper[-1] == leaders[0], (zookeeper, before["modes"])
    controller_id = before["controller"]["brokerid"]
    kafka = [node["host"] for node in restarts if node["tier"] == "kafka"]
    # Each broker's id as the broker itself recorded it in its data directory.
    ids = {host: host_of(host).run("sed -n 's/^broker.id=//p' %s/meta.properties", KAFKA_DATA).stdout.strip() for host in kafka}
    controller = [host for host, broker_id in ids.items() if broker_id == str(controller_id)]
    assert kafka[-1:] == controller, (kafka, controller_id, ids)
    # the playbook's report agrees with the records
    assert [restart["host"] for restart in report] == [node["host"] for node in restarts]


def test_check_mode_prints_the_same_order_and_restarts_nothing():
    check = result("rolling_restart_check")
    assert check["rc"] == 0
    announced = [
        outcome["msg"]
        for play in check["plays"]
        for task in play["tasks"]
        if task_name(task).startswith("Announce the restart (check mode)")
        for outcome in task["hosts"].values()
        if "msg" in outcome
    ]
    real = [f"would restart {node['tier']} on {node['host']}," for node in restarts_from_records()]
    assert [message.split(", then")[0] + "," for message in announced] == real
    # nothing restarted: every restart task was skipped and no host reports a change
    restarts = tuple(f"Restart {service} on" for service in ("zookeeper", "kafka", "orderer", "peer"))
    restart_tasks = [task for play in check["plays"] for task in play["tasks"] if task_name(task).startswith(restarts)]
    assert len(restart_tasks) == len(real) and all(outcome.get("skipped") for task in restart_tasks for outcome in task["hosts"].values())
    assert all(stats["changed"] == 0 for stats in check["stats"].values()), check["stats"]


def test_load_kept_writing_during_the_restarts_within_its_bounds():
    load = result("load")
    restarts = restart_report()["restarts"]
    first, last = restarts[0]["began"], restarts[-1]["ready"]
    during = [record for record in load if record["ok"] and first <= record["ended"] <= last]
    assert len(load) <= 400
    assert {record["channel"] for record in during} == {"channel1", "channel2"}
    assert len(during) >= len(restarts), f"only {len(during)} acknowledged updates during {len(restarts)} restarts"


def test_no_acknowledged_update_was_lost():
    """Every config block the load saw acknowledged is on every node of its channel, with one hash."""
    ledgers = result("ledgers_after_load.ledgers")
    acknowledged = [record for record in result("load") if record["ok"] and record["config_block"] is not None]
    assert acknowledged
    for record in acknowledged:
        channel, number = record["channel"], str(record["config_block"])
        holders = {node: info[channel] for node, info in ledgers.items() if channel in info}
        assert set(ORDERERS) <= set(holders), (channel, sorted(holders))
        hashes = {node: info["blocks"].get(number) for node, info in holders.items()}
        assert None not in hashes.values(), f"block {number} of {channel} missing on {[node for node, h in hashes.items() if h is None]}"
        assert len(set(hashes.values())) == 1, f"block {number} of {channel} differs across nodes: {hashes}"


def test_every_node_has_the_same_height_and_newest_block_per_channel():
    ledgers = result("ledgers_after_load.ledgers")
    assert sorted(ledgers) == sorted(ORDERERS + list(PEERS))
    channels = {channel for info in ledgers.values() for channel in info}
    for channel in channels:
        newest = {node: (info[channel]["height"], info[channel]["hash"]) for node, info in ledgers.items() if channel in info}
        assert len(set(newest.values())) == 1, f"{channel}: {newest}"


def test_no_height_went_down_across_the_rolling_restart():
    for node, phases in restart_report()["ledgers"].items():
        for channel, before in phases["before"].items():
            assert phases["after"][channel]["height"] >= before["height"], (node, channel)


# -- full stop and start ---------------------------------------------------------------------------


def test_stop_start_keeps_every_ledger_and_needs_no_channel_operation():
    report = result("stop_start.report")
    for node, phases in report["ledgers"].items():
        assert phases["after"] == phases["before"], node
    assert result("stop_start")["rc"] == 0
    channels = result("channels_after_stop_start")
    assert channels["rc"] == 0 and channels["stats"]["cli"]["changed"] == 0 and channels["stats"]["cli"]["failures"] == 0


def test_chaincode_comes_back_after_stop_start_without_any_lifecycle_operation_and_keeps_its_state():
    again = result("chaincode_after_stop_start")
    assert again["rc"] == 0 and all(stats["changed"] == 0 and stats["failures"] == 0 for stats in again["stats"].values()), again["stats"]
    verified = result("chaincode_after_stop_start.verify")
    summary = verified["summary"]
    assert verified["rc"] == 0 and summary["ok"], summary
    assert summary["checked"] > 0 and summary["matched"] == summary["checked"] and not summary["missing"], summary


# -- a gate that fails -----------------------------------------------------------------------------


def failure_messages(run):
    return [
        outcome.get("msg", "")
        for play in run["plays"]
        for task in play["tasks"]
        for outcome in task["hosts"].values()
        if outcome.get("failed") and not outcome.get("ignore_errors")
    ]


def test_gate_failure_names_the_node_and_the_gate_and_restarts_nothing():
    run = result("gate_failure")
    assert run["rc"] != 0
    messages = " ".join(str(message) for message in failure_messages(run))
    assert "Rolling restart of kafka not started, no node was restarted" in messages, messages
    assert "every broker registered under /brokers/ids" in messages and "kafka3" in messages, messages
    services = result("gate_failure.services")
    # no process was replaced anywhere, and everything but the broker kept down is running
    assert services["after"] == services["before"]
    running = 0
    for host, shown in services["after"].items():
        for block in shown.split("\n\n"):
            unit = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            if unit.get("LoadState") != "loaded":
                continue
            expected = "inactive" if (host, unit["Id"]) == ("kafka3", "kafka.service") else "active"
            assert unit["ActiveState"] == expected, (host, unit)
            running += expected == "active"
    assert running == 3 + 3 + 3 + 4, running  # ZooKeeper, the other brokers, orderers, peers
    # the tiers after Kafka never ran
    assert not any(task["task"]["name"] == "Restart the chosen orderers" for play in run["plays"] for task in play["tasks"])


@pytest.mark.parametrize("run", ["new_channel_real", "anchors_restored", "anchors_restored_after_load"])
def test_restoring_runs_succeeded(run):
    assert result(run)["rc"] == 0
