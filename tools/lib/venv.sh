# The Python virtual environment with the pinned tooling from requirements.txt.
# shellcheck shell=bash

ensure_venv() {
  local stamp="$HLF_VENV/.requirements.sha256" want
  want=$(sha256sum "$HLF_ROOT/requirements.txt" | cut -d' ' -f1)
  if [ -x "$HLF_VENV/bin/ansible-playbook" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -m venv "$HLF_VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$HLF_VENV"; }
  log "installing pinned Python tooling into $HLF_VENV"
  "$HLF_VENV/bin/pip" install -q --disable-pip-version-check -r "$HLF_ROOT/requirements.txt"
  echo "$want" >"$stamp"
}
