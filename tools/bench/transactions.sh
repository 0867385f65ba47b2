#!/usr/bin/env bash
# Prints the deployed network's transaction throughput and commit latency (p50/p99), measured with
# hlf-txclient on the admin host through the first organization's peers' gateways on every channel of the chaincode,
# and the resident memory of each chaincode server. A benchmark, not a test: it prints figures.
# Usage: tools/bench/transactions.sh [INVENTORY] [RATE] [SECONDS]   (default: the lab, 20 tx/s, 30 s)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
inventory=${1:-${HLF_CACHE:-$HOME/.cache/hlf-ansible}/lab/inventory}
rate=${2:-20}
seconds=${3:-30}
export ANSIBLE_CONFIG="$root/ansible.cfg"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Org1's admin identity, its peers and the chaincode's channels, from the inventory.
read -r chaincode channels peers msp_id org_dir < <(ansible-inventory -i "$inventory" --list | python3 -c '
import json, sys, yaml
graph = json.load(sys.stdin)
hostvars = graph["_meta"]["hostvars"]
admin = hostvars[graph["fabric_admin"]["hosts"][0]]
common = yaml.safe_load(open(sys.argv[1]))
chaincode = admin["fabric_chaincodes"][0]
org = admin["fabric_peer_orgs"][0]["name"]
peers = [h + ":" + str(hostvars[h].get("peer_port", common["peer_port"])) for h in graph["peer"]["hosts"] if hostvars[h]["fabric_org"] == org]
channels = [c["name"] for c in admin["fabric_channels"] if c["name"] in chaincode["channels"] and org in c["orgs"]]
admin_dir = admin.get("fabric_admin_dir", common["fabric_admin_dir"])
print(chaincode["name"], ",".join(channels), ",".join(peers), admin["fabric_peer_orgs"][0]["msp_id"], f"{admin_dir}/{org}")
' "$root/roles/common/defaults/main.yml")
options="--msp-id $msp_id --cert $org_dir/msp --tls-ca $org_dir/tls-ca.pem"
options+=" $(tr ',' '\n' <<<"$peers" | sed 's/^/--peer /' | tr '\n' ' ')$(tr ',' '\n' <<<"$channels" | sed 's/^/--channel /' | tr '\n' ' ')"
options+="--chaincode $chaincode"
max_tx=$((rate * seconds))

echo "load: $rate tx/s for at most $seconds s ($max_tx transactions) on $channels through $peers"
ansible fabric_admin[0] -i "$inventory" -b -m ansible.builtin.shell -a \
  "hlf-txclient load $options --rate $rate --concurrency 100 --max-tx $max_tx --max-seconds $((seconds + 30)) --out /tmp/bench-load.jsonl >/dev/null" >/dev/null
ansible fabric_admin[0] -i "$inventory" -b -m ansible.builtin.fetch -a "src=/tmp/bench-load.jsonl dest=$out/load.jsonl flat=true" >/dev/null
python3 "$root/tools/bench/tx_report.py" "$out/load.jsonl"

echo "chaincode servers (RSS):"
ANSIBLE_STDOUT_CALLBACK=minimal ansible peer -i "$inventory" -b -m ansible.builtin.shell -a '
  for unit in $(systemctl list-units --plain --no-legend "chaincode-*.service" | cut -d" " -f1); do
    pid=$(systemctl show -p MainPID --value "$unit")
    [ "${pid:-0}" -gt 0 ] && echo "  ${unit%.service} rss=$(( $(ps -o rss= -p "$pid") / 1024 )) MiB"
  done; true' 2>/dev/null | sed -E 's/ \| CHANGED \| rc=0 >>$/:/'
