"""The transaction client's own tests (tools/txclient/test, `node --test`), without a Fabric network.

The client is copied to a temporary directory and its locked dependencies installed there with
`npm ci --ignore-scripts` (once per run; npm's own cache makes a rerun quick): the pure parts need
none, the tests of lib/fabric.js and of the command line talk to stand-in Gateway peers over TLS
through the real @hyperledger/fabric-gateway. Without node, npm or the registry the test is skipped,
with the reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "tools" / "txclient"
SOURCES = ["package.json", "package-lock.json", "txclient.js", "lib", "test"]
FLAGS = "--msp-id --cert --key --peer --tls-ca --hostname-override --channel --chaincode".split()
FLAGS += "--rate --concurrency --max-tx --max-seconds --stop-file --retries --retry-delay --out".split()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"TRANSACTION CLIENT NOT TESTED: {', '.join(missing)} not found on PATH")
    copy = tmp_path_factory.mktemp("txclient")
    for name in SOURCES:
        source = CLIENT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, copy / name)
    command = ["npm", "ci", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"]
    result = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        pytest.skip(f"TRANSACTION CLIENT NOT TESTED: npm ci could not install its dependencies:\n{(result.stdout + result.stderr)[-2000:]}")
    return copy


def test_node_test_suite_passes(installed):
    tests = sorted(str(path.relative_to(installed)) for path in (installed / "test").glob("*.test.js"))
    result = subprocess.run(["node", "--test", *tests], cwd=installed, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    counts = {name: int(value) for name, value in re.findall(r"^# (tests|pass|fail|skipped|cancelled) (\d+)$", output, re.MULTILINE)}
    assert result.returncode == 0, output[-8000:]
    assert counts["fail"] == counts["cancelled"] == 0, output[-8000:]
    # With node_modules installed nothing may be skipped (the gateway tests skip only without them).
    assert counts["skipped"] == 0, output[-8000:]
    assert counts["pass"] == counts["tests"] >= 50, counts


def test_help_runs_without_dependencies():
    if shutil.which("node") is None:
        pytest.skip("TRANSACTION CLIENT NOT TESTED: node not found on PATH")
    result = subprocess.run(["node", str(CLIENT / "txclient.js"), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for flag in FLAGS:
        assert f"  {flag} " in result.stdout, flag
