"""Filters over fabric_ledger_info results: the heights a restarted node must reach, and who lags."""

from __future__ import annotations


def ledger_heights(ledgers):
    """{channel: height} of one node's ledgers ({channel: {'height': ..., ...}})."""
    return {channel: int(info["height"]) for channel, info in (ledgers or {}).items()}


def ledger_max_heights(nodes, channels=None, floor=None):
    """Per channel, the highest height among several nodes' ledgers (and the floor's heights).

    nodes: a list of {channel: {'height': ...}}; channels: keep only these; floor: {channel: height}
    that the result never goes below (e.g. a node's own height before its restart).
    """
    wanted = dict(floor or {})
    for ledgers in nodes:
        for channel, height in ledger_heights(ledgers).items():
            wanted[channel] = max(height, wanted.get(channel, 0))
    if channels is not None:
        wanted = {channel: height for channel, height in wanted.items() if channel in channels}
    return wanted


def ledger_lag(ledgers, min_heights):
    """{channel: {'height': h, 'wanted': w}} for every channel below its minimum height (absent = 0)."""
    heights = ledger_heights(ledgers)
    return {
        channel: {"height": heights.get(channel, 0), "wanted": int(wanted)}
        for channel, wanted in (min_heights or {}).items()
        if heights.get(channel, 0) < int(wanted)
    }


class FilterModule:
    def filters(self):
        return {"ledger_heights": ledger_heights, "ledger_max_heights": ledger_max_heights, "ledger_lag": ledger_lag}
