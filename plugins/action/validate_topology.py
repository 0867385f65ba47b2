"""Refuse a bad topology on the controller, before any host is touched.

Runs once, reads every host's effective settings (inventory over the roles' defaults) and the
controller's (the genesis block is made there), and reports every fault together, each naming the
host (or group), the variable and the rule.
"""

from __future__ import annotations

import importlib.util
import os

import yaml
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

try:  # ansible-core >= 2.19: only trusted strings are templated
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover

    def trust_as_template(value):
        return value


_RULES_PATH = os.path.join(os.path.dirname(__file__), "..", "module_utils", "topology_rules.py")
_spec = importlib.util.spec_from_file_location("hlf_topology_rules", _RULES_PATH)
topology_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(topology_rules)

ROLES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "roles")


def role_defaults(roles):
    defaults = {}
    for role in roles:
        path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                defaults.update(yaml.safe_load(handle) or {})
    return {name: _trusted(value) for name, value in defaults.items()}


def _trusted(value):
    """Defaults are the project's own files: their Jinja expressions may be templated."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    return value


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        groups = task_vars["groups"]
        defaults = role_defaults(topology_rules.ROLES)
        settings = {}
        # Every host, and the controller (where roles/fabric_artifacts makes the genesis block).
        controller = topology_rules.CONTROLLER
        for host in [*groups["all"], *([] if controller in groups["all"] else [controller])]:
            host_vars = dict(defaults)
            host_vars.update(task_vars["hostvars"][host])
            host_vars.update({"groups": groups, "inventory_hostname": host, "hostvars": task_vars["hostvars"]})
            templar = self._templar.copy_with_new_env(available_variables=host_vars)
            settings[host] = topology_rules.Settings(host, host_vars, templar.template, explicit=task_vars["hostvars"][host].keys())
        try:
            errors = topology_rules.validate(groups, settings, controller)
        except AnsibleError as exc:
            errors = [f"the inventory could not be read: {exc}"]
        result.update(changed=False, errors=errors, checked_hosts=len(groups["all"]))
        if errors:
            result["failed"] = True
            result["msg"] = f"The inventory has {len(errors)} fault(s); no host was changed:\n" + "\n".join(f"  - {error}" for error in errors)
        else:
            result["msg"] = f"inventory valid ({len(groups['all'])} hosts)"
        return result
