# The SSH lab: one systemd container per host of inventory/lab, reached over SSH through a
# generated inventory, exactly as site.yml reaches real servers.
# shellcheck shell=bash

HLF_LAB_INVENTORY="$HLF_CACHE/lab/inventory"

lab_up() {
  ansible-playbook -i "$HLF_ROOT/inventory/lab" "$HLF_ROOT/tools/lab/lab_up.yml"
  lab_ping
  log "lab hosts are up; inventory: $HLF_LAB_INVENTORY"
}

lab_ping() {
  [ -d "$HLF_LAB_INVENTORY" ] || die "no lab inventory; run ./hlf lab-up first"
  ansible all -i "$HLF_LAB_INVENTORY" -m ansible.builtin.ping -o
}

lab_down() {
  activate_venv
  ansible-playbook -i "$HLF_ROOT/inventory/lab" "$HLF_ROOT/tools/lab/lab_down.yml"
}

# lab_playbook PLAYBOOK [ARGS...]: run a playbook against the lab hosts over SSH.
lab_playbook() {
  ansible-playbook -i "$HLF_LAB_INVENTORY" "$@"
}
