"""CouchDB up to the package install, which no registry here can provide (see README): the refusal
of "admin party", the rendered configuration (on the controller, into a scratch directory), and
the peer's wiring to it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def run_playbook(tmp_path, play, inventory="localhost,"):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    result = subprocess.run(["ansible-playbook", "-i", inventory, str(playbook)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return result, json.loads(result.stdout[result.stdout.index("{") :])


def failure_message(report):
    return next(host["msg"] for play in report["plays"] for task in play["tasks"] for host in task["hosts"].values() if host.get("failed"))


def local_play(tasks, **variables):
    variables["ansible_python_interpreter"] = "{{ ansible_playbook_python }}"
    return {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False, "vars": variables, "tasks": tasks}


def test_couchdb_without_admin_password_is_refused(tmp_path):
    play = local_play(
        [{"ansible.builtin.include_role": {"name": "couchdb", "tasks_from": "validate"}}],
        couchdb_admin_password="",
    )
    result, report = run_playbook(tmp_path, play)
    assert result.returncode != 0
    assert "CouchDB needs couchdb_admin_user and a non-empty couchdb_admin_password" in failure_message(report)


def test_rendered_configuration(tmp_path):
    home = tmp_path / "opt" / "couchdb"
    (home / "etc" / "local.d").mkdir(parents=True)
    # What Apache's package leaves behind: its default cookie.
    (home / "etc" / "vm.args").write_text("-name couchdb@127.0.0.1\n-setcookie monster\n")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    play = local_play(
        [{"ansible.builtin.include_role": {"name": "couchdb", "tasks_from": "configure"}}],
        couchdb_admin_password="s3cret-for-test",
        couchdb_home=str(home),
        couchdb_data_dir=str(tmp_path / "data"),
        couchdb_user=user,
        couchdb_systemd_dropin_dir=str(tmp_path / "dropin"),
    )
    first, _ = run_playbook(tmp_path, play)
    assert first.returncode == 0, first.stdout[-3000:]
    second, report = run_playbook(tmp_path, play)
    assert second.returncode == 0
    assert report["stats"]["localhost"]["changed"] == 0, "configuring twice must change nothing"

    ini = (home / "etc" / "local.d" / "10-hlf.ini").read_text().splitlines()
    for line in ("single_node = true", f"database_dir = {tmp_path / 'data'}", "n = 1", "bind_address = 127.0.0.1", "port = 5984"):
        assert line in ini, line
    admins = home / "etc" / "local.d" / "20-admins.ini"
    assert admins.read_text() == "[admins]\nadmin = s3cret-for-test\n"
    assert admins.stat().st_mode & 0o777 == 0o600
    vm_args = (home / "etc" / "vm.args").read_text()
    assert "monster" not in vm_args and "-setcookie " in vm_args
    assert "Environment=ERL_EPMD_ADDRESS=127.0.0.1" in (tmp_path / "dropin" / "hlf.conf").read_text().splitlines()
    assert (tmp_path / "data").is_dir()


def peer_play(tmp_path, **variables):
    """The peer role's defaults (with the shared ones of roles/common) and vars, rendered for peer0-org1
    without touching any host."""
    # vars_files outrank play vars: the test's settings go in the last file, over the defaults.
    settings = tmp_path / "settings.yml"
    settings.write_text(yaml.safe_dump({**variables, "ansible_python_interpreter": "{{ ansible_playbook_python }}"}))
    return {
        "name": "peer settings",
        "hosts": "peer0-org1",
        "connection": "local",
        "gather_facts": False,
        "vars_files": [str(ROOT / f"roles/{path}.yml") for path in ("common/defaults/main", "peer/defaults/main", "peer/vars/main")] + [str(settings)],
        "tasks": [
            {"ansible.builtin.include_tasks": str(ROOT / "roles/peer/tasks/validate.yml")},
            {"name": "show", "ansible.builtin.debug": {"msg": "{{ peer_core_settings.ledger }}"}},
        ],
    }


def test_peer_is_wired_to_couchdb(tmp_path):
    result, report = run_playbook(
        tmp_path,
        peer_play(tmp_path, peer_state_database="CouchDB", peer_couchdb_username="admin", peer_couchdb_password="s3cret-for-test"),
        inventory=str(ROOT / "inventory" / "example"),
    )
    assert result.returncode == 0, result.stdout[-3000:]
    ledger = next(task["hosts"]["peer0-org1"]["msg"] for task in report["plays"][0]["tasks"] if task["task"]["name"] == "show")
    assert ledger["state"]["stateDatabase"] == "CouchDB"
    assert ledger["state"]["couchDBConfig"] == {"couchDBAddress": "127.0.0.1:5984", "username": "admin", "password": "s3cret-for-test"}


def test_peer_refuses_couchdb_without_password(tmp_path):
    result, report = run_playbook(
        tmp_path, peer_play(tmp_path, peer_state_database="CouchDB", peer_couchdb_username="admin"), inventory=str(ROOT / "inventory" / "example")
    )
    assert result.returncode != 0
    assert "peer0-org1: peer_state_database must be goleveldb or CouchDB, and CouchDB needs" in failure_message(report)
