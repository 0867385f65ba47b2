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
            if task_name(task) == name and host in task["hosts"]:
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
        if "/" in node:
            # a chaincode server, "<host>/chaincode@<name>-<slot>": its gate (answering) is the playbook's
            host, unit = node.split("/")
            nodes.append({"host": host, "tier": "chaincode", "unit": unit, "stopped": stopped, "running": running, "ready": running})
            continue
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
        nodes.append({"host": node, "tier": tier, "unit": tier, "stopped": stopped, "running": running, "ready": ready})
    return sorted(nodes, key=lambda node: node["stopped"])


def test_rolling_restart_order_follows_the_rules_by_the_services_own_records():
    restarts = restarts_from_records()
    report = restart_report()["restarts"]
    began = min(restart["began"] for restart in report)
    # every node stopped once during the run, tier after tier
    assert all(node["stopped"] >= began - 1 for node in restarts), restarts
    assert [node["tier"] for node in restarts] == ["zookeeper"] * 3 + ["kafka"] * 4 + ["orderer"] * 3 + ["peer"] * 4 + ["chaincode"] * 4, restarts
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
    real = [f"would restart {node['unit']} on {node['host']}," for node in restarts_from_records()]
    assert [message.split(", then")[0] + "," for message in announced] == real
    # nothing restarted: every restart task was skipped and no host reports a change
    restarts = (*(f"Restart {service} on" for service in ("zookeeper", "kafka", "orderer", "peer")), "Restart chaincode@")
    restart_tasks = [task for play in check["plays"] for task in play["tasks"] if task_name(task).startswith(restarts)]
    assert len(restart_tasks) == len(real) and all(outcome.get("skipped") for task in restart_tasks for outcome in task["hosts"].values())
    assert all(stats["changed"] == 0 for stats in check["stats"].values()), check["stats"]


