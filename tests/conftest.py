"""Shared test setup: import paths for the project's plugins, Fabric availability, loud skips."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins" / "module_utils"), str(ROOT / "plugins" / "filter"), str(ROOT / "tests")]

from hlf_env import fabric_missing_reason


def pytest_report_header(config):
    reason = fabric_missing_reason()
    if reason:
        return ["!" * 78, "FABRIC CHECKS WILL BE SKIPPED (NOT PASSED):", *reason.splitlines(), "!" * 78]
    return [f"Fabric binaries: provided ({os.environ.get('HLF_ARTIFACTS_DIR', '')})"]


def pytest_terminal_summary(terminalreporter):
    reason = fabric_missing_reason()
    if reason:
        terminalreporter.write_sep("!", "FABRIC CHECKS WERE SKIPPED, NOT PASSED", red=True, bold=True)
        for line in reason.splitlines():
            terminalreporter.write_line(line, red=True)
