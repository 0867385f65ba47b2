"""Lint is part of the test suite: ansible-lint (production profile), yamllint, ruff, ansible-doc."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py"))


def run(*command):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_ansible_lint_production_profile():
    result = run("ansible-lint", "--profile", "production", "--offline")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_yamllint():
    result = run("yamllint", "--strict", ".")
    assert result.returncode == 0, result.stdout[-6000:]


def test_ruff():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout[-6000:]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_without_warnings(module):
    result = run("ansible-doc", "-M", str(ROOT / "plugins" / "modules"), module)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    assert "EXAMPLES:" in result.stdout and "RETURN VALUES:" in result.stdout
