#!/usr/bin/env python3
"""A bounded write load on Fabric channels: channel configuration updates made with the project's
own fabric_anchor_peers module, through Ansible, on the admin host.

Each update flips one organization's anchor peers in one channel between two valid lists (its
first peer; its first two peers), so every acknowledged update is a new config block. Updates
rotate over the given (channel, organization) pairs. A failed attempt is retried against the next
orderer (client retries), bounded in count. The load ends at the first of: --max-updates attempts,
--max-seconds, or the --stop-file appearing. Every attempt goes to --out as JSON:
{channel, org, anchors, orderer, began, ended, ok, config_block, error}.

    tools/load/config_update_load.py --inventory INV --admin-host cli --target channel1:Org2 \
        --target channel2:Org1 --max-updates 200 --max-seconds 900 --stop-file /tmp/stop --out load.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# Ports and directories not set in the inventory take the shared defaults of roles/common.
COMMON_DEFAULTS = yaml.safe_load((ROOT / "roles" / "common" / "defaults" / "main.yml").read_text())


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--admin-host", default="cli")
    parser.add_argument("--target", action="append", required=True, help="CHANNEL:ORG (repeatable)")
    parser.add_argument("--max-updates", type=int, default=200, help="bound on attempts")
    parser.add_argument("--max-seconds", type=float, default=900, help="bound on the run time")
    parser.add_argument("--attempt-timeout", type=float, default=120, help="bound on one attempt")
    parser.add_argument("--stop-file", default="")
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


def inventory_facts(inventory, admin_host):
    """Orderer endpoints, the orderer org's name and each peer org's MSP id, peers and their ports, from the inventory."""
    listing = ["ansible-inventory", "-i", inventory, "--list"]
    graph = json.loads(subprocess.run(listing, capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    all_vars = graph.get("_meta", {}).get("hostvars", {})
    admin_vars = all_vars[admin_host]

    def fact(host, name):
        return all_vars.get(host, {}).get(name, COMMON_DEFAULTS[name])

    orderers = [f"{host}:{fact(host, 'orderer_port')}" for host in graph["orderer"]["hosts"]]
    peers = graph["peer"]["hosts"]
    orgs = {}
    for org in admin_vars["fabric_peer_orgs"]:
        members = [host for host in peers if all_vars.get(host, {}).get("fabric_org") == org["name"]]
        ports = {host: int(fact(host, "peer_port")) for host in members}
        orgs[org["name"]] = {"msp_id": org["msp_id"], "peers": members, "ports": ports}
    return orderers, admin_vars["fabric_orderer_org"]["name"], orgs, fact(admin_host, "fabric_admin_dir")


def attempt(args, orderer_org, org, update, admin_dir):
    """One update through Ansible: (acknowledged, config block number, error text)."""
    channel, org_name, anchors, orderer = update
    module_args = {
        "channel": channel,
        "org": org_name,
        "anchor_peers": [{"host": host, "port": org["ports"][host]} for host in anchors],
        "msp_id": org["msp_id"],
        "msp_dir": f"{admin_dir}/{org_name}/msp",
        "orderer_address": orderer,
        "orderer_tls_ca": f"{admin_dir}/{orderer_org}/tls-ca.pem",
        "retries": 2,
        "retry_delay": 1,
        "commit_timeout": 30,
    }
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    command = ["ansible", "-i", args.inventory, args.admin_host, "-b", "-m", "fabric_anchor_peers", "-a", json.dumps(module_args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=args.attempt_timeout, check=False)
    except subprocess.TimeoutExpired:
        return False, None, f"no answer within {args.attempt_timeout} s"
    try:
        result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"][args.admin_host]
    except (ValueError, KeyError, IndexError):
        return False, None, (done.stderr or done.stdout)[-500:]
    if result.get("failed") or result.get("unreachable"):
        return False, None, str(result.get("msg", ""))[-500:]
    # changed: this attempt's update is in a config block; not changed: an earlier attempt whose
    # answer was lost had already made it (the module read the same anchors back).
    return True, result.get("config_block"), "" if result.get("changed") else "already applied"


def main(argv=None):
    args = parse_args(argv)
    orderers, orderer_org, orgs, admin_dir = inventory_facts(args.inventory, args.admin_host)
    targets = [tuple(target.split(":", 1)) for target in args.target]
    flips = {target: 0 for target in targets}
    records = []
    began = time.time()
    orderer_index = 0
    out = Path(args.out)
    for number in range(args.max_updates):
        if time.time() - began > args.max_seconds or (args.stop_file and os.path.exists(args.stop_file)):
            break
        channel, org_name = target = targets[number % len(targets)]
        peers = orgs[org_name]["peers"]
        # Alternate between the org's first peer and its first two peers.
        anchors = peers[:1] if flips[target] % 2 else peers[:2]
        orderer = orderers[orderer_index % len(orderers)]
        start = time.time()
        ok, block, error = attempt(args, orderer_org, orgs[org_name], (channel, org_name, anchors, orderer), admin_dir)
        record = {"channel": channel, "org": org_name, "anchors": anchors, "orderer": orderer, "began": start, "ended": time.time()}
        records.append({**record, "ok": ok, "config_block": block, "error": error})
        if ok:
            flips[target] += 1
        else:
            orderer_index += 1  # client retry: the same update next round, against the next orderer
        out.write_text(json.dumps(records, indent=1))
    out.write_text(json.dumps(records, indent=1))
    acked = sum(1 for record in records if record["ok"])
    print(f"{len(records)} attempts, {acked} acknowledged, {len(records) - acked} failed, {time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
