#!/usr/bin/env bash
# Prints the resident memory of every hlf service on the hosts of an inventory (default: the lab),
# read over SSH from each service's main process. Usage: tools/bench/memory.sh [INVENTORY]
set -euo pipefail
inventory=${1:-${HLF_CACHE:-$HOME/.cache/hlf-ansible}/lab/inventory}
ANSIBLE_STDOUT_CALLBACK=minimal ansible all -i "$inventory" -b -m ansible.builtin.shell -a '
  for unit in zookeeper kafka orderer peer couchdb; do
    pid=$(systemctl show -p MainPID --value "$unit" 2>/dev/null || echo 0)
    [ "${pid:-0}" -gt 0 ] && echo "  $unit rss=$(( $(ps -o rss= -p "$pid") / 1024 )) MiB"
  done; true' 2>/dev/null | sed -E 's/ \| CHANGED \| rc=0 >>$/:/'
