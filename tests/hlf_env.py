"""Where the test suite finds the artifacts and the venv's tools."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("HLF_CACHE", Path.home() / ".cache" / "hlf-ansible"))
ARTIFACTS = Path(os.environ.get("HLF_ARTIFACTS_DIR", CACHE / "artifacts" / "fabric-2.5.16_kafka-3.9.2"))
FABRIC_ARCHIVE = ARTIFACTS / "hyperledger-fabric-2.5.16.tar.gz"


def fabric_missing_reason():
    """None when the Fabric artifact is there; otherwise the loud explanation from ./hlf setup."""
    if FABRIC_ARCHIVE.exists():
        return None
    note = ARTIFACTS / "FABRIC_MISSING"
    return note.read_text() if note.exists() else f"{FABRIC_ARCHIVE} does not exist; run ./hlf setup"
