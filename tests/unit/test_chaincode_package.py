"""CCaaS packages (plugins/module_utils/chaincode_package.py, plugins/modules/fabric_chaincode_package.py).

The same inputs give the same bytes (hence the same package ID) on every run, whatever the source
files' mtimes and modes; any change of an index or a connection setting gives another ID; the ID
is the one the real `peer lifecycle chaincode calculatepackageid` (Fabric 2.5.16) prints, which also
parses the package; the module writes only when the bytes differ and nothing in check mode. The
checks that run the peer CLI are skipped loudly when Fabric is not provided.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import ansible.module_utils
import chaincode_package
import pytest
from ansible.module_utils import _internal as module_internal
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args
from hlf_env import CACHE, FABRIC_ARCHIVE, ROOT, fabric_missing_reason

# At run time Ansible ships the file as ansible.module_utils.chaincode_package; here the same file.
sys.modules["ansible.module_utils.chaincode_package"] = chaincode_package
ansible.module_utils.chaincode_package = chaincode_package
if str(ROOT / "plugins" / "modules") not in sys.path:
    sys.path.insert(0, str(ROOT / "plugins" / "modules"))
import fabric_chaincode_package

SAMPLE = ROOT / "chaincode" / "asset-registry"
LABEL = "asset-registry_1.0.0"
INDEX = "META-INF/statedb/couchdb/indexes/indexOwner.json"


@pytest.fixture
def source(tmp_path):
    """A copy of the sample chaincode (its index files are what gets packaged)."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "src"))


def package(source=None, **options):
    return chaincode_package.package_bytes(LABEL, source=str(source) if source else None, **options)


def members(data):
    """[(TarInfo, bytes)] of a tar.gz, in archive order."""
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
        return [(info, archive.extractfile(info).read()) for info in archive.getmembers()]


# --- reproducibility ---


def test_same_inputs_give_the_same_bytes_and_id(source, tmp_path):
    first = package(source, dial_timeout="10s")
    assert package(source, dial_timeout="10s") == first
    # Another checkout: other mtimes, other modes, another path; same bytes.
    other = Path(shutil.copytree(SAMPLE, tmp_path / "elsewhere" / "checkout"))
    index = other / INDEX
    os.utime(index, (1, 1))
    index.chmod(0o600)
    assert package(other, dial_timeout="10s") == first
    assert chaincode_package.package_id(LABEL, first) == f"{LABEL}:{hashlib.sha256(first).hexdigest()}"


def test_any_change_of_an_index_or_a_connection_setting_gives_another_id(source):
    variants = {"base": package(source)}
    variants["no source"] = package()
    variants["dial_timeout"] = package(source, dial_timeout="10s")
    variants["other dial_timeout"] = package(source, dial_timeout="11s")
    variants["no client auth"] = package(source, client_auth_required=False)
    variants["no tls"] = package(source, tls_required=False, client_auth_required=False)
    variants["address"] = package(source, address="cc.example.com:9999")
    variants["label"] = chaincode_package.package_bytes("asset-registry_1.0.1", source=str(source))
    index = source / INDEX
    index.write_text(index.read_text().replace('"owner"', '"owner", "value"'))
    variants["changed index"] = package(source)
    (index.parent / "indexValue.json").write_text('{"index": {"fields": ["value"]}, "name": "indexValue", "type": "json"}')
    variants["added index"] = package(source)
    collection = source / "META-INF/statedb/couchdb/collections/private/indexes"
    collection.mkdir(parents=True)
    (collection / "indexPrivate.json").write_text('{"index": {"fields": ["owner"]}, "name": "indexPrivate", "type": "json"}')
    variants["collection index"] = package(source)
    ids = {name: chaincode_package.package_id(LABEL, data) for name, data in variants.items()}
    assert len(set(ids.values())) == len(ids), ids


def test_package_layout(source):
    data = package(source, dial_timeout="10s")
    # gzip header: deflate, no flags (so no file name), mtime 0.
    assert data[:4] == b"\x1f\x8b\x08\x00" and data[4:8] == b"\0\0\0\0"
    outer = members(data)
    assert [info.name for info, _ in outer] == ["code.tar.gz", "metadata.json"]
    for info, _ in outer:
        assert info.isreg() and info.mode == 0o644 and info.mtime == 0
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "", "")
    metadata = dict((info.name, content) for info, content in outer)["metadata.json"]
    assert metadata == b'{"label":"asset-registry_1.0.0","type":"ccaas"}'
    code = dict((info.name, content) for info, content in outer)["code.tar.gz"]
    assert code[:4] == b"\x1f\x8b\x08\x00" and code[4:8] == b"\0\0\0\0"
    inner = dict((info.name, content) for info, content in members(code))
    assert list(inner) == [INDEX, "connection.json"]
    assert inner[INDEX] == (SAMPLE / INDEX).read_bytes()
    connection = json.loads(inner["connection.json"])
    assert connection == {"client_auth_required": True, "dial_timeout": "10s", "tls_required": True}
    assert connection["tls_required"] is True and connection["client_auth_required"] is True
    assert b"PRIVATE KEY" not in inner["connection.json"] and b"CERTIFICATE" not in inner["connection.json"]


