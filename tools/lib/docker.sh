# Docker engine for the lab and Molecule: Debian's docker.io, dockerd started when none runs.
# shellcheck shell=bash

ensure_docker() {
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing the Docker engine (Debian docker.io)"
    apt_install docker.io
  fi
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl start docker
  else
    log "starting dockerd in the background (log: $HLF_CACHE/dockerd.log)"
    mkdir -p "$HLF_CACHE"
    as_root sh -c "nohup dockerd >'$HLF_CACHE/dockerd.log' 2>&1 &"
  fi
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "dockerd did not answer within 60 s; see $HLF_CACHE/dockerd.log"
}
