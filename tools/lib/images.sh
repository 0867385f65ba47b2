# Test-host images, built locally (no image registry is reachable): a Debian bookworm base from
# debootstrap, and a host image with systemd as PID 1, sshd, sudo, python3 and Java on top.
# shellcheck shell=bash

debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /\[/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  echo "${HLF_DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

ensure_base_image() {
  docker image inspect "$HLF_BASE_IMAGE" >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null || apt_install debootstrap
  local root
  root=$(mktemp -d "${TMPDIR:-/tmp}/hlf-rootfs.XXXXXX")
  log "debootstrap bookworm (minbase) from $(debian_mirror)"
  as_root debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)" >"$HLF_CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $HLF_CACHE/debootstrap.log"
  as_root tar -C "$root" -c . | docker import - "$HLF_BASE_IMAGE" >/dev/null
  as_root rm -rf "$root"
}

ensure_host_image() {
  local context="$HLF_ROOT/tools/images/host" want have
  want=$(cat "$context"/* | sha256sum | cut -c1-16)
  have=$(docker image inspect -f '{{ index .Config.Labels "hlf.context" }}' "$HLF_HOST_IMAGE" 2>/dev/null || true)
  [ "$have" = "$want" ] && return 0
  log "building $HLF_HOST_IMAGE"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$HLF_BASE_IMAGE" --label "hlf.context=$want" \
    -t "$HLF_HOST_IMAGE" "$context" >"$HLF_CACHE/host-image.log" 2>&1 ||
    die "building $HLF_HOST_IMAGE failed; see $HLF_CACHE/host-image.log"
}

ensure_images() {
  ensure_base_image
  ensure_host_image
}