def load_records(name):
    return [json.loads(line) for line in (RESULTS / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def test_load_offered_real_transactions_on_two_channels_throughout_every_tier():
    summary = result("load.summary")["summary"]
    assert summary["target_rate"] >= 10 and summary["offered"] > 0, summary
    report = result("load.report")
    # every tier's restarts fell inside the load, with acknowledgements on both sides of each
    assert set(report["tiers"]) == {"zookeeper", "kafka", "orderer", "peer", "chaincode"}, report["tiers"]
    assert all(window["covered"] for window in report["restarts"]), [window for window in report["restarts"] if not window["covered"]]
    restarts = restart_report()["restarts"]
    first, last = restarts[0]["began"], restarts[-1]["ready"]
    during = [record for record in load_records("load") if record["ok"] and first <= record["acknowledged"] <= last]
    assert {record["channel"] for record in during} == {"channel1", "channel2"}
    assert len(during) >= 10 * (last - first) * 0.5, f"{len(during)} acknowledged in {last - first:.0f} s of restarts"


def test_every_submission_was_acknowledged_within_its_retries():
    summary = result("load.summary")["summary"]
    assert summary["failed"] == 0 and summary["acknowledged"] == summary["offered"], summary


def test_every_acknowledged_transaction_is_in_the_ledger_of_every_peer_of_its_channel():
    """By transaction ID, VALID, read from each peer's own ledger (each organization through its own peers)."""
    checks = result("load.in_ledgers")
    acknowledged = {}
    for record in load_records("load"):
        if record["ok"]:
            acknowledged.setdefault(record["channel"], set()).add(record["tx_id"])
    seen = {(entry["peer"].split(":")[0], entry["channel"]): entry for check in checks for entry in check["results"]}
    members = {"channel1": list(PEERS), "channel2": [peer for peer, org in PEERS.items() if org == "Org1"]}
    assert sorted(seen) == sorted((peer, channel) for channel, peers in members.items() for peer in peers), sorted(seen)
    for (peer, channel), entry in seen.items():
        assert entry["expected"] == len(acknowledged[channel]) > 0, (peer, channel, entry["expected"])
        assert entry["present"] == entry["expected"] and entry["missing_count"] == 0 and entry["invalid_count"] == 0, entry
    assert all(check["ok"] for check in checks)


def test_state_read_back_equals_the_acknowledged_writes():
    verified = result("load.verify")
    summary = verified["summary"]
    assert verified["rc"] == 0 and summary["checked"] > 0 and summary["matched"] == summary["checked"], summary


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
    """The messages of every failed task, and of each failed item of a loop."""
    return [
        entry.get("msg", "")
        for play in run["plays"]
        for task in play["tasks"]
        for outcome in task["hosts"].values()
        if outcome.get("failed") and not outcome.get("ignore_errors")
        for entry in [outcome, *(item for item in outcome.get("results", []) if item.get("failed"))]
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


@pytest.mark.parametrize("run", ["new_channel_real", "anchors_restored"])
def test_restoring_runs_succeeded(run):
    assert result(run)["rc"] == 0


# -- the chaincode: a server killed, an upgrade under load, an approval missing ----------------------

INSTALL = "Install each package on every member peer (only peers without it)"
APPROVE = "Approve each definition for every member organization (only where its approval differs)"
COMMIT = "Commit each definition on its channel (only where the committed one differs)"


def test_killed_chaincode_server_is_started_again_by_systemd_and_answers_through_its_peer():
    kill = result("chaincode_kill")
    assert kill["after"]["pid"] not in (0, kill["before"]["pid"]), kill
    assert kill["after"]["restarts"] == kill["before"]["restarts"] + 1, kill
    assert kill["answered_rc"] == 0 and kill["seconds_to_answer"] is not None, kill
    assert kill["smoke_rc"] == 0, kill


def lifecycle_changes(run):
    """What a chaincode.yml run changed (or, in check mode, would change): installs, approvals, commits."""
    return {
        "installs": changed_items(run, INSTALL, lambda item: (item["chaincode"]["version"], item["peer"])),
        "approvals": changed_items(run, APPROVE, lambda item: (item[0]["chaincode"]["version"], item[0]["channel"], item[1]["org"])),
        "commits": changed_items(run, COMMIT, lambda item: (item["chaincode"]["version"], item["channel"])),
    }


def test_upgrade_check_predicts_exactly_what_the_real_run_then_does_and_changes_nothing():
    check, real = result("upgrade_check"), result("upgrade_real")
    assert check["rc"] == 0 and real["rc"] == 0
    predicted = lifecycle_changes(check)
    assert predicted == {
        "installs": sorted(("1.1", peer) for peer in PEERS),
        "approvals": [("1.1", "channel1", "Org1"), ("1.1", "channel1", "Org2"), ("1.1", "channel2", "Org1")],
        "commits": [("1.1", "channel1"), ("1.1", "channel2")],
    }, predicted
    assert lifecycle_changes(real) == predicted
    # the check run left queryinstalled, queryapproved and querycommitted as they were
    assert result("upgrade.lifecycle_after_check") == result("upgrade.lifecycle_before")


def test_upgrade_commits_sequence_2_on_both_channels_and_a_rerun_changes_nothing():
    before, after = result("upgrade.lifecycle_before"), result("upgrade.lifecycle_after")
    for channel in ("channel1", "channel2"):
        committed_before = [answer for query, answer in before.items() if query.startswith(f"committed {channel} ")]
        committed = [answer for query, answer in after.items() if query.startswith(f"committed {channel} ")]
        assert committed_before and all(answer["version"] == "1.0" and answer["sequence"] == 1 for answer in committed_before), before
        assert committed and all(answer["version"] == "1.1" and answer["sequence"] == 2 for answer in committed), committed
    again = result("upgrade_again")
    assert again["rc"] == 0 and all(stats["changed"] == 0 for stats in again["stats"].values()), again["stats"]


def test_every_submission_during_the_upgrade_was_acknowledged():
    load = result("upgrade_load.summary")
    summary = load["summary"]
    assert load["rc"] == 0 and summary["failed"] == 0 and summary["acknowledged"] == summary["offered"] > 0, summary
    # writes acknowledged on both channels after the new definition was committed
    commits = [entry for entry in item_results(result("upgrade_real"), COMMIT) if entry.get("changed")]
    assert len(commits) == 2
    records = load_records("upgrade_load")
    last_ack = max(record["acknowledged"] for record in records if record["ok"])
    first_ack = min(record["acknowledged"] for record in records if record["ok"])
    assert last_ack - first_ack > 0
    assert {record["channel"] for record in records if record["ok"]} == {"channel1", "channel2"}


def test_upgrade_retired_the_old_server_only_after_its_commit():
    real = result("upgrade_real")
    stopped = [entry for entry in item_results(real, "Stop and disable the server assets-0", host="peer0-org1")]
    assert stopped and stopped[0].get("changed"), stopped
    for peer in PEERS:
        host = host_of(peer)
        assert host.run("ls /etc/chaincode/servers/").stdout.split() == ["assets-1.env"], peer
        assert not host.service("chaincode@assets-0").is_running
        assert not host.file("/opt/hlf/ccaas_builder/connections/assets_1.0.json").exists


def test_commit_without_an_approval_is_refused_naming_the_organization():
    run = result("commit_without_approval")
    assert run["rc"] != 0
    messages = " ".join(str(message) for message in failure_messages(run))
    assert "Org2MSP has not approved assets sequence 3 on channel1" in messages, messages
    # Org1 approved as asked, Org2 not at all
    assert lifecycle_changes(run)["approvals"] == [("1.1", "channel1", "Org1"), ("1.1", "channel2", "Org1")]
    # channel1 keeps sequence 2; on channel2, where Org1 is the only member, its approval sufficed
    after = result("refusal.lifecycle_after")
    sequences = {query.split()[1]: answer["sequence"] for query, answer in after.items() if query.startswith("committed ")}
    assert sequences == {"channel1": 2, "channel2": 3}, after
