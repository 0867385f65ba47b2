"""./hlf setup's choice of Fabric (tools/lib/artifacts.sh), run for real in a scratch cache.

The Fabric binaries here are stand-ins that only answer `version` as the 2.5.16 release does: the
logic under test is which release setup accepts, keeps or drops, not Fabric itself.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARIES = ["peer", "orderer", "configtxgen", "configtxlator", "cryptogen", "osnadmin"]


def fabric_dir(path, version="2.5.16"):
    (path / "bin").mkdir(parents=True)
    for name in BINARIES:
        stub = path / "bin" / name
        stub.write_text(f"#!/bin/sh\nprintf '{name}:\\n Version: {version}\\n'\n")
        stub.chmod(0o755)
    return path


def setup_fabric(tmp_path, **env):
    variables = {key: value for key, value in os.environ.items() if not key.startswith("HLF_")}
    variables.update(CI="true", HLF_CACHE=str(tmp_path / "cache"), HLF_ARTIFACTS_DIR=str(tmp_path / "artifacts"), **env)
    script = ". tools/lib/common.sh && . tools/lib/artifacts.sh && ensure_fabric_artifact"
    return subprocess.run(["bash", "-c", script], cwd=ROOT, env=variables, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def archive(tmp_path):
    return tmp_path / "artifacts" / "hyperledger-fabric-2.5.16.tar.gz"


def test_release_given_once_is_kept_by_later_runs_without_the_variable(tmp_path, archive):
    given = setup_fabric(tmp_path, HLF_FABRIC_SOURCE=str(fabric_dir(tmp_path / "release")))
    assert given.returncode == 0, given.stderr
    accepted = archive.read_bytes()
    again = setup_fabric(tmp_path)  # no HLF_FABRIC_SOURCE, no cached candidate, no download under CI
    assert again.returncode == 0, again.stderr
    assert archive.read_bytes() == accepted
    assert not (tmp_path / "artifacts" / "FABRIC_MISSING").exists()
    assert "using the release accepted earlier from" in again.stderr


def test_a_newly_named_release_replaces_the_kept_one(tmp_path, archive):
    setup_fabric(tmp_path, HLF_FABRIC_SOURCE=str(fabric_dir(tmp_path / "first")))
    first = archive.read_bytes()
    other = fabric_dir(tmp_path / "second")
    (other / "bin" / "cryptogen").write_text("#!/bin/sh\n# another build\n")
    replaced = setup_fabric(tmp_path, HLF_FABRIC_SOURCE=str(other))
    assert replaced.returncode == 0, replaced.stderr
    assert archive.read_bytes() != first


def test_none_drops_the_release_and_says_why_loudly(tmp_path, archive):
    setup_fabric(tmp_path, HLF_FABRIC_SOURCE=str(fabric_dir(tmp_path / "release")))
    dropped = setup_fabric(tmp_path, HLF_FABRIC_SOURCE="none")
    assert dropped.returncode == 0, dropped.stderr
    assert not archive.exists()
    note = (tmp_path / "artifacts" / "FABRIC_MISSING").read_text()
    assert "SKIPPED" in note and "HLF_FABRIC_SOURCE=/path/to/hyperledger-fabric-linux-amd64-2.5.16.tar.gz" in note


def test_wrong_release_is_refused(tmp_path, archive):
    refused = setup_fabric(tmp_path, HLF_FABRIC_SOURCE=str(fabric_dir(tmp_path / "old", version="2.5.15")))
    assert refused.returncode != 0
    assert "reports '2.5.15', expected 2.5.16" in refused.stderr
    assert not archive.exists()
