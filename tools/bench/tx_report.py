#!/usr/bin/env python3
"""Throughput, commit latency and per-restart write unavailability from the transaction client's records.

Reads the JSON lines of `tools/txclient/txclient.js load --out FILE` (one submission each) and prints
the acknowledged throughput and the commit latency (acknowledged - submitted) p50/p99. With the
restart playbook's report (-e restart_report=...: {"restarts": [{service, host, began, ready}, ...]})
it prints, per restarted node, the longest time without an acknowledged transaction that overlaps
its restart (to the resolution of the data: the load's usual time between acknowledgements), with the
failed and the retried submissions of that window; then per tier. --json prints it all as JSON.

    tools/bench/tx_report.py FILE.jsonl [--restarts REPORT.json] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys


def read_records(path):
    """The records of a JSON-lines file, and how many lines could not be read (a run cut short)."""
    records, bad_lines = [], 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                bad_lines += 1
    return records, bad_lines


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarize(records):
    acknowledged = [record for record in records if record["ok"]]
    acks = sorted(record["acknowledged"] for record in acknowledged)
    latencies = [record["acknowledged"] - record["submitted"] for record in acknowledged]
    gaps = [later - earlier for earlier, later in itertools.pairwise(acks)]
    span = acks[-1] - min(record["submitted"] for record in records) if acks else 0.0
    return {
        "offered": len(records),
        "acknowledged": len(acknowledged),
        "failed": len(records) - len(acknowledged),
        "first_attempt_failures": sum(1 for record in records if record.get("first_attempt_error")),
        "span": round(span, 3),
        "throughput": round(len(acknowledged) / span, 2) if span > 0 else 0.0,
        "latency_p50": round(percentile(latencies, 0.50), 3) if latencies else None,
        "latency_p99": round(percentile(latencies, 0.99), 3) if latencies else None,
        "latency_max": round(max(latencies), 3) if latencies else None,
        "resolution": round(statistics.median(gaps), 3) if gaps else None,
    }


def restart_window(records, acks, restart):
    """The longest interval between consecutive acknowledgements that overlaps [began, ready], and what failed in it."""
    began, ready = restart["began"], restart["ready"]
    overlapping = [(earlier, later) for earlier, later in itertools.pairwise(acks) if later >= began and earlier <= ready]
    window = {
        "host": restart["host"],
        "service": restart["service"],
        "restart": round(ready - began, 3),
        # Acknowledgements before and after the restart: otherwise the load did not span it.
        "covered": bool(acks) and acks[0] <= began and acks[-1] >= ready,
        "longest_gap": None,
        "gap_from": None,
        "gap_to": None,
    }
    start, end = began, ready
    if overlapping:
        earlier, later = max(overlapping, key=lambda pair: pair[1] - pair[0])
        window.update(longest_gap=round(later - earlier, 3), gap_from=earlier, gap_to=later)
        start, end = min(began, earlier), max(ready, later)
    inside = [record for record in records if start <= record["submitted"] <= end]
    window["failed"] = sum(1 for record in inside if not record["ok"])
    window["retried"] = sum(1 for record in inside if record["ok"] and record.get("first_attempt_error"))
    return window


def report(records, restarts=()):
    result = summarize(records)
    acks = sorted(record["acknowledged"] for record in records if record["ok"])
    windows = [restart_window(records, acks, restart) for restart in sorted(restarts, key=lambda restart: restart["began"])]
    tiers = {}
    for window in windows:
        # chaincode@assets-0, chaincode@assets-1: one tier of chaincode servers.
        tier = tiers.setdefault(window["service"].partition("@")[0], {"nodes": 0, "restarts": 0.0, "longest_gap": None, "failed": 0, "retried": 0})
        tier["nodes"] += 1
        tier["restarts"] = round(tier["restarts"] + window["restart"], 3)
        if window["longest_gap"] is not None:
            tier["longest_gap"] = max(tier["longest_gap"] or 0.0, window["longest_gap"])
        tier["failed"] += window["failed"]
        tier["retried"] += window["retried"]
    result.update(restarts=windows, tiers=tiers)
    return result


def seconds(value):
    return "n/a" if value is None else f"{value:.3f} s"


def format_report(result):
    lines = [
        f"transactions: {result['offered']} offered, {result['acknowledged']} acknowledged, {result['failed']} failed, "
        f"{result['first_attempt_failures']} failed at the first attempt",
        f"throughput: {result['throughput']:.2f} acknowledged tx/s over {result['span']:.1f} s",
        f"commit latency: p50 {seconds(result['latency_p50'])}, p99 {seconds(result['latency_p99'])}, max {seconds(result['latency_max'])}",
        f"resolution (median time between acknowledgements): {seconds(result['resolution'])}",
    ]
    if result.get("bad_lines"):
        lines.append(f"{result['bad_lines']} line(s) could not be read (a run cut short?)")
    for window in result["restarts"]:
        note = "" if window["covered"] else "  (NOT covered by the load)"
        lines.append(
            f"{window['host']:<12} {window['service']:<9} restart {window['restart']:6.1f} s  "
            f"longest gap without an ack {seconds(window['longest_gap'])}  failed {window['failed']}  retried {window['retried']}{note}"
        )
    for service, tier in result["tiers"].items():
        lines.append(
            f"tier {service:<9} {tier['nodes']} nodes, {tier['restarts']:.1f} s of restarts; longest gap {seconds(tier['longest_gap'])}, "
            f"failed {tier['failed']}, retried {tier['retried']}"
        )
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("records", help="JSON lines of txclient.js load --out")
    parser.add_argument("--restarts", help="the restart report (JSON with 'restarts')")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    records, bad_lines = read_records(args.records)
    if not records:
        print(f"{args.records}: no records", file=sys.stderr)
        return 1
    restarts = []
    if args.restarts:
        with open(args.restarts, encoding="utf-8") as handle:
            restarts = json.load(handle)["restarts"]
    result = report(records, restarts)
    result["bad_lines"] = bad_lines
    print(json.dumps(result, indent=2) if args.json else "\n".join(format_report(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
