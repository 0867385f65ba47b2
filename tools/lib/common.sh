# Shared shell helpers for ./hlf: paths, logging, timing. Sourced, never executed.
# shellcheck shell=bash

HLF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HLF_CACHE=${HLF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hlf-ansible}
HLF_VENV=${HLF_VENV:-$HLF_CACHE/venv}
# Pinned upstream versions, read from the one place they are stated (roles/common/defaults/main.yml);
# the artifact directory is named after them.
common_default() {
  sed -n "s/^$1: *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" "$HLF_ROOT/roles/common/defaults/main.yml"
}
KAFKA_VERSION=$(common_default kafka_version)
FABRIC_VERSION=$(common_default fabric_version)
CHAINCODE_NODE_VERSION=$(common_default fabric_chaincode_node_version)
SCALA_VERSION=2.13
HLF_ARTIFACTS_DIR=${HLF_ARTIFACTS_DIR:-$HLF_CACHE/artifacts/fabric-${FABRIC_VERSION}_kafka-${KAFKA_VERSION}}
HLF_BASE_IMAGE=${HLF_BASE_IMAGE:-hlf-ansible/bookworm-base:1}
HLF_HOST_IMAGE=${HLF_HOST_IMAGE:-hlf-ansible/host:1}
export HLF_ROOT HLF_CACHE HLF_VENV HLF_ARTIFACTS_DIR HLF_BASE_IMAGE HLF_HOST_IMAGE

log() { printf '\033[1m[hlf %(%H:%M:%S)T]\033[0m %s\n' -1 "$*" >&2; }
warn() { printf '\033[1;33m[hlf WARNING]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[hlf ERROR]\033[0m %s\n' "$*" >&2; exit 1; }

# timed NAME CMD...: runs CMD and records "NAME <seconds>" in $HLF_CACHE/timings.log.
timed() {
  local name=$1 start rc=0
  shift
  start=$(date +%s.%N)
  # A subshell keeps errexit working inside the step (a `cmd || ...` context would disable it).
  set +e
  (set -e; "$@")
  rc=$?
  set -e
  local secs
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  mkdir -p "$HLF_CACHE"
  printf '%s %s %ss rc=%s\n' "$(date -Is)" "$name" "$secs" "$rc" >>"$HLF_CACHE/timings.log"
  log "$name: ${secs}s"
  return "$rc"
}

# as_root CMD...: run as root, through sudo when needed.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ ! -f "$HLF_CACHE/.apt-updated" ] || [ -n "$(find "$HLF_CACHE/.apt-updated" -mmin +720)" ]; then
    as_root apt-get update -qq
    mkdir -p "$HLF_CACHE" && touch "$HLF_CACHE/.apt-updated"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

activate_venv() {
  # shellcheck disable=SC1091
  . "$HLF_VENV/bin/activate"
  export ANSIBLE_CONFIG="$HLF_ROOT/ansible.cfg"
}