def test_only_index_files_are_packaged(source):
    (source / "META-INF/statedb/couchdb/indexes/README.txt").write_text("not an index")
    inner = dict((info.name, content) for info, content in members(dict((i.name, c) for i, c in members(package(source)))["code.tar.gz"]))
    assert sorted(inner) == [INDEX, "connection.json"]


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 200_000])
def test_gzip_stored_blocks_round_trip(size):
    data = random.Random(size).randbytes(size)
    packed = chaincode_package.gzip_bytes(data)
    assert gzip.decompress(packed) == data
    assert chaincode_package.gzip_bytes(data) == packed


def test_tar_round_trip_with_a_long_name():
    name = "META-INF/statedb/couchdb/collections/" + "c" * 60 + "/indexes/" + "i" * 60 + ".json"
    files = {name: b"{}", "b": b"x" * 513, "a": b""}
    data = chaincode_package.tar_bytes(files)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        read = {info.name: archive.extractfile(info).read() for info in archive.getmembers()}
        assert [info.name for info in archive.getmembers()] == ["META-INF" + name[8:], "a", "b"]
    assert read == files


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"label": "../x"}, "invalid label"),
        ({"label": ""}, "invalid label"),
        ({"label": "_x"}, "invalid label"),
        ({"dial_timeout": "10"}, "invalid dial_timeout"),
        ({"dial_timeout": "ten seconds"}, "invalid dial_timeout"),
        ({"address": "no-port"}, "invalid address"),
        ({"address": "host:70000"}, "invalid address"),
        ({"tls_required": False}, "client_auth_required needs tls_required"),
        ({"tls_required": "yes"}, "must be booleans"),
    ],
)
def test_invalid_options_are_refused(options, message):
    label = options.pop("label", LABEL)
    with pytest.raises(chaincode_package.PackageError, match=message):
        chaincode_package.package_bytes(label, **options)


def test_broken_index_files_are_refused(source, tmp_path):
    index = source / INDEX
    index.write_text("{not json")
    with pytest.raises(chaincode_package.PackageError, match=r"indexOwner.json is not JSON"):
        package(source)
    index.write_text('{"fields": ["owner"]}')
    with pytest.raises(chaincode_package.PackageError, match=r'not a CouchDB index definition \(no "index" member\)'):
        package(source)
    with pytest.raises(chaincode_package.PackageError, match="is not a directory"):
        package(tmp_path / "missing")


# --- the real peer CLI ---


@pytest.fixture(scope="module")
def peer_cli(tmp_path_factory):
    """(peer binary, FABRIC_CFG_PATH) of Fabric 2.5.16, or a loud skip."""
    local = CACHE / "fabric-local"
    if (local / "bin" / "peer").is_file() and (local / "config" / "core.yaml").is_file():
        return local / "bin" / "peer", local / "config"
    if FABRIC_ARCHIVE.exists():
        target = tmp_path_factory.mktemp("fabric")
        with tarfile.open(FABRIC_ARCHIVE) as archive:
            archive.extractall(target, members=[m for m in archive.getmembers() if m.name in ("./bin/peer", "./config/core.yaml")], filter="data")
        return target / "bin" / "peer", target / "config"
    pytest.skip("FABRIC NOT PROVIDED, package IDs NOT CHECKED against the real peer CLI: " + " ".join((fabric_missing_reason() or "").split()))


