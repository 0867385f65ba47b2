"""ZooKeeper four-letter words (srvr, mntr, ruok): ask a server and read its answer."""

from __future__ import annotations

import socket


def ask(host, port, word, timeout=5.0):
    """Send a four-letter word; return the answer, or raise OSError when the server cannot be reached."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.settimeout(timeout)
        conn.sendall(word.encode())
        chunks = []
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def parse_fields(word, raw):
    """srvr answers 'Key: value' lines; mntr answers 'key<TAB>value' lines."""
    separator = "\t" if word == "mntr" else ":"
    fields = {}
    for line in raw.splitlines():
        key, sep, value = line.partition(separator)
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def server_mode(raw_srvr):
    """'leader', 'follower', 'standalone', or None when the node is not serving.

    A node outside a quorum answers 'This ZooKeeper instance is not currently serving requests'.
    """
    return parse_fields("srvr", raw_srvr).get("Mode")


def ensemble_state(answers, leader_mntr=None):
    """Summarise an ensemble from each server's srvr answer (None = unreachable) and the leader's mntr.

    Healthy means: every server serves, there is exactly one leader (or one standalone server),
    and the leader reports every follower as synced.
    """
    modes = {server: (server_mode(raw) if raw is not None else None) for server, raw in answers.items()}
    leaders = [server for server, mode in modes.items() if mode == "leader"]
    followers = [server for server, mode in modes.items() if mode == "follower"]
    not_serving = [server for server, mode in modes.items() if mode is None]
    synced = None
    if leader_mntr is not None:
        value = parse_fields("mntr", leader_mntr).get("zk_synced_followers")
        synced = int(float(value)) if value is not None else None
    standalone = len(modes) == 1 and list(modes.values()) == ["standalone"]
    healthy = standalone or (not not_serving and len(leaders) == 1 and synced is not None and synced == len(followers) == len(modes) - 1)
    return {
        "modes": modes,
        "leader": leaders[0] if len(leaders) == 1 else None,
        "followers": sorted(followers),
        "not_serving": sorted(not_serving),
        "synced_followers": synced,
        "healthy": healthy,
    }
