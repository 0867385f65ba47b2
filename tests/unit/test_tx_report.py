"""tools/bench/tx_report.py on records written here in the transaction client's format (tools/txclient).

A 30 s load at 10 tx/s from t=1000 with a commit latency of 0.5 s; a peer restarts from 1010 to 1012:
the 20 submissions offered meanwhile fail at their first attempt, 18 are acknowledged on a retry at
about 1013.2 and 2 fail for good. Submissions from 1012 on go through at once again.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "bench" / "tx_report.py"
spec = importlib.util.spec_from_file_location("tx_report", SCRIPT)
tx_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tx_report)

FAILED_FOR_GOOD = {5, 6}


def record(index, submitted, acknowledged, error=None):
    ok = acknowledged is not None
    return {
        "channel": f"channel{index % 2 + 1}",
        "key": f"tx1-{index}",
        "value": str(index),
        "fn": "CreateAsset",
        "tx_id": f"{index:064x}" if ok else None,
        "attempts": 2 if error else 1,
        "first_attempt_error": error,
        "ok": ok,
        "status": "VALID" if ok else None,
        "block_number": index // 10 + 5 if ok else None,
        "submitted": submitted,
        "acknowledged": acknowledged,
        "error": None if ok else error,
    }


def load():
    records = []
    for index in range(300):
        submitted = round(1000 + index / 10, 3)
        if 1010 <= submitted < 1012:
            k = index - 100
            acknowledged = None if k in FAILED_FOR_GOOD else round(1013.2 + k / 1000, 3)
            records.append(record(index, submitted, acknowledged, "EndorseError: 14 UNAVAILABLE: peer0-org1:7051"))
        else:
            records.append(record(index, submitted, round(submitted + 0.5, 3)))
    return records


RESTARTS = [
    {"service": "kafka", "host": "kafka0", "began": 1020.0, "ready": 1025.0},
    {"service": "peer", "host": "peer0-org1", "began": 1010.0, "ready": 1012.0},
    {"service": "peer", "host": "peer1-org1", "began": 1040.0, "ready": 1045.0},
]


def test_percentile_is_nearest_rank():
    assert tx_report.percentile([5], 0.99) == 5
    assert tx_report.percentile([3, 1, 2, 4], 0.5) == 2
    assert tx_report.percentile(list(range(1, 101)), 0.99) == 99
    assert tx_report.percentile(list(range(1, 101)), 1.0) == 100


def test_throughput_and_commit_latency():
    summary = tx_report.summarize(load())
    assert summary["offered"] == 300
    assert summary["acknowledged"] == 298
    assert summary["failed"] == 2
    assert summary["first_attempt_failures"] == 20
    assert summary["span"] == pytest.approx(30.4)  # first submission 1000.0, last acknowledgement 1030.4
    assert summary["throughput"] == pytest.approx(298 / 30.4, abs=0.01)
    assert summary["latency_p50"] == pytest.approx(0.5)
    # 280 at 0.5 s, then the retried ones: 3.2 - 0.099 k s; rank 296 of 298 is k = 2.
    assert summary["latency_p99"] == pytest.approx(3.002)
    assert summary["latency_max"] == pytest.approx(3.2)
    assert summary["resolution"] == pytest.approx(0.1)


def test_longest_gap_per_restart_with_failed_and_retried_submissions():
    result = tx_report.report(load(), RESTARTS)
    peer0, kafka0, peer1 = result["restarts"]  # in the order of the restarts
    assert (peer0["host"], peer0["restart"], peer0["covered"]) == ("peer0-org1", 2.0, True)
    # The last acknowledgement before: 1010.4 (submitted 1009.9); the first after: 1012.5 (submitted 1012.0).
    assert (peer0["gap_from"], peer0["gap_to"]) == (1010.4, 1012.5)
    assert peer0["longest_gap"] == pytest.approx(2.1)
    assert (peer0["failed"], peer0["retried"]) == (2, 18)
    # A restart that disturbed nothing: the gap is the load's own pace.
    assert kafka0["longest_gap"] == pytest.approx(0.1)
    assert (kafka0["failed"], kafka0["retried"], kafka0["covered"]) == (0, 0, True)
    # After the load ended: nothing to measure, and said so.
    assert (peer1["covered"], peer1["longest_gap"], peer1["failed"]) == (False, None, 0)
    assert result["tiers"] == {
        "kafka": {"nodes": 1, "restarts": 5.0, "longest_gap": pytest.approx(0.1), "failed": 0, "retried": 0},
        "peer": {"nodes": 2, "restarts": 7.0, "longest_gap": pytest.approx(2.1), "failed": 2, "retried": 18},
    }


def test_a_gap_is_only_counted_when_it_overlaps_the_restart():
    records = [record(0, 100.0, 100.5), record(1, 100.1, 110.0), record(2, 111.0, 111.2), record(3, 111.1, 111.3)]
    # 100.5 -> 110.0 (9.5 s) lies before the restart; 110.0 -> 111.2 overlaps it.
    window = tx_report.report(records, [{"service": "orderer", "host": "orderer0", "began": 110.5, "ready": 111.0}])["restarts"][0]
    assert window["longest_gap"] == pytest.approx(1.2)


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False)


def test_chaincode_servers_of_every_slot_are_one_tier():
    restarts = [
        {"service": "chaincode@assets-0", "host": "peer0-org1", "began": 1020.0, "ready": 1021.0},
        {"service": "chaincode@assets-1", "host": "peer1-org1", "began": 1022.0, "ready": 1023.5},
    ]
    result = tx_report.report(load(), restarts)
    assert [window["service"] for window in result["restarts"]] == ["chaincode@assets-0", "chaincode@assets-1"]
    assert list(result["tiers"]) == ["chaincode"]
    assert result["tiers"]["chaincode"]["nodes"] == 2 and result["tiers"]["chaincode"]["restarts"] == 2.5


def test_command_line_text_and_json(tmp_path):
    records = tmp_path / "load.jsonl"
    records.write_text("".join(json.dumps(item) + "\n" for item in load()) + '{"channel": "chan')  # cut short
    restarts = tmp_path / "restarts.json"
    restarts.write_text(json.dumps({"restarts": RESTARTS}))
    text = run(str(records), "--restarts", str(restarts))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "transactions: 300 offered, 298 acknowledged, 2 failed, 20 failed at the first attempt"
    assert lines[1] == "throughput: 9.80 acknowledged tx/s over 30.4 s"
    assert lines[2] == "commit latency: p50 0.500 s, p99 3.002 s, max 3.200 s"
    assert lines[3] == "resolution (median time between acknowledgements): 0.100 s"
    assert lines[4] == "1 line(s) could not be read (a run cut short?)"
    assert "peer0-org1   peer      restart    2.0 s  longest gap without an ack 2.100 s  failed 2  retried 18" in lines
    assert any(line.startswith("peer1-org1") and line.endswith("(NOT covered by the load)") for line in lines)
    assert "tier peer      2 nodes, 7.0 s of restarts; longest gap 2.100 s, failed 2, retried 18" in lines
    as_json = run(str(records), "--restarts", str(restarts), "--json")
    result = json.loads(as_json.stdout)
    assert (result["acknowledged"], result["bad_lines"], len(result["restarts"])) == (298, 1, 3)
    without = json.loads(run(str(records), "--json").stdout)
    assert (without["restarts"], without["tiers"]) == ([], {})


def test_no_records_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run(str(empty))
    assert result.returncode == 1
    assert "no records" in result.stderr