def calculate(peer_cli, path):
    peer, config = peer_cli
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(path.parent), "FABRIC_CFG_PATH": str(config)}
    return subprocess.run(
        [str(peer), "lifecycle", "chaincode", "calculatepackageid", str(path)], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_the_real_peer_cli_computes_the_same_package_id(peer_cli, source, tmp_path):
    for name, data in {
        "mutual-tls.tar.gz": package(source, dial_timeout="10s"),
        "plain.tar.gz": package(tls_required=False, client_auth_required=False),
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = calculate(peer_cli, path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == chaincode_package.package_id(LABEL, data)


def test_the_real_peer_cli_parses_the_package(peer_cli, tmp_path):
    """calculatepackageid reads the package (metadata and code package): a broken one is refused."""
    path = tmp_path / "no-code.tar.gz"
    path.write_bytes(chaincode_package.gzip_bytes(chaincode_package.tar_bytes({"metadata.json": b'{"label":"x","type":"ccaas"}'})))
    result = calculate(peer_cli, path)
    assert result.returncode != 0 and "did not find a code package" in result.stderr, result.stderr
    path.write_bytes(chaincode_package.gzip_bytes(chaincode_package.tar_bytes({"code.tar.gz": b"", "metadata.json": b'{"label":"bad label","type":"ccaas"}'})))
    result = calculate(peer_cli, path)
    assert result.returncode != 0 and "invalid label" in result.stderr, result.stderr


# --- the module ---


def run_module(args, capsys, check=False):
    controller, module_internal.is_controller = module_internal.is_controller, False
    module_warnings._global_warnings.clear()
    try:
        with patch_module_args({**args, "_ansible_check_mode": check, "_ansible_diff": True}), pytest.raises(SystemExit):
            fabric_chaincode_package.main()
    finally:
        module_internal.is_controller = controller
    return json.loads(capsys.readouterr().out)


def test_module_check_mode_writes_nothing_then_writes_once(source, tmp_path, capsys):
    dest = tmp_path / "out" / "chaincode" / f"{LABEL}.tar.gz"
    args = {"dest": str(dest), "label": LABEL, "source": str(source), "dial_timeout": "10s"}
    expected = chaincode_package.package_id(LABEL, package(source, dial_timeout="10s"))

    checked = run_module(args, capsys, check=True)
    assert checked["changed"] is True and checked["package_id"] == expected
    assert checked["diff"] == {"before": {"package_id": "(absent)"}, "after": {"package_id": expected}}
    assert not (tmp_path / "out").exists()

    written = run_module(args, capsys)
    assert written["changed"] is True and written["package_id"] == expected and written["path"] == str(dest)
    assert written["files"] == [INDEX, "connection.json"]
    assert written["connection"] == {"client_auth_required": True, "dial_timeout": "10s", "tls_required": True}
    assert chaincode_package.package_id(LABEL, dest.read_bytes()) == expected
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]  # no temporary file left

    mtime = dest.stat().st_mtime_ns
    again = run_module(args, capsys)
    assert again["changed"] is False and again["package_id"] == expected
    assert run_module(args, capsys, check=True)["changed"] is False
    assert dest.stat().st_mtime_ns == mtime


def test_module_replaces_a_different_package_and_shows_both_ids(source, tmp_path, capsys):
    dest = tmp_path / f"{LABEL}.tar.gz"
    old = package(source)
    dest.write_bytes(old)
    args = {"dest": str(dest), "label": LABEL, "source": str(source), "dial_timeout": "30s"}
    checked = run_module(args, capsys, check=True)
    new_id = chaincode_package.package_id(LABEL, package(source, dial_timeout="30s"))
    assert checked["changed"] is True
    assert checked["diff"] == {"before": {"package_id": chaincode_package.package_id(LABEL, old)}, "after": {"package_id": new_id}}
    assert dest.read_bytes() == old
    assert run_module(args, capsys)["changed"] is True
    assert chaincode_package.package_id(LABEL, dest.read_bytes()) == new_id
    dest.write_bytes(b"garbage")
    assert run_module(args, capsys, check=True)["diff"]["before"]["package_id"].startswith("(not a chaincode package) sha256 ")


def test_module_fails_clearly(source, tmp_path, capsys):
    result = run_module({"dest": str(tmp_path), "label": LABEL}, capsys)
    assert result["failed"] and "is a directory" in result["msg"]
    result = run_module({"dest": str(tmp_path / "p.tar.gz"), "label": "bad label"}, capsys)
    assert result["failed"] and "invalid label 'bad label'" in result["msg"]
    (source / INDEX).write_text("[]")
    result = run_module({"dest": str(tmp_path / "p.tar.gz"), "label": LABEL, "source": str(source)}, capsys)
    assert result["failed"] and "not a CouchDB index definition" in result["msg"]
    assert not (tmp_path / "p.tar.gz").exists()


def test_module_under_ansible_in_check_mode(source, tmp_path):
    """Through ansible itself (module_utils shipped as Ansible does): check mode, diff, nothing written."""
    dest = tmp_path / f"{LABEL}.tar.gz"
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json")
    result = subprocess.run(
        [
            "ansible",
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-m",
            "fabric_chaincode_package",
            "-a",
            json.dumps({"dest": str(dest), "label": LABEL, "source": str(source)}),
            "--check",
            "--diff",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    task = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert task["changed"] is True
    assert task["package_id"] == chaincode_package.package_id(LABEL, package(source))
    assert not dest.exists()
