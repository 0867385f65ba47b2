"""Unit-test wiring for the Fabric modules: their `ansible.module_utils.fabric_cli` (and fabric_policy) imports, a fake runner.

At run time Ansible ships plugins/module_utils/fabric_cli.py to the host as
`ansible.module_utils.fabric_cli`. Here the same file (already importable as `fabric_cli`, see
tests/conftest.py) is registered under that name, and plugins/modules goes on sys.path, so the
modules import unchanged. The fake command runner is in fabric_fakes.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ansible.module_utils
import fabric_policy

ROOT = Path(__file__).resolve().parents[2]


def register(name, module):
    sys.modules[f"ansible.module_utils.{name}"] = module
    setattr(ansible.module_utils, name, module)


# fabric_cli imports fabric_policy as Ansible ships it: register that one first.
register("fabric_policy", fabric_policy)
import fabric_cli

register("fabric_cli", fabric_cli)
if str(ROOT / "plugins" / "modules") not in sys.path:
    sys.path.insert(0, str(ROOT / "plugins" / "modules"))
