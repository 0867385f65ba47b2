"""site.yml refuses a run whose releases are not in the artifact directory, before any host is
touched, and says how to provide Fabric (no package registry serves it).

The inventory is inventory/example with every host on a docker connection to a container that does
not exist (as in test_bad_inventories): a task that reached a host would fail as unreachable.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from test_bad_inventories import load_example, run_site, write_inventory

ROOT = Path(__file__).resolve().parents[2]


def test_missing_fabric_release_is_refused_before_any_host_with_how_to_provide_it(tmp_path):
    inventory_dir = tmp_path / "inventory"
    inventory_dir.mkdir()
    write_inventory(inventory_dir, copy.deepcopy(load_example()))
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    # What ./hlf setup leaves without Fabric: the other archives in the manifest, and its note.
    others = ["kafka-3.9.2.tar.gz", "fabric-chaincode-node-2.5.8.tar.gz", "hlf-txclient.tar.gz"]
    (artifacts / "SHA256SUMS").write_text("".join(f"{'0' * 64}  {name}\n" for name in others))
    (artifacts / "FABRIC_MISSING").write_text("Fabric 2.5.16 binaries are NOT available, so every check that needs Fabric is SKIPPED.\n")

    result, report = run_site(inventory_dir, HLF_ARTIFACTS_DIR=str(artifacts))

    assert result.returncode != 0, "site.yml went on without the Fabric release"
    failures = [
        (task["task"]["name"], outcome["msg"])
        for play in report["plays"]
        for task in play["tasks"]
        for outcome in task["hosts"].values()
        if outcome.get("failed")
    ]
    assert [name for name, _ in failures] == ["Check that the artifact directory holds every release this run installs"], failures
    message = failures[0][1]
    assert "hyperledger-fabric-2.5.16.tar.gz is not in the artifact directory" in message
    assert "HLF_FABRIC_SOURCE=/path/to/it ./hlf setup" in message
    assert "hyperledger-fabric-linux-amd64-2.5.16.tar.gz" in message
    assert not any(name in message.split("is not in")[0] for name in others), message
    for name, stats in report["stats"].items():
        assert stats["changed"] == 0 and stats["unreachable"] == 0, f"{name} was touched: {stats}"


def test_playbooks_that_install_nothing_need_no_release(tmp_path):
    """validate.yml as the restart, status and channel playbooks import it (no validate_artifacts): no archive needed."""
    inventory_dir = tmp_path / "inventory"
    inventory_dir.mkdir()
    shutil.copytree(ROOT / "inventory" / "example" / "group_vars", inventory_dir / "group_vars")
    shutil.copy(ROOT / "inventory" / "example" / "hosts.yml", inventory_dir / "hosts.yml")
    result, _ = run_site(inventory_dir, ROOT / "playbooks" / "validate.yml", HLF_ARTIFACTS_DIR=str(tmp_path / "nothing-here"))
    assert result.returncode == 0, result.stdout[-3000:]
