"""Fakes for the chaincode lifecycle module tests, on top of fabric_fakes (the runner and the clock).

Registers plugins/module_utils/fabric_lifecycle.py as `ansible.module_utils.fabric_lifecycle` (as
conftest.py does for fabric_cli), so that the modules import unchanged, and replays the answers of
the real 2.5.16 CLI saved under fixtures/fabric/lifecycle/ (how: fixtures/fabric/lifecycle/README.md).
"""

from __future__ import annotations

import json
import sys

import ansible.module_utils
import fabric_lifecycle
from fabric_fakes import FIXTURES, KILLED, FakeClock, FakeRunner, flag

sys.modules["ansible.module_utils.fabric_lifecycle"] = fabric_lifecycle
ansible.module_utils.fabric_lifecycle = fabric_lifecycle

LIFECYCLE = FIXTURES / "lifecycle"
# The lifecycle commands that change something. Check mode must never run one of them.
LIFECYCLE_WRITES = ("peer lifecycle chaincode install", "peer lifecycle chaincode approveformyorg", "peer lifecycle chaincode commit")

__all__ = ["KILLED", "LIFECYCLE", "LIFECYCLE_WRITES", "FakeClock", "FakeRunner", "answer", "capture", "flag", "flags", "stdout", "writes"]


def capture(name):
    """A captured lifecycle command: {'cmd', 'identity', 'rc', 'stdout', 'stderr', ...}."""
    return json.loads((LIFECYCLE / f"{name}.json").read_text())


def answer(name):
    """(rc, stdout, stderr) of a captured lifecycle command, as the runner returns it."""
    data = capture(name)
    return data["rc"], data["stdout"], data["stderr"]


def stdout(name):
    return capture(name)["stdout"]


def writes(runner):
    """The lifecycle writes the module ran, in order."""
    return [word for word in runner.words if word in LIFECYCLE_WRITES]


def flags(argv, name):
    """Every value of a repeated flag (--peerAddresses A --peerAddresses B -> [A, B])."""
    return [argv[index + 1] for index, arg in enumerate(argv) if arg == name]
