"""Where the test suite finds the artifacts and the venv's tools."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The pinned versions, as roles/common states them.
COMMON_DEFAULTS = yaml.safe_load((ROOT / "roles" / "common" / "defaults" / "main.yml").read_text())
FABRIC_VERSION, KAFKA_VERSION = COMMON_DEFAULTS["fabric_version"], COMMON_DEFAULTS["kafka_version"]
CACHE = Path(os.environ.get("HLF_CACHE", Path.home() / ".cache" / "hlf-ansible"))
ARTIFACTS = Path(os.environ.get("HLF_ARTIFACTS_DIR", CACHE / "artifacts" / f"fabric-{FABRIC_VERSION}_kafka-{KAFKA_VERSION}"))
FABRIC_ARCHIVE = ARTIFACTS / f"hyperledger-fabric-{FABRIC_VERSION}.tar.gz"


def fabric_missing_reason():
    """None when the Fabric artifact is there; otherwise the loud explanation from ./hlf setup."""
    if FABRIC_ARCHIVE.exists():
        return None
    note = ARTIFACTS / "FABRIC_MISSING"
    return note.read_text() if note.exists() else f"{FABRIC_ARCHIVE} does not exist; run ./hlf setup"
