#!/usr/bin/env python3
"""Per-node write unavailability during a rolling restart, as the load client saw it.

Reads the load client's attempts (tools/load/config_update_load.py --out) and the restart
playbook's report (-e restart_report=...). For every restarted node it prints the restart
duration (restart to gate passed) and the longest time without an acknowledged update that
overlaps the restart, with the failed attempts inside it; then per tier and in total. The load's
normal pace (median time between acknowledgements) is printed for comparison: a gap that long is
no unavailability at all.

    tools/bench/restart_report.py LOAD_JSON RESTART_REPORT_JSON
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys


def longest_gap(acks, began, ready):
    """Longest interval between consecutive acknowledgements that overlaps [began, ready]."""
    longest = 0.0
    for earlier, later in itertools.pairwise(acks):
        if later >= began and earlier <= ready:
            longest = max(longest, later - earlier)
    return longest


def report(load, restarts):
    acks = sorted(record["ended"] for record in load if record["ok"])
    gaps = [later - earlier for earlier, later in itertools.pairwise(acks)]
    lines = [
        f"load: {len(load)} attempts, {len(acks)} acknowledged, {len(load) - len(acks)} failed; "
        f"median time between acknowledgements {statistics.median(gaps) if gaps else 0:.1f} s"
    ]
    tiers = {}
    for restart in restarts:
        began, ready = restart["began"], restart["ready"]
        gap = longest_gap(acks, began, ready)
        failed = sum(1 for record in load if not record["ok"] and began <= record["began"] <= ready + gap)
        tiers.setdefault(restart["service"], []).append((ready - began, gap))
        lines.append(
            f"{restart['host']:<12} {restart['service']:<9} restart {ready - began:5.1f} s  longest gap without an ack {gap:5.1f} s  failed attempts {failed}"
        )
    for service, figures in tiers.items():
        lines.append(
            f"tier {service:<9} {len(figures)} nodes in {sum(duration for duration, _ in figures):5.1f} s of restarts; "
            f"longest gap {max(gap for _, gap in figures):.1f} s"
        )
    if restarts:
        lines.append(f"all restarts: {restarts[-1]['ready'] - restarts[0]['began']:.1f} s from the first restart to the last gate")
    return lines


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        load = json.load(handle)
    with open(argv[1], encoding="utf-8") as handle:
        restarts = sorted(json.load(handle)["restarts"], key=lambda restart: restart["began"])
    print("\n".join(report(load, restarts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
